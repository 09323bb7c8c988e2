package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/query"
)

// WarningHeader is the response header that reports each leniency the mock
// allowed a request, one header line per warning, worded as normalizeBody
// words them: `Coupakit-Warning: unknown element "comment" ignored`. The
// journal keeps them too (Request.Warnings).
const WarningHeader = "Coupakit-Warning"

// lenient reads the request as Coupa would (lenient.go) before the
// validator sees it: the JSON body (an XML one is JSON by now), the names
// of fields and of order_by. Each leniency becomes a WarningHeader line.
// With Options.Strict, bodies are left to the validator (today's 400s name
// each element), and a respelt name in fields or order_by is a 400.
func (a *api) lenient(next http.Handler) http.Handler {
	strict := a.m.opts.Strict
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := RouteOf(r.Context())
		if rt == nil || rt.Match == nil {
			next.ServeHTTP(w, r)
			return
		}
		var warnings []string
		if msgs := a.lenientQuery(r, rt, strict, &warnings); len(msgs) > 0 {
			writeErrors(w, http.StatusBadRequest, resourceOf(r), msgs...)
			return
		}
		if !strict {
			warnings = append(warnings, a.lenientBody(r, rt)...)
		}
		for _, warning := range warnings {
			w.Header().Add(WarningHeader, warning)
		}
		next.ServeHTTP(w, r)
	})
}

// lenientBody normalizes a JSON request body in place and returns its
// warnings. A body that is too large, not JSON or of another type is left
// as it is, for the validator's 413, 400 or 415.
func (a *api) lenientBody(r *http.Request, rt *Route) []string {
	op := rt.Match.Route.Operation
	if op.RequestBody == nil || op.RequestBody.Value == nil || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return nil
		}
	}
	content := op.RequestBody.Value.Content.Get("application/json")
	if content == nil || content.Schema == nil || content.Schema.Value == nil {
		return nil
	}
	// The journal read the body already when it is at most 16 KiB: its
	// bytes are taken as they are, not copied.
	var head []byte
	var err error
	taken := false
	if sb, ok := r.Body.(*sentBody); ok {
		head, taken = sb.take()
	}
	if !taken {
		head, err = io.ReadAll(io.LimitReader(r.Body, a.m.opts.MaxBodyBytes+1))
	}
	rest := r.Body
	put := &readCloser{Reader: io.MultiReader(bytes.NewReader(head), rest), Closer: rest}
	r.Body = put
	if err != nil || int64(len(head)) > a.m.opts.MaxBodyBytes {
		return nil
	}
	// A body the validation layer refuses whole (strings that are not
	// Unicode, integers beyond 64 bits, trailing data) is left as sent, so
	// that the refusal names it: leniency never hides bad input.
	// (Numbers are checked in every item of a bulk body too: the items
	// then refuse their own.) A body checkBody takes is one JSON value, or
	// only white space, which does not decode.
	//
	// proved: the body passes the validation layer's checkBody too, with
	// numbers checked, and the validation layer need not check it again.
	proved := provablyJSON(head, true)
	if !proved && checkBody(head, false) != nil {
		return nil
	}
	// A body the request checker passes, every element of it declared,
	// needs no reading (normalizeBody would find nothing: a name in the
	// other spelling, an unknown element or a value to cast is undeclared
	// or of the wrong type), and is not decoded: the validation layer
	// checks it on its bytes (ValidateRequestDecoded without a value). A
	// lenient bulk body is decoded whatever it holds (its items are
	// validated one by one): it is left to the walk below.
	if c := a.validator.RequestChecker(content.Schema.Value); proved && c != nil && a.envelopes[op.OperationID] == nil {
		if res := c.Check(head, ""); res.Valid && !res.Undeclared {
			rt.decoded = &decodedBody{raw: head, body: put, checked: true}
			return nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(head))
	dec.UseNumber()
	var body any
	if dec.Decode(&body) != nil {
		return nil
	}
	// Most bodies need no reading: they are left as sent, without
	// building their normalized copy.
	if !needsNormalizing(body, content.Schema.Value) {
		rt.decoded = &decodedBody{raw: head, value: body, body: put, checked: proved}
		return nil
	}
	out, warnings, _ := normalizeBody(body, content.Schema.Value, false)
	if len(warnings) == 0 {
		return nil
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.ContentLength = int64(len(data))
	return warnings
}

// lenientQuery reads the names in fields and order_by in the spec's
// spelling, rewriting the query, and adds their warnings; in strict mode it
// returns the errors of a respelt name instead.
func (a *api) lenientQuery(r *http.Request, rt *Route, strict bool, warnings *[]string) []string {
	if r.URL.RawQuery == "" {
		return nil
	}
	// Read strictly: a query read in part (a semicolon, a bad escape) is
	// left as sent, for the validation layer to refuse whole; rewritten
	// from the part read, it would drop a filter and answer wider.
	q, err := query.ParseValues(r.URL.RawQuery)
	if err != nil {
		return nil
	}
	if !q.Has("fields") && !q.Has("order_by") {
		return nil
	}
	record := recordSchema(rt.Match.Route.Operation)
	if record == nil {
		return nil
	}
	changed := false
	var errs []string
	if f := q["fields"]; a.projection && len(f) == 1 {
		var list []any
		dec := json.NewDecoder(bytes.NewReader([]byte(f[0])))
		if dec.Decode(&list) == nil {
			if _, err := dec.Token(); errors.Is(err, io.EOF) {
				out, ws, es := normalizeFields(list, record, strict)
				errs = append(errs, es...)
				*warnings = append(*warnings, ws...)
				// A list of unknown names only is left as sent: the
				// projection ignores them (an empty list would be a 400).
				if len(ws) > 0 && len(out) > 0 {
					if data, err := json.Marshal(out); err == nil {
						q.Set("fields", string(data))
						changed = true
					}
				}
			}
		}
	}
	if o := q["order_by"]; len(o) == 1 && o[0] != "" && hasParameter(rt.Match.Route.Operation, "order_by") {
		// Coupa's own documentation writes order_by with underscores
		// (order_by=updated_at): both spellings are read in strict mode
		// too, with a warning naming the spec's.
		if canonical, warning, ok := normalizeOrderBy(o[0], record, false); ok && warning != "" {
			q.Set("order_by", canonical)
			changed = true
			*warnings = append(*warnings, warning)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if changed {
		r.URL.RawQuery = q.Encode()
	}
	return nil
}

// recordSchema returns the schema of one record an operation answers with:
// its 200 JSON answer, or the items of it when it is a list.
func recordSchema(op *openapi3.Operation) *openapi3.Schema {
	resp := op.Responses.Status(http.StatusOK)
	if resp == nil || resp.Value == nil {
		return nil
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	s := mt.Schema.Value
	if schemaTypeOf(s) == "array" {
		return schemaItemsOf(s)
	}
	return s
}

// hasParameter reports whether the operation declares the query parameter.
func hasParameter(op *openapi3.Operation, name string) bool {
	for _, p := range op.Parameters {
		if p != nil && p.Value != nil && p.Value.In == "query" && p.Value.Name == name {
			return true
		}
	}
	return false
}
