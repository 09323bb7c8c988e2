package coupaxml

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// Defaults of the bounds [Decode] enforces.
const (
	// DefaultMaxBytes is the largest body Decode reads: 10 MiB, the bound
	// the mock puts on JSON bodies.
	DefaultMaxBytes = 10 << 20
	// DefaultMaxDepth is how deep Decode lets elements nest, the root
	// being at depth 1. A Coupa record needs 4.
	DefaultMaxDepth = 32
)

// Sentinel errors of [Decode], to be tested with errors.Is. Every error
// Decode returns is an [*Error] that wraps one of them.
var (
	// ErrMalformed: the body is not well-formed XML, is empty, or holds
	// something other than one root element.
	ErrMalformed = errors.New("request body is not well-formed XML")
	// ErrDTD: the body has a DOCTYPE (and so possibly entity
	// declarations), which is refused.
	ErrDTD = errors.New("DOCTYPE and entity declarations are not accepted")
	// ErrTooLarge: the body is larger than the bound (answer 413).
	ErrTooLarge = errors.New("request body is too large")
	// ErrTooDeep: elements nest deeper than the bound.
	ErrTooDeep = errors.New("elements are nested too deeply")
	// ErrRoot: the root element is not one the caller expects.
	ErrRoot = errors.New("unexpected root element")
	// ErrValue: an element's content does not fit its schema: a bad
	// integer, number or boolean, text where elements are expected or the
	// reverse, an element given twice.
	ErrValue = errors.New("invalid element")
)

// Error is a problem with an XML request body. Its message is written for
// the API client: the path of the element at fault, then what is wrong
// (`document-id: "abc" is not an integer`).
type Error struct {
	// Element is the path of the element at fault, in the style of the
	// mock's JSON validation messages: names and array positions joined
	// with dots ("responses.0.id"). It is "" for the document as a whole.
	Element string
	// Reason says what is wrong, quoting the offending text if any.
	Reason string
	// Err is the sentinel the error belongs to (ErrValue, ErrTooDeep, ...).
	Err error
}

var _ error = (*Error)(nil)

// Error returns the message for the API client: the element's path, a
// colon, and the reason.
func (e *Error) Error() string {
	if e.Element == "" {
		return e.Reason
	}
	return e.Element + ": " + e.Reason
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Option changes a bound of [Decode].
type Option func(*options)

type options struct {
	maxBytes int64
	maxDepth int
}

// WithMaxBytes bounds the size of the body (default [DefaultMaxBytes]; n
// <= 0 keeps the default). A larger body fails with [ErrTooLarge].
func WithMaxBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxBytes = n
		}
	}
}

// WithMaxDepth bounds the nesting of elements, the root being at depth 1
// (default [DefaultMaxDepth]; n <= 0 keeps the default). Deeper elements
// fail with [ErrTooDeep].
func WithMaxDepth(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxDepth = n
		}
	}
}

