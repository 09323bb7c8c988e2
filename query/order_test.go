package query_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/query"
)

// tagged returns a rec named by its NoTag field, changed by set.
func tagged(tag string, set func(r *rec)) *rec {
	r := &rec{NoTag: tag}
	set(r)
	return r
}

// sortedTags sorts recs (stably) by the element name and returns their tags
// in the resulting order.
func sortedTags(t *testing.T, s *query.Schema, name string, desc bool, recs []*rec) []string {
	t.Helper()
	compare, err := s.Order(name, desc)
	require.NoError(t, err, "Order(%q)", name)
	sorted := slices.Clone(recs)
	slices.SortStableFunc(sorted, func(a, b *rec) int { return compare(a, b) })
	tags := make([]string, len(sorted))
	for i, r := range sorted {
		tags[i] = r.NoTag
	}
	return tags
}

// TestOrderKinds orders by an element of every scalar kind, ascending and
// descending. Records are given out of order; "nil" records lack the element
// and sort first (last when descending); records with equal values keep
// their input order (the sort is stable and Order says 0).
func TestOrderKinds(t *testing.T) {
	east := time.FixedZone("+02:00", 2*3600)
	cases := []struct {
		name string
		recs []*rec
		asc  []string
	}{
		{"name", []*rec{ // *string, byte-wise: upper case before lower case, "" a value
			tagged("b", func(r *rec) { r.Name = ptr("b") }),
			tagged("nil", func(r *rec) {}),
			tagged("B", func(r *rec) { r.Name = ptr("B") }),
			tagged("é", func(r *rec) { r.Name = ptr("é") }),
			tagged("empty", func(r *rec) { r.Name = ptr("") }),
			tagged("a", func(r *rec) { r.Name = ptr("a") }),
			tagged("ab", func(r *rec) { r.Name = ptr("ab") }),
		}, []string{"nil", "empty", "B", "a", "ab", "b", "é"}},
		{"code", []*rec{ // string: never absent
			tagged("y", func(r *rec) { r.Code = "y" }),
			tagged("empty", func(r *rec) {}),
			tagged("x", func(r *rec) { r.Code = "x" }),
		}, []string{"empty", "x", "y"}},
		{"label", []*rec{ // *label, a named string type
			tagged("gold", func(r *rec) { r.Label = ptr(label("Gold")) }),
			tagged("bronze", func(r *rec) { r.Label = ptr(label("Bronze")) }),
			tagged("nil", func(r *rec) {}),
		}, []string{"nil", "bronze", "gold"}},
		{"count", []*rec{ // *int64: numerically, not as text
			tagged("10", func(r *rec) { r.Count = ptr(int64(10)) }),
			tagged("9", func(r *rec) { r.Count = ptr(int64(9)) }),
			tagged("min", func(r *rec) { r.Count = ptr(int64(math.MinInt64)) }),
			tagged("nil", func(r *rec) {}),
			tagged("max", func(r *rec) { r.Count = ptr(int64(math.MaxInt64)) }),
			tagged("-1", func(r *rec) { r.Count = ptr(int64(-1)) }),
			tagged("0", func(r *rec) { r.Count = ptr(int64(0)) }),
		}, []string{"nil", "min", "-1", "0", "9", "10", "max"}},
		{"small", []*rec{ // int32
			tagged("100", func(r *rec) { r.Small = 100 }),
			tagged("min", func(r *rec) { r.Small = math.MinInt32 }),
			tagged("0", func(r *rec) {}),
		}, []string{"min", "0", "100"}},
		{"size", []*rec{ // *uint16
			tagged("65535", func(r *rec) { r.Size = ptr(uint16(65535)) }),
			tagged("2", func(r *rec) { r.Size = ptr(uint16(2)) }),
			tagged("nil", func(r *rec) {}),
			tagged("0", func(r *rec) { r.Size = ptr(uint16(0)) }),
		}, []string{"nil", "0", "2", "65535"}},
		{"price", []*rec{ // *float64
			tagged("12.5", func(r *rec) { r.Price = ptr(12.5) }),
			tagged("-inf", func(r *rec) { r.Price = ptr(math.Inf(-1)) }),
			tagged("nil", func(r *rec) {}),
			tagged("nan", func(r *rec) { r.Price = ptr(math.NaN()) }),
			tagged("-0.5", func(r *rec) { r.Price = ptr(-0.5) }),
			tagged("1e300", func(r *rec) { r.Price = ptr(1e300) }),
			tagged("12.25", func(r *rec) { r.Price = ptr(12.25) }),
		}, []string{"nil", "nan", "-inf", "-0.5", "12.25", "12.5", "1e300"}},
		{"ratio", []*rec{ // float32
			tagged("0.75", func(r *rec) { r.Ratio = 0.75 }),
			tagged("-0.25", func(r *rec) { r.Ratio = -0.25 }),
			tagged("0.5", func(r *rec) { r.Ratio = 0.5 }),
		}, []string{"-0.25", "0.5", "0.75"}},
		{"active", []*rec{ // *bool
			tagged("true", func(r *rec) { r.Active = ptr(true) }),
			tagged("nil", func(r *rec) {}),
			tagged("false", func(r *rec) { r.Active = ptr(false) }),
			tagged("true2", func(r *rec) { r.Active = ptr(true) }),
		}, []string{"nil", "false", "true", "true2"}},
		{"flag", []*rec{ // bool: never absent
			tagged("true", func(r *rec) { r.Flag = true }),
			tagged("false", func(r *rec) {}),
		}, []string{"false", "true"}},
		{"at", []*rec{ // *time.Time: as instants, whatever the zone
			tagged("11Z", func(r *rec) { r.At = ptr(t0.Add(time.Hour)) }),
			tagged("zero", func(r *rec) { r.At = &time.Time{} }),
			tagged("10:00+02", func(r *rec) { r.At = ptr(time.Date(2026, 11, 23, 10, 0, 0, 0, east)) }),
			tagged("10Z", func(r *rec) { r.At = ptr(t0) }),
			tagged("nil", func(r *rec) {}),
			tagged("10Z+1ns", func(r *rec) { r.At = ptr(t0.Add(time.Nanosecond)) }),
			tagged("12:00+02", func(r *rec) { r.At = ptr(time.Date(2026, 11, 23, 12, 0, 0, 0, east)) }),
		}, []string{"zero", "nil", "10:00+02", "10Z", "12:00+02", "10Z+1ns", "11Z"}},
		{"due", []*rec{ // time.Time: the zero time is absent
			tagged("later", func(r *rec) { r.Due = t0.Add(24 * time.Hour) }),
			tagged("zero", func(r *rec) {}),
			tagged("sooner", func(r *rec) { r.Due = t0 }),
		}, []string{"zero", "sooner", "later"}},
		{"deep", []*rec{ // **string: absent at either pointer
			tagged("x", func(r *rec) { r.Deep = ptr(ptr("x")) }),
			tagged("nil inner", func(r *rec) { r.Deep = new(*string) }),
			tagged("a", func(r *rec) { r.Deep = ptr(ptr("a")) }),
			tagged("nil", func(r *rec) {}),
		}, []string{"nil inner", "nil", "a", "x"}},
		{"kind", []*rec{ // promoted from the embedded Base
			tagged("z", func(r *rec) { r.Kind = "z" }),
			tagged("m", func(r *rec) { r.Kind = "m" }),
		}, []string{"m", "z"}},
		{"note", []*rec{ // promoted through the embedded *Audit: absent when it is nil
			tagged("n2", func(r *rec) { r.Audit = &Audit{Note: ptr("2")} }),
			tagged("nil audit", func(r *rec) {}),
			tagged("nil note", func(r *rec) { r.Audit = &Audit{} }),
			tagged("n1", func(r *rec) { r.Audit = &Audit{Note: ptr("1")} }),
		}, []string{"nil audit", "nil note", "n1", "n2"}},
		{"NoTag", []*rec{ // a field without a json tag, by its Go name
			tagged("b", func(r *rec) {}),
			tagged("a", func(r *rec) {}),
		}, []string{"a", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.asc, sortedTags(t, recSchema, tc.name, false, tc.recs))

			// Descending is the reverse comparison: absent values last, and
			// equal values still in input order.
			want := descending(t, recSchema, tc.name, tc.recs)
			require.Equal(t, want, sortedTags(t, recSchema, tc.name, true, tc.recs))
		})
	}
}

