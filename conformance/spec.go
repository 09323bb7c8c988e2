package conformance

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// operation is one operation of a spec, found by its operationId.
type operation struct {
	id     string
	method string
	path   string
	tag    string // the resource, from the operation's first tag
	op     *openapi3.Operation
}

// operations lists every operation of doc, ordered by path and method.
func operations(doc *openapi3.T) []operation {
	var out []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			tag := ""
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			out = append(out, operation{id: op.OperationID, method: method, path: path, tag: tag, op: op})
		}
	}
	slices.SortFunc(out, func(a, b operation) int {
		return cmp.Or(cmp.Compare(a.path, b.path), cmp.Compare(methodOrder(a.method), methodOrder(b.method)))
	})
	return out
}

func methodOrder(m string) int {
	return slices.Index([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}, m)
}

// statuses returns the statuses op documents, in order.
func (o operation) statuses() []int {
	var out []int
	for code := range o.op.Responses.Map() {
		if n, err := strconv.Atoi(code); err == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// pointer is the JSON pointer of the operation in its document.
func (o operation) pointer() string {
	return "#/paths/" + escapePointer(o.path) + "/" + strings.ToLower(o.method)
}

// requestSchema returns the JSON request body schema of op and its
// reference, if it has one.
func (o operation) requestSchema() (*openapi3.SchemaRef, bool) {
	if o.op.RequestBody == nil || o.op.RequestBody.Value == nil {
		return nil, false
	}
	mt := o.op.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil, false
	}
	return mt.Schema, true
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// element is one property of an object schema.
type element struct {
	name      string
	schema    *openapi3.Schema // the property's schema, allOf of one folded in
	ref       string           // the property's $ref, if any (for enums)
	readOnly  bool
	writeOnly bool
	required  bool
	pointer   string // JSON pointer of the property
}

// elements lists the properties of the object schema ref, by name.
func elements(ref *openapi3.SchemaRef) []element {
	s := ref.Value
	var out []element
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name]
		if p == nil || p.Value == nil {
			continue
		}
		v := p.Value
		refName := p.Ref
		// Fold "allOf: [{$ref: X}]" with readOnly/writeOnly/description
		// into X, keeping the flags.
		if v.Type == nil && len(v.AllOf) == 1 && v.AllOf[0].Value != nil {
			refName = v.AllOf[0].Ref
			inner := *v.AllOf[0].Value
			inner.ReadOnly = inner.ReadOnly || v.ReadOnly
			inner.WriteOnly = inner.WriteOnly || v.WriteOnly
			v = &inner
		}
		out = append(out, element{
			name:      name,
			schema:    v,
			ref:       refName,
			readOnly:  v.ReadOnly,
			writeOnly: v.WriteOnly,
			required:  slices.Contains(s.Required, name),
			pointer:   schemaPointer(ref) + "/properties/" + escapePointer(name),
		})
	}
	return out
}

// schemaPointer is the JSON pointer of a schema: its $ref when it has one.
func schemaPointer(ref *openapi3.SchemaRef) string {
	if ref.Ref != "" {
		return ref.Ref
	}
	return "#"
}

// enumPointer is where an element's allowed values are listed.
func (e element) enumPointer() string {
	if e.ref != "" {
		return e.ref + "/enum"
	}
	return e.pointer + "/enum"
}

// enum returns the allowed string values of e, if it is a string enum.
func (e element) enum() []string {
	var out []string
	for _, v := range e.schema.Enum {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	return out
}

func (e element) is(typ string) bool {
	return e.schema.Type != nil && e.schema.Type.Is(typ)
}

// scalar reports whether e is a string, integer, number or boolean.
func (e element) scalar() bool {
	return e.is("string") || e.is("integer") || e.is("number") || e.is("boolean")
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// spec is one API's document with the lookups the checks need.
type spec struct {
	api  string // "core" or "sourcing"
	file string // "core.yaml"
	doc  *openapi3.T
	ops  []operation
}

func newSpec(api, file string, doc *openapi3.T) *spec {
	return &spec{api: api, file: file, doc: doc, ops: operations(doc)}
}

// op returns the operation with this operationId.
func (s *spec) op(id string) (operation, bool) {
	for _, o := range s.ops {
		if o.id == id {
			return o, true
		}
	}
	return operation{}, false
}

// source is the file and pointer of a spec element.
func (s *spec) source(pointer string) string { return s.file + pointer }

// itemSchema returns the schema of the items of the array property name of
// ref ("events" of EventsCreateRequest).
func itemSchema(ref *openapi3.SchemaRef, name string) (*openapi3.SchemaRef, error) {
	p := ref.Value.Properties[name]
	if p == nil || p.Value == nil || p.Value.Items == nil || p.Value.Items.Value == nil {
		return nil, fmt.Errorf("schema %s has no array property %q", schemaPointer(ref), name)
	}
	return p.Value.Items, nil
}

// pathOf returns the URL path of the operation opID, with id for {id}.
func (sp *spec) pathOf(opID, id string) string {
	o, _ := sp.op(opID)
	return strings.ReplaceAll(o.path, "{id}", url.PathEscape(id))
}
