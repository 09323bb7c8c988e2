package mock_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/openapi"
)

// badRequest is one request of the bad-input test.
type badRequest struct {
	api, method, path, contentType, body string
}

// badInputs draws n requests from the classes of issue 12, every one of
// which the mock must refuse: trailing data after the JSON value, lone
// surrogates, integers beyond 64 bits, nesting past 100, invalid UTF-8,
// queries it cannot read whole, ids not written canonically, bodies that
// are not JSON or XML, or too large.
func badInputs(t *testing.T, n int, eventID string) []badRequest {
	coreOps := bodyOperations(t, openapi.Core, "1")
	csoOps := bodyOperations(t, openapi.Sourcing, eventID)
	big := "9223372036854775808"
	bodies := []func(r *rand.Rand) string{
		func(r *rand.Rand) string {
			return `{"contact-alert-type":"Technical"}` + []string{`{"x":`, ` x`, `[]`, `1`, `"s"`, `{}`}[r.IntN(6)]
		},
		func(r *rand.Rand) string {
			return `{"contact-alert-type":"Technical","external-id":"` + []string{`\ud800`, `\udfff`, `a\ud83d`, `\ud83d\u0041`}[r.IntN(4)] + `"}`
		},
		func(r *rand.Rand) string {
			return fmt.Sprintf(`{"document-id":%s%d}`, []string{"", "-"}[r.IntN(2)], 9223372036854775+r.IntN(1000)) + strings.Repeat("0", 4)
		},
		func(r *rand.Rand) string {
			return `{"responses":[{"response-code":` + big + `}],"integration":{"id":` + big + `}}`
		},
		func(r *rand.Rand) string {
			d := 101 + r.IntN(300)
			return strings.Repeat("[", d) + strings.Repeat("]", d)
		},
		func(r *rand.Rand) string {
			return "{\"external-id\":\"\xff\xfe" + strings.Repeat("a", r.IntN(10)) + "\"}"
		},
		func(r *rand.Rand) string { return `{"events":[{"name":"x"}]}` + strings.Repeat(" ", r.IntN(3)) + `,` },
		func(r *rand.Rand) string { return `{"contact-alert-type":"Technical"` },
		func(r *rand.Rand) string { return strings.Repeat(`{"a":`, r.IntN(5)+1) },
	}
	queries := []string{"contact-alert-type=Both;x=1", "nope=%zz", "status=%", "a;b=1", "external-id=%ff", strings.Repeat("x=1&", 1001) + "limit=1", "fields=%zz", "limit=1;"}
	lists := []string{"/api/integration_errors", "/api/integration_history_records", "/api/integrations", "/api/integration_runs"}
	idRoutes := []string{"/api/integration_errors/%s", "/api/integration_errors/%s/resolve", "/api/integration_history_records/%s", "/api/integration_history_records/%s/unresolve", "/api/integrations/%s", "/api/integration_runs/%s", "/api/integration_runs/%s/run", "/api/integration_runs/%s/fail"}
	r := rand.New(rand.NewPCG(12, 12))
	out := make([]badRequest, 0, n)
	for len(out) < n {
		switch r.IntN(5) {
		case 0, 1: // a bad body on an operation that takes one
			api, ops := "core", coreOps
			if r.IntN(4) == 0 {
				api, ops = "sourcing", csoOps
			}
			op := ops[r.IntN(len(ops))]
			out = append(out, badRequest{api, op[1], op[2], "application/json", bodies[r.IntN(len(bodies))](r)})
		case 2: // a query the mock cannot read whole
			if r.IntN(4) == 0 {
				out = append(out, badRequest{"sourcing", "GET", "/api/events?" + queries[r.IntN(len(queries))], "", ""})
				continue
			}
			out = append(out, badRequest{"core", "GET", lists[r.IntN(len(lists))] + "?" + queries[r.IntN(len(queries))], "", ""})
		case 3: // an id not written canonically, reads and writes
			id := []string{"+1", "01", "%2B1", "001", "+0" + "1"}[r.IntN(5)]
			route := fmt.Sprintf(idRoutes[r.IntN(len(idRoutes))], id)
			method := "GET"
			if strings.Count(route, "/") == 4 {
				method = "PUT"
			}
			if r.IntN(5) == 0 {
				out = append(out, badRequest{"sourcing", []string{"GET", "PUT"}[r.IntN(2)], "/api/events/0" + eventID, "application/json", `{"event":{"name":"x"}}`})
				continue
			}
			out = append(out, badRequest{"core", method, route, "application/json", `{"contact-alert-type":"Both"}`})
		case 4: // a body that is not what the API reads
			op := coreOps[r.IntN(len(coreOps))]
			kinds := []badRequest{
				{"core", op[1], op[2], "text/plain", `{"contact-alert-type":"Technical"}`},
				{"core", op[1], op[2], "application/xml", "<integration-error><status>x</status>"},
				{"core", op[1], op[2], "application/xml", "<integration-error>&#xD800;</integration-error>"},
				{"core", op[1], op[2], "application/json", strings.Repeat(" ", 70<<10) + "{}"},
			}
			out = append(out, kinds[r.IntN(len(kinds))])
		}
	}
	return out
}

// snapshot lists every resource through the API, the whole state a client
// sees.
func snapshot(t *testing.T, core, cso *httptest.Server) string {
	t.Helper()
	var b strings.Builder
	for _, u := range []string{core.URL + "/api/integration_errors?limit=50", core.URL + "/api/integration_history_records?limit=50",
		core.URL + "/api/integrations?limit=50", core.URL + "/api/integration_runs?limit=50", cso.URL + "/api/events?limit=50"} {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b.Write(body)
	}
	return b.String()
}

// TestBadInputOverHTTP sends 1,200 bad requests drawn from the classes of
// issue 12 over loopback, eight at a time: none is answered 5xx or 2xx,
// no connection is reset, and the state is the same afterwards.
func TestBadInputOverHTTP(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 3, Records: 5, MaxBodyBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	coreClient, csoClient := newClient(t, m.CoreHandler(), openapi.Core), newClient(t, m.SourcingHandler(), openapi.Sourcing)
	core, cso := coreClient.srv, csoClient.srv
	events := firstEvents(t, csoClient)
	before := snapshot(t, core, cso)
	alerts := len(m.Alerts())
	reqs := badInputs(t, 1200, events[0].ID)
	work := make(chan badRequest)
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for br := range work {
				base := core.URL
				if br.api == "sourcing" {
					base = cso.URL
				}
				req, err := http.NewRequest(br.method, base+br.path, bytes.NewReader([]byte(br.body)))
				if err != nil {
					t.Errorf("%s %s: %v", br.method, br.path, err)
					continue
				}
				if br.contentType != "" {
					req.Header.Set("Content-Type", br.contentType)
				}
				req.Header.Set("Accept", []string{"application/json", "application/xml"}[len(br.body)%2])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("%s %s: the connection failed: %v", br.method, br.path, err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
				if resp.StatusCode >= 500 || resp.StatusCode < 400 {
					t.Errorf("%s %s %.80q: status %d, want a 4xx", br.method, br.path, br.body, resp.StatusCode)
				}
			}
		}()
	}
	for _, br := range reqs {
		work <- br
	}
	close(work)
	wg.Wait()
	t.Logf("statuses: %v", statuses)
	if after := snapshot(t, core, cso); after != before {
		t.Error("the state changed after rejected requests")
	}
	if len(m.Alerts()) != alerts {
		t.Error("rejected requests raised alerts")
	}
}