// descending computes the expected descending order independently of
// Order's desc: groups of equal records, as the ascending comparison tells
// them, in reverse, each group in input order.
func descending(t *testing.T, s *query.Schema, name string, recs []*rec) []string {
	t.Helper()
	compare, err := s.Order(name, false)
	require.NoError(t, err)
	sorted := slices.Clone(recs)
	slices.SortStableFunc(sorted, func(a, b *rec) int { return compare(b, a) })
	out := make([]string, len(sorted))
	for i, r := range sorted {
		out[i] = r.NoTag
	}
	return out
}

// TestOrderDescExplicit spells out a descending order, absent values last
// and ties kept in input order.
func TestOrderDescExplicit(t *testing.T) {
	recs := []*rec{
		tagged("1a", func(r *rec) { r.Count = ptr(int64(1)) }),
		tagged("nil", func(r *rec) {}),
		tagged("3", func(r *rec) { r.Count = ptr(int64(3)) }),
		tagged("1b", func(r *rec) { r.Count = ptr(int64(1)) }),
		tagged("2", func(r *rec) { r.Count = ptr(int64(2)) }),
	}
	require.Equal(t, []string{"nil", "1a", "1b", "2", "3"}, sortedTags(t, recSchema, "count", false, recs))
	require.Equal(t, []string{"3", "2", "1a", "1b", "nil"}, sortedTags(t, recSchema, "count", true, recs))
}

