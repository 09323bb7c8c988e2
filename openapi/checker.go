package openapi

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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

// strPlain marks the bytes a string holds as they are: not the quote, the
// backslash, a control character or the start of a multi-byte character.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// maxCheckDepth bounds the nesting of the documents checked.
const maxCheckDepth = 512

// Check judges a JSON document. member names the root object's array
// whose items CheckResult.Items counts ("events"); for a root array they
// are counted whatever member is.
func (c *Checker) Check(data []byte, member string) CheckResult {
	s := scan{data: data, member: member, items: -1}
	s.space()
	ok := s.value(c.root, 0)
	s.space()
	if !ok || s.i != len(s.data) {
		return CheckResult{Items: -1}
	}
	return CheckResult{Valid: true, Nulls: s.nulls, Items: s.items, Undeclared: s.undeclared}
}

// scan walks a document's bytes.
type scan struct {
	data   []byte
	i      int
	nulls  bool
	member string
	items  int
	// undeclared: an object held an element its schema does not declare.
	undeclared bool
	// countNext says the value about to be read is the member counted.
	countNext bool
}

func (s *scan) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value checks the value at s.i against n (nil: any value) and moves past
// it.
func (s *scan) value(n *cnode, depth int) bool {
	if depth > maxCheckDepth || s.i >= len(s.data) {
		return false
	}
	start := s.i
	counted := s.countNext
	s.countNext = false
	if n != nil && len(n.allOf) > 0 {
		for _, sub := range n.allOf {
			s.i = start
			s.countNext = counted
			if !s.value(sub, depth+1) {
				return false
			}
		}
		if n.pureAllOf && s.data[start] != 'n' {
			return true // past the value, as the last part left it
		}
		s.i = start
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object(n, depth)
	case c == '[':
		s.countNext = counted
		return s.array(n, depth)
	case c == '"':
		return s.str(n)
	case c == 't' || c == 'f':
		word := "true"
		if c == 'f' {
			word = "false"
		}
		if !s.literal(word) {
			return false
		}
		return n == nil || (n.types&tBoolean != 0 && n.enum == nil)
	case c == 'n':
		if !s.literal("null") {
			return false
		}
		s.nulls = true
		return n == nil || n.nullable
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(n)
	}
	return false
}

