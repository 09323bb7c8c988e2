package query

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
	"unsafe"
)

// Schema describes the filterable elements of one record type, built once by
// reflection from json tags. A Schema is immutable and safe for concurrent
// use; build it once per type (at start-up) and reuse it for every request.
type Schema struct {
	typ  reflect.Type // the struct type
	ptr  reflect.Type // pointer to it
	root *node
}

// kind is how an element is filtered.
type kind uint8

const (
	kindString kind = iota + 1
	kindInt
	kindUint
	kindFloat
	kindBool
	kindTime
	kindStruct // an association: filtered through its elements
	kindList   // slice or array: not filterable
	kindMap    // not filterable
	kindOther  // interface, complex, chan, func: not filterable
)

// scalar reports whether elements of this kind take operators.
func (k kind) scalar() bool { return k >= kindString && k <= kindTime }

// noun names the kind in error messages.
func (k kind) noun() string {
	switch k {
	case kindString:
		return "a string"
	case kindInt:
		return "an integer"
	case kindUint:
		return "an unsigned integer"
	case kindFloat:
		return "a number"
	case kindBool:
		return "a boolean"
	case kindTime:
		return "a datetime"
	case kindStruct:
		return "an association"
	case kindList:
		return "a list"
	case kindMap:
		return "a map"
	}
	return "a value of an unsupported type"
}

// step moves from a pointer to a struct to one of its fields: add offset,
// then follow derefs pointers, any of which may be nil.
type step struct {
	offset uintptr
	derefs uint8
}

// node is one struct type: the record type or an association's type.
type node struct {
	elems map[string]*element // by json name
	norm  map[string]*element // by name with '_' read as '-'; nil value: ambiguous
	names []string            // sorted json names of the filterable elements and associations
}

// element is one json-named field of a node.
type element struct {
	name   string
	path   []step // from the start of the enclosing struct to the field's value
	kind   kind
	size   uint8        // bytes, for kindInt, kindUint and kindFloat
	goType reflect.Type // the field's type with pointers removed
	nested *node        // kindStruct
}

var timeType = reflect.TypeFor[time.Time]()

