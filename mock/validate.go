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

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/internal/wire"
	"github.com/coupakit/coupakit/openapi"
)

// DefaultMaxBodyBytes bounds request bodies when Options.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 10 << 20

// newEnvelopes builds, for each lenient operation, a copy of its body
// schema whose arrays take items of any shape.
func newEnvelopes(doc *openapi3.T, lenient []string) (map[string]*openapi3.Schema, error) {
	out := map[string]*openapi3.Schema{}
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
		out[id] = &env
	}
	return out, nil
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

// validate checks each routed request against the spec before next sees
// it: an unrouted one is answered 404 or 405, a body over the bound 413, a
// body that is not JSON 415, one that breaks the contract 400 naming each
// problem.
func (a *api) validate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := RouteOf(r.Context())
		switch {
		case rt == nil || errors.Is(rt.Err, openapi.ErrNoOperation):
			writeErrors(w, http.StatusNotFound, "request", fmt.Sprintf("no operation matches %s %s", r.Method, r.URL.Path))
			return
		case rt.Match == nil:
			writeErrors(w, http.StatusMethodNotAllowed, "request", fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path))
			return
		}
		op := rt.Match.Route.Operation
		resource := rt.Resource
		if err := checkRequest(r, rt); err != nil {
			writeErrors(w, http.StatusBadRequest, resource, err.Error())
			return
		}
		var body []byte
		if op.RequestBody != nil {
			var status int
			var msg string
			body, status, msg = a.readBody(w, r, rt)
			if status == http.StatusRequestTimeout {
				a.m.writeBodyTimeout(w, resource)
				return
			}
			if status != 0 {
				writeErrors(w, status, resource, msg)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if ct := r.Header.Get("Content-Type"); ct == "" {
				r.Header.Set("Content-Type", "application/json")
			} else if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
				writeErrors(w, http.StatusUnsupportedMediaType, resource, fmt.Sprintf("Content-Type %q is not supported; send %s", ct, a.mediaTypes))
				return
			}
			bulk := a.envelopes[op.OperationID] != nil
			if !rt.bodyChecked(body) { // else the leniency layer proved it
				if err := checkBody(body, bulk); err != nil {
					writeErrors(w, http.StatusBadRequest, resource, err.Error())
					return
				}
			}
		}
		env := a.envelopes[op.OperationID]
		ctx := r.Context()
		if err := a.validateRequest(ctx, r, rt, body, env != nil); err != nil {
			writeErrors(w, http.StatusBadRequest, resource, wire.Describe(err)...)
			return
		}
		if env != nil {
			// The leniency layer's decoding when it has one (numbers as
			// json.Number, which the validator reads as it reads float64).
			value, ok := rt.decodedValue(body)
			if !ok {
				writeErrors(w, http.StatusBadRequest, resource, "request body is not valid JSON")
				return
			}
			if err := env.VisitJSON(value, openapi3.VisitAsRequest(), openapi3.MultiErrors()); err != nil {
				writeErrors(w, http.StatusBadRequest, resource, wire.Describe(err)...)
				return
			}
		}
		if r.URL.RawQuery != "" { // else nil, which reads as empty
			rt.query = r.URL.Query() // the route is this request's alone
		}
		next.ServeHTTP(w, r)
	})
}

// validateRequest checks the request against its operation, the body
// too unless skipBody. A JSON body decoded already (by the leniency layer)
// or decoded here is checked as decoded, which spares the validator
// decoding it again, and one the leniency layer found conforming on its
// bytes is checked on them; the answer is the same.
func (a *api) validateRequest(ctx context.Context, r *http.Request, rt *Route, body []byte, skipBody bool) error {
	if !skipBody && rt.Match.Route.Operation.RequestBody != nil {
		if d := rt.decoded; d != nil && d.value == nil && bytes.Equal(d.raw, body) {
			rt.decoded = nil // the leniency layer checked it on its bytes, undecoded
			return a.validator.ValidateRequestDecoded(ctx, r, rt.Match, body, nil)
		}
		if value, ok := rt.decodedValue(body); ok {
			return a.validator.ValidateRequestDecoded(ctx, r, rt.Match, body, value)
		}
	}
	return a.validator.ValidateRequest(ctx, r, rt.Match, openapi.RequestOptions{SkipBody: skipBody})
}

// bodyChecked reports whether the leniency layer proved that body passes
// checkBody with numbers checked, and so without (a lenient bulk
// operation's).
func (rt *Route) bodyChecked(body []byte) bool {
	d := rt.decoded
	return d != nil && d.checked && bytes.Equal(d.raw, body)
}

// decodedValue returns the request's JSON body decoded with UseNumber, as
// the validator decodes it: the leniency layer's decoding when it read
// these very bytes, else a decoding of its own. false: the body is empty or
// does not decode (the validator says why).
func (rt *Route) decodedValue(body []byte) (any, bool) {
	if len(body) == 0 {
		return nil, false
	}
	if d := rt.decoded; d != nil && d.value != nil && bytes.Equal(d.raw, body) {
		rt.decoded = nil // used once: the validator may write defaults into it
		return d.value, true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, false
	}
	return value, true
}

// readBody reads the whole body within the size bound. A status other than 0
// reports why the body cannot be used.
//
// A body the leniency layer read whole and put back is not read again:
// it holds the bytes that layer read, which fit the bound.
func (a *api) readBody(w http.ResponseWriter, r *http.Request, rt *Route) ([]byte, int, string) {
	if r.Body == nil {
		return nil, 0, ""
	}
	if d := rt.decoded; d != nil && r.Body == d.body {
		return d.raw, 0, ""
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.m.opts.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", a.m.opts.MaxBodyBytes)
		}
		if bodyTimedOut(r) {
			return nil, http.StatusRequestTimeout, ""
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
	if err := checkJSON(raw, true); err != nil {
		return []string{prefix + err.Error()}
	}
	if err := schema.VisitJSON(value, openapi3.VisitAsRequest(), openapi3.MultiErrors(), openapi3.DisableReadOnlyValidation()); err != nil {
		msgs := wire.DescribeIn(err, "")
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

// writeErrors answers in the Core API's error format:
// {"errors": {"<resource>": ["<message>", ...]}}.
func writeErrors(w http.ResponseWriter, status int, resource string, msgs ...string) {
	wire.WriteErrors(w, status, resource, msgs...)
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