// TestOrderCompare checks the comparison's values directly: the sign, 0 for
// equal values and for two absent ones, nil records, and records by value.
func TestOrderCompare(t *testing.T) {
	asc, err := recSchema.Order("count", false)
	require.NoError(t, err)
	desc, err := recSchema.Order("count", true)
	require.NoError(t, err)
	one, two, none := &rec{Count: ptr(int64(1))}, &rec{Count: ptr(int64(2))}, &rec{}
	cases := []struct {
		a, b      any
		asc, desc int
	}{
		{one, two, -1, 1},
		{two, one, 1, -1},
		{one, &rec{Count: ptr(int64(1))}, 0, 0},
		{none, one, -1, 1},
		{one, none, 1, -1},
		{none, &rec{}, 0, 0},
		{(*rec)(nil), one, -1, 1}, // a nil record lacks every element
		{(*rec)(nil), none, 0, 0},
		{*two, *one, 1, -1}, // by value
		{*one, two, -1, 1},
	}
	for i, tc := range cases {
		require.Equal(t, tc.asc, asc(tc.a, tc.b), "case %d asc", i)
		require.Equal(t, tc.desc, desc(tc.a, tc.b), "case %d desc", i)
	}
	for _, name := range []string{"name", "active", "at", "due", "price", "size"} {
		compare, err := recSchema.Order(name, false)
		require.NoError(t, err)
		require.Zero(t, compare(full(), full()), name)
		require.Zero(t, compare(&rec{}, &rec{}), name)
		require.Equal(t, 1, compare(full(), &rec{}), name)
		require.Equal(t, -1, compare(&rec{}, full()), name)
	}
	require.PanicsWithValue(t,
		"query: Schema.Order comparison of a *query_test.person: the comparison was made for *query_test.rec records",
		func() { asc(&person{}, one) })
}