// Decode reads an XML request body into a JSON value for the object schema
// schema, ready to be marshalled and validated like a JSON body.
//
// The root element must be one of roots (any root when roots is empty);
// root is its name. The schema, not the markup, decides the JSON types:
// integer properties become json.Number (exact to 64 bits), boolean ones
// bool ("true", "false", "1" or "0"), arrays []any whatever their items are
// named, objects map[string]any, strings keep their text as it is. Where
// the schema gives no type the type attribute does (type="integer",
// "boolean", "decimal", "float", "array"). An element with nil="true", or
// an empty integer, number, boolean or datetime element, is left out of
// the value, as JSON leaves out null values. An element named with
// underscores for the hyphens of a declared one (document_id for
// document-id), or the other way round, keeps its name as sent and is read
// by that element's schema, so that the caller can respell it (Rails reads
// both). Elements the schema does not declare are kept, as strings (or objects and arrays of strings when they
// hold elements, null when nil="true"), so that the JSON validator rejects
// them with its usual message. Attributes other than type and nil are
// ignored, and so are comments and processing instructions.
//
// Marshal the value with encoding/json before validating it: json.Number
// marshals as the exact number, but kin-openapi's Schema.VisitJSON does not
// take json.Number values directly.
//
// Decode refuses a DOCTYPE (so entity declarations, external entities and
// entity expansion never happen), bodies larger than [DefaultMaxBytes]
// and elements nested deeper than [DefaultMaxDepth]; opts change those
// bounds. Its errors are [*Error] values whose messages name the element.
func Decode(r io.Reader, roots []string, schema *openapi3.Schema, opts ...Option) (root string, value map[string]any, err error) {
	o := options{maxBytes: DefaultMaxBytes, maxDepth: DefaultMaxDepth}
	for _, opt := range opts {
		opt(&o)
	}
	lr := &limitedReader{r: r, n: o.maxBytes}
	d := &decoder{lr: lr, maxDepth: o.maxDepth, maxBytes: o.maxBytes}
	br := bufio.NewReader(&charRefReader{r: lr})
	if bom, _ := br.Peek(3); string(bom) == "\xEF\xBB\xBF" {
		_, _ = br.Discard(3) // a UTF-8 byte order mark, which encoding/xml refuses
	}
	d.x = xml.NewDecoder(br)
	d.x.CharsetReader = charsetReader

	start, err := d.root()
	if err != nil {
		return "", nil, err
	}
	root = start.Name.Local
	if len(roots) > 0 && !contains(roots, root) {
		return "", nil, &Error{Reason: fmt.Sprintf("root element <%s> is not expected here; send %s", root, tags(roots)), Err: ErrRoot}
	}
	v, _, err := d.value(start, schema, true, nil, 1)
	if err != nil {
		return "", nil, err
	}
	switch v := v.(type) {
	case map[string]any:
		value = v
	case nil:
		value = map[string]any{} // <root nil="true"/>
	case []any:
		return "", nil, &Error{Element: root, Reason: "want one record, not a list", Err: ErrValue}
	case string:
		if strings.TrimSpace(v) != "" {
			return "", nil, &Error{Element: root, Reason: fmt.Sprintf("want elements, not text %s", quote(v)), Err: ErrValue}
		}
		value = map[string]any{}
	default:
		return "", nil, &Error{Element: root, Reason: "want elements, not a single value", Err: ErrValue}
	}
	if err := d.end(); err != nil {
		return "", nil, err
	}
	return root, value, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// tags writes names as "<a>", "<a> or <b>", "<a>, <b> or <c>".
func tags(names []string) string {
	var b strings.Builder
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString("<" + n + ">")
	}
	return b.String()
}

// charsetReader accepts the encodings that are UTF-8 on the wire and
// refuses the others. encoding/xml handles "UTF-8" itself.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii", "utf8":
		return input, nil
	}
	return nil, charsetError(label)
}

// charsetError refuses an encoding other than UTF-8.
type charsetError string

func (e charsetError) Error() string {
	return fmt.Sprintf("encoding %q is not supported; send UTF-8", string(e))
}

// limitedReader reads at most n bytes and fails with ErrTooLarge when the
// body has more.
type limitedReader struct {
	r        io.Reader
	n        int64
	exceeded bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.exceeded {
		return 0, ErrTooLarge
	}
	if l.n <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// decoder reads one document.
type decoder struct {
	x        *xml.Decoder
	lr       *limitedReader
	maxDepth int
	maxBytes int64
}

// token returns the next token, refusing directives (DOCTYPE, ENTITY).
func (d *decoder) token() (xml.Token, error) {
	tok, err := d.x.Token()
	if err != nil {
		return nil, d.fail(err)
	}
	if _, ok := tok.(xml.Directive); ok {
		return nil, &Error{Reason: ErrDTD.Error(), Err: ErrDTD}
	}
	return tok, nil
}

// fail turns an error of the XML decoder into an *Error.
func (d *decoder) fail(err error) error {
	if d.lr.exceeded || errors.Is(err, ErrTooLarge) {
		return &Error{Reason: fmt.Sprintf("request body is larger than %d bytes", d.maxBytes), Err: ErrTooLarge}
	}
	if errors.Is(err, io.EOF) {
		return &Error{Reason: ErrMalformed.Error() + ": unexpected end of document", Err: ErrMalformed}
	}
	var ce charsetError
	if errors.As(err, &ce) {
		return malformed(ce.Error())
	}
	var re *charRefError
	if errors.As(err, &re) {
		return malformed(re.Error())
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &Error{Reason: fmt.Sprintf("%s: line %d: %s", ErrMalformed, se.Line, se.Msg), Err: ErrMalformed}
	}
	return &Error{Reason: fmt.Sprintf("%s: %s", ErrMalformed, strings.TrimPrefix(err.Error(), "xml: ")), Err: ErrMalformed}
}

func malformed(reason string) error {
	return &Error{Reason: ErrMalformed.Error() + ": " + reason, Err: ErrMalformed}
}

// root reads up to the start tag of the root element.
func (d *decoder) root() (xml.StartElement, error) {
	for {
		tok, err := d.x.Token()
		if errors.Is(err, io.EOF) {
			return xml.StartElement{}, malformed("no root element")
		}
		if err != nil {
			return xml.StartElement{}, d.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.Directive:
			return xml.StartElement{}, &Error{Reason: ErrDTD.Error(), Err: ErrDTD}
		case xml.CharData:
			if !blank(t) {
				return xml.StartElement{}, malformed("text before the root element")
			}
		}
	}
}

// end reads what follows the root element: only blanks, comments and
// processing instructions may.
func (d *decoder) end() error {
	for {
		tok, err := d.x.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return d.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return malformed(fmt.Sprintf("element <%s> after the root element", t.Name.Local))
		case xml.Directive:
			return &Error{Reason: ErrDTD.Error(), Err: ErrDTD}
		case xml.CharData:
			if !blank(t) {
				return malformed("text after the root element")
			}
		}
	}
}

