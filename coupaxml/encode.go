package coupaxml

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/internal/wire"
)

// ContentType is the media type of the documents this package writes, as
// Coupa sends it.
const ContentType = "application/xml; charset=utf-8"

// NoResultsMessage is the message of Coupa's XML answer to a list query
// that matches nothing (see [NoResults]), "No results match your search
// criteria.", as the wire rules (internal/wire) have it.
const NoResultsMessage = wire.NoResults

// header starts every document.
const header = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// maxEncodeDepth bounds the nesting of values given to Encode, so that a
// cyclic Go value fails instead of overflowing the stack.
const maxEncodeDepth = 128

// Encode writes value as an XML document whose root element is root.
//
// value is a decoded JSON value: map[string]any for a record, []any for a
// list, string, bool, json.Number or float64 (or a Go integer type), or
// nil. schema describes value (for a record, the resource's object schema);
// it may be nil, in which case every element takes its type attribute from
// its value and no nil elements are added. An object is written with every
// property the schema declares, in alphabetical order: the ones the value
// lacks (or holds as null) as empty elements with nil="true", writeOnly
// ones never; keys the schema does not declare come in the same order. The
// items of an array are named by the item schema's xml.name, else by the
// [Singular] of the array's name, else "item".
//
// When a value and its schema disagree (a string where the schema says
// integer), the type attribute follows the value, so that the document
// says what it holds.
//
// Nothing is written to w unless the whole document could be built; the
// error then names the element at fault.
func Encode(w io.Writer, root string, value any, schema *openapi3.Schema) error {
	e := newEncoder()
	sl, err := e.slot(root, schema)
	if err == nil {
		err = e.element(&sl, value, 0)
	}
	if err != nil {
		e.free()
		return err
	}
	return e.flush(w)
}

// EncodeList writes values as a list: a root element root with
// type="array" holding one element named item per value, each described by
// schema (the schema of one record). An empty item name means the
// [Singular] of root, else "item". An empty list is
// <root type="array"/>.
//
// Like [Encode], it writes nothing to w when it fails.
func EncodeList(w io.Writer, root, item string, values []any, schema *openapi3.Schema) error {
	if item == "" {
		item = Singular(root)
		if item == "" {
			item = "item"
		}
	}
	if err := checkName(root); err != nil {
		return err
	}
	e := newEncoder()
	sl, err := e.slot(item, schema)
	if err == nil {
		err = e.array(root, &sl, values, 0)
	}
	if err != nil {
		e.free()
		return err
	}
	return e.flush(w)
}

// EncodeErrors writes Coupa's XML error document, one error element per
// message, in order:
//
//	<errors>
//	  <error>message</error>
//	</errors>
//
// Coupa's JSON errors group the messages by resource; [ErrorMessages]
// takes them out of a JSON error body in order.
func EncodeErrors(w io.Writer, messages []string) error {
	e := newEncoder()
	if len(messages) == 0 {
		e.buf.WriteString("<errors/>\n")
		return e.flush(w)
	}
	e.buf.WriteString("<errors>\n")
	for _, m := range messages {
		e.buf.WriteString("  <error>")
		e.text(m)
		e.buf.WriteString("</error>\n")
	}
	e.buf.WriteString("</errors>\n")
	return e.flush(w)
}

// NoResults returns Coupa's XML answer to a list query that matches
// nothing, which it sends with status 404 (in JSON the answer is 200 with
// an empty array). Each call returns a fresh slice.
func NoResults() []byte {
	var b bytes.Buffer
	_ = EncodeErrors(&b, []string{NoResultsMessage}) // cannot fail on a bytes.Buffer
	return b.Bytes()
}

// ErrorMessages returns the messages of a JSON error body in Coupa's
// format, {"errors": {"<resource>": ["message", ...], ...}}, in the order
// the body gives them (resources first to last, each one's messages in
// order), ready for [EncodeErrors]. Other members of the top-level object
// are ignored.
func ErrorMessages(body []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	bad := func(what string) error {
		return fmt.Errorf("coupaxml: not a Coupa error body: %s", what)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, bad("want a JSON object")
	}
	var msgs []string
	found := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, bad(err.Error())
		}
		if tok != "errors" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, bad(err.Error())
			}
			continue
		}
		found = true
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return nil, bad(`"errors" is not an object`)
		}
		for dec.More() {
			resource, err := dec.Token()
			if err != nil {
				return nil, bad(err.Error())
			}
			var list []string
			if err := dec.Decode(&list); err != nil {
				return nil, bad(fmt.Sprintf("errors.%v is not a list of strings", resource))
			}
			msgs = append(msgs, list...)
		}
		if _, err := dec.Token(); err != nil {
			return nil, bad(err.Error())
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad(err.Error())
	}
	if !found {
		return nil, bad(`no "errors" member`)
	}
	return msgs, nil
}

// encoder builds one document in memory.
type encoder struct {
	buf bytes.Buffer
	// objects caches the compiled object schemas of this document, so that
	// a list compiles its record schema once.
	objects map[*openapi3.Schema]*object
	scratch []byte // for escaping
}

