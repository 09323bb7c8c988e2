package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coupakit/coupakit/auth"
)

func TestCoreUnauthorized(t *testing.T) {
	e := newEnv(t, auth.Config{Clients: []auth.Client{both}})
	valid := e.token(t, "erp", "erp-secret", "")
	now := e.clock.Now().Unix()
	claims := func(client, scope string, exp int64) map[string]any {
		return map[string]any{"client_id": client, "sub": client, "scope": scope, "iat": now, "exp": exp, "jti": "x"}
	}
	fullScope := auth.ScopeRead + " " + auth.ScopeWrite
	parts := strings.Split(valid, ".")
	// tampered keeps the signature of valid over a payload naming more scopes.
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"client_id":"erp","scope":"core.integration.read core.integration.write core.common.read","exp":9999999999}`)) + "." + parts[2]
	tests := []struct {
		name         string
		headers      []string
		invalidToken bool   // the challenge says error="invalid_token"
		wantMsg      string // in the message
	}{
		{"no credentials", nil, false, "authentication required"},
		{"basic instead of bearer", []string{"Authorization", "Basic ZXJwOmVycC1zZWNyZXQ="}, false, "authentication required"},
		{"empty bearer", []string{"Authorization", "Bearer "}, true, "not an HS256 JWT"},
		{"malformed: not a JWT", bearer("not-a-jwt"), true, "not an HS256 JWT"},
		{"malformed: two parts", bearer(parts[0] + "." + parts[1]), true, "not an HS256 JWT"},
		{"malformed: four parts", bearer(valid + ".x"), true, "not an HS256 JWT"},
		{"malformed: payload not JSON", bearer(signRaw(hs256, []byte("not json"), testSecret)), true, "not an HS256 JWT"},
		{"malformed: no exp", bearer(sign(hs256, map[string]any{"client_id": "erp", "scope": fullScope}, testSecret)), true, "not an HS256 JWT"},
		{"alg none", bearer(sign(`{"alg":"none","typ":"JWT"}`, claims("erp", fullScope, now+60), testSecret)), true, "not an HS256 JWT"},
		{"bad signature: other secret", bearer(sign(hs256, claims("erp", fullScope, now+60), []byte("another secret"))), true, "signature does not verify"},
		{"bad signature: tampered payload", bearer(tampered), true, "signature does not verify"},
		{"bad signature: truncated", bearer(valid[:len(valid)-2]), true, "signature does not verify"},
		{"expired", bearer(sign(hs256, claims("erp", fullScope, now), testSecret)), true, "expired"},
		{"unknown client", bearer(sign(hs256, claims("ghost", fullScope, now+60), testSecret)), true, "unknown client"},
		{"oversized", bearer(strings.Repeat("a", 5000)), true, "not an HS256 JWT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(t, "GET", "/api/integration_errors", nil, tt.headers...)
			if res.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401; body %s", res.status, res.body)
			}
			msg := authErrors(t, res)
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q, want it to contain %q", msg, tt.wantMsg)
			}
			challenge := res.header.Get("WWW-Authenticate")
			want := `Bearer realm="coupa"`
			if tt.invalidToken {
				want += `, error="invalid_token", error_description="` + msg + `"`
			}
			if challenge != want {
				t.Errorf("WWW-Authenticate = %q, want %q", challenge, want)
			}
		})
	}

	t.Run("a hand-signed HS256 JWT is accepted", func(t *testing.T) {
		tok := sign(hs256, claims("erp", auth.ScopeRead, now+60), testSecret)
		if res := e.do(t, "GET", "/api/x", nil, bearer(tok)...); res.status != 200 {
			t.Errorf("status %d, want 200; body %s", res.status, res.body)
		}
	})
	t.Run("issued token expires on the fake clock", func(t *testing.T) {
		e.clock.Advance(86399*time.Second - time.Second)
		if res := e.do(t, "GET", "/api/x", nil, bearer(valid)...); res.status != 200 {
			t.Fatalf("a second before expiry: status %d, want 200", res.status)
		}
		e.clock.Advance(time.Second)
		res := e.do(t, "GET", "/api/x", nil, bearer(valid)...)
		if res.status != 401 {
			t.Fatalf("at expiry: status %d, want 401", res.status)
		}
		if msg := authErrors(t, res); !strings.Contains(msg, "expired") {
			t.Errorf("message %q, want it to say expired", msg)
		}
	})
}

func TestCoreScopes(t *testing.T) {
	e := newEnv(t, auth.Config{Clients: []auth.Client{both, readOnly, writeOnly}})
	read := e.token(t, "reporting", "rep-secret", "")
	write := e.token(t, "loader", "load-secret", "")
	all := e.token(t, "erp", "erp-secret", "")
	tests := []struct {
		name       string
		method     string
		path       string
		tok        string
		wantStatus int
		wantScope  string // the scope the 403 names
	}{
		{"read token, index", "GET", "/api/integration_errors", read, 200, ""},
		{"read token, show", "GET", "/api/integration_errors/7", read, 200, ""},
		{"read token, HEAD", "HEAD", "/api/integration_errors", read, 200, ""},
		{"read token, create", "POST", "/api/integration_errors", read, 403, auth.ScopeWrite},
		{"read token, resolve", "PUT", "/api/integration_errors/7/resolve", read, 403, auth.ScopeWrite},
		{"write token, index", "GET", "/api/integration_runs", write, 403, auth.ScopeRead},
		{"write token, create", "POST", "/api/integration_runs", write, 200, ""},
		{"write token, run", "PUT", "/api/integration_runs/3/run", write, 200, ""},
		{"both, show", "GET", "/api/integration_runs/3", all, 200, ""},
		{"both, success", "PUT", "/api/integration_runs/3/success", all, 200, ""},
		{"custom scopeFor, scope nobody has", "GET", "/common/users", all, 403, "core.common.read"},
		{"no scope needed, no token", "GET", "/_mock/health", "", 200, ""},
		{"no scope needed, bad token", "POST", "/_mock/reset", "garbage", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if tt.tok != "" {
				headers = bearer(tt.tok)
			}
			res := e.do(t, tt.method, tt.path, nil, headers...)
			if res.status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", res.status, tt.wantStatus, res.body)
			}
			if tt.wantStatus != 403 {
				return
			}
			if msg := authErrors(t, res); msg != "token lacks scope "+tt.wantScope {
				t.Errorf("message %q, want %q", msg, "token lacks scope "+tt.wantScope)
			}
			want := `Bearer realm="coupa", error="insufficient_scope", scope="` + tt.wantScope + `"`
			if got := res.header.Get("WWW-Authenticate"); got != want {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
		})
	}
}

func TestAPIKey(t *testing.T) {
	refused := "API keys are no longer supported"
	tests := []struct {
		name       string
		cfg        auth.Config
		headers    []string
		method     string
		wantStatus int
		wantMsg    string
	}{
		{"refused by default", auth.Config{}, []string{"X-COUPA-API-KEY", "0123456789abcdef"}, "GET", 401, refused},
		{"refused by default, write", auth.Config{}, []string{"X-COUPA-API-KEY", "0123456789abcdef"}, "POST", 401, refused},
		{"configured but not allowed", auth.Config{APIKeys: []string{"legacy"}}, []string{"X-COUPA-API-KEY", "legacy"}, "GET", 401, refused},
		{"allowed, configured key reads", auth.Config{AllowAPIKey: true, APIKeys: []string{"legacy", "older"}}, []string{"X-COUPA-API-KEY", "older"}, "GET", 200, ""},
		{"allowed, configured key writes", auth.Config{AllowAPIKey: true, APIKeys: []string{"legacy"}}, []string{"X-COUPA-API-KEY", "legacy"}, "PUT", 200, ""},
		{"allowed, header name in lower case", auth.Config{AllowAPIKey: true, APIKeys: []string{"legacy"}}, []string{"x-coupa-api-key", "legacy"}, "POST", 200, ""},
		{"allowed, unknown key", auth.Config{AllowAPIKey: true, APIKeys: []string{"legacy"}}, []string{"X-COUPA-API-KEY", "legac"}, "GET", 401, "invalid X-COUPA-API-KEY"},
		{"allowed, default key", auth.Config{AllowAPIKey: true}, []string{"X-COUPA-API-KEY", auth.DefaultAPIKey}, "POST", 200, ""},
		{"default key not accepted beside configured ones", auth.Config{AllowAPIKey: true, APIKeys: []string{"legacy"}}, []string{"X-COUPA-API-KEY", auth.DefaultAPIKey}, "GET", 401, "invalid X-COUPA-API-KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.cfg)
			res := e.do(t, tt.method, "/api/integration_errors", nil, tt.headers...)
			if res.status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", res.status, tt.wantStatus, res.body)
			}
			if tt.wantStatus == 200 {
				return
			}
			msg := authErrors(t, res)
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q, want it to contain %q", msg, tt.wantMsg)
			}
			if tt.wantMsg == refused && !(strings.Contains(msg, "R34") && strings.Contains(msg, "R35")) {
				t.Errorf("message %q should say keys stopped in R34 and support ended in R35", msg)
			}
			if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="coupa"` {
				t.Errorf(`WWW-Authenticate = %q, want Bearer realm="coupa"`, got)
			}
		})
	}

	t.Run("a bearer token wins over a bad key", func(t *testing.T) {
		e := newEnv(t, auth.Config{})
		tok := e.token(t, auth.DefaultClientID, auth.DefaultClientSecret, "")
		res := e.do(t, "GET", "/api/x", nil, "Authorization", "Bearer "+tok, "X-COUPA-API-KEY", "nope")
		if res.status != 200 {
			t.Errorf("status %d, want 200; body %s", res.status, res.body)
		}
	})
}

