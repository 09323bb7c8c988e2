package openapi

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// Checker is a response schema compiled for a quick verdict on a JSON
// document's bytes, without decoding it into values: judging every answer
// against its schema is a proxy's hot path, and kin-openapi's VisitJSON
// wants the decoded document and spends most of its time on it.
//
// A Checker is never more lenient than kin-openapi (with
// openapi3.VisitAsResponse and SchemaOptions, or for a request checker
// openapi3.VisitAsRequest and DisableReadOnlyValidation, as
// ValidateRequest judges a body): where Check says Valid, the document has
// no violation VisitJSON would report, and a request checker's has no
// element whose default VisitJSON would write in. Where it is unsure (a
// number written with an exponent, a duplicated key, invalid UTF-8) it
// says not Valid, and the caller judges the document the slow way, which
// also words the problems. Checkers are safe for concurrent use.
type Checker struct {
	root *cnode
}

// CheckResult is what Check learnt about a document.
type CheckResult struct {
	// Valid says the document is JSON and conforms to the schema. When it
	// is false nothing else is known.
	Valid bool
	// Nulls says the document holds a null value somewhere.
	Nulls bool
	// Items is the number of items of the root array, or of the root
	// object's member named by Check's member; -1 when there is none.
	Items int
	// Undeclared says an object of the document holds an element its
	// schema does not declare (among its properties and its allOf's), where
	// the schema takes such elements; an element declared by one part of
	// an allOf with several may be counted as undeclared too. A value no
	// schema describes (an element's of {}, say) is not looked into.
	Undeclared bool
}

// type bits of cnode.types.
const (
	tString uint8 = 1 << iota
	tInteger
	tNumber
	tBoolean
	tArray
	tObject
	tAll = tString | tInteger | tNumber | tBoolean | tArray | tObject
)

// cnode is one compiled schema.
type cnode struct {
	types     uint8
	nullable  bool
	empty     bool // the schema {}: any value but null
	enum      map[string]struct{}
	dateTime  bool
	intBits   int // 32 or 64 for format int32/int64, 0 for none
	minLen    int
	maxLen    int // -1 for none
	pattern   *openapi3.Schema
	min, max  *float64
	exclMin   bool
	exclMax   bool
	minItems  int
	maxItems  int // -1 for none
	items     *cnode
	props     map[string]int // property name to its index in propNodes
	propNode  []*cnode
	writeOnly []bool // refused when present (response checkers only)
	required  uint64 // bits of the property indexes required
	// defaults: bits of the properties with a default, which a request
	// checker wants present and not null (else VisitJSON writes it in).
	defaults uint64
	// known holds the names the schema declares, its allOf's included.
	known    map[string]struct{}
	missing  bool // a required element is not a property (never present)
	noAddl   bool
	addl     *cnode
	minProps int
	maxProps int // -1 for none
	allOf    []*cnode
	// pureAllOf says the schema is its allOf and nothing more: once its
	// parts passed a value, there is nothing left to check.
	pureAllOf bool
}

// allowedKeywords are the schema keywords a Checker knows. A schema with any
// other keyword is not compiled.
var allowedKeywords = map[string]bool{
	"type": true, "format": true, "enum": true, "nullable": true, "readOnly": true, "writeOnly": true,
	"minLength": true, "maxLength": true, "pattern": true, "minimum": true, "maximum": true,
	"exclusiveMinimum": true, "exclusiveMaximum": true, "minItems": true, "maxItems": true, "items": true,
	"properties": true, "required": true, "additionalProperties": true, "minProperties": true,
	"maxProperties": true, "allOf": true, "description": true, "title": true, "example": true,
	"default": true, "deprecated": true, "externalDocs": true, "xml": true,
}

// annotations are the keywords that constrain nothing.
var annotations = map[string]bool{"description": true, "title": true, "example": true, "deprecated": true, "externalDocs": true, "xml": true}

