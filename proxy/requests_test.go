package proxy_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/proxy"
)

// TestRequestViolations sends requests that break the contract in distinct
// ways, and valid ones, through the proxy to the mock: each bad one is a
// request violation by the rule expected, and no valid one is a violation.
func TestRequestViolations(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 5})
	if err != nil {
		t.Fatal(err)
	}
	st := newStack(t, proxy.Options{}, m.CoreHandler(), m.SourcingHandler())
	xmlError := `<?xml version="1.0" encoding="UTF-8"?><integration-error><contact-alert-type>Technical</contact-alert-type></integration-error>`
	cases := []struct {
		name, api, method, path, ctype, body string
		rule                                 string // "" for a valid request
	}{
		{name: "list", method: "GET", path: "/api/integration_errors?resolved=false&limit=5&integration%5Bcode%5D%5Bin%5D=A,B"},
		{name: "poll", method: "GET", path: "/api/integration_history_records?updated_at%5Bgt%5D=2026-11-01T00:00:00%2B01:00&order_by=updated-at&dir=desc"},
		{name: "limit above the cap", method: "GET", path: "/api/integrations?limit=500"},
		{name: "create", method: "POST", path: "/api/integration_errors", body: `{"contact-alert-type": "Both", "id": 7}`},
		{name: "create in XML", method: "POST", path: "/api/integration_errors", ctype: "application/xml", body: xmlError},
		{name: "events", api: "sourcing", method: "GET", path: "/api/events?name%5Bcontains%5D=IT&limit=250"},
		{name: "unknown path", method: "GET", path: "/api/integration_erors", rule: "request.operation"},
		{name: "method not allowed", method: "DELETE", path: "/api/integration_errors/1", rule: "request.operation"},
		{name: "limit 0", method: "GET", path: "/api/integration_errors?limit=0", rule: "request.parameter"},
		{name: "dir", method: "GET", path: "/api/integration_errors?dir=up", rule: "request.parameter"},
		{name: "fields", method: "GET", path: "/api/integration_errors?fields=id", rule: "request.parameter"},
		{name: "unknown filter", method: "GET", path: "/api/integration_errors?statut=ouvert", rule: "request.filter"},
		{name: "bad datetime", method: "GET", path: "/api/integration_errors?updated-at%5Bgt%5D=yesterday", rule: "request.filter"},
		{name: "unknown operator", api: "sourcing", method: "GET", path: "/api/events?name%5Blike%5D=IT", rule: "request.filter"},
		{name: "order_by", method: "GET", path: "/api/integration_runs?order_by=nope", rule: "request.filter"},
		{name: "text body", method: "POST", path: "/api/integrations", ctype: "text/plain", body: "code=X", rule: "request.content-type"},
		{name: "XML events", api: "sourcing", method: "POST", path: "/api/events", ctype: "application/xml", body: "<events/>", rule: "request.content-type"},
		{name: "XML root", method: "POST", path: "/api/integration_errors", ctype: "application/xml", body: "<error/>", rule: "request.xml"},
		{name: "enum", method: "POST", path: "/api/integration_errors", body: `{"contact-alert-type": "technical"}`, rule: "request.enum"},
		{name: "required", method: "POST", path: "/api/integration_errors", body: `{"status": "error"}`, rule: "request.required"},
		{name: "type", method: "POST", path: "/api/integration_errors", body: `{"contact-alert-type": "Both", "document-id": "x"}`, rule: "request.type"},
		{name: "element", method: "POST", path: "/api/integration_errors", body: `{"contact-alert-type": "Both", "statut": "x"}`, rule: "request.element"},
		{name: "too long", method: "PUT", path: "/api/integration_errors/1", body: `{"external-id": "` + longString(256) + `"}`, rule: "request.constraint"},
		{name: "not JSON", method: "POST", path: "/api/integration_errors", body: `{"contact-alert-type": `, rule: "request.body"},
		{name: "event state", api: "sourcing", method: "POST", path: "/api/events", body: `{"events": [{"name": "x", "market-id": "1", "state": "Einrichtung"}]}`, rule: "request.enum"},
	}
	rules := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st.clearViolations(t)
			base := st.coreURL
			if tc.api == "sourcing" {
				base = st.csoURL
			}
			h := http.Header{"Accept": {"application/json"}}
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
				h.Set("Content-Type", "application/json")
				if tc.ctype != "" {
					h.Set("Content-Type", tc.ctype)
				}
			}
			send(t, tc.method, base+tc.path, h, body)
			var seen []string
			for _, v := range st.proxy.Violations() {
				seen = append(seen, v.Rule)
				if v.Side != proxy.SideRequest {
					t.Errorf("a %s violation: %+v", v.Side, v)
				}
			}
			switch {
			case tc.rule == "" && len(seen) > 0:
				t.Errorf("a valid request gave %v: %+v", seen, st.proxy.Violations())
			case tc.rule != "" && !slices.Contains(seen, tc.rule):
				t.Errorf("rules %v; want %s", seen, tc.rule)
			}
		})
		if tc.rule != "" {
			rules[tc.rule] = true
		}
	}
	if len(rules) < 10 {
		t.Errorf("only %d distinct request rules", len(rules))
	}
}

func longString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'x'
	}
	return string(b)
}
