package coupakittest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/coupakittest"
)

// listCodes lists the integration codes a Kit's client sees.
func listCodes(t *testing.T, kit *coupakittest.Kit) []string {
	t.Helper()
	req, err := http.NewRequest("GET", kit.CoreURL+"/api/integrations?limit=50", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := kit.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	var out []string
	for _, in := range list {
		out = append(out, in.Code)
	}
	return out
}

// TestTenantsOfOneKit runs parallel tests against one Kit, each in a tenant
// of its own with its own fixtures: none sees another's, and each tenant
// is gone when its test ends.
func TestTenantsOfOneKit(t *testing.T) {
	shared := coupakittest.New(t, coupakittest.WithRecords(0))
	t.Run("group", func(t *testing.T) {
		for i := range 4 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				kit := shared.Tenant(t)
				if !strings.HasPrefix(kit.CoreURL, shared.CoreURL+"/t/") {
					t.Fatalf("CoreURL %s has no tenant prefix", kit.CoreURL)
				}
				code := fmt.Sprintf("TENANT_%d", i)
				kit.Load(map[string]any{"integrations": []any{map[string]any{"id": 1, "code": code, "name": "Mine"}}})
				if got := listCodes(t, kit); len(got) != 1 || got[0] != code {
					t.Fatalf("tenant %s sees %v, want only [%s]", kit.TenantName(), got, code)
				}
				if n := len(kit.Requests()); n != 1 {
					t.Errorf("the tenant's journal has %d requests, want its 1", n)
				}
			})
		}
	})
	if n := len(shared.Requests()); n != 0 {
		t.Errorf("the default tenant's journal has %d requests, want 0", n)
	}
	for _, code := range listCodes(t, shared) {
		if strings.HasPrefix(code, "TENANT_") {
			t.Errorf("the default tenant sees a tenant's %s", code)
		}
	}
	resp, err := http.Get(shared.CoreURL + "/_mock/tenants")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tenants []any
	if err := json.NewDecoder(resp.Body).Decode(&tenants); err != nil || len(tenants) != 0 {
		t.Errorf("tenants left after their tests: %v %v", tenants, err)
	}
}

func TestLoadRefusesBadFixtures(t *testing.T) {
	kit, err := coupakittest.Start(coupakittest.WithRecords(1))
	if err != nil {
		t.Fatal(err)
	}
	defer kit.Close()
	kit.Load(`{"integrations": [{"id": 500, "code": "LOADED", "name": "Loaded"}]}`)
	if got := listCodes(t, kit); !contains(got, "LOADED") || len(got) < 2 {
		t.Errorf("Load puts fixtures on top of the seeded records: %v", got)
	}
	defer func() {
		msg := fmt.Sprint(recover())
		if !strings.Contains(msg, "integrations[0] (id 7): code") {
			t.Errorf("Load's error does not name the record and element: %s", msg)
		}
	}()
	kit.Load(`{"integrations": [{"id": 7, "code": 5, "name": "x"}]}`)
	t.Error("Load took a bad document")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
