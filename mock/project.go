package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// projectionMaxBytes bounds the answer the projection buffers: a larger one
// is passed on unchanged.
const projectionMaxBytes = 64 << 20

// projectionExample ends every message about a malformed fields value.
const projectionExample = `expected a JSON array such as ["id","status",{"integration":["code"]}]`

// projection applies return_object and fields to the Core API's JSON answers.
//
// It reshapes what the handlers write, so that they always produce whole
// records. Without either parameter a request goes straight to the next
// handler, with the client's ResponseWriter. Otherwise the parameters are
// checked first (a malformed value is answered with 400 in Coupa's error
// format, and the handler does not run), then the answer is captured: a 2xx
// answer with Content-Type application/json, holding one record or a list of
// records, is reshaped; any other answer is passed on unchanged, as it is
// written. An answer larger than the bound (64 MiB unless maxBytes says
// otherwise) is passed on unchanged too.
//
//   - return_object=none: the same status, an empty body, Content-Length 0
//     and no Content-Type. (The validator allows it on writes only.)
//   - return_object=limited: each record becomes {"id": ...}.
//   - return_object=shallow: each record keeps its own elements; a nested
//     object with an id becomes {"id": ...}, one without is left out; in an
//     array, objects are reduced or left out likewise and other values kept,
//     and an array that held only objects without an id is left out.
//   - fields=["id","status",{"integration":["code"]}]: each record keeps the
//     elements named, and an association named in an object keeps only the
//     elements of its list (recursively; for an array association, in each
//     item). A name matches the element spelt as given, else spelt with
//     hyphens for underscores; names the record does not have are ignored.
//     Naming an element whole wins over naming it with a list. fields wins
//     over return_object=limited and shallow; none still answers nothing.
//
// The answer is not decoded: keys and values are copied byte for byte as
// the handler wrote them (numbers stay exact), and members keep the order
// they were written in (the generated types' order, the same as in a whole
// record), so the answer is deterministic. The body must be valid JSON, or
// it is passed on unchanged. Content-Length is recomputed.
//
// The reserved query names are return_object and fields: the filter parser
// must skip them.
type projection struct {
	// maxBytes bounds the captured answer; 0 means projectionMaxBytes.
	maxBytes int
}

// wrap applies the projection to next's answers.
func (p projection) wrap(next http.Handler) http.Handler {
	maxBytes := p.maxBytes
	if maxBytes <= 0 {
		maxBytes = projectionMaxBytes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		returnObject, fields, present := projectionParams(r.URL.RawQuery)
		if !present {
			next.ServeHTTP(w, r)
			return
		}
		shape, msg := newProjectionShape(returnObject, fields)
		if msg != "" {
			projectionError(w, msg)
			return
		}
		pw := &projectionWriter{w: w, shape: shape, maxBytes: maxBytes}
		next.ServeHTTP(pw, r)
		pw.finish()
	})
}

// projectionParams finds the values of return_object and fields in a raw
// query, as url.ParseQuery would decode them, without decoding the rest:
// present is false when neither is sent, the common case, which costs no
// allocation.
func projectionParams(rawQuery string) (returnObject, fields []string, present bool) {
	for rest := rawQuery; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
		if strings.Contains(part, ";") {
			continue // url.ParseQuery rejects it, and so does the validator
		}
		key, value, _ := strings.Cut(part, "=")
		isFields := projectionKeyIs(key, "fields")
		if !isFields && !projectionKeyIs(key, "return_object") {
			continue
		}
		value, err := url.QueryUnescape(value)
		if err != nil {
			continue // url.ParseQuery skips it too
		}
		present = true
		if isFields {
			fields = append(fields, value)
		} else {
			returnObject = append(returnObject, value)
		}
	}
	return returnObject, fields, present
}