// blank reports whether b holds XML white space only.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// step is one element on the way from the root to the one being read,
// kept to name it in an error.
type step struct {
	parent *step
	name   string
	index  int // position in an array, or -1
}

// String joins the path with dots, positions in arrays as numbers.
func (p *step) String() string {
	var parts []string
	for ; p != nil; p = p.parent {
		if p.index >= 0 {
			parts = append(parts, strconv.Itoa(p.index))
		} else {
			parts = append(parts, p.name)
		}
	}
	slices.Reverse(parts)
	return strings.Join(parts, ".")
}

// valueError builds an ErrValue *Error for the element at path.
func valueError(path *step, name, format string, args ...any) error {
	elem := path.String()
	if elem == "" {
		elem = name
	}
	return &Error{Element: elem, Reason: fmt.Sprintf(format, args...), Err: ErrValue}
}

// value reads the content of the element start, whose start tag was just
// read, as the schema s says (known: s is the element's schema, possibly
// nil for "any"; !known: the element is not declared). path is the
// element's path ("" for the root), depth its depth. present is false when
// the element has no value and is left out.
func (d *decoder) value(start xml.StartElement, s *openapi3.Schema, known bool, path *step, depth int) (v any, present bool, err error) {
	if depth > d.maxDepth {
		return nil, false, tooDeep(path, start.Name.Local, d.maxDepth)
	}
	var typ string
	isNil := false
	for _, a := range start.Attr {
		switch a.Name.Local {
		case "type":
			typ = a.Value
			if strings.EqualFold(typ, "datetime") {
				typ = "datetime" // Rails writes dateTime; both are read
			}
		case "nil":
			isNil = a.Value == "true"
		}
	}
	if isNil {
		// A nil declared element is left out; a nil undeclared one is kept
		// as null so that the validator names it. Content is ignored.
		return nil, !known, d.skip(start, path, depth)
	}
	k := kindOf(s)
	if !known {
		k = kindAny
		if typ != "array" {
			typ = "" // undeclared leaves stay strings
		}
	}
	if k == kindAny {
		switch typ {
		case "integer":
			k = kindInteger
		case "boolean":
			k = kindBoolean
		case "decimal", "float", "double":
			k = kindNumber
		case "array":
			k = kindArray
		}
	}

	var (
		text     []byte
		children bool
		obj      map[string]any
		seen     map[string]bool // elements given, nil ones included
		arr      []any
	)
	for {
		tok, err := d.token()
		if err != nil {
			return nil, false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !blank(text) {
				return nil, false, valueError(path, start.Name.Local, "text mixed with elements")
			}
			if !children {
				children = true
				switch k {
				case kindArray:
					arr = []any{}
				case kindObject, kindAny:
					obj, seen = map[string]any{}, map[string]bool{}
				default:
					return nil, false, valueError(path, start.Name.Local, "want %s, not elements (<%s>)", noun(k), t.Name.Local)
				}
			}
			if arr != nil {
				here := step{parent: path, name: t.Name.Local, index: len(arr)}
				v, present, err := d.value(t, itemsOf(s), known, &here, depth+1)
				if err != nil {
					return nil, false, err
				}
				if !present {
					v = nil
				}
				arr = append(arr, v)
				continue
			}
			name := t.Name.Local
			here := step{parent: path, name: name, index: -1}
			if seen[name] {
				return nil, false, valueError(&here, name, "given more than once")
			}
			seen[name] = true
			// A child of an untyped element is known, with no schema: its
			// type attribute decides. One an object schema does not
			// declare, or one inside an undeclared element, is not.
			var ps *openapi3.Schema
			ok := known && k == kindAny
			if known && k == kindObject {
				ps, ok = property(s, name)
				if !ok {
					// Coupa (Rails) reads document_id as document-id:
					// the value is read by the element's schema, under
					// the name as sent, for the caller to respell.
					ps, ok = respelt(s, name)
				}
			}
			v, present, err := d.value(t, ps, ok, &here, depth+1)
			if err != nil {
				return nil, false, err
			}
			if present {
				obj[name] = v
			}
		case xml.CharData:
			if children && !blank(t) {
				return nil, false, valueError(path, start.Name.Local, "text mixed with elements")
			}
			if !children {
				text = append(text, t...)
			}
		case xml.EndElement:
			return finish(path, start.Name.Local, s, k, typ, known, children, obj, arr, text)
		}
	}
}

