package openapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Routing errors: a request whose path no operation has, and one whose path
// has operations but none for its method.
var (
	ErrNoOperation      = errors.New("no operation matches the request's path")
	ErrMethodNotAllowed = routers.ErrMethodNotAllowed
)

// Validator routes requests to the operations of one spec and checks them
// against it: the one validator setup of coupakit, which the mock uses for
// every request and a proxy can use in front of a real server. It never
// changes its document (the spec's servers play no part in routing: paths
// match from the root, whatever host the request names), and is safe for
// concurrent use.
type Validator struct {
	doc    *openapi3.T
	routes []*pathRoute // the more literal first
	// schemaOpts judge response bodies (SchemaOptions).
	schemaOpts []openapi3.SchemaValidationOption

	relaxedOnce sync.Once
	relaxed     *Validator
	relaxedErr  error

	checkers        sync.Map // *openapi3.Schema to *Checker, built on first use
	requestCheckers sync.Map // the same, of request body schemas (RequestChecker)
}

// pathRoute is one path of the spec and its operations.
type pathRoute struct {
	template string
	segments []string // "{id}" for a parameter
	param    []bool   // whether each segment is a parameter
	item     *openapi3.PathItem
	ops      map[string]*routers.Route // by method
	// checks are the routes ValidateRequest uses: copies of the
	// operations without security requirements, which it does not check.
	checks map[string]*routers.Route
	// plans are the fast plans of checks (fastpath.go), nil for an
	// operation the fast path leaves to kin-openapi.
	plans map[string]*fastPlan
}

// NewValidator builds the validator of a loaded, valid spec (Core and
// Sourcing load theirs). doc must not change afterwards.
func NewValidator(doc *openapi3.T) (*Validator, error) {
	v := &Validator{doc: doc}
	for template, item := range doc.Paths.Map() {
		pr := &pathRoute{template: template, segments: strings.Split(strings.TrimPrefix(template, "/"), "/"), item: item,
			ops: map[string]*routers.Route{}, checks: map[string]*routers.Route{}, plans: map[string]*fastPlan{}}
		for method, op := range item.Operations() {
			pr.ops[method] = &routers.Route{Spec: doc, Path: template, PathItem: item, Method: method, Operation: op}
			unsecured := *op
			unsecured.Security = &openapi3.SecurityRequirements{}
			pr.checks[method] = &routers.Route{Spec: doc, Path: template, PathItem: item, Method: method, Operation: &unsecured}
			pr.plans[method] = newFastPlan(pr.checks[method])
		}
		for _, seg := range pr.segments {
			if strings.Contains(seg, "{") && !(strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}")) {
				return nil, fmt.Errorf("openapi: path %s: a parameter must be a whole segment", template)
			}
			pr.param = append(pr.param, isParam(seg))
		}
		if len(pr.segments) > maxSegments {
			return nil, fmt.Errorf("openapi: path %s: more than %d segments", template, maxSegments)
		}
		v.routes = append(v.routes, pr)
	}
	// A literal segment wins over a parameter at the first place they
	// differ: /api/integration_errors/create_alert before .../{id}.
	sort.Slice(v.routes, func(i, j int) bool {
		a, b := v.routes[i].segments, v.routes[j].segments
		for k := 0; k < len(a) && k < len(b); k++ {
			pa, pb := isParam(a[k]), isParam(b[k])
			if pa != pb {
				return !pa
			}
		}
		return v.routes[i].template < v.routes[j].template
	})
	return v, nil
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") }

// Doc returns the validator's spec. Callers must not change it.
func (v *Validator) Doc() *openapi3.T { return v.doc }

// Match is the operation a request is for, and its path parameters. A
// Match belongs to one request: it is not for concurrent use.
type Match struct {
	Route *routers.Route

	check *routers.Route // Route without security requirements
	plan  *fastPlan      // check's fast plan, nil for none (fastpath.go)
	// params are the path parameters in the template's order, in inline
	// when they fit (no path of the specs has more than two): a request
	// makes no map of them unless PathParams is called, as kin-openapi's
	// checks need.
	params   []PathParam
	inline   [2]PathParam
	paramMap map[string]string
}

// PathParam is one path parameter: its name in the path template and
// its value in the request's path.
type PathParam struct{ Name, Value string }

// Params returns the path parameters in the template's order; callers
// must not change it.
func (m *Match) Params() []PathParam { return m.params }

