package proxy_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/proxy"
)

// echo is a test-only upstream that answers with what it received.
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Upstream", "echo")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"method": r.Method, "uri": r.RequestURI, "header": r.Header, "body": string(body), "host": r.Host,
	})
}

// TestForwardsUnchanged shows that the method, the path and query bytes as
// sent, the headers (credentials included) and the body reach the upstream,
// and that the answer's status, headers and body come back.
func TestForwardsUnchanged(t *testing.T) {
	st := newStack(t, proxy.Options{}, http.HandlerFunc(echo), nil)
	uris := []string{
		"/api/integration_errors?updated-at%5Bgt%5D=2026-11-01T00:00:00%2B00:00&integration[code][in]=A,B&b=1&a=2&a=1",
		"/api/integration_errors?resolved=false&limit=5",
		"/api/integration_errors/1",
		"/oauth2/token?client_id=x",
		"/somewhere/else;x=1?%7E=%7e",
	}
	for _, uri := range uris {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			body := []byte(`{"external-id": "SAP-1", "id": 9220538753220565329}`)
			header := http.Header{
				"Authorization": {"Bearer abc.def"}, "X-Coupa-Api-Key": {"k"}, "X-Custom": {"1", "2"},
				"Content-Type": {"application/json"}, "Accept": {"application/json"}, "X-Forwarded-For": {"10.0.0.1"},
			}
			g := send(t, method, st.coreURL+uri, header, body)
			if g.status != http.StatusOK || g.header.Get("X-Upstream") != "echo" {
				t.Fatalf("%s %s: %d %v", method, uri, g.status, g.header)
			}
			var seen struct {
				Method, URI, Body, Host string
				Header                  http.Header
			}
			if err := json.Unmarshal(g.body, &seen); err != nil {
				t.Fatal(err)
			}
			if seen.Method != method || seen.URI != uri || seen.Body != string(body) {
				t.Errorf("upstream saw %s %s %q; sent %s %s %q", seen.Method, seen.URI, seen.Body, method, uri, body)
			}
			for name, vals := range header {
				if strings.Join(seen.Header[name], "|") != strings.Join(vals, "|") {
					t.Errorf("%s: upstream saw %v, sent %v", name, seen.Header[name], vals)
				}
			}
			if seen.Host != strings.TrimPrefix(st.upCore, "http://") {
				t.Errorf("Host %q: want the upstream's", seen.Host)
			}
		}
	}
}

// TestNineteenDigitIDsIntact lists events through the proxy: the bytes are
// the upstream's, 19-digit ids included.
func TestNineteenDigitIDsIntact(t *testing.T) {
	st := newMockStack(t, proxy.Options{})
	h := http.Header{"X-CSO-API-KEY": {"coupakit-cso-key"}}
	got := send(t, http.MethodGet, st.csoURL+"/api/events?limit=5", h, nil)
	want := send(t, http.MethodGet, st.upSrc+"/api/events?limit=5", h, nil)
	if got.status != http.StatusOK || !bytes.Equal(got.body, want.body) {
		t.Fatalf("got %d %s\nwant %s", got.status, got.body, want.body)
	}
	if !regexp.MustCompile(`"id":"[0-9]{19}"`).Match(got.body) {
		t.Errorf("no 19-digit id in %s", got.body)
	}
	if vs := st.proxy.Violations(); len(vs) != 0 {
		t.Errorf("violations: %+v", vs)
	}
}

// gzipped answers gzipped when the client accepts it, as a real server
// behind a CDN does.
func gzipped(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(rec.Body.Bytes())
		_ = zw.Close()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(buf.Bytes())
	})
}

// TestGzipPassedThrough: a gzipped answer reaches the client gzipped, byte
// for byte, and is judged decoded: a good one gives no violation, a bad
// one its rule.
func TestGzipPassedThrough(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 5})
	if err != nil {
		t.Fatal(err)
	}
	bad := breaker{next: m.CoreHandler(), changes: map[string]func(int, http.Header, []byte) (int, []byte){
		"enum": editJSON(t, setIn("contact-alert-type", "technical")),
	}}
	st := newStack(t, proxy.Options{}, gzipped(bad), nil)
	for _, tc := range []struct{ brk, rule string }{{"", ""}, {"enum", "response.enum"}} {
		st.clearViolations(t)
		h := http.Header{"Accept": {"application/json"}, "Accept-Encoding": {"gzip"}, "X-Break": {tc.brk}}
		got := send(t, http.MethodGet, st.coreURL+"/api/integration_errors?limit=2", h, nil)
		want := send(t, http.MethodGet, st.upCore+"/api/integration_errors?limit=2", h, nil)
		if got.header.Get("Content-Encoding") != "gzip" || !bytes.Equal(got.body, want.body) {
			t.Fatalf("not passed through: %v %q", got.header, got.body)
		}
		zr, err := gzip.NewReader(bytes.NewReader(got.body))
		if err != nil {
			t.Fatal(err)
		}
		if plain, err := io.ReadAll(zr); err != nil || !bytes.HasPrefix(plain, []byte(`[{"`)) {
			t.Fatalf("gunzipped: %v %q", err, plain)
		}
		var rules []string
		for _, v := range st.proxy.Violations() {
			rules = append(rules, v.Rule)
		}
		if (tc.rule == "" && len(rules) > 0) || (tc.rule != "" && strings.Join(rules, ",") != tc.rule) {
			t.Errorf("break %q: rules %v, want %q", tc.brk, rules, tc.rule)
		}
	}
}

