package mock_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coupakit/coupakit/internal/admintest"
	"github.com/coupakit/coupakit/mock"
)

// faultKit is a mock served on loopback with both ports, an admin client
// that validates every answer against admin.yaml, and an API client that
// opens a new connection per request (a broken one is never reused).
type faultKit struct {
	m           *mock.Mock
	core, cso   *httptest.Server
	spec        *admintest.Spec
	client      *http.Client
	coreURL     string
	sourcingURL string
}

func newFaultKit(t *testing.T, opts mock.Options) *faultKit {
	t.Helper()
	m, err := mock.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	k := &faultKit{m: m, spec: admintest.Load(t)}
	k.core, k.cso = httptest.NewServer(m.CoreHandler()), httptest.NewServer(m.SourcingHandler())
	t.Cleanup(k.core.Close)
	t.Cleanup(k.cso.Close)
	k.coreURL, k.sourcingURL = k.core.URL, k.cso.URL
	k.client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second}
	t.Cleanup(k.client.CloseIdleConnections)
	return k
}

// admin sends an admin request, validated against admin.yaml, and checks
// its status.
func (k *faultKit) admin(t *testing.T, base, method, path string, body any, want int) []byte {
	t.Helper()
	return doJSON(t, k.spec, base, method, path, body, want)
}