// PathParam returns the value of the path parameter name.
func (m *Match) PathParam(name string) (string, bool) {
	for _, p := range m.params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// PathParams returns the path parameters by name, nil when there are
// none, made on the first call; callers must not change it.
func (m *Match) PathParams() map[string]string {
	if m.paramMap == nil && len(m.params) > 0 {
		m.paramMap = make(map[string]string, len(m.params))
		for _, p := range m.params {
			m.paramMap[p.Name] = p.Value
		}
	}
	return m.paramMap
}

// OperationID is the matched operation's id.
func (m *Match) OperationID() string { return m.Route.Operation.OperationID }

// Route finds the request's operation by its method and path. An error is
// ErrNoOperation or ErrMethodNotAllowed.
func (v *Validator) Route(r *http.Request) (*Match, error) {
	m := &Match{}
	if err := v.RouteInto(r, m); err != nil {
		return nil, err
	}
	return m, nil
}

// RouteInto is Route writing the match into m, which the caller provides
// (a pipeline holds it in its own per-request value, sparing an
// allocation); m must not be copied afterwards, as it holds its path
// parameters inline. On an error m is left empty.
func (v *Validator) RouteInto(r *http.Request, m *Match) error {
	*m = Match{}
	// The path's segments, split once: a path of more segments than
	// any template has matches none.
	var buf [maxSegments]string
	parts, ok := splitPath(strings.TrimPrefix(r.URL.Path, "/"), buf[:0])
	if !ok {
		return ErrNoOperation
	}
	pathMatched := false
	for _, pr := range v.routes {
		m.params = m.inline[:0]
		if !pr.match(parts, m) {
			continue
		}
		pathMatched = true
		if route := pr.ops[r.Method]; route != nil {
			m.Route, m.check, m.plan = route, pr.checks[r.Method], pr.plans[r.Method]
			return nil
		}
	}
	*m = Match{}
	if pathMatched {
		return ErrMethodNotAllowed
	}
	return ErrNoOperation
}

// maxSegments bounds the segments of a template (NewValidator refuses
// more), and so of a path that may match.
const maxSegments = 16

// splitPath appends path's segments (split at every "/") to parts; false
// when there are more than maxSegments.
func splitPath(path string, parts []string) ([]string, bool) {
	for {
		if len(parts) == maxSegments {
			return nil, false
		}
		seg, rest, more := strings.Cut(path, "/")
		parts = append(parts, seg)
		if !more {
			return parts, true
		}
		path = rest
	}
}

// match matches a path's segments against the template, adding the path
// parameters to m's.
func (pr *pathRoute) match(parts []string, m *Match) bool {
	if len(parts) != len(pr.segments) {
		return false
	}
	for i, seg := range pr.segments {
		part := parts[i]
		if pr.param[i] {
			if part == "" {
				return false
			}
			m.params = append(m.params, PathParam{Name: seg[1 : len(seg)-1], Value: part})
			continue
		}
		if part != seg {
			return false
		}
	}
	return true
}

// RequestOptions tune ValidateRequest.
type RequestOptions struct {
	// SkipBody leaves the body unchecked, for a caller that checks it
	// itself (item by item, say).
	SkipBody bool
}

// ValidateRequest checks a routed request against its operation: path
// and query parameters, headers and the body (read and put back), with
// every problem reported (an openapi3.MultiError) and elements the server
// sets (readOnly) allowed. Security is not checked: authentication is a
// separate concern. Like kin-openapi, it sets the defaults of query
// parameters the request leaves out in r.URL.
func (v *Validator) ValidateRequest(ctx context.Context, r *http.Request, m *Match, o RequestOptions) error {
	route := m.check
	if route == nil { // a Match made by hand
		route = m.Route
	}
	if m.plan.valid(r, m) { // a Match made by hand has no plan: the slow path judges it
		return nil
	}
	opts := &openapi3filter.Options{
		MultiError:                 true,
		ExcludeReadOnlyValidations: true,
		ExcludeRequestBody:         o.SkipBody,
		AuthenticationFunc:         openapi3filter.NoopAuthenticationFunc,
	}
	return openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{Request: r, PathParams: m.PathParams(), Route: route, Options: opts})
}

// ResponseOptions tune ValidateResponse.
type ResponseOptions struct {
	// SkipBody leaves the body unchecked (body may be nil), for a caller
	// that decodes it once and checks it itself, with SchemaOptions.
	SkipBody bool
}

// ValidateResponse checks an answer to a routed request against its
// operation: the status must be documented, and the headers and body must
// match the response's schema (writeOnly elements refused), with
// SchemaOptions. Every problem is reported (an openapi3.MultiError).
func (v *Validator) ValidateResponse(ctx context.Context, r *http.Request, m *Match, status int, header http.Header, body io.Reader, o ResponseOptions) error {
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: o.SkipBody, SchemaValidationOptions: v.schemaOpts}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: m.PathParams(), Route: m.Route, Options: opts},
		Status:                 status,
		Header:                 header,
		Options:                opts,
	}
	if body != nil {
		in.Body = io.NopCloser(body)
	}
	return openapi3filter.ValidateResponse(ctx, in)
}

var (
	coreOnce, sourcingOnce sync.Once
	coreVal, sourcingVal   *Validator
	coreErr, sourcingErr   error
)

// CoreValidator returns the validator of the embedded Core API spec, built
// once and shared. It judges the datetimes of answers to the second
// (SecondsDateTime), as the spec's conventions say.
func CoreValidator() (*Validator, error) {
	coreOnce.Do(func() {
		doc, err := Core()
		if err != nil {
			coreErr = err
			return
		}
		if coreVal, coreErr = NewValidator(doc); coreErr == nil {
			coreVal.schemaOpts = []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidator("date-time", SecondsDateTime{})}
		}
	})
	return coreVal, coreErr
}

// SourcingValidator returns the validator of the embedded Sourcing API
// spec, built once and shared.
func SourcingValidator() (*Validator, error) {
	sourcingOnce.Do(func() {
		doc, err := Sourcing()
		if err != nil {
			sourcingErr = err
			return
		}
		sourcingVal, sourcingErr = NewValidator(doc)
	})
	return sourcingVal, sourcingErr
}