// projectionKeyIs reports whether a query key, escaped as in a raw query
// (%XX, + for a space), is name once unescaped, without unescaping it into a
// new string. A key with a malformed escape is no name, as url.ParseQuery
// skips it.
func projectionKeyIs(key, name string) bool {
	j := 0
	for i := 0; i < len(key); i, j = i+1, j+1 {
		c := key[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 >= len(key) {
				return false
			}
			hi, ok1 := projectionUnhex(key[i+1])
			lo, ok2 := projectionUnhex(key[i+2])
			if !ok1 || !ok2 {
				return false
			}
			c, i = hi<<4|lo, i+2
		}
		if j >= len(name) || name[j] != c {
			return false
		}
	}
	return j == len(name)
}

// projectionUnhex decodes one hexadecimal digit.
func projectionUnhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// projectionShape is what a request asks of each record.
type projectionShape struct {
	none    bool             // return_object=none: no body at all
	limited bool             // return_object=limited and no fields
	shallow bool             // return_object=shallow and no fields
	fields  projectionFields // fields, when sent
}

// newProjectionShape checks the parameters' values, or returns what is wrong
// with them as a message for the client.
func newProjectionShape(returnObject, fields []string) (projectionShape, string) {
	var shape projectionShape
	switch len(returnObject) {
	case 0:
	case 1:
		switch returnObject[0] {
		case "none":
			shape.none = true
		case "limited":
			shape.limited = true
		case "shallow":
			shape.shallow = true
		default:
			return shape, fmt.Sprintf("return_object: %s is not one of none, limited, shallow", projectionQuote(returnObject[0]))
		}
	default:
		return shape, fmt.Sprintf("return_object: sent %d times; send it once", len(returnObject))
	}
	switch len(fields) {
	case 0:
	case 1:
		f, msg := parseProjectionFields(fields[0])
		if msg != "" {
			return shape, "fields: " + msg + "; " + projectionExample
		}
		shape.fields, shape.limited, shape.shallow = f, false, false
	default:
		return shape, fmt.Sprintf("fields: sent %d times; send one JSON array, %s", len(fields), projectionExample)
	}
	return shape, ""
}