// TestOrderNames covers the spellings Order accepts and those it refuses.
func TestOrderNames(t *testing.T) {
	s := query.MustSchemaOf(core.IntegrationError{})
	early, late := t0, t0.Add(time.Minute)
	a := &core.IntegrationError{Id: ptr(int64(1)), UpdatedAt: &late, DocumentId: ptr(int64(7)), ContactAlertType: "Technical"}
	b := &core.IntegrationError{Id: ptr(int64(2)), UpdatedAt: &early, DocumentId: ptr(int64(9)), ContactAlertType: "Both"}
	for _, tc := range []struct {
		name string
		want int // compare(a, b)
	}{
		{"updated-at", 1},
		{"updated_at", 1},
		{"document-id", -1},
		{"document_id", -1},
		{"contact_alert_type", 1}, // a named string type
		{"id", -1},
	} {
		compare, err := s.Order(tc.name, false)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, compare(a, b), tc.name)
	}

	compare, err := recSchema.Order("snake_name", false) // an underscore in the json name itself
	require.NoError(t, err)
	require.Equal(t, -1, compare(&rec{SnakeName: ptr("a")}, &rec{SnakeName: ptr("b")}))

	refused := []struct {
		schema       *query.Schema
		name, reason string
	}{
		{recSchema, "nope", `unknown element "nope" (elements: NoTag, active, at, code, count, deep, due, flag, kind, label, name, note, price, ratio, size, small, snake_name)`},
		{recSchema, "", `unknown element "" (elements: NoTag, active, at, code, count, deep, due, flag, kind, label, name, note, price, ratio, size, small, snake_name)`},
		{recSchema, "Name", `unknown element "Name" (elements: NoTag, active, at, code, count, deep, due, flag, kind, label, name, note, price, ratio, size, small, snake_name)`}, // exact spelling only
		{recSchema, "owner", `"owner" is an association: records are ordered by one of their own elements (elements: NoTag, active, at, code, count, deep, due, flag, kind, label, name, note, price, ratio, size, small, snake_name)`},
		{recSchema, "owner[login]", `"owner[login]" is not a top-level element: records are ordered by one of their own elements (elements: NoTag, active, at, code, count, deep, due, flag, kind, label, name, note, price, ratio, size, small, snake_name)`},
		{recSchema, "name[gt]", `"name[gt]" is not a top-level element: records are ordered by one of their own elements (elements: NoTag, active, at, code, count, deep, due, flag, kind, label, name, note, price, ratio, size, small, snake_name)`},
		{recSchema, "tags", `"tags" is a list and cannot order records`},
		{recSchema, "extra", `"extra" is a map and cannot order records`},
		{recSchema, "any", `"any" (interface {}) cannot order records`},
		{recSchema, "Skipped", `unknown element "Skipped" (elements: NoTag, active, at, code, count, deep, due, flag, kind, label, name, note, price, ratio, size, small, snake_name)`},
		{s, "integration[code]", `"integration[code]" is not a top-level element: records are ordered by one of their own elements (elements: ` + scalarsOf(s) + `)`},
		{s, "created_by", `"created-by" is an association: records are ordered by one of their own elements (elements: ` + scalarsOf(s) + `)`},
		{s, "responses", `"responses" is a list and cannot order records`},
		{query.MustSchemaOf(struct{ L []int }{}), "L", `"L" is a list and cannot order records`},
		{query.MustSchemaOf(struct{}{}), "x", `unknown element "x" (there are no scalar elements)`},
	}
	for _, tc := range refused {
		compare, err := tc.schema.Order(tc.name, false)
		require.Nil(t, compare, tc.name)
		var qe *query.Error
		require.True(t, errors.As(err, &qe), "%q: %v", tc.name, err)
		require.Equal(t, "order_by", qe.Param, tc.name)
		require.Equal(t, tc.reason, qe.Reason, tc.name)
		require.Equal(t, `filter "order_by": `+tc.reason, err.Error())
	}
}

// scalarsOf lists the top-level scalar elements of s as Order's errors do:
// the Elements without brackets.
func scalarsOf(s *query.Schema) string {
	var out string
	for _, e := range s.Elements() {
		if !strings.Contains(e, "[") {
			if out != "" {
				out += ", "
			}
			out += e
		}
	}
	return out
}

