package query

import (
	"cmp"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/coupakit/coupakit/gen/core"
)

// reflectClause is a clause that reaches its element with reflection, by
// field indexes, instead of unsafe offsets: the alternative the unsafe code
// in Match must beat to stay. Once there it runs the same compiled test as
// Match (the clause compiled with an empty path), so that the two differ
// only in how they reach the element.
type reflectClause struct {
	c    *clause
	path [][]int // per step: the field index path, then the step's derefs
	refs []uint8
	test pred // the clause's test of the element itself
}

// indexAt finds the field index path that starts at offset off of struct t.
func indexAt(t reflect.Type, off uintptr) []int {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if off < f.Offset || off >= f.Offset+f.Type.Size() {
			continue
		}
		if off == f.Offset && (f.Type.Kind() != reflect.Struct || f.Type == reflect.TypeOf(time.Time{})) {
			return []int{i}
		}
		return append([]int{i}, indexAt(f.Type, off-f.Offset)...)
	}
	return nil
}

func newReflectClause(t reflect.Type, c *clause) reflectClause {
	leaf := *c
	leaf.path = nil
	rc := reflectClause{c: c, test: leaf.compile()}
	for _, s := range c.path {
		idx := indexAt(t, s.offset)
		rc.path = append(rc.path, idx)
		rc.refs = append(rc.refs, s.derefs)
		ft := t.FieldByIndex(idx).Type
		for range s.derefs {
			ft = ft.Elem()
		}
		t = ft
	}
	return rc
}

func (rc reflectClause) match(v reflect.Value) bool {
	c := rc.c
	for i, idx := range rc.path {
		v = v.FieldByIndex(idx)
		for range rc.refs[i] {
			if v.IsNil() {
				return c.op == opBlank && c.blank
			}
			v = v.Elem()
		}
	}
	return rc.test(v.Addr().UnsafePointer())
}

// BenchmarkMatchUnsafeVsReflect scans 100,000 integration errors with two
// filters, the mock's poll (status and updated-at[gt]), once through Match
// (unsafe offsets) and once through the same clauses reached by
// reflection. One op is one full scan.
func BenchmarkMatchUnsafeVsReflect(b *testing.B) {
	const n = 100_000
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	statuses := []string{"error", "warning", "info"}
	rows := make([]core.IntegrationError, n)
	for i := range rows {
		id, status, at := int64(i+1), statuses[i%3], base.Add(time.Duration(i)*time.Second)
		rows[i] = core.IntegrationError{Id: &id, Status: &status, UpdatedAt: &at, Integration: &core.Integration{Id: &id}}
	}
	f, err := MustSchemaOf(core.IntegrationError{}).Parse(url.Values{"status": {"error"}, "updated-at[gt]": {"2026-11-24T00:00:00Z"}})
	if err != nil {
		b.Fatal(err)
	}
	want := 0
	for i := range rows {
		if f.Match(&rows[i]) {
			want++
		}
	}
	b.Run("unsafe", func(b *testing.B) {
		for b.Loop() {
			got := 0
			for i := range rows {
				if f.Match(&rows[i]) {
					got++
				}
			}
			if got != want {
				b.Fatal(got, want)
			}
		}
	})
	t := reflect.TypeOf(core.IntegrationError{})
	var rcs []reflectClause
	for i := range f.clauses {
		rcs = append(rcs, newReflectClause(t, &f.clauses[i]))
	}
	// In the order Match tests them.
	slices.SortStableFunc(rcs, func(a, b reflectClause) int { return cmp.Compare(a.c.cost(), b.c.cost()) })
	b.Run("reflect", func(b *testing.B) {
		for b.Loop() {
			got := 0
			for i := range rows {
				v := reflect.ValueOf(&rows[i]).Elem()
				ok := true
				for _, rc := range rcs {
					if !rc.match(v) {
						ok = false
						break
					}
				}
				if ok {
					got++
				}
			}
			if got != want {
				b.Fatal(got, want)
			}
		}
	})
}
