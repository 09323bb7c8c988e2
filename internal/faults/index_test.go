package faults

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestIndexKeepsRuleOrder: rules indexed by exact path, operation, API and
// none all match one request; each retires after one firing, and they fire
// in the order added, whatever list holds them. Rules for another path,
// operation or API never fire.
func TestIndexKeepsRuleOrder(t *testing.T) {
	rules := []Rule{
		{Match: Match{Path: "/api/other"}, Status: 599},
		{Match: Match{API: "core"}, Status: 501, Times: 1},
		{Match: Match{Operation: "listIntegrationErrors"}, Status: 502, Times: 1},
		{Match: Match{Operation: "listEvents"}, Status: 598},
		{Match: Match{Path: "/api/integration_errors"}, Status: 503, Times: 1},
		{Match: Match{Path: "/api/*"}, Status: 504, Times: 1},
		{Match: Match{Path: "/api/integration_runs/*"}, Status: 596},
		{Match: Match{Path: "/api/integration_errors/*"}, Status: 595},
		{Match: Match{API: "sourcing"}, Status: 597},
		{Match: Match{Method: "GET"}, Status: 505, Times: 1},
	}
	for _, tt := range []struct{ p, want string }{{"/api/x/y", "/api/x/"}, {"/api/x/", "/api/x/"}, {"/api/x", ""}, {"", ""}} {
		if got := head(tt.p); got != tt.want {
			t.Errorf("head(%q) = %q, want %q", tt.p, got, tt.want)
		}
	}
	e, err := New(Options{Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	h := e.Middleware(Hooks{Describe: func(*http.Request) (string, string) { return "core", "listIntegrationErrors" }})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	var got []int
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/integration_errors/7", nil))
	if rec.Code != 501 {
		t.Fatalf("GET /api/integration_errors/7: %d, want 501 (the API rule comes first)", rec.Code)
	}
	e.Reset()
	for range 6 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/integration_errors", nil))
		got = append(got, rec.Code)
	}
	want := []int{501, 502, 503, 504, 505, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/integration_errors/7", nil))
	if rec.Code != 595 {
		t.Fatalf("GET /api/integration_errors/7 once the others retired: %d, want 595 (its glob)", rec.Code)
	}
}
