package mock_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/internal/admintest"
	"github.com/coupakit/coupakit/internal/tenant"
	"github.com/coupakit/coupakit/mock"
)

// tenantClient talks to one tenant of a mock over loopback: by the
// /t/{tenant} prefix, or by the X-Coupakit-Tenant header.
type tenantClient struct {
	base, name string
	header     bool
	token      string
	client     *http.Client
}

func (c *tenantClient) url(path string) string {
	if c.header || c.name == "" {
		return c.base + path
	}
	return c.base + "/t/" + c.name + path
}

// do sends a JSON request and returns the status and body.
func (c *tenantClient) do(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.url(path), rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.header && c.name != "" {
		req.Header.Set(tenant.Header, c.name)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// fetchToken gets a token with both scopes from the tenant's token endpoint.
func (c *tenantClient) fetchToken() error {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {auth.DefaultClientID},
		"client_secret": {auth.DefaultClientSecret}, "scope": {auth.ScopeRead + " " + auth.ScopeWrite}}
	req, err := http.NewRequest("POST", c.url("/oauth2/token"), strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.header && c.name != "" {
		req.Header.Set(tenant.Header, c.name)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		return fmt.Errorf("token: %d %v", resp.StatusCode, err)
	}
	c.token = tok.AccessToken
	return nil
}

type errorRec struct {
	ID         int64  `json:"id"`
	ExternalID string `json:"external-id"`
	Status     string `json:"status"`
}

// runTenant creates, updates and lists one tenant's integration errors and
// checks that it sees its own records only.
func runTenant(c *tenantClient, code string, seeded int) error {
	if err := c.fetchToken(); err != nil {
		return err
	}
	var made []errorRec
	for i := range 2 {
		status, body, err := c.do("POST", "/api/integration_errors", map[string]any{
			"contact-alert-type": "Technical", "status": "error", "external-id": fmt.Sprintf("%s-%d", c.name, i),
			"integration": map[string]any{"code": code},
		})
		if err != nil || status != 201 {
			return fmt.Errorf("create: %d %s %v", status, body, err)
		}
		var rec errorRec
		if err := json.Unmarshal(body, &rec); err != nil {
			return err
		}
		made = append(made, rec)
	}
	if made[0].ID != int64(seeded+1) || made[1].ID != int64(seeded+2) {
		return fmt.Errorf("ids %d and %d: a tenant's ids go on from its own seeded records (%d)", made[0].ID, made[1].ID, seeded)
	}
	status, body, err := c.do("PUT", fmt.Sprintf("/api/integration_errors/%d", made[1].ID), map[string]any{"status": "failed"})
	if err != nil || status != 200 {
		return fmt.Errorf("update: %d %s %v", status, body, err)
	}
	status, body, err = c.do("GET", "/api/integration_errors?limit=50&offset="+fmt.Sprint(seeded), nil)
	if err != nil || status != 200 {
		return fmt.Errorf("list: %d %s %v", status, body, err)
	}
	var list []errorRec
	if err := json.Unmarshal(body, &list); err != nil {
		return err
	}
	want := []errorRec{{made[0].ID, c.name + "-0", "error"}, {made[1].ID, c.name + "-1", "failed"}}
	if fmt.Sprint(list) != fmt.Sprint(want) {
		return fmt.Errorf("tenant %s lists %v, want its own records %v only", c.name, list, want)
	}
	return nil
}

// TestTenantsInParallel runs 200 tenants at once, half named by the path
// prefix and half by the header, each creating, updating and listing: none
// sees another's records, and the default tenant sees none of theirs.
func TestTenantsInParallel(t *testing.T) {
	const n, seeded = 200, 3
	m, err := mock.New(mock.Options{Seed: 3, Records: seeded, Auth: &auth.Config{}})
	require.NoError(t, err)
	srv := httptest.NewServer(m.CoreHandler())
	defer srv.Close()
	code := m.Integrations()[0].Code

	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := &tenantClient{base: srv.URL, name: fmt.Sprintf("t%03d", i), header: i%2 == 1, client: srv.Client()}
			errs[i] = runTenant(c, code, seeded)
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}

	def := &tenantClient{base: srv.URL, client: srv.Client()}
	require.NoError(t, def.fetchToken())
	status, body, err := def.do("GET", "/api/integration_errors?limit=50", nil)
	require.NoError(t, err)
	require.Equal(t, 200, status)
	var list []errorRec
	require.NoError(t, json.Unmarshal(body, &list))
	assert.Len(t, list, seeded, "the default tenant has its seeded records only")
	assert.Empty(t, m.Requests()[0:0])
	for _, e := range m.Requests() {
		assert.NotContains(t, e.Path, "/t/", "the default journal holds the default tenant's requests only")
	}
	assert.Len(t, m.TenantRequests("t007"), 4, "a tenant's journal holds its own requests: 2 creates, 1 update, 1 list")
	assert.Equal(t, "/api/integration_errors", m.TenantRequests("t007")[0].Path, "the journal shows the path without the prefix")
}

func TestTenantTokensAndLimits(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 3, Records: 1, Auth: &auth.Config{}, MaxTenants: 2})
	require.NoError(t, err)
	srv := httptest.NewServer(m.CoreHandler())
	defer srv.Close()

	a := &tenantClient{base: srv.URL, name: "a", client: srv.Client()}
	require.NoError(t, a.fetchToken())
	b := &tenantClient{base: srv.URL, name: "b", client: srv.Client(), token: a.token}
	status, body, err := b.do("GET", "/api/integrations", nil)
	require.NoError(t, err)
	assert.Equal(t, 401, status, "a token of tenant a is refused by tenant b: %s", body)
	def := &tenantClient{base: srv.URL, client: srv.Client(), token: a.token}
	status, _, err = def.do("GET", "/api/integrations", nil)
	require.NoError(t, err)
	assert.Equal(t, 401, status, "and by the default tenant")
	status, _, err = a.do("GET", "/api/integrations", nil)
	require.NoError(t, err)
	assert.Equal(t, 200, status)

	c := &tenantClient{base: srv.URL, name: "c", client: srv.Client()}
	status, body, err = c.do("GET", "/api/integrations", nil)
	require.NoError(t, err)
	assert.Equal(t, 429, status, "a third tenant is one too many")
	assert.Contains(t, string(body), "too many tenants: at most 2")
	assert.Contains(t, string(body), "--max-tenants")

	bad := &tenantClient{base: srv.URL, name: "a b", header: true, client: srv.Client()}
	status, body, err = bad.do("GET", "/api/integrations", nil)
	require.NoError(t, err)
	assert.Equal(t, 400, status)
	assert.Contains(t, string(body), `"tenant"`)

	require.True(t, m.DeleteTenant("b"))
	status, _, err = c.do("GET", "/api/integrations", nil)
	require.NoError(t, err)
	assert.Equal(t, 401, status, "with b deleted, c is made (and wants a token)")
}

