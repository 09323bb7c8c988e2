package openapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/openapi"
)

func TestValidatorRoutes(t *testing.T) {
	v, err := openapi.CoreValidator()
	if err != nil {
		t.Fatal(err)
	}
	reused := &openapi.Match{}
	for _, tc := range []struct {
		method, target, op string
		params             map[string]string
		err                error
	}{
		{"GET", "/api/integration_errors", "listIntegrationErrors", nil, nil},
		{"GET", "https://acme.example.com/api/integration_errors?limit=1", "listIntegrationErrors", nil, nil},
		{"POST", "/api/integration_errors/create_alert", "createIntegrationErrorAlert", nil, nil},
		{"GET", "/api/integration_errors/12", "showIntegrationError", map[string]string{"id": "12"}, nil},
		{"GET", "/api/integration_errors/create_alert", "showIntegrationError", map[string]string{"id": "create_alert"}, nil},
		{"PUT", "/api/integration_runs/7/success", "succeedIntegrationRun", map[string]string{"id": "7"}, nil},
		{"DELETE", "/api/integration_errors/12", "", nil, openapi.ErrMethodNotAllowed},
		{"GET", "/api/integration_errors/", "", nil, openapi.ErrNoOperation},
		{"GET", "/api/integration_errors/1/2", "", nil, openapi.ErrNoOperation},
		{"GET", "/api/nothing", "", nil, openapi.ErrNoOperation},
		{"GET", "/api/integration_errors//", "", nil, openapi.ErrNoOperation},
		{"GET", "/api/integration_errors/1" + strings.Repeat("/x", 20), "", nil, openapi.ErrNoOperation},
		{"GET", "/", "", nil, openapi.ErrNoOperation},
	} {
		// RouteInto, into the one Match reused for every case, finds
		// what Route finds, and leaves nothing of an earlier match.
		if err := v.RouteInto(httptest.NewRequest(tc.method, tc.target, nil), reused); err != tc.err {
			t.Errorf("%s %s: RouteInto: error %v, want %v", tc.method, tc.target, err, tc.err)
		} else if tc.err != nil && (reused.Route != nil || len(reused.Params()) != 0) {
			t.Errorf("%s %s: RouteInto left %v %v of an earlier match", tc.method, tc.target, reused.Route, reused.Params())
		} else if tc.err == nil && (reused.OperationID() != tc.op || !reflect.DeepEqual(reused.PathParams(), tc.params)) {
			t.Errorf("%s %s: RouteInto: %s %v, want %s %v", tc.method, tc.target, reused.OperationID(), reused.PathParams(), tc.op, tc.params)
		}
		m, err := v.Route(httptest.NewRequest(tc.method, tc.target, nil))
		if err != tc.err {
			t.Errorf("%s %s: error %v, want %v", tc.method, tc.target, err, tc.err)
			continue
		}
		if tc.err != nil {
			continue
		}
		if m.OperationID() != tc.op {
			t.Errorf("%s %s: operation %s, want %s", tc.method, tc.target, m.OperationID(), tc.op)
		}
		if got := m.PathParams(); !reflect.DeepEqual(got, tc.params) {
			t.Errorf("%s %s: params %v, want %v", tc.method, tc.target, got, tc.params)
		}
		for name, want := range tc.params {
			if got, ok := m.PathParam(name); !ok || got != want {
				t.Errorf("%s %s: PathParam(%q) = %q, %v; want %q", tc.method, tc.target, name, got, ok, want)
			}
		}
		if _, ok := m.PathParam("nothing"); ok {
			t.Errorf("%s %s: a parameter the path has not", tc.method, tc.target)
		}
	}
}

func TestValidatorChecksRequestsAndResponses(t *testing.T) {
	v, err := openapi.CoreValidator()
	if err != nil {
		t.Fatal(err)
	}
	servers := v.Doc().Servers
	ctx := context.Background()
	check := func(method, target, body string, o openapi.RequestOptions) error {
		t.Helper()
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		m, err := v.Route(r)
		if err != nil {
			t.Fatal(err)
		}
		return v.ValidateRequest(ctx, r, m, o)
	}
	if err := check("GET", "/api/integration_errors/12", "", openapi.RequestOptions{}); err != nil {
		t.Errorf("a good show: %v", err)
	}
	if err := check("GET", "/api/integration_errors/x", "", openapi.RequestOptions{}); err == nil {
		t.Error("a non-integer id passed")
	}
	bad := `{"contact-alert-type": "technical"}`
	if err := check("POST", "/api/integration_errors", bad, openapi.RequestOptions{}); err == nil {
		t.Error("a bad body passed")
	} else if _, ok := err.(openapi3.MultiError); !ok {
		t.Errorf("want every problem in a MultiError, got %T", err)
	}
	if err := check("POST", "/api/integration_errors", bad, openapi.RequestOptions{SkipBody: true}); err != nil {
		t.Errorf("SkipBody still checked the body: %v", err)
	}

	r := httptest.NewRequest("GET", "/api/integration_errors/12", nil)
	m, _ := v.Route(r)
	h := http.Header{"Content-Type": {"application/json"}}
	if err := v.ValidateResponse(ctx, r, m, 200, h, bytes.NewReader([]byte(`{"id": "twelve"}`)), openapi.ResponseOptions{}); err == nil {
		t.Error("a bad response passed")
	}
	if err := v.ValidateResponse(ctx, r, m, 418, h, bytes.NewReader([]byte(`{}`)), openapi.ResponseOptions{}); err == nil {
		t.Error("an undocumented status passed")
	}
	if len(v.Doc().Servers) != len(servers) || (len(servers) > 0 && v.Doc().Servers[0] != servers[0]) {
		t.Error("the validator changed its document's servers")
	}
	again, _ := openapi.CoreValidator()
	if again != v {
		t.Error("CoreValidator is built once and shared")
	}
	cso, err := openapi.SourcingValidator()
	if err != nil {
		t.Fatal(err)
	}
	if m, err := cso.Route(httptest.NewRequest("DELETE", "/api/events/9220538753252871000", nil)); err != nil || m.OperationID() != "deleteEvent" {
		t.Errorf("sourcing route: %v %v", m, err)
	}
}

func TestNewValidatorRefusesPartialParameters(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(`
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /api/x/id-{id}:
    get:
      operationId: x
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openapi.NewValidator(doc); err == nil {
		t.Error("a parameter inside a segment was accepted")
	}
}
