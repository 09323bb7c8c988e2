package mock

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/coupakit/coupakit/coupaxml"

	"github.com/coupakit/coupakit/internal/rawint"
)

// jsonOrder encodes the handlers' answers as Coupa lists elements: in the
// spec's order, id first (encoding/json would follow the generated
// structs, which are alphabetical). It writes what encoding/json writes
// otherwise, byte for byte: the same escaping (HTML characters included),
// omitempty, a trailing newline; but a time.Time is written as Coupa writes
// it (2026-12-01T08:17:20+00:00), not as RFC 3339 with a fraction.
type jsonOrder struct {
	order    map[string][]string // schema name -> property names
	plans    sync.Map            // reflect.Type -> *plan
	encoders sync.Map            // reflect.Type -> encFunc
	statuses sync.Map            // reflect.Type -> int, see statusOf
	// loc is the zone datetimes are written in (UTC when nil), as Coupa
	// writes them: to the second, with a numeric offset
	// (coupaxml.FormatDatetime).
	loc *time.Location
}

// newJSONOrder reads the property order of a spec in YAML.
func newJSONOrder(spec []byte) (*jsonOrder, error) {
	order, err := propertyOrder(spec)
	if err != nil {
		return nil, err
	}
	return &jsonOrder{order: order}, nil
}

// plan is how one struct type is encoded: its fields in the spec's order.
type plan struct {
	fields []planField
}

type planField struct {
	enc    encFunc
	offset uintptr // from the start of the struct (embedded structs inlined)
	key    []byte  // `"name":`
	// empty, for an omitempty field, is encoding/json's omitempty test.
	empty func(p unsafe.Pointer) bool
}

var (
	timeType      = reflect.TypeOf(time.Time{})
	marshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	statusInName  = regexp.MustCompile(`(\d{3})JSONResponse$`)
)

// planOf returns the plan of a struct type, made once.
func (o *jsonOrder) planOf(t reflect.Type) *plan {
	if p, ok := o.plans.Load(t); ok {
		return p.(*plan)
	}
	p := &plan{}
	o.collect(t, 0, p)
	names := o.schemaOrder(t, p)
	rank := map[string]int{"id": -1}
	for i, n := range names {
		if n != "id" {
			rank[n] = i
		}
	}
	slices.SortStableFunc(p.fields, func(a, b planField) int {
		ra, oka := rank[string(a.key[1:len(a.key)-2])]
		rb, okb := rank[string(b.key[1:len(b.key)-2])]
		switch {
		case oka && okb:
			return ra - rb
		case oka:
			return -1
		case okb:
			return 1
		}
		return 0
	})
	actual, _ := o.plans.LoadOrStore(t, p)
	return actual.(*plan)
}

// schemaOrder finds the spec order of a struct type: by its name (a model,
// IntegrationError), by its name without JSONResponse (a response type), by
// the one struct it embeds, or else by the schema with exactly its elements
// (a response type defined on a model, ListEvents200JSONResponse).
func (o *jsonOrder) schemaOrder(t reflect.Type, p *plan) []string {
	for t != nil {
		if names, ok := o.order[t.Name()]; ok {
			return names
		}
		if names, ok := o.order[strings.TrimSuffix(t.Name(), "JSONResponse")]; ok {
			return names
		}
		if t.NumField() == 1 && t.Field(0).Anonymous && t.Field(0).Type.Kind() == reflect.Struct {
			t = t.Field(0).Type
			continue
		}
		break
	}
	keys := make([]string, len(p.fields))
	for i, f := range p.fields {
		keys[i] = string(f.key[1 : len(f.key)-2])
	}
	slices.Sort(keys)
	for _, names := range o.order {
		if len(names) == len(keys) {
			sorted := slices.Sorted(slices.Values(names))
			if slices.Equal(sorted, keys) {
				return names
			}
		}
	}
	return nil
}

// collect adds t's encoded fields to p, inlining untagged embedded structs
// as encoding/json does.
func (o *jsonOrder) collect(t reflect.Type, offset uintptr, p *plan) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			o.collect(f.Type, offset+f.Offset, p)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		key := appendString(nil, name)
		pf := planField{enc: o.encoderOf(f.Type), offset: offset + f.Offset, key: append(key, ':')}
		if strings.Contains(","+opts+",", ",omitempty,") {
			pf.empty = emptyTest(f.Type)
		}
		p.fields = append(p.fields, pf)
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// write answers status with v encoded, reporting false when v is not a
// value it encodes (then nothing is written).
//
// keep, when set, is given the answer when it went out in one piece (the
// bytes are only lent).
func (o *jsonOrder) write(w http.ResponseWriter, status int, v any, keep func(status int, body []byte)) bool {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && !rv.IsNil() && rv.Type().Elem().Kind() != reflect.Uint8 && !rv.Type().Implements(marshalerType) {
		return o.writeList(w, status, rv, keep)
	}
	bp := bufPool.Get().(*[]byte)
	b, ok := o.append((*bp)[:0], reflect.ValueOf(v))
	if ok {
		b = append(b, '\n')
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(b)
		if keep != nil {
			keep(status, b)
		}
	}
	if cap(b) <= 1<<20 {
		*bp = b
		bufPool.Put(bp)
	}
	return ok
}

