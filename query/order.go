package query

import (
	"cmp"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/coupakit/coupakit/internal/rawint"
)

// orderParam is the query parameter an ordering error is reported against.
const orderParam = "order_by"

// Order returns a comparison of two records of the schema's type (pointers, as Match takes) by the top-level
// scalar element name (hyphens or underscores accepted): negative when a sorts before b. Absent values
// (nil pointer, zero time) sort first. desc reverses it. Records that compare equal are left to the caller
// (the mock breaks ties by id). An unknown element, or one that is not a scalar, returns *Error.
//
// Strings compare byte-wise (an empty string is a value, not absent), integers and floats numerically
// (a NaN sorts before every other number), booleans false before true, datetimes as instants. With desc
// the whole comparison is reversed, so absent values sort last. A nil record pointer counts as a record
// whose element is absent.
//
// The comparison follows the field offsets the schema computed, like Match: given pointers it does not
// allocate, and it is safe for concurrent use. It also takes records by value, as Match does, at the
// cost of a copy (an allocation) each; it panics if given a record of another type, a programming error.
//
// The *Error's Param is "order_by" and its Reason names the element, such as
// `unknown element "nope" (elements: created-at, id, status, ...)`; a list, a map or an association
// (`integration`), and a nested name (`integration[code]`), are refused the same way.
func (s *Schema) Order(name string, desc bool) (func(a, b any) int, error) {
	e, reason := s.orderElement(name)
	if reason != "" {
		return nil, &Error{Param: orderParam, Reason: reason}
	}
	o := &orderer{schema: s, path: join(nil, e.path), kind: e.kind, size: e.size}
	if desc {
		return func(a, b any) int { return -o.compare(a, b) }, nil
	}
	return o.compare, nil
}

// orderElement finds the top-level scalar element to order by, or returns
// why name designates none.
func (s *Schema) orderElement(name string) (*element, string) {
	e := s.root.lookup(name)
	switch {
	case e == nil && strings.ContainsAny(name, "[]"):
		return nil, fmt.Sprintf("%s is not a top-level element: records are ordered by one of their own elements %s",
			quote(name), listScalars(s.root))
	case e == nil:
		return nil, fmt.Sprintf("unknown element %s %s", quote(name), listScalars(s.root))
	case e.kind == kindStruct:
		return nil, fmt.Sprintf("%s is an association: records are ordered by one of their own elements %s",
			quote(e.name), listScalars(s.root))
	case e.kind == kindOther:
		return nil, fmt.Sprintf("%s (%v) cannot order records", quote(e.name), e.goType)
	case !e.kind.scalar():
		return nil, fmt.Sprintf("%s is %s and cannot order records", quote(e.name), e.kind.noun())
	}
	return e, ""
}

// listScalars lists a node's scalar elements for an error message.
func listScalars(n *node) string {
	var names []string
	for _, name := range n.names {
		if n.elems[name].kind.scalar() {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "(there are no scalar elements)"
	}
	return "(elements: " + strings.Join(names, ", ") + ")"
}

// orderer compares records by one scalar element.
type orderer struct {
	schema *Schema
	path   []step // from the record to the element's value
	kind   kind
	size   uint8
}

// compare compares the element in records a and b, ascending, absent first.
func (o *orderer) compare(a, b any) int {
	pa, pb := o.locate(o.record(a)), o.locate(o.record(b))
	switch {
	case pa == nil && pb == nil:
		return 0
	case pa == nil:
		return -1
	case pb == nil:
		return 1
	}
	switch o.kind {
	case kindString:
		return strings.Compare(*(*string)(pa), *(*string)(pb))
	case kindInt:
		return cmp.Compare(rawint.Int(pa, uintptr(o.size)), rawint.Int(pb, uintptr(o.size)))
	case kindUint:
		return cmp.Compare(rawint.Uint(pa, uintptr(o.size)), rawint.Uint(pb, uintptr(o.size)))
	case kindFloat:
		if o.size == 4 {
			return cmp.Compare(*(*float32)(pa), *(*float32)(pb))
		}
		return cmp.Compare(*(*float64)(pa), *(*float64)(pb))
	case kindBool:
		x, y := *(*bool)(pa), *(*bool)(pb)
		switch {
		case x == y:
			return 0
		case y:
			return -1
		}
		return 1
	case kindTime:
		return (*time.Time)(pa).Compare(*(*time.Time)(pb))
	}
	return 0
}

// record returns a pointer to the record, as Schema.pointer does, but names
// Order in its panic.
func (o *orderer) record(r any) unsafe.Pointer {
	switch reflect.TypeOf(r) {
	case o.schema.ptr:
		return reflect.ValueOf(r).UnsafePointer()
	case o.schema.typ:
		return o.schema.pointer(r)
	}
	panic(fmt.Sprintf("query: Schema.Order comparison of a %T: the comparison was made for %v records", r, o.schema.ptr))
}

// locate follows o.path from the record at p to the element's value, or
// returns nil if the element is absent: a nil record, a nil pointer on the
// way, or the zero time.
//
// As in clause.match, p moves by the offsets reflection reported for this
// very type and through the pointers those fields hold.
func (o *orderer) locate(p unsafe.Pointer) unsafe.Pointer {
	if p == nil {
		return nil
	}
	for _, s := range o.path {
		p = unsafe.Add(p, s.offset)
		for range s.derefs {
			if p = *(*unsafe.Pointer)(p); p == nil {
				return nil
			}
		}
	}
	if o.kind == kindTime && (*time.Time)(p).IsZero() {
		return nil
	}
	return p
}
