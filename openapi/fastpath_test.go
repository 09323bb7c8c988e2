package openapi

import (
	"context"
	"fmt"
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
						parts, _ := splitPath(strings.TrimPrefix(r.URL.Path, "/"), nil)
						if !pr.match(parts, m) {
							continue
						}
						params := m.PathParams()
						if !pr.plans[method].valid(r, m) {
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

// thingsValidator is the validator of a spec with one operation, GET
// /things/{id}, whose parameters are params (YAML list items, the first
// without its dash) in OpenAPI version.
func thingsValidator(t *testing.T, version, params string) *Validator {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(`openapi: ` + version + `
info: {title: t, version: "1"}
paths:
  /things/{id}:
    get:
      parameters:
        - ` + params + `
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
	return v
}

// TestFastPathLeavesHeadersAndCookies: an operation with a header or a
// cookie parameter, which a request may send with no query and no body,
// is always judged by kin-openapi.
func TestFastPathLeavesHeadersAndCookies(t *testing.T) {
	for _, in := range []string{"header", "cookie"} {
		v := thingsValidator(t, "3.0.3", `{name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
        - {name: mode, in: `+in+`, schema: {type: string, enum: [a, b]}}`)
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
		if m.plan.valid(r, m) {
			t.Errorf("%s parameter: the fast path took the request", in)
		}
		if err := v.ValidateRequest(context.Background(), r, m, RequestOptions{}); err == nil {
			t.Errorf("%s parameter %q: no error", in, "zzz")
		}
	}
}

// TestFastPathLeavesWhatItDoesNotModel: a path parameter of another style
// than simple, a query parameter with a default in a part of allOf, and a
// path parameter's schema keyword the fast path does not model each leave
// the operation to kin-openapi, whose answer ValidateRequest gives.
func TestFastPathLeavesWhatItDoesNotModel(t *testing.T) {
	for _, c := range []struct {
		name, version, params string
		wantErr               bool
		wantQuery             string // r.URL.RawQuery afterwards
	}{
		// kin-openapi wants /things/.5: /things/5 is refused.
		{name: "label style", version: "3.0.3", wantErr: true,
			params: `{name: id, in: path, required: true, style: label, schema: {type: integer, minimum: 1}}`},
		{name: "matrix style", version: "3.0.3", wantErr: true,
			params: `{name: id, in: path, required: true, style: matrix, schema: {type: integer, minimum: 1}}`},
		// kin-openapi writes the default into the URL.
		{name: "allOf query default", version: "3.0.3", wantQuery: "limit=50",
			params: `{name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
        - {name: limit, in: query, schema: {allOf: [{type: integer}, {default: 50}]}}`},
		// OpenAPI 3.1's const: 5 is not 7.
		{name: "const", version: "3.1.0", wantErr: true,
			params: `{name: id, in: path, required: true, schema: {type: integer, const: 7}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := thingsValidator(t, c.version, c.params)
			r := httptest.NewRequest("GET", "http://x/things/5", nil)
			m, err := v.Route(r)
			if err != nil {
				t.Fatal(err)
			}
			if m.plan.valid(r, m) {
				t.Fatal("the fast path took the request")
			}
			kr := httptest.NewRequest("GET", "http://x/things/5", nil)
			kerr := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{Request: kr, PathParams: m.PathParams(), Route: m.check,
				Options: &openapi3filter.Options{MultiError: true, ExcludeReadOnlyValidations: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}})
			err = v.ValidateRequest(context.Background(), r, m, RequestOptions{})
			if (err != nil) != c.wantErr {
				t.Errorf("ValidateRequest: %v; want an error: %v", err, c.wantErr)
			}
			if fmt.Sprint(err) != fmt.Sprint(kerr) {
				t.Errorf("ValidateRequest: %v; kin-openapi: %v", err, kerr)
			}
			if r.URL.RawQuery != c.wantQuery || kr.URL.RawQuery != c.wantQuery {
				t.Errorf("query afterwards %q, kin-openapi's %q; want %q", r.URL.RawQuery, kr.URL.RawQuery, c.wantQuery)
			}
		})
	}
}
