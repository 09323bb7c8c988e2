package conformance_test

import (
	"bytes"
	"errors"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/conformance"
)

// tally counts what an authenticated target was asked.
type tally struct {
	mu sync.Mutex
	// tokens counts the token requests; refused the answers 401 to requests
	// that carried a bearer token; methods the requests to /api/ by method.
	tokens, refused int
	methods         map[string]int
	// bearers are the distinct bearer tokens seen, in order.
	bearers []string
}

func (tl *tally) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := record(next, r, readAll(r))
		tl.mu.Lock()
		switch {
		case r.URL.Path == "/oauth2/token":
			tl.tokens++
		case strings.HasPrefix(r.URL.Path, "/api/"):
			if tl.methods == nil {
				tl.methods = map[string]int{}
			}
			tl.methods[r.Method]++
		}
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			if len(tl.bearers) == 0 || tl.bearers[len(tl.bearers)-1] != tok {
				tl.bearers = append(tl.bearers, tok)
			}
			if rec.Code == http.StatusUnauthorized {
				tl.refused++
			}
		}
		tl.mu.Unlock()
		replay(w, rec)
	})
}

func readAll(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	var b bytes.Buffer
	_, _ = b.ReadFrom(r.Body)
	return b.Bytes()
}

// clock is a time that a test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestTokenRefreshedBeforeExpiry shows that the run fetches a new token
// shortly before the one it has expires, so that no request is refused: the
// clock of the mock and of the run moves a minute after each check, and
// tokens last 100 seconds.
func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	m := newAuthMock(t, auth.Config{TokenTTL: 100 * time.Second, Now: clk.Now})
	tl := &tally{}
	target := withCredentials(serve(t, tl.wrap(m.CoreHandler()), nil))
	target.Only = regexp.MustCompile(`^integration_errors\.(list|list\.limit|list\.offset|list\.past-end|show)$`)
	target.Progress = func(conformance.Result) { clk.advance(time.Minute) }
	report, err := conformance.Check(t.Context(), target, conformance.WithClock(clk.Now))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !report.Passed() || len(failedIDs(report)) > 0 {
		t.Errorf("the run failed:%s", describeFailures(report))
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.refused > 0 {
		t.Errorf("%d requests with a token were refused: the token was not renewed before it expired", tl.refused)
	}
	// Five checks a minute apart: the token of 100 s is renewed about
	// every other check.
	if tl.tokens < 3 || len(tl.bearers) < 3 {
		t.Errorf("%d token requests, %d tokens used; want the token renewed as the clock moved", tl.tokens, len(tl.bearers))
	}
}

// revoking refuses with 401 every bearer token after its third use, as a
// server that revokes tokens early would.
type revoking struct {
	mu   sync.Mutex
	uses map[string]int
	all  bool // refuse every token, at once
}

