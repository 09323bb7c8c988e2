package openapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// TestFastPathIsKinOpenAPI sends every operation of both specs requests
// with many path values, with and without a query or a body: whenever the
// fast path proves one valid, kin-openapi finds nothing wrong with it and
// leaves it as it was. And the fast path does take the shows.
func TestFastPathIsKinOpenAPI(t *testing.T) {
	values := []string{"1", "2", "42", "0", "-1", "+1", "01", "1.0", "1e3", "0x10", " 1", "1 ", "abc", "",
		"9007199254740992", "9007199254740993", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"2147483647", "2147483648", "922053875322056532", "9220538753220565329", "%31"}
	taken := map[string]bool{}
	for _, load := range []func() (*Validator, error){CoreValidator, SourcingValidator} {
		v, err := load()
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range v.routes {
			for method, route := range pr.checks {
				for _, val := range values {
					for _, extra := range []string{"", "?fields=x", "?limit=5", "body"} {
						path := "/" + strings.ReplaceAll(strings.ReplaceAll(pr.template[1:], "{id}", url.PathEscape(val)), "{event_id}", url.PathEscape(val))
						var r *http.Request
						switch extra {
						case "body":
							r = httptest.NewRequest(method, "http://x"+path, strings.NewReader(`{}`))
							r.Header.Set("Content-Type", "application/json")
						default:
							r = httptest.NewRequest(method, "http://x"+path+extra, nil)
						}
						m := &Match{}
						m.params = m.inline[:0]
						if !pr.match(strings.TrimPrefix(r.URL.Path, "/"), m) {
							continue
						}
						params := m.PathParams()
						if !v.fastValid(r, route, m) {
							continue
						}
						taken[route.Operation.OperationID] = true
						before := r.URL.String()
						err := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
							Options: &openapi3filter.Options{MultiError: true, ExcludeReadOnlyValidations: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}})
						if err != nil {
							t.Errorf("%s %s%s: the fast path proves it valid, kin-openapi says %v", method, path, extra, err)
						}
						if r.URL.String() != before {
							t.Errorf("%s %s: kin-openapi changed the URL to %s", method, path, r.URL)
						}
					}
				}
			}
		}
	}
	for _, op := range []string{"showIntegrationError", "showIntegrationHistoryRecord", "showIntegrationRun", "showIntegration"} {
		if !taken[op] {
			t.Errorf("the fast path never took %s", op)
		}
	}
}

// TestFastPathLeavesHeadersAndCookies: an operation with a header or a
// cookie parameter, which a request may send with no query and no body,
// is always judged by kin-openapi.
func TestFastPathLeavesHeadersAndCookies(t *testing.T) {
	for _, in := range []string{"header", "cookie"} {
		doc, err := openapi3.NewLoader().LoadFromData([]byte(`openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
        - {name: mode, in: ` + in + `, schema: {type: string, enum: [a, b]}}
      responses:
        "200": {description: ok}
`))
		if err != nil {
			t.Fatal(err)
		}
		v, err := NewValidator(doc)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "http://x/things/5", nil)
		if in == "header" {
			r.Header.Set("mode", "zzz")
		} else {
			r.Header.Set("Cookie", "mode=zzz")
		}
		m, err := v.Route(r)
		if err != nil {
			t.Fatal(err)
		}
		if v.fastValid(r, m.check, m) {
			t.Errorf("%s parameter: the fast path took the request", in)
		}
		if err := v.ValidateRequest(context.Background(), r, m, RequestOptions{}); err == nil {
			t.Errorf("%s parameter %q: no error", in, "zzz")
		}
	}
}
