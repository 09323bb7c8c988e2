package auth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coupakit/coupakit/auth"
)

// testSecret signs the tokens of every env, so that tests can forge tokens.
var testSecret = []byte("coupakit-test-signing-secret-0123")

// clock is a fake clock safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is an Authority behind a real HTTP server on 127.0.0.1:
//
//	POST /oauth2/token  the token endpoint
//	/api/...            Core, scope by method
//	/common/...         Core, scope core.common.read
//	/_mock/...          Core, no scope needed
//	/cso/...            Sourcing
//
// Every protected handler answers 200 "ok".
type env struct {
	a     *auth.Authority
	clock *clock
	url   string
	http  *http.Client
}

func newEnv(tb testing.TB, cfg auth.Config) *env {
	tb.Helper()
	clk := newClock()
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	if cfg.Secret == nil {
		cfg.Secret = testSecret
	}
	a, err := auth.New(cfg)
	if err != nil {
		tb.Fatalf("auth.New: %v", err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	mux := http.NewServeMux()
	mux.Handle("/oauth2/token", a.TokenHandler())
	mux.Handle("/api/", a.Core(ok, nil))
	mux.Handle("/common/", a.Core(ok, func(*http.Request) string { return "core.common.read" }))
	mux.Handle("/_mock/", a.Core(ok, func(*http.Request) string { return "" }))
	mux.Handle("/cso/", a.Sourcing(ok))
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return &env{a: a, clock: clk, url: srv.URL, http: srv.Client()}
}

// result is an answer, read in full.
type result struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the headers given as name, value pairs.
func (e *env) do(tb testing.TB, method, path string, body io.Reader, headers ...string) result {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), method, e.url+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.http.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: data}
}

// bearer returns the headers of a request carrying tok.
func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// tokenReq posts form to the token endpoint, with HTTP Basic when basic is
// not nil.
func (e *env) tokenReq(tb testing.TB, form url.Values, basic *[2]string) result {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodPost, e.url+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp, err := e.http.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: data}
}

// tokenBody is a successful token answer.
type tokenBody struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   *int64 `json:"expires_in"`
	Scope       string `json:"scope"`
}

// token gets a token for id and secret with the form, failing the test
// unless it is issued.
func (e *env) token(tb testing.TB, id, secret, scope string) string {
	tb.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	if scope != "" {
		form.Set("scope", scope)
	}
	res := e.tokenReq(tb, form, nil)
	if res.status != http.StatusOK {
		tb.Fatalf("token for %s: status %d, body %s", id, res.status, res.body)
	}
	var tb2 tokenBody
	if err := json.Unmarshal(res.body, &tb2); err != nil {
		tb.Fatalf("token for %s: %v in %s", id, err, res.body)
	}
	return tb2.AccessToken
}

// authErrors checks that res is in Coupa's error format with one message
// under "authorization", and returns that message.
func authErrors(tb testing.TB, res result) string {
	tb.Helper()
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		tb.Errorf("Content-Type = %q, want application/json", ct)
	}
	var body map[string]map[string][]string
	if err := json.Unmarshal(res.body, &body); err != nil {
		tb.Fatalf("error body %s: %v", res.body, err)
	}
	msgs := body["errors"]["authorization"]
	if len(body) != 1 || len(body["errors"]) != 1 || len(msgs) != 1 {
		tb.Fatalf(`error body = %s, want {"errors": {"authorization": ["<message>"]}}`, res.body)
	}
	return msgs[0]
}

// oauthErr is an RFC 6749 §5.2 error body.
type oauthErr struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// sign returns a JWT over header and claims, signed with secret.
func sign(header string, claims map[string]any, secret []byte) string {
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	return signRaw(header, payload, secret)
}

// signRaw returns a JWT over header and payload, signed with secret.
func signRaw(header string, payload, secret []byte) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

const hs256 = `{"alg":"HS256","typ":"JWT"}`

// decodeJWT returns the header and claims of tok, failing the test unless
// it has three base64url parts without padding.
func decodeJWT(tb testing.TB, tok string) (header, claims map[string]any) {
	tb.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		tb.Fatalf("token %q has %d parts, want 3", tok, len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			tb.Fatalf("token part %d: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			tb.Fatalf("token part %d: %v", i, err)
		}
	}
	if _, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		tb.Fatalf("token signature: %v", err)
	}
	return header, claims
}