func (rv *revoking) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok {
			rv.mu.Lock()
			rv.uses[tok]++
			refuse := rv.all || rv.uses[tok] > 3
			rv.mu.Unlock()
			if refuse {
				writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": map[string]any{"authorization": []any{"invalid access token: revoked"}}})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// TestTokenRenewedOnUnauthorized shows that a request refused with 401 is
// sent once more with a new token, and that a target that refuses every
// token does not make the run loop.
func TestTokenRenewedOnUnauthorized(t *testing.T) {
	t.Run("revoked early", func(t *testing.T) {
		m := newAuthMock(t, auth.Config{})
		tl := &tally{}
		rv := &revoking{uses: map[string]int{}}
		target := withCredentials(serve(t, tl.wrap(rv.wrap(m.CoreHandler())), nil))
		target.Only = regexp.MustCompile(`^integration_errors\.(list|list\.limit|list\.offset|show|response\.listIntegrationErrors)$`)
		report, err := conformance.Check(t.Context(), target)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if !report.Passed() || len(failedIDs(report)) > 0 {
			t.Errorf("the 401s of revoked tokens failed checks:%s", describeFailures(report))
		}
		tl.mu.Lock()
		defer tl.mu.Unlock()
		if tl.refused == 0 || tl.tokens != tl.refused+1 {
			t.Errorf("%d requests refused, %d token requests; want one new token per refusal, and the first", tl.refused, tl.tokens)
		}
	})
	t.Run("every token refused", func(t *testing.T) {
		m := newAuthMock(t, auth.Config{})
		tl := &tally{}
		rv := &revoking{uses: map[string]int{}, all: true}
		target := withCredentials(serve(t, tl.wrap(rv.wrap(m.CoreHandler())), nil))
		_, err := conformance.Check(t.Context(), target)
		if !errors.Is(err, conformance.ErrAuth) || !strings.HasPrefix(err.Error(), "authentication failed: ") || !strings.Contains(err.Error(), "answered 401") {
			t.Errorf("Check returned %v; want ErrAuth for the 401", err)
		}
		tl.mu.Lock()
		defer tl.mu.Unlock()
		if tl.tokens != 2 || tl.refused != 2 {
			t.Errorf("%d token requests and %d refusals; want 2 and 2 (the first token, and one more after the 401)", tl.tokens, tl.refused)
		}
	})
}

// TestRateLimitedMock runs checks against the mock with Coupa's rate limit
// on: the answers 429 are waited out, not judged, and carry Retry-After.
func TestRateLimitedMock(t *testing.T) {
	t.Parallel()
	m := newAuthMock(t, auth.Config{RateLimit: true})
	target := withCredentials(serve(t, m.CoreHandler(), m.SourcingHandler()))
	target.Only = regexp.MustCompile(`^(integration_errors\.(list|list\.limit|list\.offset|list\.operators)|auth\.rate-limit)$`)
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !report.Passed() || len(failedIDs(report)) > 0 {
		t.Errorf("the rate limit failed checks:%s", describeFailures(report))
	}
	if report.Throttled == 0 {
		t.Fatalf("no request was throttled; the test does not show anything")
	}
	if res := result(t, report, "auth.rate-limit"); res.Status != conformance.Pass {
		t.Errorf("auth.rate-limit: %s %s", res.Status, res.Message)
	}
}

// TestReadOnlyAuthenticated shows that a read-only run against a target
// that enforces authentication changes nothing: it sends GET requests to
// the APIs and POST requests to the token endpoint only, and still runs the
// read-only checks of authentication.
func TestReadOnlyAuthenticated(t *testing.T) {
	m := newAuthMock(t, auth.Config{})
	tl := &tally{}
	target := withCredentials(serve(t, tl.wrap(m.CoreHandler()), tl.wrap(m.SourcingHandler())))
	target.ReadOnly = true
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !report.Passed() || len(failedIDs(report)) > 0 {
		t.Errorf("a read-only run failed:%s", describeFailures(report))
	}
	tl.mu.Lock()
	for method, n := range tl.methods {
		if method != http.MethodGet {
			t.Errorf("a read-only run sent %d %s requests to the APIs", n, method)
		}
	}
	tl.mu.Unlock()
	for _, id := range []string{"auth.token", "auth.required", "auth.invalid-token", "auth.api-key", "auth.scope.read", "events.auth"} {
		if res := result(t, report, id); res.Status != conformance.Pass {
			t.Errorf("%s is %s in a read-only run: %s", id, res.Status, res.Message)
		}
	}
	if res := result(t, report, "auth.scope.write"); res.Status != conformance.Skip {
		t.Errorf("auth.scope.write is %s in a read-only run; want skip", res.Status)
	}
}

// TestAuthIsStatedNotInferred shows that the authentication a target must
// enforce is the certifier's statement: with --auth none the checks of
// authentication are skipped and say why; with oauth (stated, or implied
// by the credentials) a target that lets every request through fails
// auth.required and events.auth.
func TestAuthIsStatedNotInferred(t *testing.T) {
	for _, tt := range []struct {
		name     string
		auth     conformance.Auth
		failures []string
	}{
		{name: "none", auth: conformance.AuthNone},
		{name: "oauth", auth: conformance.AuthOAuth, failures: []string{"auth.required", "auth.invalid-token", "auth.api-key", "auth.scope.read", "events.auth"}},
		{name: "implied by the credentials", failures: []string{"auth.required", "events.auth"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := newAuthMock(t, auth.Config{Disabled: true})
			target := withCredentials(serve(t, m.CoreHandler(), m.SourcingHandler()))
			target.Auth = tt.auth
			target.Only = regexp.MustCompile(`^(auth\.|events\.auth$)`)
			report, err := conformance.Check(t.Context(), target)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if tt.failures == nil {
				for _, res := range report.Results {
					switch {
					case res.ID == "auth.token" || strings.HasSuffix(res.ID, ".rate-limit"):
					case res.Status != conformance.Skip || !strings.Contains(res.Message, "--auth none") || res.Enable == "":
						t.Errorf("%s: %s %q (enable %q); want skipped, saying --auth none and what would run it", res.ID, res.Status, res.Message, res.Enable)
					}
				}
				if res := result(t, report, "auth.token"); res.Status != conformance.Pass {
					t.Errorf("auth.token: %s %s", res.Status, res.Message)
				}
				return
			}
			for _, id := range tt.failures {
				if res := result(t, report, id); res.Status != conformance.Fail {
					t.Errorf("%s: %s %q; want a failure: the target answers without credentials", id, res.Status, res.Message)
				}
			}
			if report.Passed() {
				t.Errorf("the run passed, though the target does not enforce the authentication stated")
			}
		})
	}
}

// TestCredentialsNotShown shows that a report of failures against an
// authenticated target shows none of the credentials: not the client
// secret, the Sourcing key or any token.
func TestCredentialsNotShown(t *testing.T) {
	target := serveAuthMock(t, func(core, sourcing http.Handler) (http.Handler, http.Handler) {
		core = onResponse(func(*http.Request) bool { return true }, func(r *http.Request, status int, body any) (int, any) {
			if m := obj(body); r.URL.Path == "/oauth2/token" && m["token_type"] != nil {
				m["token_type"] = "mac"
			} else if m["contact-alert-type"] != nil {
				m["contact-alert-type"] = "technical"
			}
			return status, body
		})(core)
		sourcing = onResponse(route("GET", `/api/events/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m["state"] != nil {
				m["state"] = "aktiv"
			}
			return status, body
		})(sourcing)
		return core, sourcing
	})
	target.Only = regexp.MustCompile(`^(auth\.token|auth\.scope\.(read|write)|integration_errors\.(show|response\.showIntegrationError)|events\.(show|response\.showEvent))$`)
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	for _, id := range []string{"auth.token", "integration_errors.response.showIntegrationError", "events.response.showEvent"} {
		if res := result(t, report, id); res.Status != conformance.Fail {
			t.Fatalf("%s is %s; the test needs it to fail", id, res.Status)
		}
	}
	for name, write := range map[string]func(*conformance.Report, io.Writer) error{
		"json": (*conformance.Report).WriteJSON, "text": (*conformance.Report).WriteText, "junit": (*conformance.Report).WriteJUnit,
		"html": (*conformance.Report).WriteHTML, "markdown": (*conformance.Report).WriteMarkdown,
	} {
		var out bytes.Buffer
		if err := write(&report, &out); err != nil {
			t.Fatal(err)
		}
		text := html.UnescapeString(out.String())
		for _, secret := range []string{auth.DefaultClientSecret, auth.DefaultCSOAPIKey, "eyJhbGciOiJIUzI1NiIs"} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s report shows the credential %q", name, secret)
			}
		}
		if name == "markdown" {
			continue
		}
		for _, want := range []string{`$COUPAKIT_CLIENT_SECRET`, `$COUPAKIT_TOKEN`, `$COUPAKIT_CSO_API_KEY`} {
			if !strings.Contains(text, want) {
				t.Errorf("the %s report's curl commands do not name %s", name, want)
			}
		}
	}
}

func TestTargetCredentialErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		target conformance.Target
		want   string
	}{
		{"token and client", conformance.Target{BaseURL: "http://127.0.0.1:1", Token: "t", ClientID: "c", ClientSecret: "s"}, "not both"},
		{"client without secret", conformance.Target{BaseURL: "http://127.0.0.1:1", ClientID: "c"}, "without ClientSecret"},
		{"scope without client", conformance.Target{BaseURL: "http://127.0.0.1:1", Scope: auth.ScopeRead}, "without ClientID"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := conformance.Check(t.Context(), tt.target)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, conformance.ErrUnreachable) {
				t.Errorf("Check returned %v; want an error saying %q", err, tt.want)
			}
		})
	}
}

// TestWrongClientSecret shows that credentials the token endpoint refuses
// make the target unusable, with the endpoint's answer.
func TestWrongClientSecret(t *testing.T) {
	target := serveAuthMock(t, nil)
	target.ClientSecret = "s3cr3t-not-this"
	_, err := conformance.Check(t.Context(), target)
	if !errors.Is(err, conformance.ErrAuth) || !strings.HasPrefix(err.Error(), "authentication failed: 401 invalid_client") || strings.Contains(err.Error(), target.ClientSecret) {
		t.Errorf("Check returned %v; want %q, without the secret", err, "authentication failed: 401 invalid_client")
	}
}
