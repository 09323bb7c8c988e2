package auth_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/auth"
)

// clients used by the token tests.
var (
	both      = auth.Client{ID: "erp", Secret: "erp-secret", Scopes: []string{auth.ScopeRead, auth.ScopeWrite}}
	readOnly  = auth.Client{ID: "reporting", Secret: "rep-secret", Scopes: []string{auth.ScopeRead}}
	writeOnly = auth.Client{ID: "loader", Secret: "load-secret", Scopes: []string{auth.ScopeWrite}}
	// encoded has characters that RFC 6749 §2.3.1 form-encodes in Basic.
	encoded = auth.Client{ID: "erp app", Secret: "s&cret+1:x", Scopes: []string{auth.ScopeRead}}
)

func TestTokenIssued(t *testing.T) {
	e := newEnv(t, auth.Config{Clients: []auth.Client{both, readOnly, writeOnly, encoded}})
	cred := func(id, secret, scope string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
		if scope != "" {
			v.Set("scope", scope)
		}
		return v
	}
	grant := url.Values{"grant_type": {"client_credentials"}}
	withScope := func(scope string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}
	}
	tests := []struct {
		name      string
		form      url.Values
		basic     *[2]string
		wantScope string
		wantRead  int // status of GET /api/x with the token
		wantWrite int // status of POST /api/x with the token
	}{
		{"form, all scopes", cred("erp", "erp-secret", ""), nil, "core.integration.read core.integration.write", 200, 200},
		{"basic, all scopes", grant, &[2]string{"erp", "erp-secret"}, "core.integration.read core.integration.write", 200, 200},
		{"basic with client_id in the form too", url.Values{"grant_type": {"client_credentials"}, "client_id": {"erp"}}, &[2]string{"erp", "erp-secret"}, "core.integration.read core.integration.write", 200, 200},
		{"form, subset: read", cred("erp", "erp-secret", auth.ScopeRead), nil, auth.ScopeRead, 200, 403},
		{"basic, subset: write", withScope(auth.ScopeWrite), &[2]string{"erp", "erp-secret"}, auth.ScopeWrite, 403, 200},
		{"form, both named, repeated", cred("erp", "erp-secret", "core.integration.write  core.integration.read core.integration.write"), nil, "core.integration.write core.integration.read", 200, 200},
		{"read-only client, no scope", cred("reporting", "rep-secret", ""), nil, auth.ScopeRead, 200, 403},
		{"write-only client, no scope", cred("loader", "load-secret", ""), nil, auth.ScopeWrite, 403, 200},
		{"form, special characters", cred("erp app", "s&cret+1:x", ""), nil, auth.ScopeRead, 200, 403},
		{"basic, raw special characters", grant, &[2]string{"erp app", "s&cret+1:x"}, auth.ScopeRead, 200, 403},
		{"basic, form-encoded as RFC 6749 says", grant, &[2]string{url.QueryEscape("erp app"), url.QueryEscape("s&cret+1:x")}, auth.ScopeRead, 200, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.tokenReq(t, tt.form, tt.basic)
			if res.status != http.StatusOK {
				t.Fatalf("status %d, want 200; body %s", res.status, res.body)
			}
			if got := res.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := res.header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			var body tokenBody
			if err := json.Unmarshal(res.body, &body); err != nil {
				t.Fatalf("%v in %s", err, res.body)
			}
			if body.AccessToken == "" || body.TokenType != "bearer" || body.ExpiresIn == nil || *body.ExpiresIn != 86399 || body.Scope != tt.wantScope {
				t.Errorf("body = %s, want a bearer token, expires_in 86399, scope %q", res.body, tt.wantScope)
			}
			if got := e.do(t, "GET", "/api/integration_runs", nil, bearer(body.AccessToken)...).status; got != tt.wantRead {
				t.Errorf("GET with the token: %d, want %d", got, tt.wantRead)
			}
			if got := e.do(t, "POST", "/api/integration_runs", nil, bearer(body.AccessToken)...).status; got != tt.wantWrite {
				t.Errorf("POST with the token: %d, want %d", got, tt.wantWrite)
			}
		})
	}
}