// schemaKeywords returns the keywords of s, as its JSON form names them, in
// order. It fails on one that is neither in allowed nor an extension
// (x-...): the one way the Checker and the fast path of ValidateRequest
// (fastpath.go) refuse a schema with a keyword they do not model.
func schemaKeywords(s *openapi3.Schema, allowed map[string]bool) ([]string, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !allowed[k] && !strings.HasPrefix(k, "x-") {
			return nil, fmt.Errorf("keyword %q is not supported", k)
		}
	}
	return keys, nil
}

// NewChecker compiles schema. It fails when the schema uses a keyword or a
// format the Checker does not know. "date-time" strings are judged to the
// second with an offset (as SecondsDateTime), which is never more lenient
// than kin-openapi's own date-time check: a Sourcing API datetime with a
// fraction of a second is judged the slow way.
func NewChecker(schema *openapi3.Schema) (*Checker, error) {
	return newChecker(schema, false)
}

// NewRequestChecker compiles schema, a request body's, as NewChecker does,
// for the verdict ValidateRequest gives a body: readOnly elements may be
// sent, and are not required; writeOnly ones may be sent; and an element
// with a default must be present and not null, else the body is not Valid
// (VisitJSON would write the default in, which only the slow way does).
func NewRequestChecker(schema *openapi3.Schema) (*Checker, error) {
	return newChecker(schema, true)
}

func newChecker(schema *openapi3.Schema, request bool) (*Checker, error) {
	c := compiler{nodes: map[*openapi3.Schema]*cnode{}, request: request}
	root, err := c.compile(schema, "#")
	if err != nil {
		return nil, err
	}
	return &Checker{root: root}, nil
}

type compiler struct {
	nodes   map[*openapi3.Schema]*cnode
	request bool
}

