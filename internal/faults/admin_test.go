package faults_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/internal/adminjson"
	"github.com/coupakit/coupakit/internal/faults"
)

// TestRegisterFunc: the routes act on the engine pick gives for each
// request, and leave a request alone that pick answered itself.
func TestRegisterFunc(t *testing.T) {
	a, _ := faults.New(faults.Options{})
	b, _ := faults.New(faults.Options{})
	mux := http.NewServeMux()
	faults.RegisterFunc(mux, func(w http.ResponseWriter, r *http.Request) (*faults.Engine, bool) {
		switch r.URL.Query().Get("tenant") {
		case "":
			return a, true
		case "b":
			return b, true
		}
		adminjson.Error(w, http.StatusNotFound, "tenant", "no such tenant")
		return nil, false
	})
	for _, tt := range []struct {
		target string
		want   int
	}{{"/_mock/faults", 201}, {"/_mock/faults?tenant=b", 201}, {"/_mock/faults?tenant=b", 201}, {"/_mock/faults?tenant=c", 404}} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("POST", tt.target, strings.NewReader(`{"status": 503}`)))
		if rec.Code != tt.want {
			t.Fatalf("POST %s: %d %s, want %d", tt.target, rec.Code, rec.Body, tt.want)
		}
	}
	if len(a.Rules()) != 1 || len(b.Rules()) != 2 {
		t.Fatalf("engine a has %d rules, b %d; want 1 and 2", len(a.Rules()), len(b.Rules()))
	}
}
