package coupakittest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/coupakittest"
)

// TestListIntegrationErrors is the README's example of a test.
func TestListIntegrationErrors(t *testing.T) {
	kit := coupakittest.New(t, coupakittest.WithRecords(5))

	req, err := http.NewRequest("GET", kit.CoreURL+"/api/integration_errors?limit=2", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := kit.HTTPClient().Do(req) // with a bearer token
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var errs []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&errs); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	if len(errs) != 2 {
		t.Fatalf("%d integration errors, want 2", len(errs))
	}
	if got := kit.Requests(); len(got) != 1 || got[0].Path != "/api/integration_errors" {
		t.Fatalf("journal %+v", got)
	}
}

func TestHTTPClientCredentials(t *testing.T) {
	kit := coupakittest.New(t, coupakittest.WithRecords(1))
	tests := []struct {
		name   string
		client *http.Client
		url    string
		want   int
	}{
		{"Core with the kit's client", kit.HTTPClient(), kit.CoreURL + "/api/integrations", 200},
		{"Sourcing with the kit's client", kit.HTTPClient(), kit.SourcingURL + "/api/events", 200},
		{"Core without credentials", http.DefaultClient, kit.CoreURL + "/api/integrations", 401},
		{"Sourcing without credentials", http.DefaultClient, kit.SourcingURL + "/api/events", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", "application/json")
			resp, err := tt.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	// A request that brings its own credentials keeps them.
	req, _ := http.NewRequest("GET", kit.CoreURL+"/api/integrations", nil)
	req.Header.Set("Authorization", "Bearer not-a-token")
	resp, err := kit.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("a bad token of the caller's own: %d, want 401", resp.StatusCode)
	}
}

func TestKitsAreIndependent(t *testing.T) {
	for _, name := range []string{"a", "b", "c"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			kit := coupakittest.New(t, coupakittest.WithRecords(0))
			body := strings.NewReader(`{"events": [{"market-id": "1", "name": "` + name + `"}]}`)
			req, _ := http.NewRequest("POST", kit.SourcingURL+"/api/events", body)
			req.Header.Set("Content-Type", "application/json")
			resp, err := kit.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				t.Fatalf("create: %d", resp.StatusCode)
			}
			if n := len(kit.Requests()); n != 1 {
				t.Errorf("journal holds %d requests, want this test's 1", n)
			}
		})
	}
}

func TestTokenOfAnUnknownScope(t *testing.T) {
	kit, err := coupakittest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer kit.Close()
	defer func() {
		if err, _ := recover().(error); err == nil || !strings.Contains(err.Error(), "invalid_scope") {
			t.Fatalf("want a panic naming invalid_scope, got %v", err)
		}
	}()
	kit.Token("finance.everything")
}

func TestCloseStopsEverything(t *testing.T) {
	kit, err := coupakittest.Start()
	if err != nil {
		t.Fatal(err)
	}
	c := kit.SFTP()
	if entries, err := c.ReadDir("/Outgoing"); err != nil || len(entries) == 0 {
		t.Fatalf("/Outgoing: %v, %d entries", err, len(entries))
	}
	kit.Close()
	kit.Close()
	if _, err := c.ReadDir("/"); err == nil {
		t.Error("the SFTP client still works after Close")
	}
	if _, err := http.Get(kit.CoreURL + "/_mock/health"); err == nil {
		t.Error("the Core API still answers after Close")
	}
}
