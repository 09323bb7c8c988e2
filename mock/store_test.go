package mock

import (
	"errors"
	"iter"
	"math"
	"math/rand"
	"slices"
	"testing"
	"time"
)

// storeRec is a record of the store tests.
type storeRec struct {
	id  int64
	val int
}

// TestTableMatchesASlice drives a table across many chunks with random
// inserts, updates, removes, loads, lists, gets and finds, and holds each
// answer to that of a plain slice of the same records.
func TestTableMatchesASlice(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	tab := newTable(func(r *storeRec) int64 { return r.id }, 1)
	var model []storeRec // ordered by id
	nextID := int64(1)
	indexOf := func(id int64) int {
		return slices.IndexFunc(model, func(r storeRec) bool { return r.id == id })
	}
	check := func(step int) {
		t.Helper()
		if tab.size() != len(model) {
			t.Fatalf("step %d: size %d, want %d", step, tab.size(), len(model))
		}
		for i, r := range model {
			if tab.pos[r.id] != i {
				t.Fatalf("step %d: pos[%d] = %d, want %d", step, r.id, tab.pos[r.id], i)
			}
		}
		for k, c := range tab.chunks {
			if k < len(tab.chunks)-1 && len(c) != chunkSize || len(c) == 0 {
				t.Fatalf("step %d: chunk %d of %d holds %d records", step, k, len(tab.chunks), len(c))
			}
		}
	}
	for step := range 12_000 {
		op := rng.Intn(100)
		switch {
		case op < 55: // insert, most of the time, so that the table grows
			rec := tab.insert(storeRec{val: rng.Intn(10)}, func(r *storeRec, id int64) { r.id = id })
			if rec.id != nextID {
				t.Fatalf("step %d: id %d, want %d", step, rec.id, nextID)
			}
			model = append(model, rec)
			nextID++
		case op < 65 && len(model) > 0: // update
			id := model[rng.Intn(len(model))].id
			v := rng.Intn(10)
			got, err := tab.update(id, func(r storeRec) (storeRec, error) { r.val = v; return r, nil })
			model[indexOf(id)].val = v
			if err != nil || got != model[indexOf(id)] {
				t.Fatalf("step %d: update %d = %v, %v", step, id, got, err)
			}
		case op < 75 && len(model) > 0: // remove
			id := model[rng.Intn(len(model))].id
			if op%2 == 0 {
				id = model[len(model)-1].id // the last: chunks empty out
			}
			got, ok := tab.remove(id)
			i := indexOf(id)
			if !ok || got != model[i] {
				t.Fatalf("step %d: remove %d = %v, %v", step, id, got, ok)
			}
			model = slices.Delete(model, i, i+1)
		case op < 90: // list
			v := rng.Intn(10)
			match := func(r *storeRec) bool { return r.val <= v }
			if op%3 == 0 {
				match = nil
			}
			offset, limit, total := rng.Intn(len(model)+10), rng.Intn(3000), op%2 == 0
			got, n := tab.list(match, offset, limit, total)
			want, count := modelList(model, match, offset, limit, total)
			if !slices.Equal(got, want) || n != count {
				t.Fatalf("step %d: list(offset %d, limit %d, total %v) = %d records, count %d; want %d, %d", step, offset, limit, total, len(got), n, len(want), count)
			}
		case op < 95: // get and find
			id := int64(rng.Intn(int(nextID) + 2))
			got, ok := tab.get(id)
			i := indexOf(id)
			if ok != (i >= 0) || ok && got != model[i] {
				t.Fatalf("step %d: get %d = %v, %v", step, id, got, ok)
			}
			v := rng.Intn(12)
			found, ok := tab.find(func(r *storeRec) bool { return r.val == v })
			j := slices.IndexFunc(model, func(r storeRec) bool { return r.val == v })
			if ok != (j >= 0) || ok && found != model[j] {
				t.Fatalf("step %d: find val %d = %v, %v", step, v, found, ok)
			}
		case op < 97 && len(model) > 0: // a check that sees every record
			seen := 0
			_, err := tab.insertChecked(storeRec{}, func(r *storeRec, id int64) { r.id = id }, func(rows iter.Seq[*storeRec]) error {
				for range rows {
					seen++
				}
				return errNotFound
			})
			if !errors.Is(err, errNotFound) || seen != len(model) {
				t.Fatalf("step %d: the check saw %d records of %d (%v)", step, seen, len(model), err)
			}
		case op == 99: // load what there is, shuffled, in place of it all
			rows := slices.Clone(model)
			rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
			tab.load(rows)
		}
		if step%50 == 0 || op == 99 {
			check(step)
		}
	}
	check(-1)
	if len(tab.chunks) < 4 {
		t.Errorf("the test filled only %d chunks", len(tab.chunks))
	}
	// The edges of a page without a filter, found by place.
	for _, offset := range []int{-1, 0, 1, chunkSize - 1, chunkSize, len(model) - 1, len(model), len(model) + 1} {
		for _, limit := range []int{0, 1, 50, chunkSize, chunkSize + 1, len(model), math.MaxInt} {
			for _, total := range []bool{false, true} {
				got, n := tab.list(nil, offset, limit, total)
				want, count := modelList(model, nil, offset, limit, total)
				if !slices.Equal(got, want) || n != count || got == nil {
					t.Errorf("list(nil, %d, %d, %v) = %d records, count %d; want %d, %d", offset, limit, total, len(got), n, len(want), count)
				}
			}
		}
	}
}

// modelList is table.list over a plain slice, as the table's loop reads it.
func modelList(model []storeRec, match func(*storeRec) bool, offset, limit int, total bool) ([]storeRec, int) {
	var want []storeRec
	count := 0
	for _, r := range model {
		if match != nil && !match(&r) {
			continue
		}
		if count >= offset && len(want) < limit {
			want = append(want, r)
		} else if !total && len(want) >= limit {
			break
		}
		count++
	}
	return want, count
}

// BenchmarkTableInsert inserts integration-error-sized records into a
// table that starts at 100,000 and reports, beside the mean, the slowest
// single insert (worst-ns): with the records in chunks no insert copies
// the table, which in one growing slice took tens of milliseconds under
// the lock at a few hundred thousand records.
func BenchmarkTableInsert(b *testing.B) {
	type rec struct {
		id      int64
		p       [12]*int64 // as many pointers as an integration error has
		s1, s2  string
		padding [2]int64
	}
	tab := newTable(func(r *rec) int64 { return r.id }, 1)
	for range 100_000 {
		tab.insert(rec{}, func(r *rec, id int64) { r.id = id })
	}
	var worst time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		tab.insert(rec{}, func(r *rec, id int64) { r.id = id })
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Nanoseconds()), "worst-ns")
}
