package mock_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/internal/admintest"
	"github.com/coupakit/coupakit/mock"
)

// TestLeniencyOverHTTP sends the requests of Coupa's integration guides
// and of sloppy clients, lenient and strict: lenient, each is answered as
// Coupa answers it with one Coupakit-Warning per leniency; strict, each is
// a 400 naming the element.
func TestLeniencyOverHTTP(t *testing.T) {
	type check func(t *testing.T, c *apiClient, r response)
	stored := func(elem string, want any) check {
		return func(t *testing.T, c *apiClient, r response) {
			var rec record
			r.decode(t, &rec)
			assert.Equal(t, want, rec[elem], "%s as stored", elem)
		}
	}
	cases := []struct {
		name     string
		method   string
		path     string // %d: a pending run's id
		body     func(code string) any
		status   int // lenient
		warnings []string
		check    check
		strict   []string // parts of the strict 400's message
	}{
		{
			name: "run with total_records", method: "PUT", path: "/api/integration_runs/%d/run",
			body:   func(string) any { return record{"total_records": 2} },
			status: 200, warnings: []string{`element "total_records" read as "total-records"`},
			check: stored("total-records", float64(2)), strict: []string{"total_records", "not an element"},
		},
		{
			name: "integration-run-id as a string", method: "POST", path: "/api/integration_errors",
			body:   func(code string) any { b := validError(code); b["integration-run-id"] = "1"; return b },
			status: 201, warnings: []string{`element "integration-run-id": "1" read as the integer 1`},
			check: stored("integration-run-id", float64(1)), strict: []string{"integration-run-id", "integer"},
		},
		{
			name: "underscore create body", method: "POST", path: "/api/integration_errors",
			body: func(code string) any {
				return record{"contact_alert_type": "Technical", "document_type": "InvoiceHeader", "document_id": 4711,
					"status": "error", "integration": map[string]any{"code": code}}
			},
			status: 201,
			warnings: []string{
				`element "contact_alert_type" read as "contact-alert-type"`,
				`element "document_id" read as "document-id"`,
				`element "document_type" read as "document-type"`,
			},
			check: func(t *testing.T, c *apiClient, r response) {
				var rec record
				r.decode(t, &rec)
				assert.Equal(t, "Technical", rec["contact-alert-type"])
				assert.Equal(t, "InvoiceHeader", rec["document-type"])
				assert.Equal(t, float64(4711), rec["document-id"])
			},
			strict: []string{"contact_alert_type", "not an element"},
		},
		{
			name: "unknown element", method: "POST", path: "/api/integration_errors",
			body:   func(code string) any { b := validError(code); b["comment"] = "x"; return b },
			status: 201, warnings: []string{`unknown element "comment" ignored`},
			check: func(t *testing.T, c *apiClient, r response) {
				var rec record
				r.decode(t, &rec)
				assert.NotContains(t, rec, "comment")
			},
			strict: []string{"comment", "not an element"},
		},
		{
			name: "unknown nested element", method: "POST", path: "/api/integration_errors",
			body: func(code string) any {
				b := validError(code)
				b["responses"] = []any{map[string]any{"response_code": "E-1", "code": "x"}}
				return b
			},
			status: 201, warnings: []string{`element "responses[0].response_code" read as "responses[0].response-code"`, `unknown element "responses[0].code" ignored`},
			strict: []string{"responses[0].code"},
		},
		{
			name: "a value Rails does not cast", method: "POST", path: "/api/integration_errors",
			body:   func(code string) any { b := validError(code); b["document-id"] = "12abc"; return b },
			status: 400, strict: []string{"document-id", "integer"},
		},
	}
	for _, mode := range []string{"lenient", "strict"} {
		t.Run(mode, func(t *testing.T) {
			m, c, _ := newMock(t, mock.Options{Seed: 1, Records: 2, Strict: mode == "strict"})
			code := integrationCode(t, c)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					path := tc.path
					if strings.Contains(path, "%d") {
						var run record
						c.do("POST", "/api/integration_runs", record{"integration": map[string]any{"code": code}}).expect(t, 201).decode(t, &run)
						path = fmt.Sprintf(path, run.id(t))
					}
					r := c.do(tc.method, path, tc.body(code))
					entries := m.Requests()
					entry := entries[len(entries)-1]
					if mode == "strict" {
						msgs := r.expect(t, 400).errors(t)
						assert.True(t, anyContains(msgs, tc.strict...), "want %v in %v", tc.strict, msgs)
						assert.Empty(t, r.header.Values(mock.WarningHeader))
						assert.Empty(t, entry.Warnings)
						return
					}
					r.expect(t, tc.status)
					assert.ElementsMatch(t, tc.warnings, r.header.Values(mock.WarningHeader), "warning headers")
					assert.ElementsMatch(t, tc.warnings, entry.Warnings, "journal warnings")
					if tc.check != nil {
						tc.check(t, c, r)
					}
				})
			}
		})
	}
}

