package mock_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/mock"
)

// TestVerifyRoutes: /_mock/requests/count and /find over the journal, on
// both ports, every answer validated against admin.yaml: exact and glob
// paths, query, headers and a body subset, and near misses when nothing
// matches.
func TestVerifyRoutes(t *testing.T) {
	k := newFaultKit(t, mock.Options{Seed: 1, Records: 3})
	code := k.m.Integrations()[0].Code
	post := func(url, body string) {
		t.Helper()
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Trace", "abc")
		resp, err := k.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	post(k.coreURL+"/api/integration_errors", `{"status":"error","contact-alert-type":"Technical","integration":{"code":"`+code+`"}}`)
	post(k.coreURL+"/api/integration_errors", `{"status":"warning","contact-alert-type":"Functional","integration":{"code":"`+code+`"}}`)
	k.status(t, k.coreURL+"/api/integration_errors/1?fields=id")
	k.status(t, k.sourcingURL+"/api/events?limit=2")

	type countAnswer struct {
		Count      int             `json:"count"`
		NearMisses []mock.NearMiss `json:"near_misses"`
	}
	tests := []struct {
		name  string
		match map[string]any
		want  int
	}{
		{"everything", map[string]any{}, 4},
		{"method and path", map[string]any{"method": "post", "path": "/api/integration_errors"}, 2},
		{"glob", map[string]any{"path": "/api/integration_errors/*"}, 1},
		{"api", map[string]any{"api": "sourcing"}, 1},
		{"query", map[string]any{"query": map[string]string{"limit": "2"}}, 1},
		{"header without case", map[string]any{"headers": map[string]string{"x-trace": "abc"}}, 2},
		{"body subset", map[string]any{"body": map[string]any{"status": "warning", "integration": map[string]any{"code": code}}}, 1},
		{"no body matches", map[string]any{"body": map[string]any{"status": "info"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, base := range []string{k.coreURL, k.sourcingURL} {
				var a countAnswer
				if err := json.Unmarshal(k.admin(t, base, "POST", "/_mock/requests/count", tt.match, 200), &a); err != nil {
					t.Fatal(err)
				}
				if a.Count != tt.want {
					t.Fatalf("count %d, want %d", a.Count, tt.want)
				}
				if (a.Count == 0) != (len(a.NearMisses) > 0) {
					t.Fatalf("count %d with near misses %+v", a.Count, a.NearMisses)
				}
				var f struct {
					Requests []mock.RecordedRequest `json:"requests"`
				}
				if err := json.Unmarshal(k.admin(t, base, "POST", "/_mock/requests/find", tt.match, 200), &f); err != nil {
					t.Fatal(err)
				}
				if len(f.Requests) != tt.want {
					t.Fatalf("find gave %d, want %d", len(f.Requests), tt.want)
				}
			}
		})
	}

	// The near misses of a body that matches no request: the two posts,
	// each differing only in status, newest first.
	var a countAnswer
	if err := json.Unmarshal(k.admin(t, k.coreURL, "POST", "/_mock/requests/count", map[string]any{
		"method": "POST", "path": "/api/integration_errors", "body": map[string]any{"status": "info"},
	}, 200), &a); err != nil {
		t.Fatal(err)
	}
	if len(a.NearMisses) != 3 || a.NearMisses[0].Request.ID != 2 || a.NearMisses[1].Request.ID != 1 ||
		len(a.NearMisses[0].Differences) != 1 || a.NearMisses[0].Differences[0].Field != "body.status" || a.NearMisses[0].Differences[0].Actual != "warning" {
		t.Fatalf("near misses %+v", a.NearMisses)
	}
	// A bad match is a 400 about the match.
	got := k.admin(t, k.coreURL, "POST", "/_mock/requests/count", map[string]any{"path": "api", "colour": 1}, 400)
	if !bytes.Contains(got, []byte(`"match"`)) {
		t.Fatalf("bad match: %s", got)
	}
	k.admin(t, k.coreURL, "POST", "/_mock/requests/find", map[string]any{"path": "/api/[x"}, 400)
	// The Go API agrees with the routes.
	if n, _, err := k.m.CountRequests(mock.RequestMatch{Method: "GET"}); err != nil || n != 2 {
		t.Fatalf("CountRequests: %d, %v", n, err)
	}
}

// TestSFTPFaultRoutesWithoutServer: without an SFTP server the SFTP fault
// routes answer 404 in the admin error shape.
func TestSFTPFaultRoutesWithoutServer(t *testing.T) {
	k := newFaultKit(t, mock.Options{})
	for _, r := range []struct{ method, path string }{
		{"GET", "/_mock/sftp/faults"}, {"POST", "/_mock/sftp/faults"}, {"DELETE", "/_mock/sftp/faults"},
	} {
		var body any
		if r.method == "POST" {
			body = map[string]any{"kind": "refuse_login"}
		}
		if got := k.admin(t, k.coreURL, r.method, r.path, body, 404); !bytes.Contains(got, []byte("the SFTP server is not running")) {
			t.Errorf("%s %s: %s", r.method, r.path, got)
		}
	}
}