// encoders keeps encoders, and so their buffers, between calls.
var encoders = sync.Pool{New: func() any { return new(encoder) }}

// maxPooled is the largest buffer kept for reuse: a page of 50 records
// takes about 110 KB.
const maxPooled = 1 << 20

// newEncoder returns an encoder holding the document header. Give it back
// with flush or free.
func newEncoder() *encoder {
	e := encoders.Get().(*encoder)
	e.buf.WriteString(header)
	return e
}

// free returns e to the pool.
func (e *encoder) free() {
	if e.buf.Cap() > maxPooled {
		return
	}
	e.buf.Reset()
	clear(e.objects)
	e.scratch = e.scratch[:0]
	encoders.Put(e)
}

// flush writes the document to w and frees e.
func (e *encoder) flush(w io.Writer) error {
	defer e.free()
	_, err := w.Write(e.buf.Bytes())
	return err
}

// slot is where a value goes: an element name and the schema the element
// has there.
type slot struct {
	name   string
	schema *openapi3.Schema
	kind   kind
	attr   string // type attribute for a value of the schema's kind, and for nil
	item   string // name of the items, for an array; "" until needed
}

// slot describes an element named name with schema s.
func (e *encoder) slot(name string, s *openapi3.Schema) (slot, error) {
	if err := checkName(name); err != nil {
		return slot{}, err
	}
	return newSlot(name, s), nil
}

// newSlot describes an element named name, a valid XML name, with schema s.
func newSlot(name string, s *openapi3.Schema) slot {
	return slot{name: name, schema: s, kind: kindOf(s), attr: typeAttr(s)}
}

// object is a compiled object schema.
type object struct {
	fields []slot          // the properties that are written, sorted by name
	known  map[string]bool // every declared name; true for writeOnly ones
	extra  *openapi3.Schema
}

func (e *encoder) object(s *openapi3.Schema) (*object, error) {
	if o, ok := e.objects[s]; ok {
		return o, nil
	}
	names, schemas := propertyNames(s)
	o := &object{known: make(map[string]bool, len(names)), extra: additional(s)}
	for _, name := range names {
		ps := schemas[name]
		wo := isWriteOnly(ps)
		o.known[name] = wo
		if wo {
			continue
		}
		sl, err := e.slot(name, ps)
		if err != nil {
			return nil, err
		}
		o.fields = append(o.fields, sl)
	}
	if e.objects == nil {
		e.objects = map[*openapi3.Schema]*object{}
	}
	e.objects[s] = o
	return o, nil
}

// encodeError is an error of Encode; path, innermost first, grows as it
// returns through the elements that hold the one at fault.
type encodeError struct {
	path []string
	msg  string
}

func (e *encodeError) Error() string {
	if len(e.path) == 0 {
		return "coupaxml: " + e.msg
	}
	parts := slices.Clone(e.path)
	slices.Reverse(parts)
	return "coupaxml: " + strings.Join(parts, ".") + ": " + e.msg
}

// within adds the name of the element holding the one err is about.
func within(err error, name string) error {
	var ee *encodeError
	if errors.As(err, &ee) {
		ee.path = append(ee.path, name)
	}
	return err
}

func failf(format string, args ...any) error {
	return &encodeError{msg: fmt.Sprintf(format, args...)}
}

const spaces = "                                                                "

func (e *encoder) indent(depth int) {
	for n := 2 * depth; n > 0; {
		k := min(n, len(spaces))
		e.buf.WriteString(spaces[:k])
		n -= k
	}
}

// startTag writes a start tag up to its type attribute, unclosed.
func (e *encoder) startTag(name, attr string) {
	e.buf.WriteByte('<')
	e.buf.WriteString(name)
	if attr != "" {
		e.buf.WriteString(` type="`)
		e.buf.WriteString(attr)
		e.buf.WriteByte('"')
	}
}

// open writes the start tag of a non-empty element.
func (e *encoder) open(name, attr string) {
	e.startTag(name, attr)
	e.buf.WriteByte('>')
}

func (e *encoder) close(name string) {
	e.buf.WriteString("</")
	e.buf.WriteString(name)
	e.buf.WriteString(">\n")
}

// empty writes an empty element, with nil="true" when isNil.
func (e *encoder) empty(name, attr string, isNil bool) {
	e.startTag(name, attr)
	if isNil {
		e.buf.WriteString(` nil="true"`)
	}
	e.buf.WriteString("/>\n")
}

// leaf writes an element holding text.
func (e *encoder) leaf(name, attr, text string) {
	e.open(name, attr)
	e.text(text)
	e.close(name)
}

// text writes s escaped as XML character data.
func (e *encoder) text(s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c >= utf8.RuneSelf, c == '<', c == '>', c == '&', c == '"', c == '\'':
			e.scratch = append(e.scratch[:0], s...)
			_ = xml.EscapeText(&e.buf, e.scratch) // a bytes.Buffer does not fail
			return
		}
	}
	e.buf.WriteString(s)
}

