package proxy

// This file is the proxy's one seam to the specs and to kin-openapi: it
// takes the validators of package openapi, the one validator setup the mock
// uses too (routing, request and response validation, the relaxed copy of a
// spec without required lists, the Core API's datetimes, the compiled
// checkers of response bodies), and turns their verdicts into findings.
// Nothing else in the package calls openapi or openapi3filter.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/gen/sourcing"
	"github.com/coupakit/coupakit/openapi"
	"github.com/coupakit/coupakit/query"
)

// spec is one API's contract, ready to judge exchanges with.
type spec struct {
	api  string // "core" or "sourcing"
	file string // "core.yaml"
	doc  *openapi3.T
	// val routes and validates; relaxed validates the answers that hold
	// only the elements asked for (return_object, fields) against the
	// spec without required lists.
	val, relaxed *openapi.Validator
	// pointers locates the spec's schemas, for the violations' pointers.
	pointers map[*openapi3.Schema]string
	// filters holds the query language of each list operation.
	filters map[string]*query.Schema
	// reserved are the list parameters that are not filters.
	reserved []string
	// records names the record schema of each resource ("integration_errors").
	records map[string]*openapi3.Schema
	// listMember names the member of a list answer that holds the records
	// ("events"), "" when the answer is an array.
	listMember string
}

// loadSpecs takes both APIs' shared validators.
func loadSpecs() (coreSpec, csoSpec *spec, err error) {
	coreVal, err := openapi.CoreValidator()
	if err != nil {
		return nil, nil, err
	}
	csoVal, err := openapi.SourcingValidator()
	if err != nil {
		return nil, nil, err
	}
	// The query language of each list operation, from the records' types,
	// as the mock builds its own (query.SchemaOf).
	coreFilters := map[string]any{
		"listIntegrationErrors":         core.IntegrationError{},
		"listIntegrationHistoryRecords": core.IntegrationHistoryRecord{},
		"listIntegrations":              core.IntegrationResource{},
		"listIntegrationRuns":           core.IntegrationRunResource{},
	}
	coreSpec, err = newSpec("core", "core.yaml", coreVal, coreFilters, []string{"limit", "offset", "order_by", "dir", "return_object", "fields"})
	if err != nil {
		return nil, nil, err
	}
	csoSpec, err = newSpec("sourcing", "sourcing.yaml", csoVal, map[string]any{"listEvents": sourcing.Event{}}, []string{"limit", "offset"})
	if err != nil {
		return nil, nil, err
	}
	csoSpec.listMember = "events"
	return coreSpec, csoSpec, nil
}

func newSpec(api, file string, val *openapi.Validator, filters map[string]any, reserved []string) (*spec, error) {
	relaxed, err := val.Relaxed()
	if err != nil {
		return nil, fmt.Errorf("proxy: %s spec: %w", api, err)
	}
	doc := val.Doc()
	s := &spec{api: api, file: file, doc: doc, val: val, relaxed: relaxed, reserved: reserved,
		pointers: map[*openapi3.Schema]string{}, filters: map[string]*query.Schema{}, records: map[string]*openapi3.Schema{}}
	// Components first, so that a schema is named by its own pointer
	// rather than by the property that refers to it.
	names := sortedKeys(doc.Components.Schemas)
	for _, name := range names {
		if ref := doc.Components.Schemas[name]; ref != nil && ref.Value != nil {
			s.pointers[ref.Value] = "#/components/schemas/" + escapePointer(name)
		}
	}
	for _, name := range names {
		s.descend(doc.Components.Schemas[name], "#/components/schemas/"+escapePointer(name))
	}
	for id, zero := range filters {
		if s.filters[id], err = query.SchemaOf(zero); err != nil {
			return nil, err
		}
	}
	// A resource's record schema is what its show operation answers.
	for path, item := range doc.Paths.Map() {
		if !strings.HasSuffix(path, "/{id}") || item.Get == nil {
			continue
		}
		if schema := successSchema(item.Get); schema != nil {
			s.records[resourceOf(path)] = schema
		}
	}
	return s, nil
}

