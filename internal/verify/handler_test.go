package verify_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/internal/admintest"
	"github.com/coupakit/coupakit/internal/verify"
	"github.com/coupakit/coupakit/mock"
)

// TestHandlersOverTheMocksJournal plugs the verify routes in front of the
// mock, over its journal, and checks their answers over loopback against
// admin.yaml.
func TestHandlersOverTheMocksJournal(t *testing.T) {
	spec := admintest.Load(t)
	m, err := mock.New(mock.Options{Seed: 3, Records: 2})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	verify.Register(mux, func() []verify.Record {
		var out []verify.Record
		for _, e := range m.Requests() {
			out = append(out, verify.Record{ID: e.ID, Time: e.Time, API: e.API, Method: e.Method, Path: e.Path, Query: e.Query, Body: e.Body, Status: e.Status})
		}
		return out
	})
	mux.Handle("/", m.CoreHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	post := func(t *testing.T, route, body string, want int) []byte {
		t.Helper()
		req, err := http.NewRequest("POST", srv.URL+route, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, got := spec.Do(t, srv.Client(), req)
		if resp.StatusCode != want {
			t.Fatalf("POST %s %s: status %d, want %d: %s", route, body, resp.StatusCode, want, got)
		}
		return got
	}
	count := func(t *testing.T, match string) verify.CountAnswer {
		t.Helper()
		var a verify.CountAnswer
		if err := json.Unmarshal(post(t, "/_mock/requests/count", match, 200), &a); err != nil {
			t.Fatal(err)
		}
		return a
	}

	if a := count(t, `{}`); a.Count != 0 || len(a.NearMisses) != 0 {
		t.Fatalf("an empty journal: %+v", a)
	}
	code := m.Integrations()[0].Code
	for _, body := range []string{
		`{"contact-alert-type": "Technical", "status": "error", "integration": {"code": "` + code + `"}}`,
		`{"contact-alert-type": "Functional", "status": "warning", "integration": {"code": "` + code + `"}}`,
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/api/integration_errors", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("create: %d", resp.StatusCode)
		}
	}
	if resp, err := srv.Client().Get(srv.URL + "/api/integration_errors?status=error&limit=5"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}

	tests := []struct {
		match string
		want  int
	}{
		{`{"api": "core", "method": "POST", "path": "/api/integration_errors"}`, 2},
		{`{"method": "POST", "body": {"status": "warning", "integration": {"code": "` + code + `"}}}`, 1},
		{`{"path": "/api/integration_errors", "query": {"status": "error", "limit": "5"}}`, 1},
		{`{"path": "/api/*"}`, 3},
	}
	for _, tt := range tests {
		if a := count(t, tt.match); a.Count != tt.want || a.NearMisses != nil {
			t.Errorf("count %s = %+v, want %d and no near misses", tt.match, a, tt.want)
		}
	}

	miss := count(t, `{"method": "POST", "body": {"status": "resolved"}}`)
	if miss.Count != 0 || len(miss.NearMisses) != 3 {
		t.Fatalf("near misses %+v, want 3", miss)
	}
	if d := miss.NearMisses[0].Differences; len(d) != 1 || d[0].Field != "body.status" || d[0].Actual != "warning" {
		t.Errorf("the closest, newest first, differs by %+v", d)
	}

	var found verify.FindAnswer
	if err := json.Unmarshal(post(t, "/_mock/requests/find", `{"body": {"contact-alert-type": "Functional"}}`, 200), &found); err != nil {
		t.Fatal(err)
	}
	if len(found.Requests) != 1 || found.Requests[0].Status != 201 || !strings.Contains(found.Requests[0].Body, "Functional") {
		t.Errorf("found %+v", found)
	}
	post(t, "/_mock/requests/find", `{"path": "/nothing"}`, 200)

	for _, bad := range []struct{ body, want string }{
		{`{"path": "api"}`, "path must start with /"},
		{`{"body": [1]}`, "body must be a JSON object"},
		{`{"paths": "/api"}`, `unknown field \"paths\"`},
		{`{"query": {"limit": 5}}`, "query: want string, got a JSON number"},
		{``, "the body is empty"},
	} {
		if got := post(t, "/_mock/requests/count", bad.body, 400); !strings.Contains(string(got), bad.want) {
			t.Errorf("%s: %s, want %q", bad.body, got, bad.want)
		}
	}
}

// TestRegisterFunc: the routes read the records given for each request,
// and leave a request alone that the function answered itself.
func TestRegisterFunc(t *testing.T) {
	mux := http.NewServeMux()
	verify.RegisterFunc(mux, func(w http.ResponseWriter, r *http.Request) ([]verify.Record, bool) {
		switch r.URL.Query().Get("tenant") {
		case "":
			return []verify.Record{{API: "core", Method: "GET", Path: "/api/x"}}, true
		case "b":
			return nil, true
		}
		w.WriteHeader(http.StatusNotFound)
		return nil, false
	})
	for _, tt := range []struct {
		target string
		want   int
		body   string
	}{{"/_mock/requests/count", 200, `{"count":1}`}, {"/_mock/requests/count?tenant=b", 200, `{"count":0}`}, {"/_mock/requests/find?tenant=c", 404, ``}} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("POST", tt.target, strings.NewReader(`{"method": "GET"}`)))
		if rec.Code != tt.want || strings.TrimSpace(rec.Body.String()) != tt.body {
			t.Errorf("POST %s: %d %s, want %d %s", tt.target, rec.Code, rec.Body, tt.want, tt.body)
		}
	}
}
