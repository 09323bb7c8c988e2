package query

import (
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"
)

// Filter is a parsed query: the conjunction of its filters, for records of
// the type of the Schema that parsed it. A Filter is immutable and safe for
// concurrent use. A nil *Filter is empty.
type Filter struct {
	schema  *Schema
	clauses []clause
}

// Empty reports whether the filter has no filters and so matches every
// record.
func (f *Filter) Empty() bool { return f == nil || len(f.clauses) == 0 }

// Match reports whether the record satisfies every filter. record is a
// pointer to a record of the schema's type (as the mock's tables pass them)
// or such a record by value; a pointer is not copied and costs no
// allocation, a value is copied once. A nil pointer matches nothing. Match
// panics if record is of another type, a programming error. An empty filter
// matches every record.
//
// An element that is absent from the record (a nil pointer on the way to it,
// or the zero time) matches only [blank]=true: like NULL in SQL, it matches
// neither a comparison nor [not_eq] nor [not_in].
//
// Match follows field offsets computed when the schema was built: it builds
// no maps, encodes no JSON and does not allocate.
func (f *Filter) Match(record any) bool {
	if f == nil {
		return true
	}
	p := f.schema.pointer(record)
	if p == nil {
		return false
	}
	for i := range f.clauses {
		if !f.clauses[i].match(p) {
			return false
		}
	}
	return true
}

// MatchFunc returns f.Match for records of type T, as a func that tests a
// *T without boxing it in an interface or looking at its type: for a scan
// over many records. It panics if f was parsed for records of another type
// (a programming error, as for Match). A nil or empty f gives a func that
// matches every record but nil.
func MatchFunc[T any](f *Filter) func(*T) bool {
	if f != nil && f.schema.ptr != reflect.TypeFor[*T]() {
		panic(fmt.Sprintf("query: MatchFunc[%v]: the filter was parsed for %v records", reflect.TypeFor[T](), f.schema.ptr))
	}
	var clauses []clause
	if f != nil {
		clauses = f.clauses
	}
	return func(rec *T) bool {
		if rec == nil {
			return false
		}
		p := unsafe.Pointer(rec)
		for i := range clauses {
			if !clauses[i].match(p) {
				return false
			}
		}
		return true
	}
}

// clause is one filter: an element's path, an operator and its operands.
type clause struct {
	path  []step
	kind  kind
	size  uint8
	op    op
	blank bool    // opBlank: true for [blank]=true
	val   value   // the operand of the other operators but [in] and [not_in]
	list  []value // [in], [not_in]
}

// match tests the record at p (a pointer to the schema's struct type).
//
// p moves along c.path by the offsets of struct fields that reflection
// reported for this very type, and through pointers that those fields hold,
// so every pointer it makes points into a live value of the field's type.
func (c *clause) match(p unsafe.Pointer) bool {
	for _, s := range c.path {
		p = unsafe.Add(p, s.offset)
		for range s.derefs {
			if p = *(*unsafe.Pointer)(p); p == nil {
				return c.op == opBlank && c.blank // absent
			}
		}
	}
	switch c.kind {
	case kindString:
		v := *(*string)(p)
		if c.op == opBlank {
			return c.blank == (v == "")
		}
		return c.matchString(v)
	case kindTime:
		v := (*time.Time)(p)
		if v.IsZero() {
			return c.op == opBlank && c.blank // absent
		}
		if c.op == opBlank {
			return !c.blank
		}
		return c.matchTime(v)
	}
	if c.op == opBlank { // a number or boolean is never blank
		return !c.blank
	}
	switch c.kind {
	case kindInt:
		return c.matchInt(readInt(p, c.size))
	case kindUint:
		return c.matchUint(readUint(p, c.size))
	case kindFloat:
		if c.size == 4 {
			return c.matchFloat(float64(*(*float32)(p)))
		}
		return c.matchFloat(*(*float64)(p))
	case kindBool:
		return c.matchBool(*(*bool)(p))
	}
	return false
}

func readInt(p unsafe.Pointer, size uint8) int64 {
	switch size {
	case 1:
		return int64(*(*int8)(p))
	case 2:
		return int64(*(*int16)(p))
	case 4:
		return int64(*(*int32)(p))
	}
	return *(*int64)(p)
}

func readUint(p unsafe.Pointer, size uint8) uint64 {
	switch size {
	case 1:
		return uint64(*(*uint8)(p))
	case 2:
		return uint64(*(*uint16)(p))
	case 4:
		return uint64(*(*uint32)(p))
	}
	return *(*uint64)(p)
}

// compare applies an operator that compares two values.
func compare[T int64 | uint64 | float64 | string](o op, v, w T) bool {
	switch o {
	case opEq:
		return v == w
	case opNotEq:
		return v != w
	case opGt:
		return v > w
	case opLt:
		return v < w
	case opGtOrEq:
		return v >= w
	case opLtOrEq:
		return v <= w
	}
	return false
}

// inList applies [in] or [not_in] given whether the value is in the list.
func (c *clause) inList(found bool) bool { return found == (c.op == opIn) }

func (c *clause) matchString(v string) bool {
	switch c.op {
	case opContains:
		return strings.Contains(v, c.val.s)
	case opStartsWith:
		return strings.HasPrefix(v, c.val.s)
	case opEndsWith:
		return strings.HasSuffix(v, c.val.s)
	case opIn, opNotIn:
		for i := range c.list {
			if c.list[i].s == v {
				return c.inList(true)
			}
		}
		return c.inList(false)
	}
	return compare(c.op, v, c.val.s)
}

func (c *clause) matchInt(v int64) bool {
	if c.op == opIn || c.op == opNotIn {
		for i := range c.list {
			if c.list[i].i == v {
				return c.inList(true)
			}
		}
		return c.inList(false)
	}
	return compare(c.op, v, c.val.i)
}

func (c *clause) matchUint(v uint64) bool {
	if c.op == opIn || c.op == opNotIn {
		for i := range c.list {
			if c.list[i].u == v {
				return c.inList(true)
			}
		}
		return c.inList(false)
	}
	return compare(c.op, v, c.val.u)
}

func (c *clause) matchFloat(v float64) bool {
	if c.op == opIn || c.op == opNotIn {
		for i := range c.list {
			if c.list[i].f == v {
				return c.inList(true)
			}
		}
		return c.inList(false)
	}
	return compare(c.op, v, c.val.f)
}

func (c *clause) matchBool(v bool) bool {
	switch c.op {
	case opEq:
		return v == c.val.b
	case opNotEq:
		return v != c.val.b
	case opIn, opNotIn:
		for i := range c.list {
			if c.list[i].b == v {
				return c.inList(true)
			}
		}
		return c.inList(false)
	}
	return false
}

func (c *clause) matchTime(v *time.Time) bool {
	if c.op == opIn || c.op == opNotIn {
		for i := range c.list {
			if v.Equal(c.list[i].t) {
				return c.inList(true)
			}
		}
		return c.inList(false)
	}
	switch d := v.Compare(c.val.t); c.op {
	case opEq:
		return d == 0
	case opNotEq:
		return d != 0
	case opGt:
		return d > 0
	case opLt:
		return d < 0
	case opGtOrEq:
		return d >= 0
	case opLtOrEq:
		return d <= 0
	}
	return false
}