// index records where every schema reachable from ref is in the document.
func (s *spec) index(ref *openapi3.SchemaRef, at string) {
	if ref == nil || ref.Value == nil {
		return
	}
	if _, ok := s.pointers[ref.Value]; ok {
		return
	}
	s.pointers[ref.Value] = at
	s.descend(ref, at)
}

// descend indexes the schemas inside ref.
func (s *spec) descend(ref *openapi3.SchemaRef, at string) {
	if ref == nil || ref.Value == nil {
		return
	}
	v := ref.Value
	for _, name := range sortedKeys(v.Properties) {
		s.index(v.Properties[name], at+"/properties/"+escapePointer(name))
	}
	s.index(v.Items, at+"/items")
	s.index(v.AdditionalProperties.Schema, at+"/additionalProperties")
	for kw, list := range map[string]openapi3.SchemaRefs{"allOf": v.AllOf, "anyOf": v.AnyOf, "oneOf": v.OneOf} {
		for i, x := range list {
			s.index(x, fmt.Sprintf("%s/%s/%d", at, kw, i))
		}
	}
}

// pointer locates schema in the spec ("core.yaml#/components/schemas/X"),
// or falls back to where.
func (s *spec) pointer(schema *openapi3.Schema, field, where string) string {
	if p, ok := s.pointers[schema]; ok {
		if field != "" {
			p += "/" + field
		}
		return s.file + p
	}
	return s.file + where
}

// successSchema is the JSON schema of an operation's first 2xx answer.
func successSchema(op *openapi3.Operation) *openapi3.Schema {
	for _, code := range []int{200, 201} {
		resp := op.Responses.Status(code)
		if resp == nil || resp.Value == nil {
			continue
		}
		if mt := resp.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			return mt.Schema.Value
		}
	}
	return nil
}

// route is the operation a request was matched to.
type route struct {
	m      *openapi.Match
	params map[string]string
}

func (rt *route) operation() *openapi3.Operation { return rt.m.Route.Operation }

// pointer is the JSON pointer of the operation in its spec.
func (rt *route) pointer() string {
	return "#/paths/" + escapePointer(rt.m.Route.Path) + "/" + strings.ToLower(rt.m.Route.Method)
}

// find matches a request to an operation. The finding is not nil when no
// operation matches.
func (s *spec) find(req *http.Request) (*route, *finding) {
	m, err := s.val.Route(req)
	if err == nil {
		return &route{m: m, params: m.PathParams()}, nil
	}
	msg := fmt.Sprintf("no operation of the %s API matches %s %s", s.api, req.Method, req.URL.Path)
	if errors.Is(err, openapi.ErrMethodNotAllowed) {
		msg = fmt.Sprintf("%s is not an operation of %s in the %s API", req.Method, req.URL.Path, s.api)
	}
	return nil, &finding{rule: "operation", pointer: s.file + "#/paths", message: msg}
}

// validateRequest judges a request's parameters and its JSON body (an XML
// body comes here as its JSON equivalent). Read-only elements are accepted
// in requests, as the specs say (they are ignored).
func (s *spec) validateRequest(ctx context.Context, rt *route, req *http.Request, body []byte) []finding {
	probe := req.Clone(ctx)
	probe.Body = io.NopCloser(bytes.NewReader(body))
	probe.ContentLength = int64(len(body))
	if body != nil {
		probe.Header.Set("Content-Type", "application/json")
	}
	var out []finding
	if err := s.val.ValidateRequest(ctx, probe, rt.m, openapi.RequestOptions{}); err != nil {
		out = s.findings(err, rt.pointer())
	}
	if f := s.filters[rt.operation().OperationID]; f != nil {
		q := req.URL.Query()
		if _, err := f.Parse(q, s.reserved...); err != nil {
			out = append(out, finding{rule: "filter", pointer: s.file + rt.pointer() + "/description", message: err.Error()})
		}
		// Only the Core API's lists take order_by.
		if by := q.Get("order_by"); by != "" && s.api == "core" {
			if _, err := f.Order(by, false); err != nil {
				out = append(out, finding{rule: "filter", pointer: s.file + "#/components/parameters/order_by", message: "order_by: " + err.Error()})
			}
		}
	}
	return out
}