// SchemaOf builds the schema of v's type. v is a zero value of a struct type,
// e.g. core.IntegrationError{}, or a pointer to one (possibly nil). Fields
// are named as encoding/json names them (the json tag, else the Go name);
// fields tagged `json:"-"` and unexported fields are left out, and the fields
// of embedded structs are promoted. Fields of slice, array, map or interface
// type are known but not filterable, so that Parse names them in its error.
func SchemaOf(v any) (*Schema, error) {
	t := reflect.TypeOf(v)
	if t == nil {
		return nil, errors.New("query: SchemaOf(nil): want a struct value such as core.IntegrationError{}")
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || isTime(t) {
		return nil, fmt.Errorf("query: SchemaOf(%v): want a struct (record) type", reflect.TypeOf(v))
	}
	b := builder{nodes: map[reflect.Type]*node{}}
	return &Schema{typ: t, ptr: reflect.PointerTo(t), root: b.node(t)}, nil
}

// MustSchemaOf is like SchemaOf but panics on error; for package-level
// variables.
func MustSchemaOf(v any) *Schema {
	s, err := SchemaOf(v)
	if err != nil {
		panic(err)
	}
	return s
}

// Elements returns the filterable elements, sorted, as they are written in a
// query: `status`, `integration[code]`, `created-by[login]`. Associations are
// expanded into their elements (a type that contains itself is expanded
// once); lists and maps are left out.
func (s *Schema) Elements() []string {
	var out []string
	var walk func(n *node, prefix string, seen map[*node]bool)
	walk = func(n *node, prefix string, seen map[*node]bool) {
		seen[n] = true
		defer delete(seen, n)
		for _, name := range n.names {
			e := n.elems[name]
			key := name
			if prefix != "" {
				key = prefix + "[" + name + "]"
			}
			switch {
			case e.kind.scalar():
				out = append(out, key)
			case e.kind == kindStruct && !seen[e.nested]:
				walk(e.nested, key, seen)
			}
		}
	}
	walk(s.root, "", map[*node]bool{})
	sort.Strings(out)
	return out
}

// lookup finds an element by its json name, or by that name with
// underscores for hyphens.
func (n *node) lookup(name string) *element {
	if e, ok := n.elems[name]; ok {
		return e
	}
	return n.norm[normalize(name)]
}

// normalize reads underscores as hyphens.
func normalize(name string) string { return strings.ReplaceAll(name, "_", "-") }

// builder builds nodes, once per struct type, so that types that refer to
// themselves terminate.
type builder struct {
	nodes map[reflect.Type]*node
}

func (b *builder) node(t reflect.Type) *node {
	if n, ok := b.nodes[t]; ok {
		return n
	}
	n := &node{elems: map[string]*element{}, norm: map[string]*element{}}
	b.nodes[t] = n
	b.addFields(n, t, nil, map[reflect.Type]bool{t: true})
	for name, e := range n.elems {
		if e.kind.scalar() || e.kind == kindStruct {
			n.names = append(n.names, name)
		}
		k := normalize(name)
		if other, dup := n.norm[k]; dup && other != e {
			n.norm[k] = nil // two names that read the same: exact spelling only
		} else if !dup {
			n.norm[k] = e
		}
	}
	sort.Strings(n.names)
	return n
}

// addFields adds the fields of struct type t, found at prefix from the start
// of the node's struct, as encoding/json would name them: the fields of t
// first, then those of its embedded structs when the name is still free.
func (b *builder) addFields(n *node, t reflect.Type, prefix []step, embedding map[reflect.Type]bool) {
	type embed struct {
		t    reflect.Type
		step step
	}
	var embeds []embed
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft, derefs := deref(sf.Type)
		if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct && !isTime(ft) {
			if !sf.IsExported() && sf.Type.Kind() == reflect.Pointer {
				continue // encoding/json cannot reach it either
			}
			embeds = append(embeds, embed{ft, step{sf.Offset, derefs}})
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, taken := n.elems[name]; taken {
			continue
		}
		n.elems[name] = b.element(name, ft, append(clone(prefix), step{sf.Offset, derefs}))
	}
	for _, e := range embeds {
		if embedding[e.t] {
			continue
		}
		embedding[e.t] = true
		b.addFields(n, e.t, append(clone(prefix), e.step), embedding)
		delete(embedding, e.t)
	}
}

// element classifies a field whose type, pointers removed, is t.
func (b *builder) element(name string, t reflect.Type, path []step) *element {
	e := &element{name: name, path: path, goType: t}
	switch t.Kind() {
	case reflect.String:
		e.kind = kindString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.kind, e.size = kindInt, uint8(t.Size())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.kind, e.size = kindUint, uint8(t.Size())
	case reflect.Float32, reflect.Float64:
		e.kind, e.size = kindFloat, uint8(t.Size())
	case reflect.Bool:
		e.kind = kindBool
	case reflect.Struct:
		if isTime(t) {
			e.kind = kindTime
		} else {
			e.kind = kindStruct
			e.nested = b.node(t)
		}
	case reflect.Slice, reflect.Array:
		e.kind = kindList
	case reflect.Map:
		e.kind = kindMap
	default:
		e.kind = kindOther
	}
	return e
}

// isTime reports whether t is time.Time or has its memory layout and meaning:
// a struct type defined on time.Time's (type Stamp time.Time) or a struct
// whose only field is an embedded time.Time (like openapi_types.Date).
func isTime(t reflect.Type) bool {
	if t == timeType {
		return true
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	if t.ConvertibleTo(timeType) {
		return true
	}
	return t.NumField() == 1 && t.Field(0).Anonymous && t.Field(0).Type == timeType
}

// deref removes the pointers from t and counts them.
func deref(t reflect.Type) (reflect.Type, uint8) {
	var n uint8
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
		n++
	}
	return t, n
}

func clone(path []step) []step { return append([]step(nil), path...) }

// join appends path to base, folding steps that follow no pointer into the
// next one, so that Match adds one offset per pointer followed.
func join(base, path []step) []step {
	out := clone(base)
	for _, s := range path {
		if n := len(out); n > 0 && out[n-1].derefs == 0 {
			out[n-1] = step{out[n-1].offset + s.offset, s.derefs}
			continue
		}
		out = append(out, s)
	}
	return out
}

// pointer returns a pointer to the record, which must be a *T or a T of the
// schema's type T; a nil *T gives nil. A T is copied (one allocation).
func (s *Schema) pointer(record any) unsafe.Pointer {
	switch reflect.TypeOf(record) {
	case s.ptr:
		return reflect.ValueOf(record).UnsafePointer()
	case s.typ:
		v := reflect.New(s.typ)
		v.Elem().Set(reflect.ValueOf(record))
		return v.UnsafePointer()
	}
	panic(fmt.Sprintf("query: Filter.Match(%T): the filter was parsed for %v records", record, s.ptr))
}