func TestTokenClaims(t *testing.T) {
	e := newEnv(t, auth.Config{Clients: []auth.Client{readOnly}, TokenTTL: time.Hour})
	tok := e.token(t, "reporting", "rep-secret", "")
	header, claims := decodeJWT(t, tok)
	if diff := cmp.Diff(map[string]any{"alg": "HS256", "typ": "JWT"}, header); diff != "" {
		t.Errorf("header mismatch (-want +got):\n%s", diff)
	}
	now := float64(e.clock.Now().Unix())
	jti, _ := claims["jti"].(string)
	if jti == "" {
		t.Errorf("claims %v: no jti", claims)
	}
	delete(claims, "jti")
	want := map[string]any{
		"iss": "coupakit", "sub": "reporting", "client_id": "reporting",
		"scope": auth.ScopeRead, "iat": now, "exp": now + 3600,
	}
	if diff := cmp.Diff(want, claims); diff != "" {
		t.Errorf("claims mismatch (-want +got):\n%s", diff)
	}
	if again := e.token(t, "reporting", "rep-secret", ""); again == tok {
		t.Error("two token requests in the same second gave the same token; jti should differ")
	}

	// expires_in follows TokenTTL, and so does the token's life.
	res := e.tokenReq(t, url.Values{"grant_type": {"client_credentials"}}, &[2]string{"reporting", "rep-secret"})
	var body tokenBody
	if err := json.Unmarshal(res.body, &body); err != nil || body.ExpiresIn == nil || *body.ExpiresIn != 3600 {
		t.Errorf("body %s: want expires_in 3600 (err %v)", res.body, err)
	}
	e.clock.Advance(time.Hour - time.Second)
	if got := e.do(t, "GET", "/api/x", nil, bearer(tok)...).status; got != 200 {
		t.Errorf("a second before expiry: %d, want 200", got)
	}
	e.clock.Advance(time.Second)
	if got := e.do(t, "GET", "/api/x", nil, bearer(tok)...).status; got != 401 {
		t.Errorf("at expiry: %d, want 401", got)
	}
}