// TestLeniencyXML sends an XML body with underscore names and an unknown
// element: the names are respelt and the unknown element dropped, with no
// warning about types (XML text is read by the element's schema).
func TestLeniencyXML(t *testing.T) {
	body := `<?xml version="1.0" encoding="UTF-8"?>
<integration_error>
  <contact_alert_type>Technical</contact_alert_type>
  <document_type>InvoiceHeader</document_type>
  <document_id>4711</document_id>
  <integration-run-id type="integer">1</integration-run-id>
  <status>error</status>
  <comment>hello</comment>
  <integration><code>%s</code></integration>
</integration_error>`
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("strict=%t", strict), func(t *testing.T) {
			_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 2, Strict: strict})
			code := integrationCode(t, c)
			req, err := http.NewRequest("POST", c.srv.URL+"/api/integration_errors", strings.NewReader(fmt.Sprintf(body, code)))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/xml")
			r := c.send(req)
			if strict {
				msgs := r.expect(t, 400).errors(t)
				assert.True(t, anyContains(msgs, "comment", "not an element"), "%v", msgs)
				assert.True(t, anyContains(msgs, "document_id", "not an element"), "%v", msgs)
				return
			}
			var rec record
			r.expect(t, 201).decode(t, &rec)
			assert.Equal(t, float64(4711), rec["document-id"])
			assert.Equal(t, "InvoiceHeader", rec["document-type"])
			assert.ElementsMatch(t, []string{
				`element "contact_alert_type" read as "contact-alert-type"`,
				`element "document_id" read as "document-id"`,
				`element "document_type" read as "document-type"`,
				`unknown element "comment" ignored`,
			}, r.header.Values(mock.WarningHeader))
		})
	}
}

// TestLeniencyQuery respells the names of fields and order_by, with a
// warning each; strict, a respelt name is a 400.
func TestLeniencyQuery(t *testing.T) {
	cases := []struct {
		name     string
		query    url.Values
		warnings []string
		check    func(t *testing.T, recs []record)
		strict   []string
		strictOK bool // read in strict mode too, as in lenient
	}{
		{
			name:     "fields",
			query:    url.Values{"fields": {`["id","document_type","comment"]`}},
			warnings: []string{`fields: element "document_type" read as "document-type"`, `fields: unknown element "comment" ignored`},
			check: func(t *testing.T, recs []record) {
				for _, r := range recs {
					assert.Len(t, r, 2)
					assert.Contains(t, r, "document-type")
				}
			},
			strict: []string{"fields", "document_type"},
		},
		{
			name:     "order_by",
			query:    url.Values{"order_by": {"created_at"}, "dir": {"desc"}},
			warnings: []string{`order_by: element "created_at" read as "created-at"`},
			check: func(t *testing.T, recs []record) {
				for i := 1; i < len(recs); i++ {
					assert.GreaterOrEqual(t, recs[i-1]["created-at"], recs[i]["created-at"])
				}
			},
			// Coupa's documentation writes order_by with underscores: read
			// in strict mode too.
			strictOK: true,
		},
	}
	for _, strict := range []bool{false, true} {
		_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 5, Strict: strict})
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/strict=%t", tc.name, strict), func(t *testing.T) {
				r := c.do("GET", "/api/integration_errors?"+tc.query.Encode(), nil)
				if strict && !tc.strictOK {
					msgs := r.expect(t, 400).errors(t)
					assert.True(t, anyContains(msgs, tc.strict...), "%v", msgs)
					return
				}
				var recs []record
				r.expect(t, 200).decode(t, &recs)
				require.NotEmpty(t, recs)
				assert.ElementsMatch(t, tc.warnings, r.header.Values(mock.WarningHeader))
				tc.check(t, recs)
			})
		}
	}
}