// listFlush is the size past which writeList hands what it has encoded to
// the client.
const listFlush = 64 << 10

// writeList answers a list as write does, byte for byte, but item by item:
// whenever the buffer passes listFlush it goes to w, so that a list costs
// its largest item and a buffer, not its whole size, however long it is
// (issue 12: a list of large records cost several times its size while
// the buffer grew). When an item cannot be encoded before anything was
// sent, it reports false as write does; after, the answer is cut short
// (http.ErrAbortHandler), which the client sees as a broken answer, never
// as a whole one.
func (o *jsonOrder) writeList(w http.ResponseWriter, status int, v reflect.Value, keep func(status int, body []byte)) bool {
	bp := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 1<<20 {
			bufPool.Put(bp)
		}
	}()
	b := append((*bp)[:0], '[')
	sent := false
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = o.append(b, v.Index(i)); !ok {
			if !sent {
				*bp = b
				return false
			}
			panic(http.ErrAbortHandler)
		}
		if len(b) >= listFlush {
			if !sent {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				sent = true
			}
			_, _ = w.Write(b)
			b = b[:0]
		}
	}
	b = append(b, ']', '\n')
	if !sent {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
	}
	_, _ = w.Write(b)
	if !sent && keep != nil {
		keep(status, b)
	}
	*bp = b
	return true
}

// respond encodes a strict handler's response when it is a JSON answer of
// a status named in its type (ShowIntegrationError200JSONResponse) with no
// headers of its own; it reports false for any other, which the generated
// code then writes.
func (o *jsonOrder) respond(w http.ResponseWriter, resp any, keep func(status int, body []byte)) bool {
	t := reflect.TypeOf(resp)
	if t == nil {
		return false
	}
	status, ok := o.statuses.Load(t)
	if !ok {
		status, _ = o.statuses.LoadOrStore(t, statusOf(t))
	}
	if status.(int) == 0 {
		return false
	}
	return o.write(w, status.(int), resp, keep)
}

// statusOf is the status a response type names, 0 for a type respond
// leaves to the generated code.
func statusOf(t reflect.Type) int {
	m := statusInName.FindStringSubmatch(t.Name())
	if m == nil {
		return 0
	}
	if t.Kind() == reflect.Struct {
		if _, hasHeaders := t.FieldByName("Headers"); hasHeaders {
			return 0
		}
	}
	status, _ := strconv.Atoi(m[1])
	return status
}

// encFunc appends the value of one type at p, reporting false when it
// cannot. The encoders read values through pointers at the offsets that
// reflection reported for their very types, as encoding/json's own
// reflection would reach them, but without a reflect.Value per element.
type encFunc func(o *jsonOrder, b []byte, p unsafe.Pointer) ([]byte, bool)

// append encodes v onto b.
func (o *jsonOrder) append(b []byte, v reflect.Value) ([]byte, bool) {
	if !v.IsValid() {
		return append(b, "null"...), true
	}
	if !v.CanAddr() { // a copy the encoders can point into
		c := reflect.New(v.Type())
		c.Elem().Set(v)
		v = c.Elem()
	}
	return o.encoderOf(v.Type())(o, b, v.Addr().UnsafePointer())
}

// encoderOf returns the encoder of a type, made once.
func (o *jsonOrder) encoderOf(t reflect.Type) encFunc {
	if f, ok := o.encoders.Load(t); ok {
		return f.(encFunc)
	}
	// Recursive types: a stand-in until the real one is made.
	var real encFunc
	var wg sync.WaitGroup
	wg.Add(1)
	f, loaded := o.encoders.LoadOrStore(t, encFunc(func(o *jsonOrder, b []byte, p unsafe.Pointer) ([]byte, bool) {
		wg.Wait()
		return real(o, b, p)
	}))
	if loaded {
		return f.(encFunc)
	}
	real = o.newEncoder(t)
	wg.Done()
	o.encoders.Store(t, real)
	return real
}

