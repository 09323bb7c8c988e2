package faults_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coupakit/coupakit/internal/admintest"
	"github.com/coupakit/coupakit/internal/faults"
)

// apiBody is what the test API answers, long enough to cut and drip.
var apiBody = []byte(`{"id":1,"status":"error","message":"` + strings.Repeat("x", 1000) + `"}` + "\n")

// kit is a test server on loopback: the admin routes of an engine, and a
// small API behind a journal layer and the engine's middleware, as the mock
// plugs them in.
type kit struct {
	e      *faults.Engine
	srv    *httptest.Server
	spec   *admintest.Spec
	client *http.Client

	mu      sync.Mutex
	applied []*faults.Applied // per API request, in order; nil when none applied
}

func newKit(t *testing.T, opts faults.Options) *kit {
	t.Helper()
	e, err := faults.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	k := &kit{e: e, spec: admintest.Load(t)}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(apiBody)
	})
	hooks := faults.Hooks{
		Describe: func(r *http.Request) (string, string) {
			if strings.HasPrefix(r.URL.Path, "/api/events") {
				return "sourcing", "listEvents"
			}
			if r.URL.Path == "/api/integration_errors" {
				return "core", "listIntegrationErrors"
			}
			return "core", "showIntegrationError"
		},
		Error: func(w http.ResponseWriter, r *http.Request, status int, msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": map[string][]string{"integration-error": {msg}}})
		},
	}
	journal := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, rep := faults.WithReport(r)
			next.ServeHTTP(w, r)
			k.mu.Lock()
			k.applied = append(k.applied, rep.Applied)
			k.mu.Unlock()
		})
	}
	mux := http.NewServeMux()
	e.Register(mux)
	mux.Handle("/", journal(e.Middleware(hooks)(api)))
	k.srv = httptest.NewServer(mux)
	t.Cleanup(k.srv.Close)
	// A new connection per request, so that a broken one is never retried.
	k.client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	t.Cleanup(k.client.CloseIdleConnections)
	return k
}

// admin sends an admin request, validates its answer against admin.yaml and
// checks its status.
func (k *kit) admin(t *testing.T, method, path, body string, want int) []byte {
	t.Helper()
	req, err := http.NewRequest(method, k.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, got := k.spec.Do(t, k.client, req)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, got)
	}
	return got
}

