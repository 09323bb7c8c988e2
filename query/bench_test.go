package query_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/query"
)

// benchStore builds n integration errors the way the mock stores them: a
// slice of values, filtered through pointers to its elements.
func benchStore(n int) []core.IntegrationError {
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	statuses := []string{"error", "warning", "info"}
	codes := []string{"SAP", "ORACLE", "NETSUITE", "WORKDAY"}
	rows := make([]core.IntegrationError, n)
	for i := range rows {
		id := int64(i + 1)
		status := statuses[i%len(statuses)]
		code := codes[i%len(codes)]
		updated := base.Add(time.Duration(i) * time.Second)
		resolved := i%2 == 0
		ext := fmt.Sprintf("INV-%06d", i)
		rows[i] = core.IntegrationError{
			Id:          &id,
			Status:      &status,
			Resolved:    &resolved,
			ExternalId:  &ext,
			UpdatedAt:   &updated,
			CreatedAt:   &updated,
			Integration: &core.Integration{Id: &id, Code: &code},
			CreatedBy:   &core.User{Id: 1, Login: "jdoe"},
		}
	}
	return rows
}

// BenchmarkMatch scans a 100,000-record store with two filters per query;
// one op is one full scan.
func BenchmarkMatch(b *testing.B) {
	const n = 100_000
	rows := benchStore(n)
	schema := query.MustSchemaOf(core.IntegrationError{})
	queries := []struct{ name, query string }{
		{"status+updated-at[gt]", "status=error&updated-at[gt]=2026-11-24T00:00:00Z"},
		{"integration[code][in]+resolved", "integration[code][in]=SAP,WORKDAY&resolved=false"},
		{"external-id[contains]+id[lt_or_eq]", "external-id[contains]=99&id[lt_or_eq]=90000"},
	}
	for _, q := range queries {
		values, err := url.ParseQuery(q.query)
		if err != nil {
			b.Fatal(err)
		}
		f, err := schema.Parse(values)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			matched := 0
			for b.Loop() {
				matched = 0
				for i := range rows {
					if f.Match(&rows[i]) {
						matched++
					}
				}
			}
			if matched == 0 {
				b.Fatal("no record matched")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/match")
		})
	}
}