func TestSourcing(t *testing.T) {
	tests := []struct {
		name       string
		cfg        auth.Config
		key        string
		wantStatus int
		wantMsg    string
	}{
		{"missing", auth.Config{}, "", 401, "X-CSO-API-KEY"},
		{"unknown", auth.Config{}, "guess", 401, "invalid X-CSO-API-KEY"},
		{"default key", auth.Config{}, auth.DefaultCSOAPIKey, 200, ""},
		{"configured key", auth.Config{CSOAPIKeys: []string{"k1", "k2"}}, "k2", 200, ""},
		{"default key not accepted beside configured ones", auth.Config{CSOAPIKeys: []string{"k1"}}, auth.DefaultCSOAPIKey, 401, "invalid X-CSO-API-KEY"},
		{"prefix of a key", auth.Config{CSOAPIKeys: []string{"k1"}}, "k", 401, "invalid X-CSO-API-KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.cfg)
			var headers []string
			if tt.key != "" {
				headers = []string{"X-CSO-API-KEY", tt.key}
			}
			res := e.do(t, "GET", "/cso/events", nil, headers...)
			if res.status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", res.status, tt.wantStatus, res.body)
			}
			if tt.wantStatus == 200 {
				return
			}
			if msg := authErrors(t, res); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q, want it to contain %q", msg, tt.wantMsg)
			}
		})
	}

	t.Run("an OAuth token is not a CSO key", func(t *testing.T) {
		e := newEnv(t, auth.Config{})
		tok := e.token(t, auth.DefaultClientID, auth.DefaultClientSecret, "")
		if res := e.do(t, "GET", "/cso/events", nil, bearer(tok)...); res.status != 401 {
			t.Errorf("status %d, want 401", res.status)
		}
	})
}