// projectionError answers 400 in the Core API's error format, before the
// handler runs.
func projectionError(w http.ResponseWriter, msg string) {
	body, _ := json.Marshal(map[string]map[string][]string{"errors": {"request": {msg}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(append(body, '\n'))
}

// projectionFields is a parsed fields value: the elements to keep.
type projectionFields struct {
	list []projectionField // entries of the same name merged; never empty once parsed
}

// projectionField is one entry of a fields list.
type projectionField struct {
	name   string           // as given
	hyphen string           // name with hyphens for underscores, or "" if the same
	whole  bool             // a string entry: the whole element
	sub    projectionFields // an object entry: the association's elements
}

// parseProjectionFields parses a fields value, or returns what is wrong
// with it.
func parseProjectionFields(raw string) (projectionFields, string) {
	if strings.TrimSpace(raw) == "" {
		return projectionFields{}, "the value is empty"
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber() // numbers are shown as sent in messages
	var v any
	if err := dec.Decode(&v); err != nil {
		return projectionFields{}, fmt.Sprintf("%s is not JSON (%v)", projectionQuote(raw), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return projectionFields{}, fmt.Sprintf("%s is not JSON (data after the first value)", projectionQuote(raw))
	}
	list, ok := v.([]any)
	if !ok {
		return projectionFields{}, fmt.Sprintf("%s is %s, not an array", projectionShorten(raw), projectionJSONKind(v))
	}
	return parseProjectionList(list, "")
}

// parseProjectionList parses a list of names and objects found at where
// ("" for the top level, else like [2]["integration"]).
func parseProjectionList(list []any, where string) (projectionFields, string) {
	if len(list) == 0 {
		if where == "" {
			return projectionFields{}, "the array is empty"
		}
		return projectionFields{}, "item " + where + " is an empty array"
	}
	var fs projectionFields
	for i, item := range list {
		at := fmt.Sprintf("%s[%d]", where, i)
		switch item := item.(type) {
		case string:
			if item == "" {
				return fs, "item " + at + " is an empty name"
			}
			fs.add(projectionField{name: item, whole: true})
		case map[string]any:
			if len(item) == 0 {
				return fs, "item " + at + " is an empty object; an association is an object with one key, such as {\"integration\":[\"code\"]}"
			}
			if len(item) != 1 {
				keys := make([]string, 0, len(item))
				for k := range item {
					keys = append(keys, strconv.Quote(k))
				}
				slices.Sort(keys)
				return fs, fmt.Sprintf("item %s has %d keys (%s); an association is an object with one key, such as {\"integration\":[\"code\"]}",
					at, len(item), strings.Join(keys, ", "))
			}
			for name, value := range item {
				at := at + "[" + strconv.Quote(name) + "]"
				if name == "" {
					return fs, "item " + at + " names no association"
				}
				elems, ok := value.([]any)
				if !ok {
					return fs, fmt.Sprintf("item %s is %s, not an array of element names", at, projectionValue(value))
				}
				sub, msg := parseProjectionList(elems, at)
				if msg != "" {
					return fs, msg
				}
				fs.add(projectionField{name: name, sub: sub})
			}
		default:
			return fs, fmt.Sprintf("item %s is %s, neither an element name nor an object such as {\"integration\":[\"code\"]}", at, projectionValue(item))
		}
	}
	return fs, ""
}

// add adds an entry, merged with an earlier one of the same name: naming an
// element whole wins, and two lists are joined.
func (fs *projectionFields) add(f projectionField) {
	if h := strings.ReplaceAll(f.name, "_", "-"); h != f.name {
		f.hyphen = h
	}
	for i := range fs.list {
		g := &fs.list[i]
		if g.name == f.name {
			switch {
			case g.whole:
			case f.whole:
				g.whole, g.sub = true, projectionFields{}
			default:
				g.sub = g.sub.join(f.sub)
			}
			return
		}
	}
	fs.list = append(fs.list, f)
}

// join returns the entries of fs and then those of other, merged.
func (fs projectionFields) join(other projectionFields) projectionFields {
	var out projectionFields
	for _, f := range fs.list {
		out.add(f)
	}
	for _, f := range other.list {
		out.add(f)
	}
	return out
}

// reshape reshapes an answer's body, one record or a list of them; ok is
// false when the body is neither, or is not valid JSON: it is then passed on
// unchanged. Keys and values are copied as written; only objects are taken
// apart.
func (s *projectionShape) reshape(body []byte) ([]byte, bool) {
	if !json.Valid(body) {
		return nil, false
	}
	start := projectionSpace(body, 0)
	v := body[start:projectionValueEnd(body, start)]
	var out bytes.Buffer
	out.Grow(len(body)/4 + 64)
	var scratch []projectionMember
	switch v[0] {
	case '{':
		s.record(&out, v, scratch)
	case '[':
		out.WriteByte('[')
		c := projectionCursor{b: v}
		for n := 0; ; n++ {
			item, ok := c.nextItem()
			if !ok {
				break
			}
			if n > 0 {
				out.WriteByte(',')
			}
			if item[0] == '{' {
				scratch = s.record(&out, item, scratch)
			} else {
				out.Write(item)
			}
		}
		out.WriteByte(']')
	default:
		return nil, false
	}
	out.WriteByte('\n')
	return out.Bytes(), true
}

// record writes one record, reshaped as the request asks. scratch is room
// for members, handed back for reuse.
func (s *projectionShape) record(out *bytes.Buffer, obj []byte, scratch []projectionMember) []projectionMember {
	switch {
	case s.fields.list != nil:
		return s.fields.write(out, obj, scratch)
	case s.limited:
		out.WriteByte('{')
		if id, ok := projectionID(obj); ok {
			out.Write(id.key)
			out.WriteByte(':')
			out.Write(id.value)
		}
		out.WriteByte('}')
	case s.shallow:
		out.WriteByte('{')
		c := projectionCursor{b: obj}
		for n := 0; ; {
			m, ok := c.nextMember()
			if !ok {
				break
			}
			mark := out.Len()
			if n > 0 {
				out.WriteByte(',')
			}
			out.Write(m.key)
			out.WriteByte(':')
			if !projectionShallow(out, m.value) {
				out.Truncate(mark)
				continue
			}
			n++
		}
		out.WriteByte('}')
	default:
		out.Write(obj)
	}
	return scratch
}

// projectionShallow writes an element's value for return_object=shallow,
// or reports (keep false) that the element is left out: an object becomes
// its id, or is left out without one; in an array, each object likewise and
// other values as they are, and an array that held only objects, none with
// an id, is left out. Other values are written as they are. On false, the
// caller truncates what was written.
func projectionShallow(out *bytes.Buffer, v []byte) (keep bool) {
	switch v[0] {
	case '{':
		id, ok := projectionID(v)
		if !ok {
			return false
		}
		out.WriteByte('{')
		out.Write(id.key)
		out.WriteByte(':')
		out.Write(id.value)
		out.WriteByte('}')
		return true
	case '[':
		out.WriteByte('[')
		n, dropped := 0, false
		c := projectionCursor{b: v}
		for {
			item, ok := c.nextItem()
			if !ok {
				break
			}
			mark := out.Len()
			if n > 0 {
				out.WriteByte(',')
			}
			if !projectionShallow(out, item) {
				out.Truncate(mark)
				dropped = true
				continue
			}
			n++
		}
		out.WriteByte(']')
		return n > 0 || !dropped
	}
	out.Write(v)
	return true
}

// projectionID finds the id member of an object (the last, if it is there
// twice, as a decoder would).
func projectionID(obj []byte) (projectionMember, bool) {
	var id projectionMember
	found := false
	c := projectionCursor{b: obj}
	for {
		m, ok := c.nextMember()
		if !ok {
			return id, found
		}
		if string(m.name) == "id" {
			id, found = m, true
		}
	}
}

// write writes the members of a record that fs names, in the record's
// order. scratch holds the members of the objects being written (the
// caller's first, then this one's, then those of nested objects), so that
// a list of records reuses one array; it is handed back for reuse.
func (fs projectionFields) write(out *bytes.Buffer, obj []byte, scratch []projectionMember) []projectionMember {
	base := len(scratch)
	c := projectionCursor{b: obj}
	for {
		m, ok := c.nextMember()
		if !ok {
			break
		}
		scratch = append(scratch, m)
	}
	members := scratch[base:] // nested writes append after these, or elsewhere
	out.WriteByte('{')
	n := 0
	for i := range members {
		m := &members[i]
		whole, sub, ok := fs.match(members, m.name)
		if !ok {
			continue
		}
		if n > 0 {
			out.WriteByte(',')
		}
		n++
		out.Write(m.key)
		out.WriteByte(':')
		if whole {
			out.Write(m.value)
			continue
		}
		scratch = sub.writeValue(out, m.value, scratch)
	}
	out.WriteByte('}')
	return scratch[:base]
}

// writeValue writes an association's value with only the elements fs
// names: an object, or each object of an array. Anything else (null, a
// scalar) is written as it is.
func (fs projectionFields) writeValue(out *bytes.Buffer, v []byte, scratch []projectionMember) []projectionMember {
	switch v[0] {
	case '{':
		return fs.write(out, v, scratch)
	case '[':
		out.WriteByte('[')
		c := projectionCursor{b: v}
		for n := 0; ; n++ {
			item, ok := c.nextItem()
			if !ok {
				break
			}
			if n > 0 {
				out.WriteByte(',')
			}
			if item[0] == '{' {
				scratch = fs.write(out, item, scratch)
			} else {
				out.Write(item)
			}
		}
		out.WriteByte(']')
		return scratch
	}
	out.Write(v)
	return scratch
}

// match finds what fs keeps of the member named name in an object with
// these members: an entry names it spelt as given, or spelt with hyphens for
// underscores when the object has no member spelt as given. Of several
// entries that name it (document_type and document-type), one naming it
// whole wins; lists are joined.
func (fs projectionFields) match(members []projectionMember, name []byte) (whole bool, sub projectionFields, ok bool) {
	for i := range fs.list {
		e := &fs.list[i]
		if string(name) != e.name && (e.hyphen == "" || string(name) != e.hyphen || projectionHas(members, e.name)) {
			continue
		}
		ok = true
		switch {
		case e.whole:
			whole = true
		case whole:
		case sub.list == nil:
			sub = e.sub
		default:
			sub = sub.join(e.sub)
		}
	}
	return whole, sub, ok
}

// projectionHas reports whether an object has a member named name.
func projectionHas(members []projectionMember, name string) bool {
	for i := range members {
		if string(members[i].name) == name {
			return true
		}
	}
	return false
}

// projectionMember is a member of an object in an answer: its key as
// written (quotes and escapes included), its name (the key unquoted) and
// its value as written.
type projectionMember struct {
	key, name, value []byte
}

// projectionCursor walks the members of an object, or the items of an
// array, in valid JSON (the answer passed json.Valid), without decoding or
// copying them.
type projectionCursor struct {
	b []byte // the object or array, from its opening { or [ to its end
	i int    // where the next member or item starts; 0 before the first
}

// start moves past the opening bracket, and then past each separator.
func (c *projectionCursor) start() {
	if c.i == 0 {
		c.i = projectionSpace(c.b, 1)
		return
	}
	if c.i = projectionSpace(c.b, c.i); c.i < len(c.b) && c.b[c.i] == ',' {
		c.i = projectionSpace(c.b, c.i+1)
	}
}

// nextMember returns the object's next member; ok is false after the last.
func (c *projectionCursor) nextMember() (m projectionMember, ok bool) {
	c.start()
	if c.i >= len(c.b) || c.b[c.i] != '"' {
		return m, false
	}
	end := projectionStringEnd(c.b, c.i)
	m.key = c.b[c.i:end]
	m.name = m.key[1 : len(m.key)-1]
	if bytes.IndexByte(m.name, '\\') >= 0 {
		var name string
		if json.Unmarshal(m.key, &name) == nil {
			m.name = []byte(name)
		}
	}
	i := projectionSpace(c.b, end)   // at the colon
	i = projectionSpace(c.b, i+1)    // at the value
	c.i = projectionValueEnd(c.b, i) // past it
	m.value = c.b[i:c.i]
	return m, true
}

// nextItem returns the array's next item; ok is false after the last.
func (c *projectionCursor) nextItem() (item []byte, ok bool) {
	c.start()
	if c.i >= len(c.b) || c.b[c.i] == ']' {
		return nil, false
	}
	start := c.i
	c.i = projectionValueEnd(c.b, start)
	return c.b[start:c.i], true
}

// projectionSpace returns the index of the first byte at or after i that
// is not JSON white space.
func projectionSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// projectionValueEnd returns the index just past the JSON value that starts
// at b[i], in valid JSON.
func projectionValueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return projectionStringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = projectionStringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	for j := i; j < len(b); j++ { // a number, true, false or null
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return j
		}
	}
	return len(b)
}

// projectionStringEnd returns the index just past the JSON string that
// starts at b[i]: past the first quote after it that an even number of
// backslashes precede.
func projectionStringEnd(b []byte, i int) int {
	for j := i + 1; ; j++ {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b)
		}
		j += k
		escaped := false
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			escaped = !escaped
		}
		if !escaped {
			return j + 1
		}
	}
}