// TestStreams shows the answer is streamed: the client reads the first
// part before the upstream has written the rest.
func TestStreams(t *testing.T) {
	release := make(chan struct{})
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"id": 1`)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		_, _ = io.WriteString(w, `}]`)
	})
	st := newStack(t, proxy.Options{}, up, nil)
	req, _ := http.NewRequest(http.MethodGet, st.coreURL+"/api/integrations", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 9)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != `[{"id": 1` {
		t.Fatalf("first part: %q %v", buf, err)
	}
	close(release)
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != `}]` {
		t.Errorf("rest: %q", rest)
	}
}

// TestThrottlingPassesThrough: 429 and Retry-After reach the client as the
// upstream sent them, and are no violation.
func TestThrottlingPassesThrough(t *testing.T) {
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"errors":{"rate-limit":["too many requests"]}}`)
	})
	st := newStack(t, proxy.Options{}, up, nil)
	g := send(t, http.MethodGet, st.coreURL+"/api/integration_errors", http.Header{"Accept": {"application/json"}}, nil)
	if g.status != http.StatusTooManyRequests || g.header.Get("Retry-After") != "2" {
		t.Errorf("got %d, Retry-After %q", g.status, g.header.Get("Retry-After"))
	}
	if vs := st.proxy.Violations(); len(vs) != 0 {
		t.Errorf("violations: %+v", vs)
	}
}

// TestUpstreamDownOrSlow: an upstream that refuses connections gives 502,
// one slower than the timeout 504, both in Coupa's format naming the cause.
func TestUpstreamDownOrSlow(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	for _, tc := range []struct {
		name, upstream, accept string
		status                 int
		body                   string
	}{
		{"down", closed, "application/json", http.StatusBadGateway, `{"errors":{"integration-error":["the upstream 127.0.0.1:`},
		{"down, XML", closed, "", http.StatusBadGateway, `<errors>`},
		{"slow", slow.URL, "application/json", http.StatusGatewayTimeout, `did not answer within 100ms`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := proxy.New(proxy.Options{Upstream: tc.upstream, Timeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			srv := httptest.NewServer(p.CoreHandler())
			defer srv.Close()
			h := http.Header{}
			if tc.accept != "" {
				h.Set("Accept", tc.accept)
			}
			g := send(t, http.MethodGet, srv.URL+"/api/integration_errors/1", h, nil)
			if g.status != tc.status || !strings.Contains(string(g.body), tc.body) {
				t.Errorf("got %d %s; want %d with %q", g.status, g.body, tc.status, tc.body)
			}
		})
	}
}

// counting counts the requests that reach next.
type counting struct {
	next http.Handler
	n    atomic.Int64
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.n.Add(1)
	c.next.ServeHTTP(w, r)
}

// TestEnforce: a request that breaks the contract is answered 400 in
// Coupa's format without reaching the upstream; an answer that breaks it
// becomes 502 naming the violation; a good exchange passes unchanged.
func TestEnforce(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 5})
	if err != nil {
		t.Fatal(err)
	}
	up := &counting{next: breaker{next: m.CoreHandler(), changes: map[string]func(int, http.Header, []byte) (int, []byte){
		"enum": editJSON(t, setIn("contact-alert-type", "technical")),
	}}}
	st := newStack(t, proxy.Options{Enforce: true}, up, nil)
	jsonH := http.Header{"Accept": {"application/json"}, "Content-Type": {"application/json"}}
	cases := []struct {
		name, method, path, body, brk, accept string
		status                                int
		forwarded                             bool
		contains                              string
		rule                                  string
	}{
		{name: "good", method: "GET", path: "/api/integration_errors/1", status: 200, forwarded: true, contains: `"id":1`},
		{name: "bad body", method: "POST", path: "/api/integration_errors", body: `{"contact-alert-type": "technical"}`, status: 400,
			contains: `{"errors":{"integration-error":["/contact-alert-type: \"technical\" is not an allowed value`, rule: "request.enum"},
		{name: "bad filter, XML", method: "GET", path: "/api/integration_errors?statut=1", accept: "application/xml", status: 400,
			contains: `<errors>`, rule: "request.filter"},
		// Quality values count, as the mock weighs them.
		{name: "bad filter, JSON by quality", method: "GET", path: "/api/integration_errors?statut=1", accept: "application/xml;q=0.1, application/json", status: 400,
			contains: `{"errors":{"integration-error":[`, rule: "request.filter"},
		{name: "bad filter, XML by quality", method: "GET", path: "/api/integration_errors?statut=1", accept: "application/json;q=0.1, application/xml", status: 400,
			contains: `<errors>`, rule: "request.filter"},
		{name: "bad answer", method: "GET", path: "/api/integration_errors/2", brk: "enum", status: 502, forwarded: true,
			contains: `response.enum`, rule: "response.enum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st.clearViolations(t)
			before := up.n.Load()
			h := jsonH.Clone()
			if tc.accept != "" {
				h.Set("Accept", tc.accept)
			}
			h.Set("X-Break", tc.brk)
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			g := send(t, tc.method, st.coreURL+tc.path, h, body)
			if g.status != tc.status || !strings.Contains(string(g.body), tc.contains) {
				t.Errorf("got %d %s; want %d with %q", g.status, g.body, tc.status, tc.contains)
			}
			if forwarded := up.n.Load() > before; forwarded != tc.forwarded {
				t.Errorf("forwarded: %v, want %v", forwarded, tc.forwarded)
			}
			vs := st.proxy.Violations()
			if tc.rule == "" && len(vs) > 0 {
				t.Errorf("violations: %+v", vs)
			}
			if tc.rule != "" && (len(vs) != 1 || vs[0].Rule != tc.rule || !vs[0].Enforced) {
				t.Errorf("violations: %+v; want one enforced %s", vs, tc.rule)
			}
		})
	}
}

