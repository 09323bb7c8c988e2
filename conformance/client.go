package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coupakit/coupakit/internal/wire"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/coupakit/coupakit/openapi"
)

// maxBody bounds the response bodies the suite reads.
const maxBody = 32 << 20

// apiClient talks to one API of the target and knows its spec.
type apiClient struct {
	spec   *spec
	base   string // normalised, without a trailing slash
	router routers.Router
	// schemaOpts refine the validation of responses with what the spec's
	// conventions say beyond its schemas.
	schemaOpts []openapi3.SchemaValidationOption
	// relaxed routes to a copy of the spec whose schemas have no required
	// lists, for the answers that hold only the elements asked for
	// (return_object, fields); nil when the API has no such parameters.
	relaxed routers.Router
}

// newAPIClient checks base and builds a router over a copy of the spec
// whose only server is base, so that routes match the target's URLs.
func newAPIClient(sp *spec, base string) (*apiClient, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the %s API's base URL %q is not an absolute http(s) URL", sp.api, base)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("the %s API's base URL %q must not have a query or fragment", sp.api, base)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	norm := u.String()
	doc := *sp.doc
	doc.Servers = openapi3.Servers{{URL: norm}}
	router, err := legacy.NewRouter(&doc)
	if err != nil {
		return nil, fmt.Errorf("the %s spec: %w", sp.api, err)
	}
	c := &apiClient{spec: sp, base: norm, router: router}
	if sp.api == apiCore {
		c.schemaOpts = []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidator("date-time", openapi.SecondsDateTime{})}
	}
	if hasParameter(&doc, "return_object") || hasParameter(&doc, "fields") {
		relaxed, err := openapi.WithoutRequired(&doc)
		if err != nil {
			return nil, fmt.Errorf("the %s spec: %w", sp.api, err)
		}
		if c.relaxed, err = legacy.NewRouter(relaxed); err != nil {
			return nil, fmt.Errorf("the %s spec: %w", sp.api, err)
		}
	}
	return c, nil
}

// hasParameter reports whether an operation of doc takes the query
// parameter name.
func hasParameter(doc *openapi3.T, name string) bool {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil && p.Value.In == openapi3.ParameterInQuery && p.Value.Name == name {
					return true
				}
			}
		}
	}
	return false
}

// request is one request a check sends.
type request struct {
	method string
	path   string // below the base URL: "/api/events/42"
	query  url.Values
	// body is sent as JSON when not nil.
	body any
	// raw, when not nil, is sent as the body as it is, instead of body
	// (an XML document); contentType says what it is.
	raw []byte
	// contentType replaces application/json for a body.
	contentType string
	// accept replaces application/json as the Accept header; noAccept
	// sends no Accept header at all.
	accept   string
	noAccept bool
	// auth says which credentials the request carries; token is the
	// credential of authBearer and authKey, and secret says that it is a
	// real one, which reports must not show.
	auth   authMode
	token  string
	secret bool
	// valid says the spec accepts this request: it is validated before it
	// is sent, so that a bug of the suite cannot fail a conforming server.
	valid bool
}

// authMode says which credentials a request carries.
type authMode int

const (
	// authDefault sends the target's credentials: the OAuth token to the
	// Core API, the X-CSO-API-KEY to the Sourcing API, the extra headers to
	// both.
	authDefault authMode = iota
	// authNone sends no credentials at all: no token, no API key, none of
	// the extra headers that carry one.
	authNone
	// authBearer sends request.token as the bearer token, and nothing else.
	authBearer
	// authKey sends request.token as the API's key header (X-COUPA-API-KEY
	// for the Core API, X-CSO-API-KEY for the Sourcing API), and nothing
	// else.
	authKey
)

// Credential headers, as Go canonicalises them.
const (
	headerAuthorization = "Authorization"
	headerCoupaKey      = "X-Coupa-Api-Key"
	headerCSOKey        = "X-Cso-Api-Key"
)

// credentialHeader reports whether a header carries credentials.
func credentialHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case headerAuthorization, headerCoupaKey, headerCSOKey:
		return true
	}
	return false
}

// exchange is a request sent and the response received.
type exchange struct {
	api      *apiClient
	op       string // operationId
	method   string
	url      string
	reqHead  http.Header
	reqBody  []byte
	status   int
	header   http.Header
	body     []byte
	value    any // the body decoded as JSON, nil if it is not JSON
	curl     string
	problems []string // the response's violations of the spec (must)
	lenient  []string // violations where the spec is lenient (should)
	// wantXML says the request let the server answer XML: it asked for
	// application/xml, */* or nothing at all.
	wantXML bool
	// showAuth says the request's credentials are made up, so reports may
	// show them.
	showAuth bool
}