// TestTenantAdminRoutes drives the tenant routes and the tenant parameter
// of the other admin routes, validating every answer against admin.yaml.
func TestTenantAdminRoutes(t *testing.T) {
	spec := admintest.Load(t)
	m, err := mock.New(mock.Options{Seed: 3, Records: 2})
	require.NoError(t, err)
	srv := httptest.NewServer(m.CoreHandler())
	defer srv.Close()
	code := m.Integrations()[0].Code
	send := func(method, path string, body any, want int, header ...string) []byte {
		t.Helper()
		var rd io.Reader = http.NoBody
		if body != nil {
			data, _ := json.Marshal(body)
			rd = bytes.NewReader(data)
		}
		req, err := http.NewRequest(method, srv.URL+path, rd)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		resp, got := spec.Do(t, srv.Client(), req)
		require.Equal(t, want, resp.StatusCode, "%s %s: %s", method, path, got)
		return got
	}

	assert.JSONEq(t, `[]`, string(send("GET", "/_mock/tenants", nil, 200)))
	send("GET", "/_mock/requests?tenant=acme", nil, 404)
	send("GET", "/_mock/alerts?tenant=acme", nil, 404)
	send("GET", "/_mock/state?tenant=acme", nil, 404)
	send("POST", "/_mock/reset?tenant=acme", nil, 404)
	send("DELETE", "/_mock/tenants/acme", nil, 404)
	send("GET", "/_mock/requests?tenant=a%20b", nil, 400)

	acme := &tenantClient{base: srv.URL, name: "acme", client: srv.Client()}
	status, body, err := acme.do("POST", "/api/integration_errors/create_alert", map[string]any{
		"contact-alert-type": "Technical", "status": "error", "integration": map[string]any{"code": code}})
	require.NoError(t, err)
	require.Equal(t, 201, status, "%s", body)

	var tenants []map[string]any
	require.NoError(t, json.Unmarshal(send("GET", "/_mock/tenants", nil, 200), &tenants))
	require.Len(t, tenants, 1)
	assert.Equal(t, "acme", tenants[0]["name"])
	assert.EqualValues(t, 1, tenants[0]["requests"])

	assert.Contains(t, string(send("GET", "/_mock/requests?tenant=acme", nil, 200)), "create_alert")
	// The prefix names the tenant of an admin route too; the spec describes
	// the route without it.
	resp, err := srv.Client().Get(srv.URL + "/t/acme/_mock/requests")
	require.NoError(t, err)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(got), "create_alert")
	plain, _ := http.NewRequest("GET", srv.URL+"/_mock/requests", nil)
	assert.NoError(t, spec.Validate(plain, resp.StatusCode, resp.Header, got))
	assert.Contains(t, string(send("GET", "/_mock/alerts", nil, 200, tenant.Header, "acme")), "record-id", "and so does the header")
	assert.JSONEq(t, `[]`, string(send("GET", "/_mock/alerts", nil, 200)), "the default tenant has no alert")
	assert.JSONEq(t, `[]`, string(send("GET", "/_mock/requests", nil, 200)))
	send("GET", "/_mock/requests?tenant=other", nil, 400, tenant.Header, "acme")

	send("POST", "/_mock/reset?tenant=acme", nil, 200)
	assert.JSONEq(t, `[]`, string(send("GET", "/_mock/alerts?tenant=acme", nil, 200)), "reset empties the tenant's alerts")
	assert.JSONEq(t, `[]`, string(send("GET", "/_mock/requests?tenant=acme", nil, 200)))
	send("DELETE", "/_mock/requests?tenant=acme", nil, 204)
	send("POST", "/_mock/reset", nil, 200)
	send("DELETE", "/_mock/tenants/acme", nil, 204)
	assert.JSONEq(t, `[]`, string(send("GET", "/_mock/tenants", nil, 200)))
}