// TestRequestsWithWarnings lists the journal's requests that drew
// warnings, and those that did not, validated against admin.yaml.
func TestRequestsWithWarnings(t *testing.T) {
	spec := admintest.Load(t)
	m, c, _ := newMock(t, mock.Options{Seed: 1, Records: 2})
	code := integrationCode(t, c) // clean
	sloppy := validError(code)
	sloppy["comment"] = "x"
	c.do("POST", "/api/integration_errors", sloppy).expect(t, 201)
	c.do("POST", "/api/integration_errors", validError(code)).expect(t, 201)
	srv := httptest.NewServer(m.CoreHandler())
	defer srv.Close()

	list := func(query string, want int) []mock.Request {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+"/_mock/requests"+query, nil)
		require.NoError(t, err)
		resp, body := spec.Do(t, srv.Client(), req)
		require.Equal(t, want, resp.StatusCode, "%s", body)
		var out []mock.Request
		if want == 200 {
			require.NoError(t, json.Unmarshal(body, &out))
		}
		return out
	}
	warned := list("?warnings=true", 200)
	require.Len(t, warned, 1)
	assert.Equal(t, []string{`unknown element "comment" ignored`}, warned[0].Warnings)
	assert.Contains(t, warned[0].Body, `"comment"`, "the journal keeps the body as sent")
	clean := list("?warnings=false", 200)
	assert.Len(t, clean, 2)
	for _, e := range clean {
		assert.Empty(t, e.Warnings)
	}
	assert.Len(t, list("", 200), 3)
	list("?warnings=maybe", 400)
}

// TestLeniencySourcing reads a bulk create of events as Coupa would: the
// underscore name respelt, the number read as a string, the unknown
// element dropped, each item's warnings named by its index.
func TestLeniencySourcing(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("strict=%t", strict), func(t *testing.T) {
			_, _, s := newMock(t, mock.Options{Seed: 1, Records: 2, Strict: strict})
			body := map[string]any{"events": []any{
				map[string]any{"market_id": "9220538753220565329", "name": 2026, "Name": "Einkauf"},
			}}
			r := s.do("POST", "/api/events", body)
			if strict {
				r.expect(t, 400)
				assert.Empty(t, r.header.Values(mock.WarningHeader))
				return
			}
			var res struct {
				Added  int `json:"added"`
				Events []struct {
					ID string `json:"id"`
				} `json:"events"`
			}
			r.expect(t, 201).decode(t, &res)
			require.Equal(t, 1, res.Added)
			assert.ElementsMatch(t, []string{
				`element "events[0].market_id" read as "events[0].market-id"`,
				`element "events[0].name": 2026 read as the string "2026"`,
				`unknown element "events[0].Name" ignored`,
			}, r.header.Values(mock.WarningHeader))
			var ev record
			s.do("GET", "/api/events/"+res.Events[0].ID, nil).expect(t, 200).decode(t, &ev)
			assert.Equal(t, "2026", ev["name"])
			assert.Equal(t, "9220538753220565329", ev["market-id"])
		})
	}
}
