package auth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/coupakit/coupakit/auth"
)

// TestConcurrent issues tokens and checks requests from many goroutines at
// once; run it with -race.
func TestConcurrent(t *testing.T) {
	e := newEnv(t, auth.Config{Clients: []auth.Client{both, readOnly}, RateLimit: true})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			id, secret, want := "erp", "erp-secret", 200
			if i%2 == 1 {
				id, secret, want = "reporting", "rep-secret", 403
			}
			tok := e.token(t, id, secret, "")
			for range 10 {
				// Each client has a burst of 20 and makes 40 requests: some
				// may be throttled, and nothing else may go wrong.
				if res := e.do(t, "POST", "/api/x", nil, bearer(tok)...); res.status != want && res.status != 429 {
					t.Errorf("%s: status %d, want %d or 429", id, res.status, want)
				}
				if res := e.do(t, "GET", "/cso/events", nil, "X-CSO-API-KEY", auth.DefaultCSOAPIKey); res.status != 200 && res.status != 429 {
					t.Errorf("CSO: status %d", res.status)
				}
			}
		})
	}
	wg.Wait()
}

// discard is a ResponseWriter that keeps nothing but the status.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }

// BenchmarkCoreAuthorized measures the middleware on a request with a valid
// token that has the scope, without the network.
func BenchmarkCoreAuthorized(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  auth.Config
	}{
		{"rate-limit-off", auth.Config{}},
		{"rate-limit-on", auth.Config{RateLimit: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			clk := newClock()
			bc.cfg.Now = clk.Now
			// The clock runs 40 ms a request with the rate limit on: a
			// token that lasts a year outlives the benchmark's run.
			bc.cfg.TokenTTL = 365 * 24 * time.Hour
			a, err := auth.New(bc.cfg)
			if err != nil {
				b.Fatal(err)
			}
			rec := httptest.NewRecorder()
			req := httptest.NewRequestWithContext(b.Context(), "POST", "/oauth2/token", nil)
			req.SetBasicAuth(auth.DefaultClientID, auth.DefaultClientSecret)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.PostForm = map[string][]string{"grant_type": {"client_credentials"}}
			a.TokenHandler().ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("token: %d %s", rec.Code, rec.Body)
			}
			var body tokenBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				b.Fatal(err)
			}
			tok := body.AccessToken

			served := 0
			h := a.Core(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served++ }), nil)
			r := httptest.NewRequestWithContext(b.Context(), "GET", "/api/integration_errors", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
				if bc.cfg.RateLimit {
					clk.Advance(40 * time.Millisecond) // a token's worth: never throttled
				}
			}
			if w.code != 0 || served == 0 {
				b.Fatalf("the request was refused: %d", w.code)
			}
		})
	}
}