func (s *scan) literal(word string) bool {
	if len(s.data)-s.i < len(word) || string(s.data[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

// number checks a number. One with a fraction or an exponent is valid only
// for a number type; an integer is read exactly.
func (s *scan) number(n *cnode) bool {
	start := s.i
	if s.data[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.data) {
		return false
	}
	if s.data[s.i] == '0' {
		s.i++
	} else if !s.digits() {
		return false
	}
	integer := true
	if s.i < len(s.data) && s.data[s.i] == '.' {
		integer = false
		s.i++
		if !s.digits() {
			return false
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		integer = false
		s.i++
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	if n == nil {
		return true
	}
	if n.enum != nil {
		return false
	}
	if integer && n.types&tInteger == 0 || !integer && n.types&tNumber == 0 {
		return false
	}
	raw := s.data[start:s.i]
	if n.intBits != 0 && !fitsInt(raw, n.intBits) {
		return false
	}
	if n.min == nil && n.max == nil {
		return true
	}
	var v float64
	if integer && len(raw) <= 16 {
		v = float64(smallInt(raw)) // exact: below 2^53
	} else {
		var err error
		if v, err = strconv.ParseFloat(string(raw), 64); err != nil {
			return false
		}
	}
	if n.min != nil && (v < *n.min || n.exclMin && v == *n.min) {
		return false
	}
	if n.max != nil && (v > *n.max || n.exclMax && v == *n.max) {
		return false
	}
	return true
}

// fitsInt reports whether the integer literal raw fits in a signed integer
// of size bits (32 or 64).
func fitsInt(raw []byte, size int) bool {
	limit := "9223372036854775807"
	if size == 32 {
		limit = "2147483647"
	}
	digits := raw
	if raw[0] == '-' {
		digits = raw[1:]
		limit = limit[:len(limit)-1] + string(limit[len(limit)-1]+1)
	}
	switch {
	case len(digits) < len(limit):
		return true
	case len(digits) > len(limit):
		return false
	}
	return string(digits) <= limit
}

// smallInt reads an integer literal of at most 16 characters.
func smallInt(raw []byte) int64 {
	neg := raw[0] == '-'
	if neg {
		raw = raw[1:]
	}
	var v int64
	for _, c := range raw {
		v = v*10 + int64(c-'0')
	}
	if neg {
		return -v
	}
	return v
}

func (s *scan) digits() bool {
	start := s.i
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// stringBytes reads a string and returns its content, unescaped. ok is
// false for a string that is not valid JSON or not valid UTF-8.
func (s *scan) stringBytes() ([]byte, bool) {
	s.i++ // the quote
	start := s.i
	data := s.data
	ascii := true
plain:
	for i := start; i < len(data); i++ {
		c := data[i]
		if strPlain[c] {
			continue
		}
		switch {
		case c == '"':
			raw := data[start:i]
			s.i = i + 1
			return raw, ascii || utf8.Valid(raw)
		case c >= 0x80:
			ascii = false
			continue
		}
		break plain // an escape or a control character
	}
	// Escapes: find the closing quote, then let encoding/json unescape.
	for s.i < len(s.data) {
		switch c := s.data[s.i]; {
		case c == '"':
			s.i++
			var out string
			if err := json.Unmarshal(s.data[start-1:s.i], &out); err != nil || !utf8.ValidString(out) {
				return nil, false
			}
			return []byte(out), true
		case c == '\\':
			s.i += 2
		case c < 0x20:
			return nil, false
		default:
			s.i++
		}
	}
	return nil, false
}

func (s *scan) str(n *cnode) bool {
	b, ok := s.stringBytes()
	if !ok {
		return false
	}
	if n == nil || n.empty {
		return true
	}
	if n.types&tString == 0 {
		return false
	}
	if n.enum != nil {
		if _, ok := n.enum[string(b)]; !ok {
			return false
		}
	}
	if n.minLen > 0 || n.maxLen >= 0 {
		l := utf8.RuneCount(b)
		if l < n.minLen || n.maxLen >= 0 && l > n.maxLen {
			return false
		}
	}
	if n.pattern != nil && n.pattern.VisitJSONString(string(b)) != nil {
		return false
	}
	if n.dateTime && !secondsDatetimeBytes(b) {
		return false
	}
	return true
}

func (s *scan) array(n *cnode, depth int) bool {
	if n != nil && !n.empty && n.types&tArray == 0 || n != nil && n.enum != nil {
		return false
	}
	s.i++ // [
	counted := depth == 0 || s.countNext
	s.countNext = false
	var items *cnode
	if n != nil {
		items = n.items
	}
	count := 0
	s.space()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
	} else {
		for {
			s.space()
			if !s.value(items, depth+1) {
				return false
			}
			count++
			s.space()
			if s.i >= len(s.data) {
				return false
			}
			if s.data[s.i] == ']' {
				s.i++
				break
			}
			if s.data[s.i] != ',' {
				return false
			}
			s.i++
		}
	}
	if counted {
		s.items = count
	}
	if n == nil {
		return true
	}
	return count >= n.minItems && (n.maxItems < 0 || count <= n.maxItems)
}

func (s *scan) object(n *cnode, depth int) bool {
	if n != nil && !n.empty && n.types&tObject == 0 || n != nil && n.enum != nil {
		return false
	}
	s.i++ // {
	var seen uint64
	count := 0
	var extra map[string]bool // additional keys, when their number matters
	s.space()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
	} else {
		for {
			s.space()
			if s.i >= len(s.data) || s.data[s.i] != '"' {
				return false
			}
			key, ok := s.stringBytes()
			if !ok {
				return false
			}
			s.space()
			if s.i >= len(s.data) || s.data[s.i] != ':' {
				return false
			}
			s.i++
			s.space()
			count++
			var sub *cnode
			if n != nil {
				if _, declared := n.known[string(key)]; !declared {
					s.undeclared = true
				}
				if idx, isProp := n.props[string(key)]; isProp {
					if seen&(1<<idx) != 0 || n.writeOnly[idx] {
						return false // a duplicated key or a writeOnly element
					}
					if n.defaults&(1<<idx) != 0 && s.i < len(s.data) && s.data[s.i] == 'n' {
						return false // null: VisitJSON would write the default in
					}
					seen |= 1 << idx
					sub = n.propNode[idx]
				} else if n.noAddl {
					return false
				} else {
					sub = n.addl
					if n.minProps > 0 {
						if extra == nil {
							extra = map[string]bool{}
						}
						if extra[string(key)] {
							return false
						}
						extra[string(key)] = true
					}
				}
			}
			s.countNext = depth == 0 && s.member != "" && string(key) == s.member
			if !s.value(sub, depth+1) {
				return false
			}
			s.countNext = false
			s.space()
			if s.i >= len(s.data) {
				return false
			}
			if s.data[s.i] == '}' {
				s.i++
				break
			}
			if s.data[s.i] != ',' {
				return false
			}
			s.i++
		}
	}
	if n == nil {
		return true
	}
	if n.missing || seen&n.required != n.required || seen&n.defaults != n.defaults {
		return false
	}
	if count < n.minProps || n.maxProps >= 0 && count > n.maxProps {
		return false
	}
	return bits.OnesCount64(seen)+len(extra) >= n.minProps
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

// secondsDatetimeBytes is SecondsDateTime's check on bytes, without
// time.Parse: the layout, then each field's range (the day within its
// month). It accepts no text time.Parse refuses.
func secondsDatetimeBytes(b []byte) bool {
	if !secondsShape(string(b)) {
		return false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return false
	}
	if num(11, 2) > 23 || num(14, 2) > 59 || num(17, 2) > 59 {
		return false
	}
	if len(b) > 20 && (num(20, 2) > 23 || num(23, 2) > 59) {
		return false
	}
	return true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
