package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
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
}

// secondsDateTime validates the Core API's datetimes: ISO 8601 with an
// offset, to the second, as the spec's conventions say.
type secondsDateTime struct{}

var secondsPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$`)

func (secondsDateTime) Validate(v string) error {
	if !secondsPattern.MatchString(v) {
		return errors.New("not a datetime to the second with an offset (YYYY-MM-DDTHH:MM:SS+HH:MM)")
	}
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		return err
	}
	return nil
}

// newAPIClient checks base and builds a router over a copy of the spec
// whose only server is base, so that routes match the target's URLs.
func newAPIClient(sp *spec, base string) (*apiClient, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("conformance: %s base URL %q is not an absolute http(s) URL", sp.api, base)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("conformance: %s base URL %q must not have a query or fragment", sp.api, base)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	norm := u.String()
	doc := *sp.doc
	doc.Servers = openapi3.Servers{{URL: norm}}
	router, err := legacy.NewRouter(&doc)
	if err != nil {
		return nil, fmt.Errorf("conformance: %s spec: %w", sp.api, err)
	}
	c := &apiClient{spec: sp, base: norm, router: router}
	if sp.api == apiCore {
		c.schemaOpts = []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidator("date-time", secondsDateTime{})}
	}
	return c, nil
}

// request is one request a check sends.
type request struct {
	method string
	path   string // below the base URL: "/api/events/42"
	query  url.Values
	// body is sent as JSON when not nil.
	body any
	// contentType replaces application/json for a body.
	contentType string
	// valid says the spec accepts this request: it is validated before it
	// is sent, so that a bug of the suite cannot fail a conforming server.
	valid bool
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
}

// send sends rq to api and validates the response against the spec. The
// error is for a request that could not be sent or answered, or a bug of
// the suite (a request the spec does not describe).
func (s *suite) send(api *apiClient, rq request) (*exchange, error) {
	target := api.base + rq.path
	if len(rq.query) > 0 {
		target += "?" + rq.query.Encode()
	}
	var body []byte
	if rq.body != nil {
		var err error
		if body, err = json.Marshal(rq.body); err != nil {
			return nil, fmt.Errorf("internal: encode request body: %w", err)
		}
	}
	req, err := s.newRequest(api, rq, target, body)
	if err != nil {
		return nil, err
	}
	ex := &exchange{api: api, method: rq.method, url: target, reqHead: req.Header.Clone(), reqBody: body}
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

	resp, err := s.do(req, func() (*http.Request, error) { return s.newRequest(api, rq, target, body) })
	if err != nil {
		return ex, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return ex, fmt.Errorf("read response: %w", err)
	}
	ex.status, ex.header, ex.body = resp.StatusCode, resp.Header, data
	if len(bytes.TrimSpace(data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			ex.value = v
		}
	}
	s.validate(ex, probe, route, params)
	s.observe(ex)
	return ex, nil
}

// maxRetries bounds how often one request is retried after 429.
const maxRetries = 6

// do sends req, and waits out and retries the answers 429 Too Many
// Requests of a rate-limited target (Coupa allows about 25 requests a
// second): a throttled request was not processed, so retrying is safe.
func (s *suite) do(req *http.Request, again func() (*http.Request, error)) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := s.client.Do(req)
		if err != nil || resp.StatusCode != http.StatusTooManyRequests || attempt == maxRetries {
			return resp, err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		s.throttled++
		wait := time.Duration(250<<attempt) * time.Millisecond
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
				wait = time.Duration(secs) * time.Second
			} else if at, err := http.ParseTime(ra); err == nil {
				wait = time.Until(at)
			}
		}
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

// newRequest builds the HTTP request of rq, with the target's credentials:
// the extra headers for both APIs, the OAuth token for the Core API only
// (the Sourcing API authenticates with its own key, in a header).
func (s *suite) newRequest(api *apiClient, rq request, target string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(s.ctx, rq.method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("internal: build request: %w", err)
	}
	if body == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "coupakit-conformance")
	if body != nil {
		req.Header.Set("Content-Type", cmpOr(rq.contentType, "application/json"))
	}
	for name, values := range s.target.Header {
		req.Header.Del(name)
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	if s.target.Token != "" && api.spec.api == apiCore {
		req.Header.Set("Authorization", "Bearer "+s.target.Token)
	}
	return req, nil
}

// validate checks the response against the operation in the spec: the
// status is documented, the Content-Type is, the body matches the schema
// (required elements, types, formats, lengths, enums, element names) and
// has no null value. Where the spec says the documents are uncertain, the
// body's problems are only lenient ones.
func (s *suite) validate(ex *exchange, req *http.Request, route *routers.Route, params map[string]string) {
	lenient := lenientBody(ex.api.spec.api, ex.op, ex.status)
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: lenient, SchemaValidationOptions: ex.api.schemaOpts}
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
// problem, each naming where in the body it is.
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

// short renders a JSON value for a message, cut to a readable length.
func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

// curl renders the exchange's request as a curl command. The token and the
// extra headers, which may be credentials, are not shown.
func (s *suite) curl(ex *exchange) string {
	var b strings.Builder
	b.WriteString("curl -sS -X " + ex.method + " " + shellQuote(ex.url))
	for _, name := range sortedKeys(ex.reqHead) {
		if name == "User-Agent" {
			continue
		}
		for _, v := range ex.reqHead[name] {
			switch {
			case name == "Authorization" && s.target.Token != "":
				b.WriteString(` -H "Authorization: Bearer $COUPAKIT_TOKEN"`)
				continue
			case s.target.Header.Get(name) != "":
				v = "<redacted>"
			}
			b.WriteString(" -H " + shellQuote(name+": "+v))
		}
	}
	if len(ex.reqBody) > 0 {
		data := string(ex.reqBody)
		if len(data) > 4096 {
			data = data[:4096] + fmt.Sprintf("...(%d bytes in all)", len(ex.reqBody))
		}
		b.WriteString(" --data-raw " + shellQuote(data))
	}
	return b.String()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// summary words the response for a message: status and a cut body.
func (ex *exchange) summary() string {
	body := strings.TrimSpace(string(ex.body))
	if len(body) > 300 {
		body = body[:297] + "..."
	}
	if body == "" {
		return fmt.Sprintf("%d with an empty body", ex.status)
	}
	return fmt.Sprintf("%d %s", ex.status, body)
}

// object returns the body as a JSON object.
func (ex *exchange) object() (map[string]any, bool) {
	m, ok := ex.value.(map[string]any)
	return m, ok
}

// array returns the body as a JSON array.
func (ex *exchange) array() ([]any, bool) {
	a, ok := ex.value.([]any)
	return a, ok
}

// mentions reports whether the body names the element, with hyphens or
// with underscores.
func (ex *exchange) mentions(element string) bool {
	body := string(ex.body)
	return strings.Contains(body, element) || strings.Contains(body, strings.ReplaceAll(element, "-", "_"))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// jsonEqual reports whether two JSON values are equal, numbers compared by
// value.
func jsonEqual(a, b any) bool {
	return canonical(a) == canonical(b)
}

// canonical renders a JSON value with sorted keys and normalised numbers.
func canonical(v any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			b.WriteByte('{')
			for i, k := range sortedKeys(x) {
				if i > 0 {
					b.WriteByte(',')
				}
				kb, _ := json.Marshal(k)
				b.Write(kb)
				b.WriteByte(':')
				walk(x[k])
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteByte(',')
				}
				walk(e)
			}
			b.WriteByte(']')
		case json.Number:
			b.WriteString(normNumber(string(x)))
		case int:
			b.WriteString(fmt.Sprint(x))
		case int64:
			b.WriteString(fmt.Sprint(x))
		case float64:
			b.WriteString(normNumber(fmt.Sprint(x)))
		default:
			vb, _ := json.Marshal(x)
			b.Write(vb)
		}
	}
	walk(v)
	return b.String()
}

// normNumber writes integral numbers without a fraction ("4711.0" is
// "4711").
func normNumber(s string) string {
	if i := strings.IndexAny(s, ".eE"); i < 0 {
		return s
	}
	var f float64
	if _, err := fmt.Sscan(s, &f); err == nil && f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return s
}

// idString renders a record id (a JSON number or a string) for a URL.
func idString(v any) string {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// transportError reports whether err is about reaching the target rather
// than a bug of the suite.
func transportError(err error) bool {
	return err != nil && !strings.HasPrefix(err.Error(), "internal: ") && !errors.Is(err, context.Canceled)
}
