package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// DefaultMaxBodyBytes bounds request bodies when Options.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 10 << 20

// validator checks every request against one spec before the generated
// handler sees it, and answers rejected requests in the API's error format.
type validator struct {
	router  routers.Router
	maxBody int64
	// resource names the error key of an operation ("integration-error").
	resource func(operationID string) string
	// mediaTypes names the request bodies the API takes, for the 415.
	mediaTypes string
	// envelopes holds, for the lenient bulk operations, a copy of the body
	// schema whose items accept anything: the handler validates each item on
	// its own so one bad item does not reject the others.
	envelopes map[string]*openapi3.Schema
}

func newValidator(doc *openapi3.T, maxBody int64, mediaTypes string, resource func(string) string, lenient ...string) (*validator, error) {
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("mock: build router: %w", err)
	}
	v := &validator{router: router, maxBody: maxBody, mediaTypes: mediaTypes, resource: resource, envelopes: map[string]*openapi3.Schema{}}
	for _, id := range lenient {
		op := findOperation(doc, id)
		if op == nil || op.RequestBody == nil {
			return nil, fmt.Errorf("mock: lenient operation %q has no request body", id)
		}
		orig := op.RequestBody.Value.Content.Get("application/json").Schema.Value
		env := *orig
		env.Properties = openapi3.Schemas{}
		for name, prop := range orig.Properties {
			if prop.Value.Type.Is("array") {
				arr := *prop.Value
				arr.Items = openapi3.NewSchemaRef("", &openapi3.Schema{})
				prop = openapi3.NewSchemaRef("", &arr)
			}
			env.Properties[name] = prop
		}
		v.envelopes[id] = &env
	}
	return v, nil
}

func findOperation(doc *openapi3.T, id string) *openapi3.Operation {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID == id {
				return op
			}
		}
	}
	return nil
}

type routeKey struct{}

// routeOf returns the spec route the validator matched for this request.
func routeOf(ctx context.Context) *routers.Route {
	r, _ := ctx.Value(routeKey{}).(*routers.Route)
	return r
}

// wrap validates each request, then hands it on to next.
func (v *validator) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, pathParams, err := v.router.FindRoute(r)
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			writeErrors(w, http.StatusMethodNotAllowed, "request", fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path))
			return
		}
		if err != nil {
			writeErrors(w, http.StatusNotFound, "request", fmt.Sprintf("no operation matches %s %s", r.Method, r.URL.Path))
			return
		}
		resource := v.resource(route.Operation.OperationID)
		var body []byte
		if route.Operation.RequestBody != nil {
			var status int
			var msg string
			body, status, msg = v.readBody(w, r)
			if status != 0 {
				writeErrors(w, status, resource, msg)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if ct := r.Header.Get("Content-Type"); ct == "" {
				r.Header.Set("Content-Type", "application/json")
			} else if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
				writeErrors(w, http.StatusUnsupportedMediaType, resource, fmt.Sprintf("Content-Type %q is not supported; send %s", ct, v.mediaTypes))
				return
			}
		}
		opts := &openapi3filter.Options{
			MultiError:                 true,
			ExcludeReadOnlyValidations: true,
			AuthenticationFunc:         openapi3filter.NoopAuthenticationFunc,
		}
		env := v.envelopes[route.Operation.OperationID]
		if env != nil {
			opts.ExcludeRequestBody = true
		}
		input := &openapi3filter.RequestValidationInput{Request: r, PathParams: pathParams, Route: route, Options: opts}
		ctx := r.Context()
		if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
			writeErrors(w, http.StatusBadRequest, resource, describe(err)...)
			return
		}
		if env != nil {
			var value any
			if err := json.Unmarshal(body, &value); err != nil {
				writeErrors(w, http.StatusBadRequest, resource, "request body is not valid JSON: "+err.Error())
				return
			}
			if err := env.VisitJSON(value, openapi3.VisitAsRequest(), openapi3.MultiErrors()); err != nil {
				writeErrors(w, http.StatusBadRequest, resource, describe(err)...)
				return
			}
		}
		ctx = context.WithValue(ctx, routeKey{}, route)
		ctx = context.WithValue(ctx, queryKey{}, r.URL.Query())
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// readBody reads the whole body within the size bound. A status other than 0
// reports why the body cannot be used.
func (v *validator) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, string) {
	if r.Body == nil {
		return nil, 0, ""
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, v.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", v.maxBody)
		}
		return nil, http.StatusBadRequest, "cannot read request body: " + err.Error()
	}
	return data, 0, ""
}