// send sends rq to api and validates the response against the spec. The
// error is for a request that could not be sent or answered, or a bug of
// the suite (a request the spec does not describe).
//
// A Core API request that carries the token the suite fetched and is
// answered 401 is sent once more with a new token: tokens can be revoked
// or expire early.
func (s *suite) send(api *apiClient, rq request) (*exchange, error) {
	target := api.base + rq.path
	if len(rq.query) > 0 {
		target += "?" + rq.query.Encode()
	}
	body := rq.raw
	if body == nil && rq.body != nil {
		var err error
		if body, err = json.Marshal(rq.body); err != nil {
			return nil, fmt.Errorf("internal: encode request body: %w", err)
		}
	}
	req, err := s.newRequest(api, rq, target, body)
	if err != nil {
		return nil, err
	}
	ex := &exchange{api: api, method: rq.method, url: target, reqHead: req.Header.Clone(), reqBody: body,
		wantXML: wire.AcceptsXML(req.Header.Get("Accept")), showAuth: (rq.auth == authBearer || rq.auth == authKey) && !rq.secret}
	ex.curl = s.curl(ex)

	// The route of the request in the spec: validation needs it, and a
	// request the spec does not describe is a bug of the suite.
	probe := req.Clone(s.ctx)
	probe.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := api.router.FindRoute(probe)
	if err != nil {
		return nil, fmt.Errorf("internal: no operation of %s matches %s %s: %w", api.spec.file, rq.method, rq.path, err)
	}
	ex.op = route.Operation.OperationID
	if rq.valid {
		in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route,
			Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(s.ctx, in); err != nil {
			return nil, fmt.Errorf("internal: the suite's request does not match the spec: %s", strings.Join(describe(err), "; "))
		}
		probe.Body = io.NopCloser(bytes.NewReader(body))
	}

	again := func() (*http.Request, error) { return s.newRequest(api, rq, target, body) }
	status, header, data, err := s.roundTrip(req, again)
	if err == nil && status == http.StatusUnauthorized && rq.auth == authDefault && api.spec.api == apiCore && s.tokens != nil {
		// Once: a new token, and the request again.
		if s.tokens.renew() == nil {
			if req, err = again(); err == nil {
				status, header, data, err = s.roundTrip(req, again)
			}
		}
	}
	if err != nil {
		return ex, err
	}
	ex.status, ex.header, ex.body = status, header, data
	if len(bytes.TrimSpace(data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			ex.value = v
		}
	}
	s.validate(ex, probe, route, params, rq.query)
	s.observe(ex)
	return ex, nil
}

// roundTrip sends req (429 answers waited out, see do) and reads the
// answer.
func (s *suite) roundTrip(req *http.Request, again func() (*http.Request, error)) (int, http.Header, []byte, error) {
	resp, err := s.do(req, again)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read response: %w", err)
	}
	return resp.StatusCode, resp.Header, data, nil
}

// maxRetries bounds how often one request is retried after 429.
const maxRetries = 6

// do sends req, and waits out and retries the answers 429 Too Many
// Requests of a rate-limited target (Coupa allows about 25 requests a
// second): a throttled request was not processed, so retrying is safe.
func (s *suite) do(req *http.Request, again func() (*http.Request, error)) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		if err := s.pace(); err != nil {
			return nil, err
		}
		resp, err := s.client.Do(req)
		if err != nil || resp.StatusCode != http.StatusTooManyRequests || attempt == maxRetries {
			return resp, err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		s.throttled++
		wait := time.Duration(250<<attempt) * time.Millisecond
		ra := resp.Header.Get("Retry-After")
		retryAfter := false
		if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
			wait, retryAfter = time.Duration(secs)*time.Second, true
		} else if at, err := http.ParseTime(ra); err == nil {
			wait, retryAfter = time.Until(at), true
		}
		s.noteThrottle(req, ra, retryAfter)
		wait = min(max(wait, 0), time.Minute)
		if wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-s.ctx.Done():
				timer.Stop()
				return nil, s.ctx.Err()
			case <-timer.C:
			}
		}
		if req, err = again(); err != nil {
			return nil, err
		}
	}
}