// TestOrderConcurrent sorts from several goroutines with one comparison, for
// the race detector.
func TestOrderConcurrent(t *testing.T) {
	compare, err := query.MustSchemaOf(core.IntegrationError{}).Order("updated-at", true)
	require.NoError(t, err)
	rows := benchStore(500)
	done := make(chan []*core.IntegrationError)
	for g := range 4 {
		go func() {
			ptrs := shuffled(rows, uint64(g))
			slices.SortStableFunc(ptrs, func(a, b *core.IntegrationError) int { return compare(a, b) })
			done <- ptrs
		}()
	}
	for range 4 {
		ptrs := <-done
		for i := 1; i < len(ptrs); i++ {
			require.True(t, ptrs[i-1].UpdatedAt.After(*ptrs[i].UpdatedAt))
		}
	}
}

// TestOrderAllocations checks that a comparison allocates nothing.
func TestOrderAllocations(t *testing.T) {
	rows := benchStore(2)
	for _, name := range []string{"updated-at", "status", "id", "resolved", "external-id"} {
		compare, err := query.MustSchemaOf(core.IntegrationError{}).Order(name, true)
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(100, func() { _ = compare(&rows[0], &rows[1]) })
		require.Zero(t, allocs, name)
	}
}

// shuffled returns pointers to rows in an order fixed by seed.
func shuffled(rows []core.IntegrationError, seed uint64) []*core.IntegrationError {
	ptrs := make([]*core.IntegrationError, len(rows))
	for i := range rows {
		ptrs[i] = &rows[i]
	}
	rand.New(rand.NewPCG(seed, 1)).Shuffle(len(ptrs), func(i, j int) { ptrs[i], ptrs[j] = ptrs[j], ptrs[i] })
	return ptrs
}

// BenchmarkOrder sorts 100,000 integration errors, given as pointers into
// the store in a shuffled order, with slices.SortStableFunc: by updated-at
// (all distinct), and by status with ties broken by id as the mock does
// (three values, so mostly ties). typed-baseline sorts by updated-at with a
// hand-written comparison of the Go type, for scale. One op is one full sort.
func BenchmarkOrder(b *testing.B) {
	const n = 100_000
	rows := benchStore(n)
	input := shuffled(rows, 42)
	s := query.MustSchemaOf(core.IntegrationError{})
	byUpdated, err := s.Order("updated-at", false)
	if err != nil {
		b.Fatal(err)
	}
	byStatus, err := s.Order("status", true)
	if err != nil {
		b.Fatal(err)
	}
	byID, err := s.Order("id", false)
	if err != nil {
		b.Fatal(err)
	}
	sorts := []struct {
		name    string
		compare func(a, b *core.IntegrationError) int
		check   func(a, b *core.IntegrationError) bool // holds for consecutive records
	}{
		{"updated-at", func(a, b *core.IntegrationError) int { return byUpdated(a, b) },
			func(a, b *core.IntegrationError) bool { return a.UpdatedAt.Before(*b.UpdatedAt) }},
		{"typed-baseline", func(a, b *core.IntegrationError) int { return a.UpdatedAt.Compare(*b.UpdatedAt) },
			func(a, b *core.IntegrationError) bool { return a.UpdatedAt.Before(*b.UpdatedAt) }},
		{"status-desc+id", func(a, b *core.IntegrationError) int {
			if c := byStatus(a, b); c != 0 {
				return c
			}
			return byID(a, b)
		}, func(a, b *core.IntegrationError) bool {
			return *a.Status > *b.Status || *a.Status == *b.Status && *a.Id < *b.Id
		}},
	}
	for _, sc := range sorts {
		b.Run(sc.name, func(b *testing.B) {
			b.ReportAllocs()
			work := make([]*core.IntegrationError, n)
			for b.Loop() {
				copy(work, input)
				slices.SortStableFunc(work, sc.compare)
			}
			for i := 1; i < n; i++ {
				if !sc.check(work[i-1], work[i]) {
					b.Fatalf("records %d and %d are out of order", i-1, i)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/record")
		})
	}
}
