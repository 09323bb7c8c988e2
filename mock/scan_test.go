package mock

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/query"
)

type scanRow struct {
	id  int64
	key int
}

func scanRows(n int, r *rand.Rand) []scanRow {
	rows := make([]scanRow, n)
	for i := range rows {
		rows[i] = scanRow{id: int64(i + 1), key: r.IntN(1000)}
	}
	return rows
}

// scanFilters are matches of every density: none, every row, one row at
// either end, a few scattered, most rows.
func scanFilters(n int) map[string]func(*scanRow) bool {
	return map[string]func(*scanRow) bool{
		"none":   func(*scanRow) bool { return false },
		"all":    func(*scanRow) bool { return true },
		"first":  func(r *scanRow) bool { return r.id == 1 },
		"last":   func(r *scanRow) bool { return r.id == int64(n) },
		"rare":   func(r *scanRow) bool { return r.key == 7 },
		"tenth":  func(r *scanRow) bool { return r.key < 100 },
		"most":   func(r *scanRow) bool { return r.key >= 50 },
		"late":   func(r *scanRow) bool { return r.id > int64(n)*9/10 && r.key < 500 },
		"middle": func(r *scanRow) bool { return r.id > int64(n)/3 && r.id < int64(n)/2 },
	}
}

// TestListParallelIsSequential holds the parallel scan to the sequential
// one (the page, its order and the count, with and without total) over
// many filters, offsets and limits, on tables cut into chunks of every
// shape: empty, smaller than the head, one row past it, and large enough
// for many chunks.
func TestListParallelIsSequential(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	splits := []scanSplit{
		{head: 4, block: 3, workers: 3},
		{head: 1, block: 1, workers: 8},
		{head: 64, block: 50, workers: 2},
		{head: 0, block: 10, workers: 4},
	}
	for _, n := range []int{0, 1, 2, 3, 4, 5, 17, 64, 65, 200, 1000} {
		rows := scanRows(n, r)
		for name, match := range scanFilters(n) {
			for _, offset := range []int{-1, 0, 1, 3, 10, 49, 50, 51, 199, 1000, 5000} {
				for _, limit := range []int{1, 2, 5, 50, 199, 1000, math.MaxInt} {
					for _, total := range []bool{false, true} {
						wantRows, wantN := listSequential(rows, match, offset, limit, total)
						for _, split := range splits {
							gotRows, gotN := listParallel(rows, match, offset, limit, total, split)
							where := fmt.Sprintf("%d rows, %s, offset %d, limit %d, total %v, split %+v", n, name, offset, limit, total, split)
							require.Equal(t, wantN, gotN, "count: %s", where)
							require.Equal(t, wantRows, gotRows, "page: %s", where)
						}
					}
				}
			}
		}
	}
}

// TestListRowsAtThreshold runs listRows, as tables call it, on tables
// around parallelMin rows, held to the sequential scan.
func TestListRowsAtThreshold(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{parallelMin - 1, parallelMin, parallelMin + 1, 3*parallelMin + 7} {
		rows := scanRows(n, r)
		for name, match := range scanFilters(n) {
			for _, c := range []struct{ offset, limit int }{{0, 50}, {0, 1}, {120, 50}, {parallelMin, 50}, {0, math.MaxInt}, {10 * parallelMin, 5}} {
				for _, total := range []bool{false, true} {
					wantRows, wantN := listSequential(rows, match, c.offset, c.limit, total)
					gotRows, gotN := listRows(rows, match, c.offset, c.limit, total)
					where := fmt.Sprintf("%d rows, %s, offset %d, limit %d, total %v", n, name, c.offset, c.limit, total)
					require.Equal(t, wantN, gotN, "count: %s", where)
					require.Equal(t, wantRows, gotRows, "page: %s", where)
				}
			}
		}
	}
	// A nil match and a limit of 0 take the sequential scan.
	rows := scanRows(parallelMin, r)
	for _, limit := range []int{0, 50} {
		wantRows, wantN := listSequential(rows, nil, 7, limit, true)
		gotRows, gotN := listRows(rows, nil, 7, limit, true)
		require.Equal(t, wantN, gotN)
		require.Equal(t, wantRows, gotRows)
	}
}

// TestListParallelStopsEarly checks that a page the head fills starts no
// other chunk: the match sees only the head's rows.
func TestListParallelStopsEarly(t *testing.T) {
	rows := scanRows(10*parallelMin, rand.New(rand.NewPCG(7, 8)))
	seen := 0 // no goroutine may touch it: -race says so if one does
	match := func(r *scanRow) bool { seen++; return r.id%10 == 0 }
	out, n := listRows(rows, match, 0, 50, false)
	require.Len(t, out, 50)
	require.Equal(t, 50, n)
	require.Equal(t, int64(500), out[49].id)
	require.Equal(t, 500, seen, "the scan stops at the row that fills the page")
}

// BenchmarkListRows is a full scan of 100,000 rows that match nothing, in
// one pass and in parallel: one op is one scan.
func BenchmarkListRows(b *testing.B) {
	rows := scanRows(100_000, rand.New(rand.NewPCG(9, 10)))
	match := func(r *scanRow) bool { return r.key > 1000 }
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			listSequential(rows, match, 0, 50, false)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		for b.Loop() {
			listRows(rows, match, 0, 50, false)
		}
	})
}

// BenchmarkListScan100k scans the 100,000 seeded integration errors with
// the two filters of BenchmarkListTwoFilters100k, through the table's rows
// alone (no HTTP), once in one pass and once as listRows scans, in turn in
// every op so that the machine's load weighs on both alike: it reports
// each one's ns per scan (sequential-ns/scan, listrows-ns/scan).
func BenchmarkListScan100k(b *testing.B) {
	rows := newState(1, 100_000).errors().rows
	schema := query.MustSchemaOf(core.IntegrationError{})
	for _, bc := range []struct{ name, query string }{
		{"page", "status=error&updated-at[gt]=2026-10-31T12:00:00Z"},
		{"full-scan", "status=error&updated-at[gt]=2030-01-01T00:00:00Z"},
	} {
		values, err := url.ParseQuery(bc.query)
		require.NoError(b, err)
		f, err := schema.Parse(values)
		require.NoError(b, err)
		match := query.MatchFunc[core.IntegrationError](f)
		b.Run(bc.name, func(b *testing.B) {
			var seq, par time.Duration
			for b.Loop() {
				t0 := time.Now()
				want, _ := listSequential(rows, match, 0, 50, false)
				t1 := time.Now()
				got, _ := listRows(rows, match, 0, 50, false)
				t2 := time.Now()
				seq, par = seq+t1.Sub(t0), par+t2.Sub(t1)
				if len(got) != len(want) {
					b.Fatal(len(got), len(want))
				}
			}
			b.ReportMetric(float64(seq.Nanoseconds())/float64(b.N), "sequential-ns/scan")
			b.ReportMetric(float64(par.Nanoseconds())/float64(b.N), "listrows-ns/scan")
		})
	}
}
