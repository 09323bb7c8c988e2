package query_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/query"
)

// TestMatchFuncIsMatch holds MatchFunc to Match on every record of a
// store, for filters of every kind of element and an empty one.
func TestMatchFuncIsMatch(t *testing.T) {
	rows := benchStore(500)
	rows[7].Status, rows[8].UpdatedAt, rows[9].Integration = nil, nil, nil // absent elements
	schema := query.MustSchemaOf(core.IntegrationError{})
	for _, q := range []string{
		"",
		"status=error&updated-at[gt]=2026-11-23T10:03:00Z",
		"integration[code][in]=SAP,WORKDAY&resolved=false",
		"external-id[contains]=99&id[lt_or_eq]=400",
		"status[blank]=true",
		"updated-at[blank]=true",
		"integration[code][not_in]=SAP",
	} {
		values, err := url.ParseQuery(q)
		require.NoError(t, err)
		f, err := schema.Parse(values)
		require.NoError(t, err, q)
		match := query.MatchFunc[core.IntegrationError](f)
		n := 0
		for i := range rows {
			want := f.Match(&rows[i])
			require.Equal(t, want, match(&rows[i]), "%q, record %d", q, i)
			if want {
				n++
			}
		}
		assert.Positive(t, n, "%q matches some record", q)
		assert.False(t, match(nil), "%q: a nil record matches nothing", q)
	}
	assert.True(t, query.MatchFunc[core.IntegrationError](nil)(&rows[0]), "a nil filter matches every record")

	f, err := schema.Parse(url.Values{"status": {"error"}})
	require.NoError(t, err)
	assert.PanicsWithValue(t, "query: MatchFunc[core.User]: the filter was parsed for *core.IntegrationError records",
		func() { query.MatchFunc[core.User](f) })
}

// BenchmarkMatchFunc is BenchmarkMatch's first query through MatchFunc,
// as the mock's tables scan: one op is one full scan of 100,000 records.
func BenchmarkMatchFunc(b *testing.B) {
	const n = 100_000
	rows := benchStore(n)
	f, err := query.MustSchemaOf(core.IntegrationError{}).Parse(url.Values{"status": {"error"}, "updated-at[gt]": {"2026-11-24T00:00:00Z"}})
	if err != nil {
		b.Fatal(err)
	}
	match := query.MatchFunc[core.IntegrationError](f)
	b.ReportAllocs()
	matched := 0
	for b.Loop() {
		matched = 0
		for i := range rows {
			if match(&rows[i]) {
				matched++
			}
		}
	}
	if matched == 0 {
		b.Fatal("no record matched")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/match")
}