func (c *compiler) compile(s *openapi3.Schema, at string) (*cnode, error) {
	if n, ok := c.nodes[s]; ok {
		return n, nil
	}
	n := &cnode{maxLen: -1, maxItems: -1, maxProps: -1}
	c.nodes[s] = n
	keys, err := schemaKeywords(s, allowedKeywords)
	if err != nil {
		return nil, fmt.Errorf("openapi: checker: %s: %w", at, err)
	}
	n.pureAllOf = len(s.AllOf) > 0
	for _, k := range keys {
		if !annotations[k] && k != "allOf" && !strings.HasPrefix(k, "x-") {
			n.pureAllOf = false
		}
	}
	n.empty = s.IsEmpty()
	n.nullable = s.Nullable || s.Type.IncludesNull()
	if s.Type == nil || len(*s.Type) == 0 {
		n.types = tAll
	}
	if s.Type != nil {
		for _, t := range *s.Type {
			switch t {
			case "string":
				n.types |= tString
			case "integer":
				n.types |= tInteger
			case "number":
				n.types |= tNumber | tInteger
			case "boolean":
				n.types |= tBoolean
			case "array":
				n.types |= tArray
			case "object":
				n.types |= tObject
			case "null":
			default:
				return nil, fmt.Errorf("openapi: checker: %s: type %q", at, t)
			}
		}
	}
	if len(s.Enum) > 0 {
		n.enum = map[string]struct{}{}
		for _, v := range s.Enum {
			str, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("openapi: checker: %s: an enum of other values than strings", at)
			}
			n.enum[str] = struct{}{}
		}
	}
	switch s.Format {
	case "":
	case "date-time":
		n.dateTime = true
	case "int32":
		n.intBits = 32
	case "int64":
		n.intBits = 64
	default:
		return nil, fmt.Errorf("openapi: checker: %s: format %q is not supported", at, s.Format)
	}
	if n.intBits != 0 && n.types&tNumber != 0 {
		return nil, fmt.Errorf("openapi: checker: %s: format %q on a number", at, s.Format)
	}
	n.minLen = int(s.MinLength)
	if s.MaxLength != nil {
		n.maxLen = int(*s.MaxLength)
	}
	if s.Pattern != "" {
		n.pattern = &openapi3.Schema{Type: &openapi3.Types{"string"}, Pattern: s.Pattern}
		if err := n.pattern.VisitJSONString(""); err != nil && !strings.Contains(err.Error(), "regular expression") {
			return nil, fmt.Errorf("openapi: checker: %s: pattern: %w", at, err)
		}
	}
	n.min, n.max = s.Min, s.Max
	if s.ExclusiveMin.Value != nil || s.ExclusiveMax.Value != nil {
		return nil, fmt.Errorf("openapi: checker: %s: exclusive bounds as numbers", at)
	}
	n.exclMin = s.ExclusiveMin.Bool != nil && *s.ExclusiveMin.Bool
	n.exclMax = s.ExclusiveMax.Bool != nil && *s.ExclusiveMax.Bool
	n.minItems = int(s.MinItems)
	if s.MaxItems != nil {
		n.maxItems = int(*s.MaxItems)
	}
	if s.Items != nil {
		if s.Items.Value == nil {
			return nil, fmt.Errorf("openapi: checker: %s/items: unresolved", at)
		}
		if n.items, err = c.compile(s.Items.Value, at+"/items"); err != nil {
			return nil, err
		}
	}
	if len(s.Properties) > 64 {
		return nil, fmt.Errorf("openapi: checker: %s: more than 64 properties", at)
	}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	n.props = make(map[string]int, len(names))
	for i, name := range names {
		ref := s.Properties[name]
		if ref == nil || ref.Value == nil {
			return nil, fmt.Errorf("openapi: checker: %s/properties/%s: unresolved", at, name)
		}
		pn, err := c.compile(ref.Value, at+"/properties/"+name)
		if err != nil {
			return nil, err
		}
		n.props[name] = i
		n.propNode = append(n.propNode, pn)
		n.writeOnly = append(n.writeOnly, ref.Value.WriteOnly && !c.request)
		if c.request && ref.Value.Default != nil {
			n.defaults |= 1 << i
		}
	}
	for _, name := range s.Required {
		i, ok := n.props[name]
		if !ok {
			n.missing = true // never present unless sent: judged the slow way
			continue
		}
		if c.request && s.Properties[name].Value.ReadOnly {
			continue // the server's to set: not required of a request
		}
		n.required |= 1 << i
	}
	if has := s.AdditionalProperties.Has; has != nil && !*has {
		n.noAddl = true
	}
	if ref := s.AdditionalProperties.Schema; ref != nil {
		if ref.Value == nil {
			return nil, fmt.Errorf("openapi: checker: %s/additionalProperties: unresolved", at)
		}
		if n.addl, err = c.compile(ref.Value, at+"/additionalProperties"); err != nil {
			return nil, err
		}
	}
	n.minProps = int(s.MinProps)
	if s.MaxProps != nil {
		n.maxProps = int(*s.MaxProps)
	}
	for i, ref := range s.AllOf {
		if ref == nil || ref.Value == nil {
			return nil, fmt.Errorf("openapi: checker: %s/allOf/%d: unresolved", at, i)
		}
		sub, err := c.compile(ref.Value, fmt.Sprintf("%s/allOf/%d", at, i))
		if err != nil {
			return nil, err
		}
		n.allOf = append(n.allOf, sub)
	}
	n.known = make(map[string]struct{}, len(n.props))
	for name := range n.props {
		n.known[name] = struct{}{}
	}
	for _, sub := range n.allOf {
		for name := range sub.known { // nil for a part still compiling (a cycle): fewer names, more counted undeclared
			n.known[name] = struct{}{}
		}
	}
	return n, nil
}

// Checker returns the compiled checker of schema, one of v's response
// schemas, built on first use and kept; nil when the schema uses what a
// Checker does not know (the caller then visits the decoded body).
func (v *Validator) Checker(schema *openapi3.Schema) *Checker {
	return cachedChecker(&v.checkers, schema, NewChecker)
}

// RequestChecker is Checker for schema, one of v's request body schemas:
// its NewRequestChecker.
func (v *Validator) RequestChecker(schema *openapi3.Schema) *Checker {
	return cachedChecker(&v.requestCheckers, schema, NewRequestChecker)
}

func cachedChecker(cache *sync.Map, schema *openapi3.Schema, compile func(*openapi3.Schema) (*Checker, error)) *Checker {
	if c, ok := cache.Load(schema); ok {
		return c.(*Checker)
	}
	c, err := compile(schema)
	if err != nil {
		c = nil
	}
	cache.Store(schema, c)
	return c
}