// TestLargeBodies: bodies beyond MaxBodyBytes are forwarded whole and not
// judged; under Enforce a request body beyond it is refused with 413.
func TestLargeBodies(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, enforce := range []bool{false, true} {
		st := newStack(t, proxy.Options{MaxBodyBytes: 1000, Enforce: enforce}, m.CoreHandler(), nil)
		h := http.Header{"Accept": {"application/json"}}
		got := send(t, http.MethodGet, st.coreURL+"/api/integration_errors", h, nil)
		want := send(t, http.MethodGet, st.upCore+"/api/integration_errors", h, nil)
		if got.status != 200 || len(want.body) <= 1000 || !bytes.Equal(got.body, want.body) {
			t.Errorf("enforce=%v: got %d, %d bytes; want %d bytes", enforce, got.status, len(got.body), len(want.body))
		}
		big := []byte(`{"contact-alert-type": "Technical", "external-id": "` + strings.Repeat("x", 2000) + `"}`)
		h.Set("Content-Type", "application/json")
		g := send(t, http.MethodPost, st.coreURL+"/api/integration_errors", h, big)
		switch {
		case enforce && (g.status != http.StatusRequestEntityTooLarge || !strings.Contains(string(g.body), "larger than 1000 bytes")):
			t.Errorf("enforce: a large request: %d %s", g.status, g.body)
		case !enforce && g.status != http.StatusBadRequest: // the mock's answer: external-id too long
			t.Errorf("a large request: %d %s", g.status, g.body)
		}
		if vs := st.proxy.Violations(); len(vs) != 0 {
			t.Errorf("enforce=%v: bodies beyond the bound were judged: %+v", enforce, vs)
		}
	}
}

// TestAfterClose: an exchange that arrives after Close is still forwarded
// and judged.
func TestAfterClose(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 2})
	if err != nil {
		t.Fatal(err)
	}
	st := newStack(t, proxy.Options{}, m.CoreHandler(), nil)
	st.proxy.Close()
	g := send(t, http.MethodGet, st.coreURL+"/api/integration_errors?statut=x", http.Header{"Accept": {"application/json"}}, nil)
	if g.status != http.StatusBadRequest {
		t.Errorf("got %d %s", g.status, g.body)
	}
	if vs := st.proxy.Violations(); len(vs) != 1 || vs[0].Rule != "request.filter" {
		t.Errorf("violations after Close: %+v", vs)
	}
}
