package auth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coupakit/coupakit/auth"
)

// burst sends n requests and returns how many got 200 before the first
// other status, and the first other answer.
func burst(t *testing.T, e *env, n int, method, path string, headers ...string) (passed int, refused result) {
	t.Helper()
	for range n {
		res := e.do(t, method, path, nil, headers...)
		if res.status != 200 {
			return passed, res
		}
		passed++
	}
	return passed, result{}
}

// check429 checks that res is Coupa's 429 with Retry-After: 1.
func check429(t *testing.T, res result) {
	t.Helper()
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429; body %s", res.status, res.body)
	}
	if got := res.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	if msg := authErrors(t, res); !strings.Contains(msg, "rate limit") {
		t.Errorf("message %q, want it to mention the rate limit", msg)
	}
}

func TestRateLimitOffByDefault(t *testing.T) {
	e := newEnv(t, auth.Config{})
	tok := e.token(t, auth.DefaultClientID, auth.DefaultClientSecret, "")
	if passed, res := burst(t, e, 100, "GET", "/api/x", bearer(tok)...); passed != 100 {
		t.Errorf("%d of 100 passed, then status %d", passed, res.status)
	}
}

func TestRateLimitBurst(t *testing.T) {
	e := newEnv(t, auth.Config{RateLimit: true, Clients: []auth.Client{both}})
	tok := e.token(t, "erp", "erp-secret", "")
	passed, res := burst(t, e, 30, "GET", "/api/x", bearer(tok)...)
	if passed != auth.RateLimitBurst {
		t.Fatalf("%d requests passed, want the burst of %d", passed, auth.RateLimitBurst)
	}
	check429(t, res)

	// The bucket refills at 25 per second: one request per 40ms.
	e.clock.Advance(39 * time.Millisecond)
	check429(t, e.do(t, "GET", "/api/x", nil, bearer(tok)...))
	e.clock.Advance(time.Millisecond)
	if res := e.do(t, "GET", "/api/x", nil, bearer(tok)...); res.status != 200 {
		t.Fatalf("after 40ms: status %d, want 200", res.status)
	}
	check429(t, e.do(t, "POST", "/api/x", nil, bearer(tok)...))

	// A second later the whole burst is back, no more.
	e.clock.Advance(time.Second)
	if passed, _ := burst(t, e, 30, "POST", "/api/x", bearer(tok)...); passed != auth.RateLimitBurst {
		t.Errorf("after a second: %d passed, want %d", passed, auth.RateLimitBurst)
	}
	// Tokens from /oauth2/token are not rate limited, and the new token
	// shares its client's bucket.
	tok2 := e.token(t, "erp", "erp-secret", "")
	check429(t, e.do(t, "GET", "/api/x", nil, bearer(tok2)...))
	// Routes that need no scope are not rate limited.
	if res := e.do(t, "GET", "/_mock/health", nil); res.status != 200 {
		t.Errorf("health: status %d, want 200", res.status)
	}
}

func TestRateLimitSeparateBuckets(t *testing.T) {
	e := newEnv(t, auth.Config{
		RateLimit: true, Clients: []auth.Client{both, readOnly},
		AllowAPIKey: true, APIKeys: []string{"key-a", "key-b"},
		CSOAPIKeys: []string{"cso-a", "cso-b"},
	})
	erp := e.token(t, "erp", "erp-secret", "")
	rep := e.token(t, "reporting", "rep-secret", "")
	clients := []struct {
		name    string
		path    string
		headers []string
		status  int // of a request within the limit
	}{
		{"client erp", "/api/x", bearer(erp), 200},
		{"client reporting", "/api/x", bearer(rep), 200},
		{"API key a", "/api/x", []string{"X-COUPA-API-KEY", "key-a"}, 200},
		{"API key b", "/api/x", []string{"X-COUPA-API-KEY", "key-b"}, 200},
		{"CSO key a", "/cso/events", []string{"X-CSO-API-KEY", "cso-a"}, 200},
		{"CSO key b", "/cso/events", []string{"X-CSO-API-KEY", "cso-b"}, 200},
		{"unauthenticated, by IP", "/api/x", nil, 401},
	}
	// Each client in turn spends its whole burst; the others' buckets stay
	// full.
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			for i := range auth.RateLimitBurst {
				if res := e.do(t, "GET", c.path, nil, c.headers...); res.status != c.status {
					t.Fatalf("request %d: status %d, want %d; body %s", i+1, res.status, c.status, res.body)
				}
			}
			check429(t, e.do(t, "GET", c.path, nil, c.headers...))
		})
	}
	// Bad credentials count against the IP, whatever they claim to be.
	check429(t, e.do(t, "GET", "/api/x", nil, bearer("forged")...))
	check429(t, e.do(t, "GET", "/cso/events", nil, "X-CSO-API-KEY", "guess"))
}

func TestRateLimitWhenDisabled(t *testing.T) {
	e := newEnv(t, auth.Config{Disabled: true, RateLimit: true})
	passed, res := burst(t, e, 30, "GET", "/api/x")
	if passed != auth.RateLimitBurst {
		t.Fatalf("%d passed, want %d", passed, auth.RateLimitBurst)
	}
	check429(t, res)
}

func TestRateLimitBucketsBounded(t *testing.T) {
	clk := newClock()
	a, err := auth.New(auth.Config{RateLimit: true, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	auth.SetMaxLimiters(a, 50)
	h := a.Core(http.NotFoundHandler(), nil)
	request := func(ip string) int {
		r := httptest.NewRequestWithContext(t.Context(), "GET", "/api/x", nil)
		r.RemoteAddr = ip + ":5555"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	// Many busy clients: the least recently used go.
	for i := range 500 {
		request(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		if n := auth.Limiters(a); n > 50 {
			t.Fatalf("after %d clients: %d buckets, want at most 50", i+1, n)
		}
	}
	// The most recent client kept its bucket: its burst is spent.
	last := "10.0.1.243"
	for range auth.RateLimitBurst {
		request(last)
	}
	if code := request(last); code != http.StatusTooManyRequests {
		t.Errorf("status %d, want 429", code)
	}
	// Idle buckets go when a new client comes.
	clk.Advance(2 * time.Second)
	request("192.0.2.1")
	if n := auth.Limiters(a); n != 1 {
		t.Errorf("after everyone went idle: %d buckets, want 1", n)
	}
}