// newRequest builds the HTTP request of rq, with the credentials rq.auth
// says: by default the target's, the extra headers for both APIs, the
// OAuth token for the Core API only and the X-CSO-API-KEY for the Sourcing
// API only.
func (s *suite) newRequest(api *apiClient, rq request, target string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(s.ctx, rq.method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("internal: build request: %w", err)
	}
	if body == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	switch {
	case rq.noAccept:
	case rq.accept != "":
		req.Header.Set("Accept", rq.accept)
	default:
		req.Header.Set("Accept", "application/json")
	}
	req.Header.Set("User-Agent", "coupakit-conformance")
	if body != nil {
		req.Header.Set("Content-Type", cmpOr(rq.contentType, "application/json"))
	}
	for name, values := range s.target.Header {
		if rq.auth != authDefault && credentialHeader(name) {
			continue
		}
		req.Header.Del(name)
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	core := api.spec.api == apiCore
	switch rq.auth {
	case authDefault:
		if core {
			tok, err := s.bearer()
			if err != nil {
				return nil, err
			}
			if tok != "" {
				req.Header.Set(headerAuthorization, "Bearer "+tok)
			}
		} else if s.target.CSOAPIKey != "" {
			req.Header.Set(headerCSOKey, s.target.CSOAPIKey)
		}
	case authBearer:
		req.Header.Set(headerAuthorization, "Bearer "+rq.token)
	case authKey:
		if core {
			req.Header.Set(headerCoupaKey, rq.token)
		} else {
			req.Header.Set(headerCSOKey, rq.token)
		}
	}
	return req, nil
}

// validate checks the response against the operation in the spec: the
// status is documented, the Content-Type is, the body matches the schema
// (required elements, types, formats, lengths, enums, element names) and
// has no null value. Where the spec says the documents are uncertain, the
// body's problems are only lenient ones.
//
// Three answers are judged against what the spec's words add to its
// schemas: an XML answer to a request that let the server choose XML (the
// schemas describe the JSON; the XML checks judge its shape), the answer of
// a request with return_object or fields (it holds only the elements asked
// for, so the required lists do not apply), and the empty answer of
// return_object=none.
func (s *suite) validate(ex *exchange, req *http.Request, route *routers.Route, params map[string]string, query url.Values) {
	if ex.status == http.StatusNotAcceptable && !acceptsDocumented(route.Operation, req.Header.Get("Accept")) {
		// The request's Accept takes none of the media types the operation
		// documents: a 406 is HTTP's own answer to that, which the spec
		// does not describe; the check that sent it judges the API's
		// behaviour (the Sourcing API's "JSON whatever the Accept").
		ex.lenient = append(ex.lenient, fmt.Sprintf("406 to Accept %q, which takes none of the operation's documented media types", req.Header.Get("Accept")))
		return
	}
	if ex.wantXML && ex.api.spec.api == apiCore && wire.IsXML(ex.header.Get("Content-Type")) {
		if !documented(route.Operation, ex.status) && !xmlNoResults(route.Operation, ex.status) {
			ex.problems = append(ex.problems, fmt.Sprintf("status %d is not documented", ex.status))
		}
		return
	}
	lenient := lenientBody(ex.api.spec.api, ex.op, ex.status)
	partial := query.Has("return_object") || query.Has("fields")
	noBody := query.Get("return_object") == "none" && ex.status < 300
	if partial && ex.api.relaxed != nil {
		// The same operation in the copy of the spec without required lists.
		rel, relParams, err := ex.api.relaxed.FindRoute(req)
		if err == nil {
			route, params = rel, relParams
		}
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: lenient || noBody, SchemaValidationOptions: ex.api.schemaOpts}
	reqIn := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	in := &openapi3filter.ResponseValidationInput{RequestValidationInput: reqIn, Status: ex.status, Header: ex.header, Options: opts}
	in.SetBodyBytes(ex.body)
	if err := openapi3filter.ValidateResponse(s.ctx, in); err != nil {
		ex.problems = append(ex.problems, describe(err)...)
	}
	if documented(route.Operation, ex.status) && ex.status != http.StatusNoContent {
		var nulls []string
		if ex.value != nil {
			nulls = findNulls(ex.value, "")
		}
		for _, p := range nulls {
			msg := fmt.Sprintf("%s: null value (the spec says null values are left out of responses)", p)
			if lenient {
				ex.lenient = append(ex.lenient, msg)
			} else {
				ex.problems = append(ex.problems, msg)
			}
		}
	}
	if lenient && documented(route.Operation, ex.status) {
		opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, SchemaValidationOptions: ex.api.schemaOpts}
		in := &openapi3filter.ResponseValidationInput{RequestValidationInput: reqIn, Status: ex.status, Header: ex.header, Options: opts}
		in.SetBodyBytes(ex.body)
		if err := openapi3filter.ValidateResponse(s.ctx, in); err != nil {
			ex.lenient = append(ex.lenient, describe(err)...)
		}
	}
}

