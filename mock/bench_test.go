package mock_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/coupakit/coupakit/mock"
)

// serve runs one request through a handler in process, validation included.
func serve(b *testing.B, h http.Handler, method, path string, body []byte, want int) {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: status %d, want %d: %s", method, path, rec.Code, want, rec.Body)
	}
}

func benchMock(b *testing.B) *mock.Mock {
	m, err := mock.New(mock.Options{Seed: 1, Records: 1000})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func BenchmarkGetByID(b *testing.B) {
	h := benchMock(b).CoreHandler()
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, "GET", "/api/integration_errors/500", nil, 200)
	}
}

func BenchmarkListLimit50(b *testing.B) {
	h := benchMock(b).CoreHandler()
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, "GET", "/api/integration_errors?limit=50&offset=100", nil, 200)
	}
}

func BenchmarkCreate(b *testing.B) {
	m := benchMock(b)
	h := m.CoreHandler()
	body, _ := json.Marshal(validError(m.Integrations()[0].Code))
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, "POST", "/api/integration_errors", body, 201)
	}
}

func BenchmarkBulkEventCreate10(b *testing.B) {
	h := benchMock(b).SourcingHandler()
	items := make([]any, 10)
	for i := range items {
		items[i] = map[string]any{"market-id": "9220538753220565329", "name": "Bench event", "state": "Setup", "settings": map[string]any{"currency": "USD"}}
	}
	body, _ := json.Marshal(events(items...))
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, "POST", "/api/events", body, 201)
	}
}

// BenchmarkListTwoFilters100k filters 100,000 integration errors with two
// filters, one of them the updated-at poll integrations run: once where the
// page fills early, and once where nothing matches, so that the request scans
// the whole store.
func BenchmarkListTwoFilters100k(b *testing.B) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 100_000})
	if err != nil {
		b.Fatal(err)
	}
	h := m.CoreHandler()
	for _, bc := range []struct{ name, query string }{
		{"page", "status=error&updated-at%5Bgt%5D=2026-10-31T12%3A00%3A00%2B00%3A00"},
		{"full-scan", "status=error&updated-at%5Bgt%5D=2030-01-01T00%3A00%3A00%2B00%3A00"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				serve(b, h, "GET", "/api/integration_errors?"+bc.query, nil, 200)
			}
		})
	}
}

// BenchmarkGetByIDTenant is BenchmarkGetByID in a tenant named by the path
// prefix.
func BenchmarkGetByIDTenant(b *testing.B) {
	h := benchMock(b).CoreHandler()
	serve(b, h, "GET", "/t/bench/api/integration_errors/500", nil, 200)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, "GET", "/t/bench/api/integration_errors/500", nil, 200)
	}
}

// BenchmarkNewTenant makes a tenant of 25 seeded records per resource (the
// serve default) by its first request: its B/op is what a tenant costs.
func BenchmarkNewTenant(b *testing.B) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 25, MaxTenants: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	h := m.CoreHandler()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		serve(b, h, "GET", "/t/b"+strconv.Itoa(i)+"/api/integration_errors/5", nil, 200)
	}
}