// validateItem checks one item of a lenient bulk request against schema and
// decodes it into dst. The messages name the element, prefixed with where
// the item stands in the request.
func validateItem(schema *openapi3.Schema, raw json.RawMessage, dst any, prefix string) []string {
	var value any
	if err := json.Unmarshal(raw, &value); err != nil {
		return []string{prefix + "not valid JSON: " + err.Error()}
	}
	if err := schema.VisitJSON(value, openapi3.VisitAsRequest(), openapi3.MultiErrors(), openapi3.DisableReadOnlyValidation()); err != nil {
		msgs := describeIn(err, "")
		for i := range msgs {
			msgs[i] = prefix + msgs[i]
		}
		return msgs
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return []string{prefix + err.Error()}
	}
	return nil
}

// describe turns a kin-openapi validation error into one clear message per
// problem, each naming the element.
func describe(err error) []string { return describeIn(err, "request body") }

// describeIn is describe for errors in the value called root (the request
// body, or a parameter).
func describeIn(err error, root string) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, inner := range e {
				walk(inner)
			}
			return
		case *openapi3filter.RequestError:
			out = append(out, requestMessages(e, root)...)
			return
		case *openapi3.SchemaError:
			out = append(out, schemaMessage(e, root))
			return
		}
		if inner := errors.Unwrap(err); inner != nil {
			walk(inner)
			return
		}
		out = append(out, err.Error())
	}
	walk(err)
	if len(out) == 0 {
		out = []string{err.Error()}
	}
	return out
}

// requestMessages words a request error: a bad parameter is named, a bad
// body is described element by element.
func requestMessages(e *openapi3filter.RequestError, root string) []string {
	if e.Parameter != nil {
		root = e.Parameter.Name
	}
	var parseErr *openapi3filter.ParseError
	switch {
	case e.Err == nil:
		return []string{root + ": " + strings.TrimSpace(e.Reason)}
	case errors.As(e.Err, &parseErr) && e.Parameter != nil:
		return []string{fmt.Sprintf("%s: %q is not a valid %s", root, fmt.Sprint(parseErr.Value), kindOf(e.Parameter.Schema))}
	case errors.As(e.Err, &parseErr):
		return []string{"request body is not valid JSON: " + parseErr.Error()}
	}
	var multi openapi3.MultiError
	var se *openapi3.SchemaError
	if errors.As(e.Err, &multi) || errors.As(e.Err, &se) {
		return describeIn(e.Err, root)
	}
	return []string{root + ": " + e.Err.Error()}
}

func kindOf(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil || ref.Value.Type == nil || len(*ref.Value.Type) == 0 {
		return "value"
	}
	return (*ref.Value.Type)[0]
}

// schemaMessage words one schema violation: the element's path first, then
// what is wrong with its value, with the allowed values for an enum.
func schemaMessage(se *openapi3.SchemaError, root string) string {
	var b strings.Builder
	for _, seg := range se.JSONPointer() {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	path := b.String()
	name := func(child string) string {
		if path == "" {
			return child
		}
		return path + "." + child
	}
	var msg string
	switch se.SchemaField {
	case "enum":
		allowed := make([]string, 0, len(se.Schema.Enum))
		for _, v := range se.Schema.Enum {
			allowed = append(allowed, fmt.Sprint(v))
		}
		if path == "" {
			path = root
		}
		return fmt.Sprintf("%s: %s is not an allowed value; allowed values: %s", path, quote(se.Value), strings.Join(allowed, ", "))
	case "required":
		if prop := between(se.Reason, `property "`, `"`); prop != "" {
			if !strings.HasSuffix(path, prop) {
				path = name(prop)
			}
			return path + ": is required"
		}
	case "type":
		msg = fmt.Sprintf("must be %s, not %s", article(kindOf(&openapi3.SchemaRef{Value: se.Schema})), quote(se.Value))
	case "maxLength":
		if s, ok := se.Value.(string); ok && se.Schema.MaxLength != nil {
			msg = fmt.Sprintf("is longer than %d characters (%d)", *se.Schema.MaxLength, len([]rune(s)))
		}
	case "minProperties":
		if se.Schema.MinProps > 0 {
			msg = fmt.Sprintf("must have at least %d element(s)", se.Schema.MinProps)
		}
	case "pattern":
		msg = fmt.Sprintf("%s does not match the pattern %s", quote(se.Value), se.Schema.Pattern)
	}
	if prop := between(se.Reason, `property "`, `" is unsupported`); prop != "" {
		return name(prop) + ": is not an element of this resource"
	}
	if msg == "" {
		msg = se.Reason
	}
	switch {
	case path != "":
		return path + ": " + msg
	case root != "":
		return root + ": " + msg
	}
	return msg
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	return s[:j]
}

func article(kind string) string {
	switch kind {
	case "integer", "object", "array":
		return "an " + kind
	}
	return "a " + kind
}

func quote(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// writeErrors answers in the Core API's error format:
// {"errors": {"<resource>": ["<message>", ...]}}.
func writeErrors(w http.ResponseWriter, status int, resource string, msgs ...string) {
	sort.Strings(msgs)
	writeJSON(w, status, map[string]any{"errors": map[string][]string{resource: msgs}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"errors":{"server":["cannot encode the response"]}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}