func TestDisabled(t *testing.T) {
	e := newEnv(t, auth.Config{Disabled: true, Clients: []auth.Client{readOnly}})
	requests := []struct {
		method, path string
		headers      []string
	}{
		{"GET", "/api/integration_errors", nil},
		{"POST", "/api/integration_errors", nil},
		{"PUT", "/api/integration_runs/1/fail", bearer("garbage")},
		{"GET", "/api/x", []string{"X-COUPA-API-KEY", "whatever"}},
		{"GET", "/common/users", nil},
		{"GET", "/cso/events", nil},
		{"GET", "/cso/events", []string{"X-CSO-API-KEY", "wrong"}},
	}
	for _, r := range requests {
		if res := e.do(t, r.method, r.path, nil, r.headers...); res.status != 200 {
			t.Errorf("%s %s %v: status %d, want 200; body %s", r.method, r.path, r.headers, res.status, res.body)
		}
	}

	tokens := []struct {
		name      string
		form      string
		wantScope string
	}{
		{"unknown client", "grant_type=client_credentials&client_id=anyone&client_secret=anything", auth.ScopeRead + " " + auth.ScopeWrite},
		{"wrong secret, any scope", "grant_type=client_credentials&client_id=reporting&client_secret=no&scope=core.common.read", "core.common.read"},
		{"no credentials", "grant_type=client_credentials", auth.ScopeRead + " " + auth.ScopeWrite},
	}
	for _, tt := range tokens {
		t.Run("token, "+tt.name, func(t *testing.T) {
			res := e.do(t, "POST", "/oauth2/token", strings.NewReader(tt.form), "Content-Type", "application/x-www-form-urlencoded")
			var body tokenBody
			if err := json.Unmarshal(res.body, &body); err != nil || res.status != 200 {
				t.Fatalf("status %d body %s (%v), want 200 with a token", res.status, res.body, err)
			}
			if body.Scope != tt.wantScope || body.AccessToken == "" {
				t.Errorf("body %s, want scope %q", res.body, tt.wantScope)
			}
		})
	}
	t.Run("token, unsupported grant still refused", func(t *testing.T) {
		res := e.do(t, "POST", "/oauth2/token", strings.NewReader("grant_type=password"), "Content-Type", "application/x-www-form-urlencoded")
		if res.status != 400 {
			t.Errorf("status %d, want 400", res.status)
		}
	})
}