// body is what judging an answer's body learnt, for the conventions'
// checks.
type body struct {
	// value is the body decoded, nil when it was not.
	value any
	// checked says the body was judged valid by the compiled checker,
	// without decoding it, and holds no null; items then counts the
	// records of a list answer (-1: not a list).
	checked bool
	items   int
}

// judged says whether the body was judged at all.
func (b body) judged() bool { return b.checked || b.value != nil }

// validateResponse judges a response's status, headers and JSON body
// against the operation. partial says the answer holds only the elements
// asked for (return_object, fields); noBody that it has no body to judge.
// A body is judged first by the operation's compiled checker, on its bytes;
// one the checker does not pass is decoded once and visited by kin-openapi,
// which words its problems.
func (s *spec) validateResponse(ctx context.Context, rt *route, req *http.Request, status int, header http.Header, data []byte, partial, noBody bool) ([]finding, body) {
	val, m := s.val, rt.m
	if partial {
		if rel, err := s.relaxed.Route(req); err == nil {
			val, m = s.relaxed, rel
		}
	}
	where := rt.pointer() + fmt.Sprintf("/responses/%d", status)
	// kin-openapi judges the status and the headers; the body below.
	if err := val.ValidateResponse(ctx, req, m, status, header, nil, openapi.ResponseOptions{SkipBody: true}); err != nil {
		out := s.findings(err, where)
		for i := range out {
			if out[i].rule == "status" {
				out[i].pointer = s.file + rt.pointer() + "/responses"
				out[i].message = fmt.Sprintf("status %d is not documented for %s", status, rt.operation().OperationID)
			}
		}
		return out, body{}
	}
	resp := m.Route.Operation.Responses.Status(status)
	if noBody || resp == nil || resp.Value == nil || len(resp.Value.Content) == 0 {
		return nil, body{}
	}
	ct := header.Get("Content-Type")
	mt := resp.Value.Content.Get(ct)
	if mt == nil {
		return []finding{{rule: "content-type", pointer: s.file + where + "/content", message: fmt.Sprintf("Content-Type %q is not one the operation answers", ct)}}, body{}
	}
	if mt.Schema == nil || mt.Schema.Value == nil {
		return nil, body{}
	}
	if c := val.Checker(mt.Schema.Value); c != nil {
		if res := c.Check(data, s.listMember); res.Valid && !res.Nulls {
			return nil, body{checked: true, items: res.Items}
		}
	}
	value, err := decodeJSON(data)
	if err != nil {
		return []finding{{rule: "json", pointer: s.file + where + "/content", message: "body is not valid JSON: " + err.Error()}}, body{}
	}
	vopts := append([]openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsResponse()}, val.SchemaOptions()...)
	if err := mt.Schema.Value.VisitJSON(value, vopts...); err != nil {
		return s.findings(err, where), body{value: value}
	}
	return nil, body{value: value}
}

// decodeJSON decodes one JSON document into the values kin-openapi
// validates (map[string]any, []any, json.Number, string, bool, nil), with
// encoding/json: numbers keep their text (UseNumber), and anything but
// white space after the document is an error. Only the answers the
// compiled checker does not pass come here.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, errors.New("unexpected end of JSON input")
		case errors.As(err, &se):
			return nil, fmt.Errorf("%w, at byte %d", err, se.Offset)
		}
		return nil, err
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the document, at byte %d", end)
	}
	return v, nil
}

// documented reports whether the operation documents status.
func documented(op *openapi3.Operation, status int) bool {
	return op.Responses.Status(status) != nil
}

