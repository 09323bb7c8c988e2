package query

import (
	"fmt"
	"reflect"
	"unsafe"
)

// Filter is a parsed query: the conjunction of its filters, for records of
// the type of the Schema that parsed it. A Filter is immutable and safe for
// concurrent use. A nil *Filter is empty.
type Filter struct {
	schema  *Schema
	clauses []clause // as parsed, in sorted parameter order
	preds   []pred   // the clauses compiled, cheapest first
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
// Match follows field offsets computed when the schema was built, and runs
// the filters as Parse compiled them (one small func per filter, for its
// element's kind and operator, the cheapest first): it builds no maps,
// encodes no JSON and does not allocate.
func (f *Filter) Match(record any) bool {
	if f == nil {
		return true
	}
	p := f.schema.pointer(record)
	if p == nil {
		return false
	}
	for _, test := range f.preds {
		if !test(p) {
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
	var preds []pred
	if f != nil {
		preds = f.preds
	}
	switch len(preds) {
	case 0:
		return func(rec *T) bool { return rec != nil }
	case 1:
		a := preds[0]
		return func(rec *T) bool { return rec != nil && a(unsafe.Pointer(rec)) }
	case 2:
		a, b := preds[0], preds[1]
		return func(rec *T) bool {
			if rec == nil {
				return false
			}
			p := unsafe.Pointer(rec)
			return a(p) && b(p)
		}
	}
	return func(rec *T) bool {
		if rec == nil {
			return false
		}
		p := unsafe.Pointer(rec)
		for _, test := range preds {
			if !test(p) {
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