// xmlNoResults reports whether status is the XML answer to a list query
// that matches nothing, which the spec's conventions document: 404, on an
// operation that answers a JSON array.
func xmlNoResults(op *openapi3.Operation, status int) bool {
	if status != http.StatusNotFound {
		return false
	}
	ok := op.Responses.Status(http.StatusOK)
	if ok == nil || ok.Value == nil {
		return false
	}
	mt := ok.Value.Content.Get("application/json")
	return mt != nil && mt.Schema != nil && mt.Schema.Value != nil && mt.Schema.Value.Type != nil && mt.Schema.Value.Type.Is("array")
}

// lenientBody says where the spec's descriptions call the documents
// uncertain about a response's body: the Sourcing API's error bodies (the
// page says XML) and the answers of the single-event PUT and DELETE (the
// spec chose the bulk shape). Their bodies are judged by should-level
// checks; their statuses still by the operation's response check.
func lenientBody(api, op string, status int) bool {
	if api != apiSourcing {
		return false
	}
	return status >= 400 || ((op == "updateEvent" || op == "deleteEvent") && status < 300)
}

// acceptsDocumented reports whether an Accept header takes a media type
// one of the operation's successful (2xx) responses documents.
func acceptsDocumented(op *openapi3.Operation, accept string) bool {
	for code, resp := range op.Responses.Map() {
		if resp == nil || resp.Value == nil || !strings.HasPrefix(code, "2") {
			continue
		}
		for mt := range resp.Value.Content {
			if wire.Accepts(accept, mt) {
				return true
			}
		}
	}
	return false
}

func documented(op *openapi3.Operation, status int) bool {
	return op.Responses.Status(status) != nil || op.Responses.Default() != nil
}

// findNulls returns the JSON pointers of the null values in v.
func findNulls(v any, at string) []string {
	switch x := v.(type) {
	case nil:
		return []string{cmpOr(at, "/")}
	case map[string]any:
		var out []string
		for _, k := range sortedKeys(x) {
			out = append(out, findNulls(x[k], at+"/"+escapePointer(k))...)
		}
		return out
	case []any:
		var out []string
		for i, e := range x {
			out = append(out, findNulls(e, fmt.Sprintf("%s/%d", at, i))...)
		}
		return out
	}
	return nil
}

// describe turns a kin-openapi validation error into one message per
// problem, each naming where in the body it is. It is not wire.Describe
// on purpose: that one words a refused request as Coupa answers it (the
// mock's 400s), while a report wants the exact place, a JSON pointer, the
// schema's own reason and the value got, nested causes included.
func describe(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case openapi3.MultiError:
			for _, x := range e {
				walk(x)
			}
		case *openapi3filter.ResponseError:
			if e.Err == nil {
				out = append(out, e.Reason)
				return
			}
			if isSchemaError(e.Err) {
				walk(e.Err)
				return
			}
			out = append(out, e.Reason+": "+e.Err.Error())
		case *openapi3filter.RequestError:
			if e.Err != nil && isSchemaError(e.Err) {
				walk(e.Err)
				return
			}
			out = append(out, e.Error())
		case *openapi3.SchemaError:
			out = append(out, schemaMessage(e))
		default:
			out = append(out, err.Error())
		}
	}
	walk(err)
	return out
}

func isSchemaError(err error) bool {
	switch err.(type) {
	case openapi3.MultiError, *openapi3.SchemaError:
		return true
	}
	return false
}

// schemaMessage words one schema violation: where, what rule, what value.
func schemaMessage(se *openapi3.SchemaError) string {
	at := "/" + strings.Join(se.JSONPointer(), "/")
	msg := at + ": " + se.Reason
	switch se.SchemaField {
	case "enum", "type", "format", "maxLength", "minLength", "pattern", "minimum", "maximum", "nullable":
		msg += " (got " + short(se.Value) + ")"
	}
	if se.Origin != nil {
		if inner := errors.Unwrap(se.Origin); inner != nil && isSchemaError(inner) {
			msg += ": " + strings.Join(describe(inner), "; ")
		} else if isSchemaError(se.Origin) {
			msg += ": " + strings.Join(describe(se.Origin), "; ")
		}
	}
	return msg
}
