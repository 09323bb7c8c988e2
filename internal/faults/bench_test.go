package faults_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coupakit/coupakit/internal/faults"
	"github.com/coupakit/coupakit/mock"
)

// hundredRules are 100 rules of every kind of match, none of which takes
// GET /api/integration_errors/1: other methods, other paths and globs,
// other APIs and operations.
func hundredRules() []faults.Rule {
	rules := make([]faults.Rule, 0, 100)
	for i := range 100 {
		var m faults.Match
		switch i % 4 {
		case 0:
			m = faults.Match{Method: "POST", Path: "/api/integration_errors"}
		case 1:
			m = faults.Match{Path: fmt.Sprintf("/api/integration_runs/%d/*", i)}
		case 2:
			m = faults.Match{Method: "GET", Path: fmt.Sprintf("/api/integration_errors/%d", 1000+i)}
		case 3:
			m = faults.Match{API: "sourcing", Operation: fmt.Sprintf("operation%d", i)}
		}
		rules = append(rules, faults.Rule{Match: m, Status: 503, Times: 1})
	}
	return rules
}

// discard is a ResponseWriter that keeps nothing, so that the benchmark
// measures the handlers.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkMiddleware measures the middleware with 100 rules, none
// matching, against no middleware, on a trivial handler and on the mock's
// GET by id, in one run. Compare ns/op of each pair.
func BenchmarkMiddleware(b *testing.B) {
	trivial := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":1}`))
	})
	m, err := mock.New(mock.Options{Seed: 1, Records: 25})
	if err != nil {
		b.Fatal(err)
	}
	e, err := faults.New(faults.Options{Rules: hundredRules()})
	if err != nil {
		b.Fatal(err)
	}
	hooks := faults.Hooks{Describe: func(*http.Request) (string, string) { return "core", "showIntegrationError" }}
	for _, h := range []struct {
		name    string
		handler http.Handler
	}{{"trivial", trivial}, {"mock-get-by-id", m.CoreHandler()}} {
		for _, v := range []struct {
			name    string
			handler http.Handler
		}{{"bare", h.handler}, {"100-rules", e.Middleware(hooks)(h.handler)}} {
			b.Run(h.name+"/"+v.name, func(b *testing.B) {
				req := httptest.NewRequest("GET", "/api/integration_errors/1", nil)
				req.Header.Set("Accept", "application/json")
				w := &discard{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					v.handler.ServeHTTP(w, req)
				}
			})
		}
	}
	for _, r := range e.Rules() {
		if r.Matched != 0 {
			b.Fatalf("rule %d matched %d requests", r.ID, r.Matched)
		}
	}
}