func TestTokenErrors(t *testing.T) {
	e := newEnv(t, auth.Config{Clients: []auth.Client{both, readOnly}})
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	const formCT = "application/x-www-form-urlencoded"
	good := []string{"grant_type", "client_credentials", "client_id", "erp", "client_secret", "erp-secret"}
	tests := []struct {
		name          string
		method        string
		contentType   string
		body          string
		basic         *[2]string
		rawAuth       string
		wantStatus    int
		wantError     string
		wantChallenge bool   // WWW-Authenticate: Basic
		wantDesc      string // in error_description
	}{
		{"wrong secret, form", "POST", formCT, form("grant_type", "client_credentials", "client_id", "erp", "client_secret", "nope"), nil, "", 401, "invalid_client", false, "authentication failed"},
		{"wrong secret, basic", "POST", formCT, form("grant_type", "client_credentials"), &[2]string{"erp", "nope"}, "", 401, "invalid_client", true, "authentication failed"},
		{"unknown client, form", "POST", formCT, form("grant_type", "client_credentials", "client_id", "who", "client_secret", "erp-secret"), nil, "", 401, "invalid_client", false, "authentication failed"},
		{"unknown client, basic", "POST", formCT, form("grant_type", "client_credentials"), &[2]string{"who", "erp-secret"}, "", 401, "invalid_client", true, "authentication failed"},
		{"secret of another client", "POST", formCT, form("grant_type", "client_credentials", "client_id", "erp", "client_secret", "rep-secret"), nil, "", 401, "invalid_client", false, "authentication failed"},
		{"no credentials", "POST", formCT, form("grant_type", "client_credentials"), nil, "", 401, "invalid_client", false, "client authentication required"},
		{"malformed basic", "POST", formCT, form("grant_type", "client_credentials"), nil, "Basic !!!", 401, "invalid_client", true, "malformed"},
		{"unsupported grant", "POST", formCT, form("grant_type", "password", "client_id", "erp", "client_secret", "erp-secret", "username", "u", "password", "p"), nil, "", 400, "unsupported_grant_type", false, `"password"`},
		{"authorization_code grant", "POST", formCT, form("grant_type", "authorization_code", "code", "x"), &[2]string{"erp", "erp-secret"}, "", 400, "unsupported_grant_type", false, "client_credentials"},
		{"missing grant", "POST", formCT, form("client_id", "erp", "client_secret", "erp-secret"), nil, "", 400, "invalid_request", false, "grant_type"},
		{"scope beyond the client's", "POST", formCT, form("grant_type", "client_credentials", "client_id", "reporting", "client_secret", "rep-secret", "scope", auth.ScopeWrite), nil, "", 400, "invalid_scope", false, auth.ScopeWrite},
		{"one scope beyond the client's", "POST", formCT, form("grant_type", "client_credentials", "client_id", "reporting", "client_secret", "rep-secret", "scope", auth.ScopeRead+" "+auth.ScopeWrite), nil, "", 400, "invalid_scope", false, auth.ScopeWrite},
		{"unknown scope", "POST", formCT, form(append(good, "scope", "core.common.read")...), nil, "", 400, "invalid_scope", false, "core.common.read"},
		{"malformed scope", "POST", formCT, form(append(good, "scope", `core."x"`)...), nil, "", 400, "invalid_scope", false, "malformed"},
		{"repeated parameter", "POST", formCT, form(append(good, "scope", auth.ScopeRead, "scope", auth.ScopeWrite)...), nil, "", 400, "invalid_request", false, "scope"},
		{"basic and form secret", "POST", formCT, form(good...), &[2]string{"erp", "erp-secret"}, "", 400, "invalid_request", false, "not both"},
		{"basic and another form client_id", "POST", formCT, form("grant_type", "client_credentials", "client_id", "reporting"), &[2]string{"erp", "erp-secret"}, "", 400, "invalid_request", false, "differs"},
		{"GET", "GET", "", "", &[2]string{"erp", "erp-secret"}, "", 405, "invalid_request", false, "POST"},
		{"JSON body", "POST", "application/json", `{"grant_type":"client_credentials","client_id":"erp","client_secret":"erp-secret"}`, nil, "", 400, "invalid_request", false, "form-encoded"},
		{"no content type", "POST", "", form(good...), nil, "", 400, "invalid_request", false, "form-encoded"},
		{"body too large", "POST", formCT, form(append(good, "padding", strings.Repeat("x", 20<<10))...), nil, "", 413, "invalid_request", false, "larger than"},
		{"malformed form", "POST", formCT, "grant_type=%zz", nil, "", 400, "invalid_request", false, "form body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, e.url+"/oauth2/token", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.basic != nil {
				req.SetBasicAuth(tt.basic[0], tt.basic[1])
			}
			if tt.rawAuth != "" {
				req.Header.Set("Authorization", tt.rawAuth)
			}
			resp, err := e.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			var body oauthErr
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("body: %v", err)
			}
			if body.Error != tt.wantError || !strings.Contains(body.Description, tt.wantDesc) {
				t.Errorf("body = %+v, want error %q with a description containing %q", body, tt.wantError, tt.wantDesc)
			}
			challenge := resp.Header.Get("WWW-Authenticate")
			if tt.wantChallenge && challenge != `Basic realm="coupa"` {
				t.Errorf(`WWW-Authenticate = %q, want Basic realm="coupa"`, challenge)
			}
			if !tt.wantChallenge && challenge != "" {
				t.Errorf("WWW-Authenticate = %q, want none", challenge)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if tt.wantStatus == 405 && resp.Header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q, want POST", resp.Header.Get("Allow"))
			}
		})
	}
}
