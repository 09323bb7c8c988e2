package proxy

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/coupaxml"
	"github.com/coupakit/coupakit/internal/wire"
)

// Coupa's page sizes: the Core API answers at most 50 records, the
// Sourcing API at most 250 events.
const (
	coreMaxLimit = 50
	csoMaxLimit  = 250
)

// judged says whether a request is judged at all: only the APIs' own paths
// are. The token endpoint and anything else pass through unjudged.
func judged(path string) bool { return strings.HasPrefix(path, "/api/") }

// judgeRequest finds the operation of a request and judges it. body is the
// request body as sent; the route is nil when no operation matches.
func (s *spec) judgeRequest(ctx context.Context, req *http.Request, body []byte) (*route, []finding) {
	rt, f := s.find(req)
	if f != nil {
		return nil, []finding{*f}
	}
	op := rt.operation()
	var out []finding
	var jsonBody []byte
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		ct := req.Header.Get("Content-Type")
		mt, _, _ := mime.ParseMediaType(ct)
		switch {
		case ct == "" || mt == "application/json":
			jsonBody = body
			if jsonBody == nil {
				jsonBody = []byte{}
			}
		case s.api == "core" && (mt == "application/xml" || mt == "text/xml"):
			converted, f := s.xmlRequest(op, req.URL.Path, body)
			if f != nil {
				return rt, []finding{*f}
			}
			jsonBody = converted
		default:
			accepted := "application/json"
			if s.api == "core" {
				accepted += " or application/xml"
			}
			return rt, []finding{{rule: "content-type", pointer: s.file + rt.pointer() + "/requestBody/content",
				message: fmt.Sprintf("Content-Type %q is not one the operation takes (%s)", ct, accepted)}}
		}
	}
	out = append(out, s.validateRequest(ctx, rt, req, jsonBody)...)
	if q := req.URL.Query(); q.Has("fields") {
		var fields []any
		if err := json.Unmarshal([]byte(q.Get("fields")), &fields); err != nil {
			out = append(out, finding{rule: "parameter", pointer: s.file + "#/components/parameters/fields",
				message: fmt.Sprintf("fields: %q is not a JSON array of element names", q.Get("fields"))})
		}
	}
	return rt, out
}

// xmlRequest turns a Coupa XML request body into its JSON equivalent.
func (s *spec) xmlRequest(op *openapi3.Operation, path string, body []byte) ([]byte, *finding) {
	mt := op.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil, &finding{rule: "content-type", pointer: s.file + "#/paths", message: "the operation takes no XML body"}
	}
	_, singular := xmlRoots(path)
	_, value, err := coupaxml.Decode(bytes.NewReader(body), []string{singular}, mt.Schema.Value)
	if err != nil {
		return nil, &finding{rule: "xml", pointer: s.file + "#/info/description", message: err.Error()}
	}
	data, err := json.Marshal(value)
	if err != nil {
		return nil, &finding{rule: "xml", pointer: s.file + "#/info/description", message: err.Error()}
	}
	return data, nil
}

// xmlRoots names a resource's XML elements from its path:
// /api/integration_errors/1 gives integration-errors and integration-error.
func xmlRoots(path string) (plural, singular string) {
	plural = wire.Hyphenate(resourceOf(path))
	return plural, wire.Singular(plural)
}

// answer is a response as the proxy judges it.
type answer struct {
	status int
	header http.Header
	body   []byte // decoded when it came gzipped
}

// decodeBody returns the body of an answer as the server meant it: gzip is
// decoded, within max bytes.
func decodeBody(header http.Header, body []byte, max int64) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(header.Get("Content-Encoding"))) {
	case "", "identity":
		return body, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(zr, max+1))
		if err != nil {
			return nil, err
		}
		if int64(len(data)) > max {
			return nil, fmt.Errorf("the decoded body is larger than %d bytes", max)
		}
		return data, nil
	}
	return nil, fmt.Errorf("content encoding %q is not decoded", header.Get("Content-Encoding"))
}

func mediaType(contentType string) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt
}

