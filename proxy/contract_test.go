package proxy_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/proxy"
)

// breaker is a test-only upstream: the mock, with its answers to the
// requests that carry an X-Break header changed so that they break the
// contract, as the change of that name does.
type breaker struct {
	next    http.Handler
	changes map[string]func(status int, h http.Header, body []byte) (int, []byte)
}

func (b breaker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	change := b.changes[r.Header.Get("X-Break")]
	if change == nil {
		b.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	b.next.ServeHTTP(rec, r)
	status, body := change(rec.Code, rec.Header(), rec.Body.Bytes())
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// editJSON decodes body, lets edit change it, and encodes it again.
func editJSON(t *testing.T, edit func(v any) any) func(int, http.Header, []byte) (int, []byte) {
	return func(status int, _ http.Header, body []byte) (int, []byte) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Errorf("the mock's answer is not JSON: %v: %s", err, body)
			return status, body
		}
		out, err := json.Marshal(edit(v))
		if err != nil {
			t.Fatal(err)
		}
		return status, out
	}
}

func first(v any) map[string]any {
	switch x := v.(type) {
	case []any:
		return x[0].(map[string]any)
	case map[string]any:
		if evs, ok := x["events"].([]any); ok {
			return evs[0].(map[string]any)
		}
		return x
	}
	return nil
}

func setIn(key string, val any) func(any) any {
	return func(v any) any { first(v)[key] = val; return v }
}

