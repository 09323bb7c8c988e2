package coupakittest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

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

// historyFor counts the history records of an uploaded file a Kit's client
// sees.
func historyFor(t *testing.T, kit *coupakittest.Kit, file string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", kit.CoreURL+"/api/integration_history_records?integration-filename="+file, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := kit.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []any
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestTenantSFTP uploads a flat file as <user>+<tenant>: it is recorded in
// the tenant's store only.
func TestTenantSFTP(t *testing.T) {
	shared := coupakittest.New(t, coupakittest.WithRecords(1))
	kit := shared.Tenant(t)
	if !strings.HasSuffix(kit.SFTPUser, "+"+kit.TenantName()) {
		t.Fatalf("SFTP user %s", kit.SFTPUser)
	}
	c := kit.SFTP()
	f, err := c.Create("/Incoming/Suppliers/tenant-upload.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("Name*,Number\nAcme,1\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for historyFor(t, kit, "tenant-upload.csv") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the tenant's upload was never recorded in the tenant")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := historyFor(t, shared, "tenant-upload.csv"); n != 0 {
		t.Errorf("the default tenant has %d records of the tenant's upload", n)
	}
	if _, err := shared.SFTP().Stat("/Archive/Incoming/Suppliers/tenant-upload.csv"); err == nil {
		t.Error("the default tree holds the tenant's file")
	}
}

// TestParallelTenants is the README's example of tenants.
func TestParallelTenants(t *testing.T) {
	shared := coupakittest.New(t)
	for _, code := range []string{"SAP_INVOICES", "WORKDAY_USERS"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			kit := shared.Tenant(t) // records, journal and tokens of its own
			kit.Load(map[string]any{"integrations": []any{
				map[string]any{"id": 500, "code": code, "name": "Under test"},
			}})
			resp, err := kit.HTTPClient().Get(kit.CoreURL + "/api/integrations/500")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || len(kit.Requests()) != 1 {
				t.Fatalf("status %d, %d requests", resp.StatusCode, len(kit.Requests()))
			}
		})
	}
}

// TestSFTPFilesInTheState loads an SFTP file as a fixture: it is in the
// tenant's SFTP tree, in the tenant's exported state, and a state put into
// another tenant gives the same bytes back with the file in its tree.
func TestSFTPFilesInTheState(t *testing.T) {
	shared := coupakittest.New(t, coupakittest.WithRecords(1))
	kit := shared.Tenant(t)
	const p, content = "/Outgoing/Invoices/Invoices_20261201_081720Z.csv", "a,b\n1,2\n"
	kit.Load(map[string]any{"sftp_files": []any{map[string]any{"path": p, "content": content}}})
	read := func(k *coupakittest.Kit) string {
		f, err := k.SFTP().Open(p)
		if err != nil {
			t.Fatalf("%s: %v", k.TenantName(), err)
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		return string(b)
	}
	if got := read(kit); got != content {
		t.Fatalf("the tree holds %q", got)
	}
	state := func(tenant string) []byte {
		resp, err := http.Get(shared.CoreURL + "/_mock/state?tenant=" + tenant)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	first := state(kit.TenantName())
	if !strings.Contains(string(first), `"path": "`+p+`"`) {
		t.Fatalf("the state has no %s: %s", p, first)
	}
	other := shared.Tenant(t)
	req, _ := http.NewRequest("PUT", shared.CoreURL+"/_mock/state?tenant="+other.TenantName(), bytes.NewReader(first))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT: %d", resp.StatusCode)
	}
	if got := read(other); got != content {
		t.Errorf("the other tenant's tree holds %q", got)
	}
	if again := state(other.TenantName()); !bytes.Equal(first, again) {
		t.Errorf("the second export differs:\n%s\n%s", first, again)
	}
}