// projectionJSONKind names the kind of a decoded JSON value for a message.
func projectionJSONKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "an array"
}

// projectionValue shows a decoded JSON value for a message, shortened if
// long.
func projectionValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return projectionJSONKind(v)
	}
	return projectionShorten(string(b))
}

// projectionQuote quotes a parameter's value for a message, shortened if
// long.
func projectionQuote(s string) string { return strconv.Quote(projectionShorten(s)) }

// projectionShorten cuts s to 64 runes.
func projectionShorten(s string) string {
	const maxRunes = 64
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	return string([]rune(s)[:maxRunes]) + "..."
}

// projectionWriter stands in for the client's ResponseWriter while a
// projected answer is written. It decides what to do when the status is
// written: an answer it will not reshape goes through unchanged from then
// on; one it will reshape is buffered (or, for return_object=none,
// dropped) until finish.
type projectionWriter struct {
	w        http.ResponseWriter
	shape    projectionShape
	maxBytes int
	state    projectionState
	status   int
	buf      bytes.Buffer
}

// projectionState is what a projectionWriter does with the answer.
type projectionState uint8

const (
	projectionUndecided projectionState = iota // nothing written yet
	projectionPassing                          // written through unchanged
	projectionCapturing                        // buffered, to reshape
	projectionDropping                         // return_object=none: body dropped
)