// TestBrokenUpstreams puts upstreams that break the contract in distinct
// ways behind the proxy: each is reported as a response violation by the
// rule expected, and the client still gets the answer unchanged.
func TestBrokenUpstreams(t *testing.T) {
	long := strings.Repeat("x", 256)
	cases := []struct {
		name   string
		api    string // "core" or "sourcing"
		path   string // requested, with its query
		accept string
		change func(*testing.T) func(int, http.Header, []byte) (int, []byte)
		rule   string
	}{
		{name: "undocumented status", path: "/api/integration_errors/1", rule: "response.status",
			change: func(*testing.T) func(int, http.Header, []byte) (int, []byte) {
				return func(_ int, _ http.Header, b []byte) (int, []byte) { return http.StatusTeapot, b }
			}},
		{name: "value outside the enum", path: "/api/integration_errors?limit=3", rule: "response.enum",
			change: func(t *testing.T) func(int, http.Header, []byte) (int, []byte) {
				return editJSON(t, setIn("contact-alert-type", "technical"))
			}},
		{name: "required element missing", path: "/api/integration_errors/1", rule: "response.required",
			change: func(t *testing.T) func(int, http.Header, []byte) (int, []byte) {
				return editJSON(t, func(v any) any { delete(v.(map[string]any), "id"); return v })
			}},
		{name: "wrong type", path: "/api/integration_history_records/2", rule: "response.type",
			change: func(t *testing.T) func(int, http.Header, []byte) (int, []byte) {
				return editJSON(t, setIn("resolved", "no"))
			}},
		{name: "datetime without an offset", path: "/api/integrations/1", rule: "response.format",
			change: func(t *testing.T) func(int, http.Header, []byte) (int, []byte) {
				return editJSON(t, setIn("created-at", "2026-11-01 10:00"))
			}},
		{name: "unknown element", path: "/api/integration_runs/1", rule: "response.element",
			change: func(t *testing.T) func(int, http.Header, []byte) (int, []byte) {
				return editJSON(t, setIn("statut", "réussi"))
			}},
		{name: "write-only element shown", path: "/api/integration_errors/3", rule: "response.write-only",
			change: func(t *testing.T) func(int, http.Header, []byte) (int, []byte) {
				return editJSON(t, setIn("integration-run", map[string]any{"id": 1}))
			}},
		{name: "null value", api: "sourcing", path: "/api/events?limit=2", rule: "response.null",
			change: func(t *testing.T) func(int, http.Header, []byte) (int, []byte) {
				return editJSON(t, func(v any) any {
					first(v)["settings"].(map[string]any)["currency"] = nil
					return v
				})
			}},
		{name: "page beyond the limit", path: "/api/integration_history_records?limit=2", rule: "response.limit",
			change: func(t *testing.T) func(int, http.Header, []byte) (int, []byte) {
				return editJSON(t, func(v any) any { l := v.([]any); return append(l, l[0]) })
			}},
		{name: "error not in Coupa's format", path: "/api/integration_errors/999999", rule: "response.error-format",
			change: func(*testing.T) func(int, http.Header, []byte) (int, []byte) {
				return func(s int, _ http.Header, _ []byte) (int, []byte) {
					return s, []byte(`{"error":"Not Found","status":404}`)
				}
			}},
		{name: "not JSON", path: "/api/integrations?limit=1", rule: "response.json",
			change: func(*testing.T) func(int, http.Header, []byte) (int, []byte) {
				return func(s int, _ http.Header, b []byte) (int, []byte) { return s, b[:len(b)/2] }
			}},
		{name: "HTML for JSON", path: "/api/integrations/2", rule: "response.content-type",
			change: func(*testing.T) func(int, http.Header, []byte) (int, []byte) {
				return func(s int, h http.Header, _ []byte) (int, []byte) {
					h.Set("Content-Type", "text/html")
					return s, []byte("<html><body>Maintenance</body></html>")
				}
			}},
		{name: "XML list without type=array", path: "/api/integration_errors?limit=2", accept: "application/xml", rule: "response.xml",
			change: func(*testing.T) func(int, http.Header, []byte) (int, []byte) {
				return func(s int, _ http.Header, b []byte) (int, []byte) {
					return s, bytes.Replace(b, []byte(`<integration-errors type="array">`), []byte(`<integration-errors>`), 1)
				}
			}},
		{name: "XML error not in Coupa's format", path: "/api/integration_errors/999999", accept: "application/xml", rule: "response.error-format",
			change: func(*testing.T) func(int, http.Header, []byte) (int, []byte) {
				return func(s int, _ http.Header, b []byte) (int, []byte) {
					return s, bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("<error>"), []byte("<message>")), []byte("</error>"), []byte("</message>"))
				}
			}},
		{name: "19-digit id as a number", api: "sourcing", path: "/api/events?limit=1", rule: "response.type",
			change: func(*testing.T) func(int, http.Header, []byte) (int, []byte) {
				return func(s int, _ http.Header, b []byte) (int, []byte) {
					i := bytes.Index(b, []byte(`"id":"`))
					j := bytes.IndexByte(b[i+6:], '"')
					return s, slices.Concat(b[:i+5], b[i+6:i+6+j], b[i+7+j:])
				}
			}},
		{name: "too long", path: "/api/integration_errors/4", rule: "response.constraint",
			change: func(t *testing.T) func(int, http.Header, []byte) (int, []byte) {
				return editJSON(t, setIn("external-id", long))
			}},
	}
	m, err := mock.New(mock.Options{Seed: 1, Records: 5})
	if err != nil {
		t.Fatal(err)
	}
	core := breaker{next: m.CoreHandler(), changes: map[string]func(int, http.Header, []byte) (int, []byte){}}
	cso := breaker{next: m.SourcingHandler(), changes: map[string]func(int, http.Header, []byte) (int, []byte){}}
	for _, tc := range cases {
		if tc.api == "sourcing" {
			cso.changes[tc.name] = tc.change(t)
		} else {
			core.changes[tc.name] = tc.change(t)
		}
	}
	st := newStack(t, proxy.Options{}, core, cso)
	rules := map[string]bool{}
	for _, tc := range cases {
		rules[tc.rule] = true
		t.Run(tc.name, func(t *testing.T) {
			st.clearViolations(t)
			base, upstream := st.coreURL, st.upCore
			if tc.api == "sourcing" {
				base, upstream = st.csoURL, st.upSrc
			}
			accept := tc.accept
			if accept == "" {
				accept = "application/json"
			}
			header := http.Header{"Accept": {accept}, "X-Break": {tc.name}}
			got := send(t, http.MethodGet, base+tc.path, header, nil)
			want := send(t, http.MethodGet, upstream+tc.path, header, nil)
			if got.status != want.status || !bytes.Equal(got.body, want.body) {
				t.Errorf("the proxy changed the answer: got %d %q, want %d %q", got.status, got.body, want.status, want.body)
			}
			vs := st.proxy.Violations()
			var seen []string
			for _, v := range vs {
				seen = append(seen, v.Rule)
				if v.Side != proxy.SideResponse {
					t.Errorf("violation on the %s side: %+v", v.Side, v)
				}
				if v.Spec == "" || v.Message == "" || v.Response == nil || v.Response.Status != want.status {
					t.Errorf("violation lacks its spec pointer, message or response: %+v", v)
				}
			}
			if !slices.Contains(seen, tc.rule) {
				t.Errorf("rules reported: %v; want %s\n%+v", seen, tc.rule, vs)
			}
		})
	}
	if len(rules) < 10 {
		t.Errorf("only %d distinct rules exercised", len(rules))
	}
}

type got struct {
	status int
	header http.Header
	body   []byte
}

// send sends a request with header and body and reads the answer.
func send(t testing.TB, method, url string, header http.Header, body []byte) got {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) got {
	t.Helper()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return got{status: resp.StatusCode, header: resp.Header, body: body}
}