// judgeResponse judges the answer to a request matched to rt, with what the
// specs' conventions add to their schemas: the API's media types, Coupa's
// XML shape, the error format, no null values, and the page size cap.
func (s *spec) judgeResponse(ctx context.Context, rt *route, req *http.Request, a answer) []finding {
	op := rt.operation()
	if a.status == http.StatusTooManyRequests && documented(op, a.status) {
		return nil // throttled: passed through, not judged further
	}
	q := req.URL.Query()
	noBody := s.api == "core" && q.Get("return_object") == "none" && a.status < 300
	mt := mediaType(a.header.Get("Content-Type"))
	isXML := wire.IsXML(a.header.Get("Content-Type"))
	// The format the Core API answers this Accept header in, as the mock
	// (and Coupa) negotiate it.
	negotiated := wire.Negotiate(req.Header.Get("Accept"))
	if len(a.body) > 0 && !noBody {
		switch {
		case s.api == "sourcing" && isXML && a.status >= 400:
			// The page says the Sourcing API's errors are XML; the spec
			// keeps JSON and calls the documents uncertain: not judged.
			return s.judgeStatus(rt, a)
		case s.api == "sourcing" && isXML:
			return []finding{{rule: "content-type", pointer: s.file + "#/info/description", message: "the Sourcing API answers JSON only, not " + mt}}
		case s.api == "core" && isXML && negotiated == wire.JSON:
			return []finding{{rule: "content-type", pointer: s.file + "#/info/description", message: "the client asked for JSON (Accept: " + req.Header.Get("Accept") + ") and got " + mt}}
		case s.api == "core" && isXML:
			return s.judgeXML(rt, req, a)
		case s.api == "core" && mt == "application/json" && negotiated == wire.XML && a.status < 500:
			return []finding{{rule: "content-type", pointer: s.file + "#/info/description", message: fmt.Sprintf("the client let the server choose (Accept: %q): Coupa answers XML, not JSON", req.Header.Get("Accept"))}}
		}
	}
	// Where the spec's words call the documents uncertain (the Sourcing
	// API's error bodies, the single-event PUT and DELETE answers), only the
	// status is judged.
	lenient := s.api == "sourcing" && (a.status >= 400 || ((op.OperationID == "updateEvent" || op.OperationID == "deleteEvent") && a.status < 300))
	partial := q.Has("return_object") || q.Has("fields")
	out, b := s.validateResponse(ctx, rt, req, a.status, a.header, a.body, partial, noBody || lenient)
	if a.status >= 400 && s.api == "core" {
		for i := range out {
			switch out[i].rule {
			case "status", "content-type":
			default:
				out[i].rule = "error-format"
				out[i].pointer = s.file + "#/components/schemas/Errors"
			}
		}
	}
	if !b.judged() {
		return out // not judged further: no body, or not JSON
	}
	if !b.checked { // the checker found no null in a checked body
		for _, p := range findNulls(b.value, "") {
			out = append(out, finding{rule: "null", pointer: s.file + "#/info/description", message: p + ": null value (null values are left out of answers)"})
		}
	}
	if a.status == http.StatusOK && isList(op) {
		if n, limit, ok := s.pageSize(b, q.Get("limit")); ok && n > limit {
			out = append(out, finding{rule: "limit", pointer: s.file + s.limitPointer(rt),
				message: fmt.Sprintf("the page holds %d records, more than %d (limit %q, capped at %d)", n, limit, q.Get("limit"), s.maxLimit())})
		}
	}
	return out
}

func (s *spec) maxLimit() int {
	if s.api == "core" {
		return coreMaxLimit
	}
	return csoMaxLimit
}

func (s *spec) limitPointer(rt *route) string {
	if s.api == "core" {
		return "#/components/parameters/limit"
	}
	return rt.pointer() + "/parameters"
}