// skip reads the content of the element start, whose start tag was just
// read, and drops it, still bounding the depth.
func (d *decoder) skip(start xml.StartElement, path *step, depth int) error {
	for {
		tok, err := d.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			here := step{parent: path, name: t.Name.Local, index: -1}
			if depth+1 > d.maxDepth {
				return tooDeep(&here, t.Name.Local, d.maxDepth)
			}
			if err := d.skip(t, &here, depth+1); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

func tooDeep(path *step, name string, max int) error {
	elem := path.String()
	if elem == "" {
		elem = name
	}
	return &Error{Element: elem, Reason: fmt.Sprintf("elements are nested more than %d deep", max), Err: ErrTooDeep}
}

// finish makes the value of an element from what value read.
func finish(path *step, name string, s *openapi3.Schema, k kind, typ string, known, children bool, obj map[string]any, arr []any, text []byte) (any, bool, error) {
	switch {
	case children && arr != nil:
		return arr, true, nil
	case children:
		return obj, true, nil
	}
	trimmed := strings.TrimSpace(string(text))
	switch k {
	case kindInteger:
		if trimmed == "" {
			return nil, false, nil
		}
		n, err := strconv.ParseInt(trimmed, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return nil, false, valueError(path, name, "%s is out of range for a 64-bit integer", quote(trimmed))
			}
			return nil, false, valueError(path, name, "%s is not an integer", quote(trimmed))
		}
		return json.Number(strconv.FormatInt(n, 10)), true, nil
	case kindNumber:
		if trimmed == "" {
			return nil, false, nil
		}
		if !isNumber(trimmed) {
			return nil, false, valueError(path, name, "%s is not a number", quote(trimmed))
		}
		return json.Number(trimmed), true, nil
	case kindBoolean:
		switch trimmed {
		case "":
			return nil, false, nil
		case "true", "1":
			return true, true, nil
		case "false", "0":
			return false, true, nil
		}
		return nil, false, valueError(path, name, "%s is not a boolean (true or false)", quote(trimmed))
	case kindArray:
		if trimmed == "" {
			return []any{}, true, nil
		}
		return nil, false, valueError(path, name, "want a list of elements, not text %s", quote(trimmed))
	case kindObject:
		if trimmed == "" {
			return map[string]any{}, true, nil
		}
		return nil, false, valueError(path, name, "want elements, not text %s", quote(trimmed))
	}
	if trimmed == "" && (typ == "datetime" || typ == "date" || known && (typeAttr(s) == "dateTime" || typeAttr(s) == "date")) {
		return nil, false, nil
	}
	return string(text), true, nil
}

// isNumber reports whether s is a JSON number.
func isNumber(s string) bool {
	if s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return false
	}
	return json.Valid([]byte(s))
}

// noun names what a kind of schema wants, for messages.
func noun(k kind) string {
	switch k {
	case kindInteger:
		return "an integer"
	case kindNumber:
		return "a number"
	case kindBoolean:
		return "a boolean"
	case kindString:
		return "text"
	}
	return "a value"
}

// quote quotes s for a message, shortening it when it is long.
func quote(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}