// get sends an API request; accept is its Accept header ("" for none).
func (k *faultKit) get(t *testing.T, url, accept string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func (k *faultKit) status(t *testing.T, url string) int {
	t.Helper()
	resp, body, err := k.get(t, url, "application/json")
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	_ = body
	return resp.StatusCode
}

func (k *faultKit) addFault(t *testing.T, base string, rule any) mock.FaultView {
	t.Helper()
	var v mock.FaultView
	if err := json.Unmarshal(k.admin(t, base, "POST", "/_mock/faults", rule, 201), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (k *faultKit) rules(t *testing.T) []mock.FaultView {
	t.Helper()
	var out []mock.FaultView
	if err := json.Unmarshal(k.admin(t, k.coreURL, "GET", "/_mock/faults", nil, 200), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (k *faultKit) journal(t *testing.T, query string) []mock.Request {
	t.Helper()
	var out []mock.Request
	if err := json.Unmarshal(k.admin(t, k.coreURL, "GET", "/_mock/requests"+query, nil, 200), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFaultDelay: a rule's 300 ms delay makes the answer take 300 to 450
// ms. Never sooner; a slower answer (a loaded machine) is measured again,
// at most three times in all, before the test fails.
func TestFaultDelay(t *testing.T) {
	k := newFaultKit(t, mock.Options{Seed: 1, Records: 3})
	k.addFault(t, k.coreURL, map[string]any{"match": map[string]any{"method": "GET", "path": "/api/integrations"}, "delay_ms": 300})
	const lo, hi = 300 * time.Millisecond, 450 * time.Millisecond
	var took []time.Duration
	for range 3 {
		start := time.Now()
		if got := k.status(t, k.coreURL+"/api/integrations"); got != 200 {
			t.Fatalf("status %d, want 200 after the delay", got)
		}
		d := time.Since(start)
		if d < lo {
			t.Fatalf("answered in %v, sooner than the 300 ms asked", d)
		}
		if took = append(took, d); d <= hi {
			break
		}
	}
	if last := took[len(took)-1]; last > hi {
		t.Fatalf("answered in %v each time, want 300-450 ms", took)
	}
	// Another path is not delayed, and the journal marks the delay.
	if e := k.journal(t, "?path=/api/integrations"); len(e) == 0 || e[0].Fault == nil || e[0].Fault.Rule != 1 || e[0].Fault.DelayMS != 300 {
		t.Fatalf("journal %+v, want the delay of rule 1 marked", e)
	}
}

// TestGlobalLatency: PUT /_mock/settings delays every answer of both APIs
// and the journal marks it without a rule; a reset puts it back to none.
func TestGlobalLatency(t *testing.T) {
	k := newFaultKit(t, mock.Options{Seed: 1, Records: 1})
	k.admin(t, k.sourcingURL, "PUT", "/_mock/settings", map[string]any{"delay_ms": 120}, 200)
	if got := k.admin(t, k.coreURL, "GET", "/_mock/settings", nil, 200); !strings.Contains(string(got), `"delay_ms":120`) {
		t.Fatalf("settings %s", got)
	}
	for _, url := range []string{k.coreURL + "/api/integrations", k.sourcingURL + "/api/events"} {
		start := time.Now()
		k.status(t, url)
		if d := time.Since(start); d < 120*time.Millisecond {
			t.Errorf("%s answered in %v, sooner than the 120 ms latency", url, d)
		}
	}
	for _, e := range k.journal(t, "") {
		if e.Fault == nil || e.Fault.Rule != 0 || e.Fault.DelayMS != 120 {
			t.Errorf("journal entry %s %s: fault %+v, want the latency alone", e.Method, e.Path, e.Fault)
		}
	}
	k.admin(t, k.coreURL, "PUT", "/_mock/settings", map[string]any{"delay_ms": -1}, 400)
	k.admin(t, k.coreURL, "POST", "/_mock/reset", nil, 200)
	if got := k.admin(t, k.coreURL, "GET", "/_mock/settings", nil, 200); !strings.Contains(string(got), `"delay_ms":0`) {
		t.Fatalf("settings after reset %s", got)
	}
}

// TestFaultTimesAndAfter: times=2 applies exactly twice, after=1 spares
// the first match; the counts say so and the journal marks each.
func TestFaultTimesAndAfter(t *testing.T) {
	k := newFaultKit(t, mock.Options{Seed: 1, Records: 3})
	times := k.addFault(t, k.coreURL, map[string]any{"match": map[string]any{"path": "/api/integration_errors/*"}, "status": 503, "times": 2})
	after := k.addFault(t, k.sourcingURL, map[string]any{"match": map[string]any{"api": "sourcing", "operation": "listEvents"}, "status": 500, "after": 1})
	var got []int
	for range 5 {
		got = append(got, k.status(t, k.coreURL+"/api/integration_errors/1"))
	}
	if want := []int{503, 503, 200, 200, 200}; !equalInts(got, want) {
		t.Fatalf("times=2: statuses %v, want %v", got, want)
	}
	got = nil
	for range 3 {
		got = append(got, k.status(t, k.sourcingURL+"/api/events"))
	}
	if want := []int{200, 500, 500}; !equalInts(got, want) {
		t.Fatalf("after=1: statuses %v, want %v", got, want)
	}
	rules := k.rules(t)
	if len(rules) != 2 || rules[0].ID != times.ID || rules[0].Fired != 2 || !rules[0].Retired || rules[0].Matched != 2 ||
		rules[1].ID != after.ID || rules[1].Fired != 2 || rules[1].Matched != 3 || rules[1].Retired {
		t.Fatalf("rules %+v", rules)
	}
	marked := 0
	for _, e := range k.journal(t, "") {
		if e.Fault != nil {
			marked++
			if e.Fault.Status != e.Status {
				t.Errorf("entry %d: status %d, fault %+v", e.ID, e.Status, e.Fault)
			}
		}
	}
	if marked != 4 {
		t.Fatalf("%d journal entries marked, want 4", marked)
	}
	k.admin(t, k.coreURL, "DELETE", "/_mock/faults/"+itoa(after.ID), nil, 204)
	k.admin(t, k.coreURL, "DELETE", "/_mock/faults/"+itoa(after.ID), nil, 404)
	if s := k.status(t, k.sourcingURL+"/api/events"); s != 200 {
		t.Fatalf("after DELETE: status %d", s)
	}
	k.admin(t, k.sourcingURL, "DELETE", "/_mock/faults", nil, 204)
	if r := k.rules(t); len(r) != 0 {
		t.Fatalf("rules after DELETE: %+v", r)
	}
}

// TestFaultStatusBody: a status fault answers the API's own error body, in
// the format the client asked for, with Retry-After.
func TestFaultStatusBody(t *testing.T) {
	k := newFaultKit(t, mock.Options{Seed: 1, Records: 3})
	k.addFault(t, k.coreURL, map[string]any{"status": 429, "retry_after": 2})
	tests := []struct {
		name, url, accept string
		contentType       string
		body              []string
	}{
		{"Core, XML by default", k.coreURL + "/api/integration_errors/1", "", "application/xml",
			[]string{`<?xml version="1.0" encoding="UTF-8"?>`, "<errors>", "<error>Too Many Requests (injected by fault rule 1)</error>"}},
		{"Core, XML asked", k.coreURL + "/api/integration_errors", "application/xml", "application/xml", []string{"<errors>"}},
		{"Core, JSON", k.coreURL + "/api/integration_errors/1", "application/json", "application/json",
			[]string{`{"errors":{"integration-error":["Too Many Requests (injected by fault rule 1)"]}}`}},
		{"Sourcing, JSON", k.sourcingURL + "/api/events", "application/json", "application/json",
			[]string{`{"errors":{"event":["Too Many Requests (injected by fault rule 1)"]}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, err := k.get(t, tt.url, tt.accept)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.contentType) {
				t.Fatalf("%d, Retry-After %q, Content-Type %q", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"))
			}
			for _, want := range tt.body {
				if !strings.Contains(string(body), want) {
					t.Errorf("body %s\nwant it to hold %s", body, want)
				}
			}
		})
	}
}

// TestFaultReset: a reset fault closes the connection; the journal marks
// it with status 0.
func TestFaultReset(t *testing.T) {
	k := newFaultKit(t, mock.Options{Seed: 1, Records: 3})
	k.addFault(t, k.coreURL, map[string]any{"match": map[string]any{"method": "GET", "path": "/api/integration_runs"}, "fault": "reset", "times": 1})
	_, _, err := k.get(t, k.coreURL+"/api/integration_runs", "application/json")
	if err == nil {
		t.Fatal("the request succeeded; want the connection reset")
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("error %v, want a reset connection", err)
	}
	if s := k.status(t, k.coreURL+"/api/integration_runs"); s != 200 {
		t.Fatalf("second request: status %d, want 200 (times=1)", s)
	}
	// The reset request's entry is added when its handler returns, which
	// may be after the client saw the reset and sent the second request:
	// wait for both, in whichever order they came.
	var e []mock.Request
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if e = k.journal(t, "?path=/api/integration_runs"); len(e) >= 2 || time.Now().After(deadline) {
			break
		}
	}
	if len(e) == 2 && e[0].Fault == nil {
		e[0], e[1] = e[1], e[0]
	}
	if len(e) != 2 || e[0].Status != 0 || e[0].Fault == nil || e[0].Fault.Fault != mock.FaultReset || e[1].Fault != nil || e[1].Status != 200 {
		t.Fatalf("journal %+v", e)
	}
}

// TestFaultRulesFromOptions: the rules of mock.Options are in force from
// the start, a bad one is an error of New, and a reset puts them back in
// place of those added since.
func TestFaultRulesFromOptions(t *testing.T) {
	rule, err := mock.ParseFault("GET /api/integrations status=502")
	if err != nil {
		t.Fatal(err)
	}
	k := newFaultKit(t, mock.Options{Seed: 1, Records: 1, Faults: []mock.FaultRule{rule}})
	if s := k.status(t, k.coreURL+"/api/integrations"); s != 502 {
		t.Fatalf("status %d, want the start-up rule's 502", s)
	}
	k.addFault(t, k.coreURL, map[string]any{"status": 500})
	k.admin(t, k.coreURL, "POST", "/_mock/reset", nil, 200)
	if r := k.rules(t); len(r) != 1 || r[0].ID != 1 || r[0].Status != 502 || r[0].Fired != 0 {
		t.Fatalf("rules after reset %+v", r)
	}
	for _, bad := range []mock.FaultRule{{Status: 200}, {Status: 500, Match: mock.FaultMatch{Operation: "listInvoices"}}} {
		if _, err := mock.New(mock.Options{Faults: []mock.FaultRule{bad}}); err == nil {
			t.Errorf("New took %+v", bad)
		}
	}
	// The checker knows the specs' operations and APIs.
	k.admin(t, k.coreURL, "POST", "/_mock/faults", map[string]any{"match": map[string]any{"operation": "listInvoices"}, "status": 500}, 400)
	k.admin(t, k.coreURL, "POST", "/_mock/faults", map[string]any{"match": map[string]any{"api": "finance"}, "status": 500}, 400)
	k.admin(t, k.coreURL, "POST", "/_mock/faults", map[string]any{"match": map[string]any{"operation": "updateEvents"}, "status": 500}, 201)
	k.admin(t, k.coreURL, "POST", "/_mock/faults", map[string]any{"status": 503, "colour": "red"}, 400)
}

// TestFaultTruncateXML: a truncate fault sends half of the XML answer and
// the full Content-Length, so the client sees an unexpected EOF.
func TestFaultTruncateXML(t *testing.T) {
	k := newFaultKit(t, mock.Options{Seed: 1, Records: 3})
	k.addFault(t, k.coreURL, map[string]any{"match": map[string]any{"operation": "showIntegrationError"}, "fault": "truncate"})
	resp, body, err := k.get(t, k.coreURL+"/api/integration_errors/1", "")
	if err == nil || resp == nil || resp.StatusCode != 200 {
		t.Fatalf("resp %v, err %v; want the headers, then an error reading the body", resp, err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(string(body), "<?xml") || int64(len(body)) != resp.ContentLength/2 {
		t.Fatalf("err %v, %d of %d bytes: %.60s", err, len(body), resp.ContentLength, body)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestFaultEmptyAndSlowBody: empty closes without an answer; slow_body
// sends the whole XML answer, dripped over its delay.
func TestFaultEmptyAndSlowBody(t *testing.T) {
	k := newFaultKit(t, mock.Options{Seed: 1, Records: 3})
	k.addFault(t, k.coreURL, map[string]any{"match": map[string]any{"path": "/api/integration_runs"}, "fault": "empty"})
	k.addFault(t, k.coreURL, map[string]any{"match": map[string]any{"path": "/api/integrations"}, "fault": "slow_body", "delay_ms": 200})
	if _, _, err := k.get(t, k.coreURL+"/api/integration_runs", ""); err == nil || !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("empty: %v, want an EOF before any answer", err)
	}
	start := time.Now()
	resp, body, err := k.get(t, k.coreURL+"/api/integrations", "")
	if err != nil || resp.StatusCode != 200 || int64(len(body)) != resp.ContentLength || !strings.Contains(string(body), "</integrations>") {
		t.Fatalf("slow_body: %v, %v, %d bytes: %.80s", resp, err, len(body), body)
	}
	if d := time.Since(start); d < 180*time.Millisecond {
		t.Fatalf("slow_body took %v, want about 200 ms", d)
	}
}

// TestFaultProbabilityIsSeeded: with probability 0.5 the same seed fires on
// the same requests, run after run.
func TestFaultProbabilityIsSeeded(t *testing.T) {
	pattern := func(seed int64) string {
		k := newFaultKit(t, mock.Options{Seed: seed, Records: 1})
		k.addFault(t, k.coreURL, map[string]any{"status": 500, "probability": 0.5})
		var b strings.Builder
		for range 24 {
			if k.status(t, k.coreURL+"/api/integrations") == 500 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, c := pattern(7), pattern(7), pattern(8)
	if a != b {
		t.Fatalf("seed 7 fired %s, then %s", a, b)
	}
	if !strings.Contains(a, "x") || !strings.Contains(a, ".") || a == c {
		t.Fatalf("seed 7 %s, seed 8 %s: want a mix, differing by seed", a, c)
	}
}
