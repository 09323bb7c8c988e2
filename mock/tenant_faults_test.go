package mock_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/mock"
)

// TestFaultsArePerTenant: a fault rule added for one tenant applies to its
// requests only; the default tenant and other tenants answer as usual, and
// resetting the tenant removes the rule.
func TestFaultsArePerTenant(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 3})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.CoreHandler())
	defer srv.Close()
	do := func(method, path, tenant, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/json")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if tenant != "" {
			req.Header.Set("X-Coupakit-Tenant", tenant)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := do("GET", "/api/integrations", "a", ""); got != 200 {
		t.Fatalf("tenant a before the rule: %d", got)
	}
	if got := do("POST", "/_mock/faults", "a", `{"match": {"path": "/api/integrations"}, "status": 503}`); got != 201 {
		t.Fatalf("adding tenant a's rule: %d", got)
	}
	for _, tc := range []struct {
		path, tenant string
		want         int
	}{
		{"/api/integrations", "a", 503},
		{"/t/a/api/integrations", "", 503},
		{"/api/integrations", "", 200},
		{"/api/integrations", "b", 200},
		{"/t/b/api/integrations", "", 200},
	} {
		if got := do("GET", tc.path, tc.tenant, ""); got != tc.want {
			t.Errorf("GET %s in tenant %q: %d, want %d", tc.path, tc.tenant, got, tc.want)
		}
	}
	if got := do("POST", "/_mock/reset?tenant=a", "", ""); got != 200 {
		t.Fatalf("reset of tenant a: %d", got)
	}
	if got := do("GET", "/api/integrations", "a", ""); got != 200 {
		t.Errorf("tenant a after its reset: %d, want 200", got)
	}
}