func (k *kit) addRule(t *testing.T, rule string) faults.View {
	t.Helper()
	var v faults.View
	if err := json.Unmarshal(k.admin(t, "POST", "/_mock/faults", rule, 201), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (k *kit) rules(t *testing.T) []faults.View {
	t.Helper()
	var vs []faults.View
	if err := json.Unmarshal(k.admin(t, "GET", "/_mock/faults", "", 200), &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

// get sends an API request and reads its whole answer.
func (k *kit) get(t *testing.T, path string) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := k.client.Get(k.srv.URL + path)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func (k *kit) statuses(t *testing.T, path string, n int) []int {
	t.Helper()
	var out []int
	for range n {
		resp, _, err := k.get(t, path)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, resp.StatusCode)
	}
	return out
}

func TestDelay(t *testing.T) {
	k := newKit(t, faults.Options{})
	k.addRule(t, `{"match": {"method": "GET", "path": "/api/integration_errors/*"}, "delay_ms": 300}`)

	// The delay is never shorter than asked; the upper bound is what a
	// loaded machine can spoil, so a slow answer is measured again (at most
	// three times) before the test fails.
	var took time.Duration
	sent := 0
	for attempt := 0; attempt < 3; attempt++ {
		sent++
		start := time.Now()
		resp, body, err := k.get(t, "/api/integration_errors/1")
		took = time.Since(start)
		if err != nil || resp.StatusCode != 200 || !bytes.Equal(body, apiBody) {
			t.Fatalf("status %v, err %v: a delay answers as usual", resp, err)
		}
		if took < 300*time.Millisecond {
			t.Fatalf("a 300 ms delay answered in %v, sooner than asked", took)
		}
		if took < 450*time.Millisecond {
			break
		}
	}
	if took >= 450*time.Millisecond {
		t.Fatalf("a 300 ms delay answered in %v three times, want 300-450 ms", took)
	}
	if a := k.report(t, 0); a == nil || a.Rule != 1 || a.DelayMS != 300 {
		t.Errorf("reported %+v, want rule 1 with 300 ms", a)
	}
	// A request the rule does not match does not wait.
	start := time.Now()
	if _, _, err := k.get(t, "/api/integration_errors"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took >= 300*time.Millisecond {
		t.Errorf("an unmatched request took %v", took)
	}
	if k.report(t, sent) != nil {
		t.Errorf("an unmatched request reported %+v", k.report(t, sent))
	}
}

func TestTimesAppliesExactlyThatOften(t *testing.T) {
	k := newKit(t, faults.Options{})
	v := k.addRule(t, `{"match": {"api": "core", "path": "/api/integration_errors"}, "status": 503, "retry_after": 2, "times": 2}`)
	if v.ID != 1 || v.Times != 2 || v.Probability == nil || *v.Probability != 1 {
		t.Fatalf("created %+v", v)
	}
	var got []int
	for i := range 4 {
		resp, body, err := k.get(t, "/api/integration_errors")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.StatusCode)
		if i < 2 {
			if ra := resp.Header.Get("Retry-After"); ra != "2" {
				t.Errorf("Retry-After %q, want 2", ra)
			}
			if want := `{"errors":{"integration-error":["Service Unavailable (injected by fault rule 1)"]}}`; strings.TrimSpace(string(body)) != want {
				t.Errorf("body %s, want the API's error %s", body, want)
			}
		}
	}
	if fmt.Sprint(got) != "[503 503 200 200]" {
		t.Fatalf("statuses %v, want [503 503 200 200]", got)
	}
	r := k.rules(t)[0]
	if r.Fired != 2 || r.Matched != 2 || !r.Retired {
		t.Errorf("listed %+v, want fired 2, matched 2, retired", r)
	}
	if a := k.report(t, 1); a == nil || a.Status != 503 || a.Rule != 1 {
		t.Errorf("reported %+v", a)
	}
	if k.report(t, 2) != nil {
		t.Errorf("a retired rule reported %+v", k.report(t, 2))
	}
}

func TestAfterSparesTheFirstMatches(t *testing.T) {
	k := newKit(t, faults.Options{})
	k.addRule(t, `{"match": {"operation": "showIntegrationError"}, "status": 500, "after": 1}`)
	if got := fmt.Sprint(k.statuses(t, "/api/integration_errors/7", 3)); got != "[200 500 500]" {
		t.Fatalf("statuses %s, want [200 500 500]", got)
	}
	if got := fmt.Sprint(k.statuses(t, "/api/integration_errors", 1)); got != "[200]" {
		t.Fatalf("another operation: %s", got)
	}
	if r := k.rules(t)[0]; r.Matched != 3 || r.Fired != 2 || r.Retired {
		t.Errorf("listed %+v, want matched 3, fired 2", r)
	}
}

func TestFirstFiringRuleApplies(t *testing.T) {
	k := newKit(t, faults.Options{})
	k.addRule(t, `{"match": {"api": "sourcing"}, "status": 502}`)
	k.addRule(t, `{"match": {"path": "/api/integration_errors"}, "status": 500, "times": 1}`)
	k.addRule(t, `{"status": 503}`)
	if got := fmt.Sprint(k.statuses(t, "/api/integration_errors", 2)); got != "[500 503]" {
		t.Fatalf("statuses %s, want [500 503]", got)
	}
	if got := fmt.Sprint(k.statuses(t, "/api/events", 1)); got != "[502]" {
		t.Fatalf("statuses %s, want [502]", got)
	}
	rs := k.rules(t)
	if rs[0].Matched != 1 || rs[1].Fired != 1 || rs[2].Fired != 1 {
		t.Errorf("counts %+v", rs)
	}
}

func TestBrokenConnections(t *testing.T) {
	tests := []struct {
		fault   string
		wantErr []string // any of these in the client's error
	}{
		{"reset", []string{"connection reset"}},
		{"empty", []string{"EOF"}},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			k := newKit(t, faults.Options{})
			k.addRule(t, fmt.Sprintf(`{"match": {"method": "GET"}, "fault": %q, "times": 1}`, tt.fault))
			_, _, err := k.get(t, "/api/integration_errors")
			if err == nil {
				t.Fatal("the client got an answer")
			}
			if !containsAny(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one of %q", err, tt.wantErr)
			}
			if a := k.report(t, 0); a == nil || string(a.Fault) != tt.fault {
				t.Errorf("reported %+v", a)
			}
			if got := fmt.Sprint(k.statuses(t, "/api/integration_errors", 1)); got != "[200]" {
				t.Fatalf("after the rule retired: %s", got)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	k := newKit(t, faults.Options{})
	k.addRule(t, `{"fault": "truncate"}`)
	resp, body, err := k.get(t, "/api/integration_errors/1")
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error %v, want an unexpected EOF", err)
	}
	if resp.StatusCode != 200 || resp.ContentLength != int64(len(apiBody)) {
		t.Errorf("status %d, length %d: want the answer's own, %d", resp.StatusCode, resp.ContentLength, len(apiBody))
	}
	if !bytes.Equal(body, apiBody[:len(apiBody)/2]) {
		t.Errorf("got %d bytes, want the first half (%d)", len(body), len(apiBody)/2)
	}
}

func TestSlowBody(t *testing.T) {
	k := newKit(t, faults.Options{})
	k.addRule(t, `{"fault": "slow_body", "delay_ms": 200}`)
	start := time.Now()
	resp, err := k.client.Get(k.srv.URL + "/api/integration_errors/1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	headers := time.Since(start)
	body, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Equal(body, apiBody) {
		t.Fatalf("err %v, %d bytes: want the whole body", err, len(body))
	}
	if total := time.Since(start); total < 200*time.Millisecond || headers >= total/2 {
		t.Errorf("headers after %v, body after %v: want the headers at once and the body over 200 ms", headers, total)
	}
}

func TestSettings(t *testing.T) {
	k := newKit(t, faults.Options{Seed: 5})
	if got := strings.TrimSpace(string(k.admin(t, "GET", "/_mock/settings", "", 200))); got != `{"delay_ms":0,"jitter_ms":0}` {
		t.Fatalf("settings %s", got)
	}
	k.admin(t, "PUT", "/_mock/settings", `{"delay_ms": 200, "jitter_ms": 50}`, 200)
	start := time.Now()
	if _, _, err := k.get(t, "/api/events"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("answered in %v, want at least 200 ms", took)
	}
	if a := k.report(t, 0); a == nil || a.Rule != 0 || a.DelayMS < 200 || a.DelayMS > 250 {
		t.Errorf("reported %+v, want 200-250 ms and no rule", a)
	}
	for _, bad := range []struct{ body, want string }{
		{`{"delay_ms": -1}`, "delay_ms must be between 0 and 30000, got -1"},
		{`{"delay": 1}`, `unknown field \"delay\"`},
		{``, "the body is empty"},
		{`{"delay_ms": "slow"}`, "delay_ms: want int, got a JSON string"},
	} {
		if got := k.admin(t, "PUT", "/_mock/settings", bad.body, 400); !strings.Contains(string(got), bad.want) {
			t.Errorf("PUT %s: %s, want %q", bad.body, got, bad.want)
		}
	}
	k.admin(t, "PUT", "/_mock/settings", `{}`, 200)
	if k.e.Settings() != (faults.Settings{}) {
		t.Errorf("settings %+v after PUT {}", k.e.Settings())
	}
}

func TestAdminRoutes(t *testing.T) {
	start := faults.Rule{Match: faults.Match{Path: "/api/events"}, Status: 503}
	k := newKit(t, faults.Options{Rules: []faults.Rule{start}, Checker: faults.Checker{APIs: []string{"core", "sourcing"}}})
	for _, bad := range []struct{ body, want string }{
		{`{"status": 200}`, "status must be between 400 and 599, got 200"},
		{`{"status": 503, "fault": "reset", "match": {"api": "erp"}}`, `give status or fault, not both`},
		{`{"status": 503, "match": {"verb": "GET"}}`, `unknown field \"verb\"`},
		{`{"status": 503} {}`, "more than one JSON value"},
		{`[]`, "want faults.Rule, got a JSON array"},
		{`{`, "not valid JSON"},
	} {
		if got := k.admin(t, "POST", "/_mock/faults", bad.body, 400); !strings.Contains(string(got), bad.want) {
			t.Errorf("POST %s: %s, want %q", bad.body, got, bad.want)
		}
	}
	if got := k.admin(t, "POST", "/_mock/faults", `{"match": {"api": "erp", "method": "get"}}`, 400); strings.Count(string(got), `"`) < 10 {
		t.Errorf("want every problem listed: %s", got)
	}
	v := k.addRule(t, `{"status": 500}`)
	if v.ID != 2 {
		t.Fatalf("id %d, want 2 after the start-up rule", v.ID)
	}
	k.admin(t, "DELETE", "/_mock/faults/9", "", 404)
	k.admin(t, "DELETE", "/_mock/faults/abc", "", 404)
	k.admin(t, "DELETE", "/_mock/faults/1", "", 204)
	if rs := k.rules(t); len(rs) != 1 || rs[0].ID != 2 {
		t.Fatalf("rules %+v, want rule 2 alone", rs)
	}
	k.admin(t, "DELETE", "/_mock/faults", "", 204)
	if got := strings.TrimSpace(string(k.admin(t, "GET", "/_mock/faults", "", 200))); got != "[]" {
		t.Fatalf("rules %s, want []", got)
	}
	k.statuses(t, "/api/events", 1)
	k.e.Reset()
	rs := k.rules(t)
	if len(rs) != 1 || rs[0].ID != 1 || rs[0].Match.Path != "/api/events" || rs[0].Fired != 0 {
		t.Fatalf("after Reset %+v, want the start-up rule back", rs)
	}
	if got := fmt.Sprint(k.statuses(t, "/api/events", 1)); got != "[503]" {
		t.Fatalf("after Reset: %s", got)
	}
}

// report returns what the middleware reported for the i-th API request
// (from 0), waiting for the journal layer to note it: a client whose
// connection broke may see that before the handler returns.
func (k *kit) report(t *testing.T, i int) *faults.Applied {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		k.mu.Lock()
		n := len(k.applied)
		var a *faults.Applied
		if i < n {
			a = k.applied[i]
		}
		k.mu.Unlock()
		if i < n {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %d was never journaled", i)
		}
		time.Sleep(time.Millisecond)
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