// element writes v as the element sl describes, indented by depth.
func (e *encoder) element(sl *slot, v any, depth int) error {
	if depth > maxEncodeDepth {
		return failf("values nested more than %d deep (a cycle?)", maxEncodeDepth)
	}
	e.indent(depth)
	switch v := v.(type) {
	case nil:
		e.empty(sl.name, sl.attr, true)
	case map[string]any:
		return e.record(sl, v, depth)
	case []any:
		if sl.item == "" {
			sl.item = itemName(sl)
		}
		items := slot{name: sl.item}
		if sl.kind == kindArray {
			items = newSlot(sl.item, itemsOf(sl.schema))
		}
		return e.array(sl.name, &items, v, depth)
	case string:
		attr := ""
		if sl.kind == kindString {
			attr = sl.attr
		}
		if attr == "dateTime" {
			v = Datetime(v)
		}
		e.leaf(sl.name, attr, v)
	case bool:
		e.leaf(sl.name, "boolean", strconv.FormatBool(v))
	default:
		text, integral, err := number(v)
		if err != nil {
			return failf("%v", err)
		}
		attr := "decimal"
		if integral && sl.kind != kindNumber {
			attr = "integer"
		}
		e.leaf(sl.name, attr, text)
	}
	return nil
}

// itemName names the items of the array sl describes.
func itemName(sl *slot) string {
	if sl.kind == kindArray {
		if name := xmlNameOf(itemsOf(sl.schema)); name != "" && isName(name) {
			return name
		}
	}
	if name := Singular(sl.name); name != "" {
		return name
	}
	return "item"
}

// array writes the array element name holding values, each as an element
// items describes.
func (e *encoder) array(name string, items *slot, values []any, depth int) error {
	if len(values) == 0 {
		e.empty(name, "array", false)
		return nil
	}
	e.open(name, "array")
	e.buf.WriteByte('\n')
	for i, v := range values {
		if err := e.element(items, v, depth+1); err != nil {
			return within(err, strconv.Itoa(i))
		}
	}
	e.indent(depth)
	e.close(name)
	return nil
}

// record writes the object m as the element sl describes.
func (e *encoder) record(sl *slot, m map[string]any, depth int) error {
	var o *object
	if sl.kind == kindObject || (sl.kind == kindAny && sl.schema != nil) {
		var err error
		if o, err = e.object(sl.schema); err != nil {
			return err
		}
	}
	var fields []slot
	var extraSchema *openapi3.Schema
	var extra []string // keys the schema does not declare, merged in order with the fields
	if o == nil {
		extra = sortedKeys(m)
	} else {
		fields, extraSchema = o.fields, o.extra
		for k := range m {
			if _, ok := o.known[k]; !ok {
				extra = append(extra, k)
			}
		}
		slices.Sort(extra)
	}
	if len(fields) == 0 && len(extra) == 0 {
		e.open(sl.name, "")
		e.close(sl.name)
		return nil
	}
	e.open(sl.name, "")
	e.buf.WriteByte('\n')
	for len(fields) > 0 || len(extra) > 0 {
		var child *slot
		if len(extra) == 0 || len(fields) > 0 && fields[0].name < extra[0] {
			child, fields = &fields[0], fields[1:]
		} else {
			es, err := e.slot(extra[0], extraSchema)
			if err != nil {
				return err
			}
			child, extra = &es, extra[1:]
		}
		if err := e.element(child, m[child.name], depth+1); err != nil {
			return within(err, child.name)
		}
	}
	e.indent(depth)
	e.close(sl.name)
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// number formats a JSON number for XML and reports whether it is an
// integer.
func number(v any) (text string, integral bool, err error) {
	switch n := v.(type) {
	case json.Number:
		s := string(n)
		if isInteger(s) {
			return s, true, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return "", false, fmt.Errorf("%q is not a number", s)
		}
		if f == math.Trunc(f) && math.Abs(f) < 1e21 {
			return strconv.FormatFloat(f, 'f', -1, 64), true, nil
		}
		return s, false, nil
	case float64:
		return formatFloat(n, 64)
	case float32:
		return formatFloat(float64(n), 32)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(n), true, nil // %v formats integers in decimal
	}
	return "", false, fmt.Errorf("cannot encode a value of type %T (want a decoded JSON value)", v)
}

func formatFloat(f float64, bits int) (string, bool, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", false, fmt.Errorf("%v is not a JSON number", f)
	}
	abs := math.Abs(f)
	if f == math.Trunc(f) && abs < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, bits), true, nil
	}
	format := byte('f') // as encoding/json writes numbers
	if abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	return strconv.FormatFloat(f, format, -1, bits), false, nil
}

// isInteger reports whether s is an optionally signed run of digits.
func isInteger(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// errName describes a name that cannot be an XML element name.
const errName = "is not a valid XML element name"

func checkName(name string) error {
	if isName(name) {
		return nil
	}
	return &encodeError{msg: fmt.Sprintf("%q %s", name, errName)}
}

// isName reports whether s is an XML name without a namespace prefix: a
// letter or underscore, then letters, digits, '-', '_' and '.'.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r)):
		default:
			return false
		}
	}
	return true
}