// findings turns a kin-openapi error into one finding per problem, each
// with its rule and spec pointer; where is the pointer of the operation or
// response, for problems that have no schema of their own.
func (s *spec) findings(err error, where string) []finding {
	var out []finding
	var walk func(error)
	walk = func(err error) {
		var multi openapi3.MultiError
		var se *openapi3.SchemaError
		var reqErr *openapi3filter.RequestError
		var respErr *openapi3filter.ResponseError
		if re, ok := err.(*openapi3filter.RequestError); ok && re.Parameter != nil {
			out = append(out, finding{rule: "parameter", pointer: s.file + where + "/parameters", message: parameterMessage(re)})
			return
		}
		switch {
		case errors.As(err, &multi):
			for _, e := range multi {
				walk(e)
			}
		case errors.As(err, &reqErr) && reqErr.Parameter != nil:
			out = append(out, finding{rule: "parameter", pointer: s.file + where + "/parameters", message: parameterMessage(reqErr)})
		case errors.As(err, &se):
			out = append(out, s.schemaFinding(se, where))
		case errors.As(err, &reqErr) && reqErr.Err != nil && !errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired):
			out = append(out, finding{rule: "body", pointer: s.file + where + "/requestBody", message: "request body: " + reqErr.Err.Error()})
		case errors.As(err, &reqErr):
			out = append(out, finding{rule: "body", pointer: s.file + where + "/requestBody", message: "request body: " + strings.TrimSpace(reqErr.Reason)})
		case errors.As(err, &respErr) && strings.HasPrefix(respErr.Reason, "status "):
			out = append(out, finding{rule: "status", pointer: s.file + where, message: respErr.Reason})
		case errors.As(err, &respErr) && (strings.Contains(strings.ToLower(respErr.Reason), "content type") || strings.Contains(strings.ToLower(respErr.Reason), "content-type")):
			out = append(out, finding{rule: "content-type", pointer: s.file + where + "/content", message: respErr.Reason})
		case errors.As(err, &respErr) && respErr.Err != nil:
			var pe *openapi3filter.ParseError
			if errors.As(respErr.Err, &pe) {
				out = append(out, finding{rule: "json", pointer: s.file + where + "/content", message: "body is not valid JSON: " + pe.Error()})
				return
			}
			walk(respErr.Err)
		case errors.As(err, &respErr):
			out = append(out, finding{rule: "body", pointer: s.file + where, message: respErr.Reason})
		default:
			out = append(out, finding{rule: "schema", pointer: s.file + where, message: err.Error()})
		}
	}
	walk(err)
	return out
}

// parameterMessage words a bad parameter: its name, then what is wrong.
func parameterMessage(e *openapi3filter.RequestError) string {
	var se *openapi3.SchemaError
	switch {
	case errors.As(e.Err, &se):
		return fmt.Sprintf("%s: %s %s", e.Parameter.Name, short(se.Value), strings.TrimSpace(se.Reason))
	case e.Err != nil:
		return e.Parameter.Name + ": " + e.Err.Error()
	}
	return e.Parameter.Name + ": " + strings.TrimSpace(e.Reason)
}

// schemaFinding words one schema violation and names its rule from the
// schema keyword it broke.
func (s *spec) schemaFinding(se *openapi3.SchemaError, where string) finding {
	at := "/" + strings.Join(se.JSONPointer(), "/")
	rule := "schema"
	field := se.SchemaField
	msg := strings.TrimSpace(se.Reason)
	switch se.SchemaField {
	case "enum":
		rule = "enum"
		var allowed []string
		for _, v := range se.Schema.Enum {
			allowed = append(allowed, fmt.Sprint(v))
		}
		msg = fmt.Sprintf("%s is not an allowed value; allowed values: %s", short(se.Value), strings.Join(allowed, ", "))
	case "required":
		rule = "required"
		if name := between(se.Reason, `property "`, `"`); name != "" {
			if !strings.HasSuffix(at, "/"+name) {
				at = strings.TrimSuffix(at, "/") + "/" + name
			}
			msg = "is required"
		}
	case "type", "nullable":
		rule = "type"
	case "format":
		rule = "format"
	case "additionalProperties", "properties":
		rule = "element"
		if name := between(se.Reason, `property "`, `"`); name != "" {
			msg = fmt.Sprintf("%q is not an element of this resource", name)
		}
	case "readOnly":
		rule = "read-only"
	case "writeOnly":
		rule = "write-only"
	case "maxLength", "minLength", "pattern", "minimum", "maximum", "minItems", "maxItems", "minProperties", "maxProperties":
		rule = "constraint"
	}
	if strings.Contains(se.Reason, "writeOnly") {
		rule = "write-only"
	} else if strings.Contains(se.Reason, "readOnly") {
		rule = "read-only"
	}
	return finding{rule: rule, pointer: s.pointer(se.Schema, field, where), message: at + ": " + msg}
}