// Header returns the client's header map: the handler's headers go out
// unchanged, but for Content-Type and Content-Length on a reshaped answer.
// (On a buffered answer, headers set after WriteHeader still go out.)
func (pw *projectionWriter) Header() http.Header { return pw.w.Header() }

// WriteHeader decides, from the status and Content-Type, whether the answer
// is reshaped. Informational statuses (1xx but 101) go through and decide
// nothing; a second final status is ignored, as net/http does, unless the
// answer goes through (net/http then reports it).
func (pw *projectionWriter) WriteHeader(status int) {
	switch {
	case pw.state == projectionPassing:
		pw.w.WriteHeader(status)
		return
	case pw.state != projectionUndecided:
		return
	case status >= 100 && status < 200 && status != http.StatusSwitchingProtocols:
		pw.w.WriteHeader(status)
		return
	}
	pw.status = status
	switch {
	case status < 200 || status > 299 || !projectionIsJSON(pw.w.Header().Get("Content-Type")):
		pw.state = projectionPassing
		pw.w.WriteHeader(status)
	case pw.shape.none:
		pw.state = projectionDropping
	default:
		pw.state = projectionCapturing
	}
}

// Write buffers, drops or passes on p as decided; past the size bound, the
// buffered answer is passed on and the rest goes through.
func (pw *projectionWriter) Write(p []byte) (int, error) {
	if pw.state == projectionUndecided {
		pw.WriteHeader(http.StatusOK)
	}
	switch pw.state {
	case projectionPassing:
		return pw.w.Write(p)
	case projectionDropping:
		return len(p), nil
	}
	if pw.buf.Len()+len(p) > pw.maxBytes {
		if err := pw.passOn(); err != nil {
			return 0, err
		}
		return pw.w.Write(p)
	}
	return pw.buf.Write(p)
}