func (o *jsonOrder) newEncoder(t reflect.Type) encFunc {
	if t == timeType {
		return func(o *jsonOrder, b []byte, p unsafe.Pointer) ([]byte, bool) {
			tm := (*time.Time)(p)
			if y := tm.Year(); y < 0 || y > 9999 {
				return b, false
			}
			loc := o.loc
			if loc == nil {
				loc = time.UTC
			}
			b = append(b, '"')
			b = coupaxml.AppendDatetime(b, tm.In(loc))
			return append(b, '"'), true
		}
	}
	if t.Kind() != reflect.Pointer && t.Implements(marshalerType) {
		return marshalOf(t)
	}
	switch t.Kind() {
	case reflect.Pointer:
		if t.Implements(marshalerType) && !t.Elem().Implements(marshalerType) {
			marshal := marshalOf(t)
			return func(o *jsonOrder, b []byte, p unsafe.Pointer) ([]byte, bool) {
				if *(*unsafe.Pointer)(p) == nil {
					return append(b, "null"...), true
				}
				return marshal(o, b, p)
			}
		}
		enc := o.encoderOf(t.Elem())
		return func(o *jsonOrder, b []byte, p unsafe.Pointer) ([]byte, bool) {
			q := *(*unsafe.Pointer)(p)
			if q == nil {
				return append(b, "null"...), true
			}
			return enc(o, b, q)
		}
	case reflect.String:
		return func(_ *jsonOrder, b []byte, p unsafe.Pointer) ([]byte, bool) {
			return appendString(b, *(*string)(p)), true
		}
	case reflect.Bool:
		return func(_ *jsonOrder, b []byte, p unsafe.Pointer) ([]byte, bool) {
			return strconv.AppendBool(b, *(*bool)(p)), true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		size := t.Size()
		return func(_ *jsonOrder, b []byte, p unsafe.Pointer) ([]byte, bool) {
			return strconv.AppendInt(b, rawint.Int(p, size), 10), true
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		size := t.Size()
		return func(_ *jsonOrder, b []byte, p unsafe.Pointer) ([]byte, bool) {
			return strconv.AppendUint(b, rawint.Uint(p, size), 10), true
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return marshalOf(t)
		}
		enc, size := o.encoderOf(t.Elem()), t.Elem().Size()
		return func(o *jsonOrder, b []byte, p unsafe.Pointer) ([]byte, bool) {
			s := (*sliceHeader)(p)
			if s.data == nil {
				return append(b, "null"...), true
			}
			b = append(b, '[')
			for i := 0; i < s.len; i++ {
				if i > 0 {
					b = append(b, ',')
				}
				var ok bool
				if b, ok = enc(o, b, unsafe.Add(s.data, uintptr(i)*size)); !ok {
					return b, false
				}
			}
			return append(b, ']'), true
		}
	case reflect.Struct:
		pl := o.planOf(t)
		return func(o *jsonOrder, b []byte, p unsafe.Pointer) ([]byte, bool) {
			b = append(b, '{')
			first := true
			for i := range pl.fields {
				f := &pl.fields[i]
				fp := unsafe.Add(p, f.offset)
				if f.empty != nil && f.empty(fp) {
					continue
				}
				if !first {
					b = append(b, ',')
				}
				first = false
				b = append(b, f.key...)
				var ok bool
				if b, ok = f.enc(o, b, fp); !ok {
					return b, false
				}
			}
			return append(b, '}'), true
		}
	}
	// Maps, interfaces, floats, arrays: encoding/json's own encoding.
	return marshalOf(t)
}

// sliceHeader is the memory layout of a slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// marshalOf encodes a value of type t with encoding/json.
func marshalOf(t reflect.Type) encFunc {
	return func(_ *jsonOrder, b []byte, p unsafe.Pointer) ([]byte, bool) {
		data, err := json.Marshal(reflect.NewAt(t, p).Elem().Interface())
		if err != nil {
			return b, false
		}
		return append(b, data...), true
	}
}

// emptyTest is encoding/json's omitempty test for values of type t, as
// reflect.Value.IsZero judges numbers, booleans, pointers and interfaces.
func emptyTest(t reflect.Type) func(unsafe.Pointer) bool {
	switch t.Kind() {
	case reflect.Array:
		n := t.Len()
		return func(unsafe.Pointer) bool { return n == 0 }
	case reflect.Map:
		return func(p unsafe.Pointer) bool { return reflect.NewAt(t, p).Elem().Len() == 0 }
	case reflect.Slice:
		return func(p unsafe.Pointer) bool { return (*sliceHeader)(p).len == 0 }
	case reflect.String:
		return func(p unsafe.Pointer) bool { return len(*(*string)(p)) == 0 }
	case reflect.Pointer, reflect.Interface:
		// A nil pointer; an interface without a type (its first word).
		return func(p unsafe.Pointer) bool { return *(*unsafe.Pointer)(p) == nil }
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		size := t.Size()
		return func(p unsafe.Pointer) bool {
			for i := range size {
				if *(*byte)(unsafe.Add(p, i)) != 0 {
					return false
				}
			}
			return true
		}
	}
	return nil
}

const hex = "0123456789abcdef"

// plainByte marks the bytes appendString copies as they are: printable
// ASCII but for the quote, the backslash, <, > and &.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string, escaped as encoding/json does
// by default: quotes, backslashes, control characters, <, > and &,
// U+2028 and U+2029, and invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	// Most strings need no escaping: copy them in one go.
	i := 0
	for i < len(s) && plainByte[s[i]] {
		i++
	}
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainByte[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
