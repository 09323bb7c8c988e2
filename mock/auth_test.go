package mock_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/mock"
)

func token(t *testing.T, c *apiClient, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {auth.DefaultClientID}, "client_secret": {auth.DefaultClientSecret}, "scope": {scope}}
	resp, err := c.srv.Client().PostForm(c.srv.URL+"/oauth2/token", form)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		Scope       string `json:"scope"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	assert.Equal(t, "bearer", strings.ToLower(tok.TokenType))
	assert.Equal(t, 86399, tok.ExpiresIn)
	assert.Equal(t, scope, tok.Scope)
	return tok.AccessToken
}

func TestAuthInFrontOfBothAPIs(t *testing.T) {
	_, c, s := newMock(t, mock.Options{Seed: 1, Records: 2, Auth: &auth.Config{}})
	read := token(t, c, auth.ScopeRead)
	both := token(t, c, auth.ScopeRead+" "+auth.ScopeWrite)
	call := func(cl *apiClient, method, path, header, value string, body string) response {
		var rd *strings.Reader
		if body != "" {
			rd = strings.NewReader(body)
		} else {
			rd = strings.NewReader("")
		}
		req, err := http.NewRequest(method, cl.srv.URL+path, rd)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set(header, value)
		}
		return cl.send(req)
	}
	call(c, "GET", "/api/integration_errors", "", "", "").expect(t, 401)
	call(c, "GET", "/api/integration_errors", "Authorization", "Bearer nonsense", "").expect(t, 401)
	call(c, "GET", "/api/integration_errors", "Authorization", "Bearer "+read, "").expect(t, 200)
	msgs := call(c, "PUT", "/api/integration_errors/1/resolve", "Authorization", "Bearer "+read, "").expect(t, 403).errors(t)
	assert.True(t, anyContains(msgs, auth.ScopeWrite), "%v", msgs)
	call(c, "PUT", "/api/integration_errors/1/resolve", "Authorization", "Bearer "+both, "").expect(t, 200)
	msgs = call(c, "GET", "/api/integration_errors", "X-COUPA-API-KEY", auth.DefaultAPIKey, "").expect(t, 401).errors(t)
	assert.True(t, anyContains(msgs, "R35"), "%v", msgs)
	// Authentication comes before validation: a bad body without a token is 401.
	call(c, "POST", "/api/integration_errors", "", "", "{").expect(t, 401)

	call(s, "GET", "/api/events", "", "", "").expect(t, 401)
	call(s, "GET", "/api/events", "X-CSO-API-KEY", "wrong", "").expect(t, 401)
	call(s, "GET", "/api/events", "X-CSO-API-KEY", auth.DefaultCSOAPIKey, "").expect(t, 200)

	// The admin API never needs credentials.
	call(c, "GET", "/_mock/health", "", "", "").expect(t, 200)
	call(s, "POST", "/_mock/reset", "", "", "").expect(t, 200)
}