// pageSize returns how many records a list answer holds and how many it
// may hold.
func (s *spec) pageSize(b body, limitParam string) (n, limit int, ok bool) {
	limit = s.maxLimit()
	if v, err := strconv.Atoi(limitParam); err == nil && v > 0 && v < limit {
		limit = v
	}
	if b.checked {
		return b.items, limit, b.items >= 0
	}
	switch x := b.value.(type) {
	case []any:
		return len(x), limit, true
	case map[string]any:
		if list, found := x["events"].([]any); found {
			return len(list), limit, true
		}
	}
	return 0, 0, false
}

// isList reports whether op is a list query: a GET without an id.
func isList(op *openapi3.Operation) bool { return strings.HasPrefix(op.OperationID, "list") }

// judgeStatus judges only the status of an answer.
func (s *spec) judgeStatus(rt *route, a answer) []finding {
	if documented(rt.operation(), a.status) {
		return nil
	}
	return []finding{{rule: "status", pointer: s.file + rt.pointer() + "/responses", message: fmt.Sprintf("status %d is not documented for %s", a.status, rt.operation().OperationID)}}
}

// judgeXML judges a Core API XML answer by its shape: a documented status
// (or the 404 of a list query that matches nothing, which the spec's
// conventions document), well-formed XML, and Rails' root elements: the
// plural with type="array" for a list, the singular for one record,
// <errors> with <error> items for an error.
func (s *spec) judgeXML(rt *route, req *http.Request, a answer) []finding {
	op := rt.operation()
	noResults := a.status == http.StatusNotFound && isList(op)
	if !noResults {
		if f := s.judgeStatus(rt, a); f != nil {
			return f
		}
	}
	root, attrs, children, err := xmlRoot(a.body)
	if err != nil {
		return []finding{{rule: "xml", pointer: s.file + "#/info/description", message: "the answer is not well-formed XML: " + err.Error()}}
	}
	plural, singular := xmlRoots(req.URL.Path)
	var want string
	switch {
	case a.status >= 400:
		want = "errors"
		for _, c := range children {
			if c != "error" {
				return []finding{{rule: "error-format", pointer: s.file + "#/info/description", message: fmt.Sprintf("an XML error answer holds <%s>; Coupa's hold <error> items only", c)}}
			}
		}
	case a.status < 300 && isList(op):
		want = plural
		if attrs["type"] != "array" {
			return []finding{{rule: "xml", pointer: s.file + "#/info/description", message: fmt.Sprintf(`the list's root <%s> lacks type="array"`, root)}}
		}
	default:
		want = singular
	}
	if root != want {
		return []finding{{rule: "xml", pointer: s.file + "#/info/description", message: fmt.Sprintf("the root element is <%s>, not <%s>", root, want)}}
	}
	return nil
}

// xmlRoot returns the name and attributes of a document's root element and
// the names of its children, having checked that the whole document is
// well-formed.
func xmlRoot(body []byte) (string, map[string]string, []string, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var root string
	var children []string
	attrs := map[string]string{}
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", nil, nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch depth {
			case 1:
				root = t.Name.Local
				for _, at := range t.Attr {
					attrs[at.Name.Local] = at.Value
				}
			case 2:
				children = append(children, t.Name.Local)
			}
		case xml.EndElement:
			depth--
		}
	}
	if root == "" {
		return "", nil, nil, errors.New("no root element")
	}
	return root, attrs, children, nil
}

// findNulls returns the JSON pointers of the null values in v, sorted.
func findNulls(v any, at string) []string {
	var out []string
	walkNulls(v, at, &out)
	slices.Sort(out)
	return out
}

func walkNulls(v any, at string, out *[]string) {
	switch x := v.(type) {
	case nil:
		if at == "" {
			at = "/"
		}
		*out = append(*out, at)
	case map[string]any:
		for k, e := range x {
			switch e.(type) {
			case nil, map[string]any, []any:
				walkNulls(e, at+"/"+escapePointer(k), out)
			}
		}
	case []any:
		for i, e := range x {
			switch e.(type) {
			case nil, map[string]any, []any:
				walkNulls(e, at+"/"+strconv.Itoa(i), out)
			}
		}
	}
}
