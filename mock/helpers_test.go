package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/openapi"
)

// apiClient talks to one API of a mock over loopback HTTP and validates
// every response against that API's spec, failing the test on any
// violation: an undocumented status included.
type apiClient struct {
	tb     testing.TB
	srv    *httptest.Server
	router routers.Router
}

func newClient(tb testing.TB, h http.Handler, load func() (*openapi3.T, error)) *apiClient {
	tb.Helper()
	doc, err := load()
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return &apiClient{tb: tb, srv: srv, router: router}
}

// newMock starts a seeded mock and returns clients for its two APIs.
func newMock(tb testing.TB, opts mock.Options) (*mock.Mock, *apiClient, *apiClient) {
	tb.Helper()
	m, err := mock.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return m, newClient(tb, m.CoreHandler(), openapi.Core), newClient(tb, m.SourcingHandler(), openapi.Sourcing)
}

// response is an answer already read and validated.
type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.body, err)
	}
}

// errors returns the messages of a Coupa error body, all resources merged.
func (r response) errors(tb testing.TB) []string {
	tb.Helper()
	var body struct {
		Errors map[string][]string `json:"errors"`
	}
	r.decode(tb, &body)
	var out []string
	for _, msgs := range body.Errors {
		out = append(out, msgs...)
	}
	if len(out) == 0 {
		tb.Fatalf("error body without messages: %s", r.body)
	}
	return out
}

// do sends a request; body may be nil, a string (sent as is) or a value
// (sent as JSON).
func (c *apiClient) do(method, path string, body any) response {
	c.tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.tb.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.srv.URL+path, rd)
	if err != nil {
		c.tb.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	return c.send(req)
}

// send sends a request as a JSON client: with Accept: application/json
// unless the request says otherwise.
func (c *apiClient) send(req *http.Request) response {
	c.tb.Helper()
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.tb.Fatal(err)
	}
	// Projected answers (return_object, fields) hold exactly the elements
	// asked for, so the schema's required lists do not apply: the tests
	// check their shape themselves.
	q := req.URL.Query()
	if !strings.HasPrefix(req.URL.Path, "/_mock/") && !q.Has("return_object") && !q.Has("fields") {
		c.validate(req, resp, data)
	}
	return response{status: resp.StatusCode, body: data, header: resp.Header}
}

// validate checks one response against the spec.
func (c *apiClient) validate(req *http.Request, resp *http.Response, data []byte) {
	c.tb.Helper()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		// Routes the spec does not have are answered 404 or 405 by design.
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			c.tb.Errorf("%s %s: no route in the spec, yet status %d", req.Method, req.URL, resp.StatusCode)
		}
		return
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(data)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		c.tb.Errorf("%s %s: response %d violates the spec: %v\nbody: %s", req.Method, req.URL, resp.StatusCode, err, data)
	}
	if bytes.Contains(data, []byte("null")) && json.Valid(data) {
		var v any
		_ = json.Unmarshal(data, &v)
		if hasNull(v) {
			c.tb.Errorf("%s %s: response has a null value: %s", req.Method, req.URL, data)
		}
	}
}

func hasNull(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range x {
			if hasNull(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasNull(e) {
				return true
			}
		}
	}
	return false
}

// expect fails the test unless the response has the wanted status.
func (r response) expect(tb testing.TB, status int) response {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// anyContains reports whether one of msgs contains every part.
func anyContains(msgs []string, parts ...string) bool {
	for _, m := range msgs {
		ok := true
		for _, p := range parts {
			if !strings.Contains(m, p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
