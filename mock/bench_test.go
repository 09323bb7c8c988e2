package mock_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

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

// BenchmarkGetByID and BenchmarkListLimit50 measure a read answered from
// the answer cache (the same read again, the state unchanged) and one the
// handler answers (the cache off), in turn.
func BenchmarkGetByID(b *testing.B) {
	benchRead(b, "/api/integration_errors/500")
}

func BenchmarkListLimit50(b *testing.B) {
	benchRead(b, "/api/integration_errors?limit=50&offset=100")
}

func benchRead(b *testing.B, target string) {
	for _, cached := range []bool{true, false} {
		b.Run(map[bool]string{true: "cached", false: "uncached"}[cached], func(b *testing.B) {
			m := benchMock(b)
			if !cached {
				mock.NoAnswerCache(m)
			}
			h := m.CoreHandler()
			b.ReportAllocs()
			report := mock.CPUPerOp(b)
			for b.Loop() {
				serve(b, h, "GET", target, nil, 200)
			}
			report()
		})
	}
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
// the whole store and tests both filters on every record (the cheaper,
// updated-at, which every record passes, first; then status, which none
// has). The answer cache is off: every request filters.
func BenchmarkListTwoFilters100k(b *testing.B) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 100_000})
	if err != nil {
		b.Fatal(err)
	}
	mock.NoAnswerCache(m)
	h := m.CoreHandler()
	for _, bc := range []struct{ name, query string }{
		{"page", "status=error&updated-at%5Bgt%5D=2026-10-31T12%3A00%3A00%2B00%3A00"},
		{"full-scan", "status=retried&updated-at%5Bgt%5D=2026-09-01T00%3A00%3A00%2B00%3A00"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/api/integration_errors?"+bc.query, nil)
			req.Header.Set("Accept", "application/json")
			h.ServeHTTP(rec, req)
			if empty := strings.TrimSpace(rec.Body.String()) == "[]"; empty != (bc.name == "full-scan") {
				b.Fatalf("%s: %d %.100s", bc.name, rec.Code, rec.Body)
			}
			b.ReportAllocs()
			report := mock.CPUPerOp(b)
			for b.Loop() {
				serve(b, h, "GET", "/api/integration_errors?"+bc.query, nil, 200)
			}
			report()
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

// BenchmarkGetByIDWithFaults measures GET by id with no fault rule and with
// 100 rules of every kind of match, none of which takes the request (other
// methods, paths and globs, APIs and operations), in one run. The two mocks
// answer in turn, each first every other time, so that a change in the
// machine's load weighs on both alike; it reports each one's ns per request (bare-ns/req, rules-ns/req)
// and the loss in percent (the target is at most 5).
func BenchmarkGetByIDWithFaults(b *testing.B) {
	rules := make([]mock.FaultRule, 0, 100)
	for i := range 100 {
		var m mock.FaultMatch
		switch i % 4 {
		case 0:
			m = mock.FaultMatch{Method: "POST", Path: "/api/integration_errors"}
		case 1:
			m = mock.FaultMatch{Path: fmt.Sprintf("/api/integration_runs/%d/*", i)}
		case 2:
			m = mock.FaultMatch{Method: "GET", Path: fmt.Sprintf("/api/integration_errors/%d", 1000+i)}
		case 3:
			m = mock.FaultMatch{API: "sourcing", Operation: "listEvents"}
		}
		rules = append(rules, mock.FaultRule{Match: m, Status: 503})
	}
	bare := benchMock(b)
	faulty, err := mock.New(mock.Options{Seed: 1, Records: 1000, Faults: rules})
	if err != nil {
		b.Fatal(err)
	}
	handlers := []http.Handler{bare.CoreHandler(), faulty.CoreHandler()}
	var took [2]time.Duration
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for j := range handlers {
			i := (j + n) % 2 // each goes first every other time
			start := time.Now()
			serve(b, handlers[i], "GET", "/api/integration_errors/500", nil, 200)
			took[i] += time.Since(start)
		}
		n++
	}
	bareNS, rulesNS := float64(took[0].Nanoseconds())/float64(n), float64(took[1].Nanoseconds())/float64(n)
	b.ReportMetric(bareNS, "bare-ns/req")
	b.ReportMetric(rulesNS, "rules-ns/req")
	b.ReportMetric(100*(rulesNS-bareNS)/bareNS, "loss-%")
	for _, r := range faulty.Faults() {
		if r.Matched != 0 {
			b.Fatalf("rule %d matched %d requests", r.ID, r.Matched)
		}
	}
}

// BenchmarkGCSeeded100k is one full garbage collection of a mock seeded
// with 100,000 records per resource: what every collection cycle costs a
// server holding them, whatever the requests it answers.
func BenchmarkGCSeeded100k(b *testing.B) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 100_000})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	b.ResetTimer()
	report := mock.CPUPerOp(b)
	for b.Loop() {
		runtime.GC()
	}
	report()
	runtime.KeepAlive(m)
}
