// Package admintest checks the admin answers of the mock (/_mock/) and of the
// proxy (/_proxy/) against openapi/admin.yaml
// in tests: every route a test calls must be in the spec, and every answer it
// gets (status, headers, body) must conform to it.
//
// A test serves the handler under test on loopback (httptest.NewServer) and
// sends each admin request through Spec.Do:
//
//	spec := admintest.Load(t)
//	srv := httptest.NewServer(handler)
//	defer srv.Close()
//	req, _ := http.NewRequest("GET", srv.URL+"/_mock/health", nil)
//	resp, body := spec.Do(t, srv.Client(), req)
package admintest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/coupakit/coupakit/openapi"
)

// Spec is the admin spec, ready to route requests and validate answers. It is
// safe for concurrent use.
type Spec struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	once    sync.Once
	shared  *Spec
	loadErr error
)

// Load returns the admin spec, loaded once per test binary; it fails tb when
// the spec does not load.
func Load(tb testing.TB) *Spec {
	tb.Helper()
	once.Do(func() { shared, loadErr = load() })
	if loadErr != nil {
		tb.Fatal(loadErr)
	}
	return shared
}

func load() (*Spec, error) {
	doc, err := openapi.Admin()
	if err != nil {
		return nil, err
	}
	// Route by path alone, whatever port a test server has.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("admintest: build router: %w", err)
	}
	return &Spec{doc: doc, router: router}, nil
}

// Do sends req with client and fails tb when the request's route is not in
// the spec or the answer does not conform to it. It returns the response
// with its body read (and closed) as the second result.
func (s *Spec) Do(tb testing.TB, client *http.Client, req *http.Request) (*http.Response, []byte) {
	tb.Helper()
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		tb.Fatalf("%s %s: read the answer: %v", req.Method, req.URL.Path, err)
	}
	if err := s.Validate(req, resp.StatusCode, resp.Header, body); err != nil {
		tb.Errorf("%s %s answered %d %s\n%v", req.Method, req.URL.RequestURI(), resp.StatusCode, body, err)
	}
	return resp, body
}

// Validate checks one answer to req against the spec: the route must be in
// it, the status must be documented for it, and the headers and body must
// conform to that status's response.
func (s *Spec) Validate(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("admintest: %s %s is not in admin.yaml: %w", req.Method, req.URL.Path, err)
	}
	// kin-openapi decodes JSON and text/plain bodies; the others (the
	// proxy's JUnit XML, HTML and Markdown reports) are checked here: a
	// documented media type, and well-formed when XML.
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if mt != "application/json" && mt != "text/plain" {
		opts.ExcludeResponseBody = true
		if resp := route.Operation.Responses.Status(status); resp != nil && resp.Value != nil && len(resp.Value.Content) > 0 {
			if resp.Value.Content.Get(mt) == nil {
				return fmt.Errorf("admintest: Content-Type %q is not documented for %d", header.Get("Content-Type"), status)
			}
			if strings.HasSuffix(mt, "xml") {
				if err := wellFormed(body); err != nil {
					return fmt.Errorf("admintest: the XML answer is not well-formed: %w", err)
				}
			}
		}
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("admintest: the answer does not conform to admin.yaml: %w", err)
	}
	return nil
}

// wellFormed reads an XML document to its end.
func wellFormed(body []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(body))
	root := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if !root {
				return errors.New("no root element")
			}
			return nil
		}
		if err != nil {
			return err
		}
		if _, ok := tok.(xml.StartElement); ok {
			root = true
		}
	}
}

// ValidateError checks that body is an admin error, the one shape every admin
// error has (components/schemas/Error), for answers outside any route such as
// the 404 of an unknown admin path.
func (s *Spec) ValidateError(body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("admintest: the error is not JSON: %w", err)
	}
	if err := s.doc.Components.Schemas["Error"].Value.VisitJSON(v); err != nil {
		return fmt.Errorf("admintest: not the admin error shape: %w", err)
	}
	return nil
}