// Flush flushes an answer that goes through; a buffered one waits for the
// end.
func (pw *projectionWriter) Flush() {
	if pw.state == projectionUndecided {
		pw.WriteHeader(http.StatusOK)
	}
	if pw.state == projectionPassing {
		_ = http.NewResponseController(pw.w).Flush()
	}
}

// passOn writes the buffered answer unchanged and lets the rest through.
func (pw *projectionWriter) passOn() error {
	pw.state = projectionPassing
	pw.w.WriteHeader(pw.status)
	_, err := pw.w.Write(pw.buf.Bytes())
	pw.buf = bytes.Buffer{}
	return err
}

// finish writes the reshaped answer, once the handler has returned.
func (pw *projectionWriter) finish() {
	h := pw.w.Header()
	switch pw.state {
	case projectionDropping:
		h.Del("Content-Type")
		h.Set("Content-Length", "0")
		pw.w.WriteHeader(pw.status)
	case projectionCapturing:
		body, ok := pw.shape.reshape(pw.buf.Bytes())
		if !ok {
			body = pw.buf.Bytes()
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		pw.w.WriteHeader(pw.status)
		_, _ = pw.w.Write(body)
	}
}

// projectionIsJSON reports whether a Content-Type is application/json.
func projectionIsJSON(contentType string) bool {
	if contentType == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
