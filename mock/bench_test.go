package mock_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coupakit/coupakit/mock"
)

// serve runs one request through a handler in process, validation included.
func serve(b *testing.B, h http.Handler, method, path string, body []byte, want int) {
	// A request without a body has http.NoBody, as the server gives it.
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
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
	report := mock.CPUPerOp(b)
	for b.Loop() {
		serve(b, h, "GET", "/api/integration_errors/500", nil, 200)
	}
	report()
}

func BenchmarkListLimit50(b *testing.B) {
	h := benchMock(b).CoreHandler()
	b.ReportAllocs()
	report := mock.CPUPerOp(b)
	for b.Loop() {
		serve(b, h, "GET", "/api/integration_errors?limit=50&offset=100", nil, 200)
	}
	report()
}

func BenchmarkCreate(b *testing.B) {
	m := benchMock(b)
	h := m.CoreHandler()
	body, _ := json.Marshal(validError(m.Integrations()[0].Code))
	b.ReportAllocs()
	report := mock.CPUPerOp(b)
	for b.Loop() {
		serve(b, h, "POST", "/api/integration_errors", body, 201)
	}
	report()
}

func BenchmarkBulkEventCreate10(b *testing.B) {
	h := benchMock(b).SourcingHandler()
	items := make([]any, 10)
	for i := range items {
		items[i] = map[string]any{"market-id": "9220538753220565329", "name": "Bench event", "state": "Setup", "settings": map[string]any{"currency": "USD"}}
	}
	body, _ := json.Marshal(events(items...))
	b.ReportAllocs()
	report := mock.CPUPerOp(b)
	for b.Loop() {
		serve(b, h, "POST", "/api/events", body, 201)
	}
	report()
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
			report := mock.CPUPerOp(b)
			for b.Loop() {
				serve(b, h, "GET", "/api/integration_errors?"+bc.query, nil, 200)
			}
			report()
		})
	}
}
