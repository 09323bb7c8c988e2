package query

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// pred tests one clause on the record at p (a pointer to the schema's struct
// type). Parse compiles each clause into one, once, so that a scan calls
// small funcs specialised for the element's kind and the operator, and no
// longer switches on them per record.
type pred func(p unsafe.Pointer) bool

// compilePreds compiles the clauses, cheapest first. The filter is a
// conjunction of pure tests, so their order does not change which records
// match; testing first the element that costs the fewest memory loads lets
// a record that fails it skip the dearer ones.
func compilePreds(clauses []clause) []pred {
	order := make([]int, len(clauses))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(clauses[a].cost(), clauses[b].cost()) })
	preds := make([]pred, len(clauses))
	for i, j := range order {
		preds[i] = clauses[j].compile()
	}
	return preds
}

// cost estimates what testing the clause costs, in memory loads a record
// may miss the cache on: one per pointer followed on the way to the element,
// one more for a string's bytes, one more for a list of operands or a
// substring search.
func (c *clause) cost() int {
	n := 0
	for _, s := range c.path {
		n += int(s.derefs)
	}
	if c.kind == kindString && c.op != opBlank {
		n++
	}
	switch c.op {
	case opIn, opNotIn, opContains, opEndsWith:
		n++
	}
	return n
}

// compile turns the clause into a pred.
func (c *clause) compile() pred {
	absent := c.op == opBlank && c.blank // what an absent element gives
	switch c.kind {
	case kindString:
		return at(c.path, absent, c.stringTest())
	case kindTime:
		return at(c.path, absent, c.timeTest())
	case kindBool:
		return at(c.path, absent, c.boolTest())
	case kindInt:
		switch c.size {
		case 1:
			return at(c.path, absent, numberTest[int8](c, c.val.i, c.list, func(v value) int64 { return v.i }))
		case 2:
			return at(c.path, absent, numberTest[int16](c, c.val.i, c.list, func(v value) int64 { return v.i }))
		case 4:
			return at(c.path, absent, numberTest[int32](c, c.val.i, c.list, func(v value) int64 { return v.i }))
		}
		return at(c.path, absent, numberTest[int64](c, c.val.i, c.list, func(v value) int64 { return v.i }))
	case kindUint:
		switch c.size {
		case 1:
			return at(c.path, absent, numberTest[uint8](c, c.val.u, c.list, func(v value) uint64 { return v.u }))
		case 2:
			return at(c.path, absent, numberTest[uint16](c, c.val.u, c.list, func(v value) uint64 { return v.u }))
		case 4:
			return at(c.path, absent, numberTest[uint32](c, c.val.u, c.list, func(v value) uint64 { return v.u }))
		}
		return at(c.path, absent, numberTest[uint64](c, c.val.u, c.list, func(v value) uint64 { return v.u }))
	case kindFloat:
		if c.size == 4 {
			return at(c.path, absent, numberTest[float32](c, c.val.f, c.list, func(v value) float64 { return v.f }))
		}
		return at(c.path, absent, numberTest[float64](c, c.val.f, c.list, func(v value) float64 { return v.f }))
	}
	return func(unsafe.Pointer) bool { return false }
}

// at makes the pred that follows path from the record to the element (a V)
// and tests it; an absent element (a nil pointer on the way) gives absent.
//
// The pointer moves along the path by the offsets of struct fields that
// reflection reported for this very type, and through pointers that those
// fields hold, so every pointer it makes points into a live value of the
// field's type.
func at[V any](path []step, absent bool, test func(*V) bool) pred {
	if len(path) == 1 { // a field of the record itself: the usual case
		off := path[0].offset
		switch path[0].derefs {
		case 0:
			return func(p unsafe.Pointer) bool { return test((*V)(unsafe.Add(p, off))) }
		case 1:
			return func(p unsafe.Pointer) bool {
				if p = *(*unsafe.Pointer)(unsafe.Add(p, off)); p == nil {
					return absent
				}
				return test((*V)(p))
			}
		}
	}
	return func(p unsafe.Pointer) bool {
		for _, s := range path {
			p = unsafe.Add(p, s.offset)
			for range s.derefs {
				if p = *(*unsafe.Pointer)(p); p == nil {
					return absent
				}
			}
		}
		return test((*V)(p))
	}
}

// always is a test that gives the same answer for every value.
func always[V any](b bool) func(*V) bool { return func(*V) bool { return b } }

// stringTest is the clause's test of a present string.
func (c *clause) stringTest() func(*string) bool {
	w := c.val.s
	switch c.op {
	case opBlank:
		blank := c.blank
		return func(v *string) bool { return blank == (*v == "") }
	case opEq: // == compares lengths first
		return func(v *string) bool { return *v == w }
	case opNotEq:
		return func(v *string) bool { return *v != w }
	case opGt:
		return func(v *string) bool { return *v > w }
	case opLt:
		return func(v *string) bool { return *v < w }
	case opGtOrEq:
		return func(v *string) bool { return *v >= w }
	case opLtOrEq:
		return func(v *string) bool { return *v <= w }
	case opContains:
		return func(v *string) bool { return strings.Contains(*v, w) }
	case opStartsWith:
		return func(v *string) bool { return strings.HasPrefix(*v, w) }
	case opEndsWith:
		return func(v *string) bool { return strings.HasSuffix(*v, w) }
	case opIn, opNotIn:
		list := make([]string, len(c.list))
		for i := range c.list {
			list[i] = c.list[i].s
		}
		in := c.op == opIn
		return func(v *string) bool { return slices.Contains(list, *v) == in }
	}
	return always[string](false)
}

// boolTest is the clause's test of a present boolean (never blank).
func (c *clause) boolTest() func(*bool) bool {
	w := c.val.b
	switch c.op {
	case opBlank:
		return always[bool](!c.blank)
	case opEq:
		return func(v *bool) bool { return *v == w }
	case opNotEq:
		return func(v *bool) bool { return *v != w }
	case opIn, opNotIn:
		var has [2]bool // has[0]: false is listed; has[1]: true is
		for _, x := range c.list {
			if x.b {
				has[1] = true
			} else {
				has[0] = true
			}
		}
		in := c.op == opIn
		return func(v *bool) bool {
			if *v {
				return has[1] == in
			}
			return has[0] == in
		}
	}
	return always[bool](false)
}

// number is a Go numeric type an element may have.
type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// numberTest is the clause's test of a present number of type V (never
// blank), compared as a W: the operand w, the list's operands read by get.
func numberTest[V number, W int64 | uint64 | float64](c *clause, w W, list []value, get func(value) W) func(*V) bool {
	switch c.op {
	case opBlank:
		return always[V](!c.blank)
	case opEq:
		return func(v *V) bool { return W(*v) == w }
	case opNotEq:
		return func(v *V) bool { return W(*v) != w }
	case opGt:
		return func(v *V) bool { return W(*v) > w }
	case opLt:
		return func(v *V) bool { return W(*v) < w }
	case opGtOrEq:
		return func(v *V) bool { return W(*v) >= w }
	case opLtOrEq:
		return func(v *V) bool { return W(*v) <= w }
	case opIn, opNotIn:
		ws := make([]W, len(list))
		for i := range list {
			ws[i] = get(list[i])
		}
		in := c.op == opIn
		return func(v *V) bool {
			x := W(*v)
			for _, w := range ws {
				if x == w {
					return in
				}
			}
			return !in
		}
	}
	return always[V](false)
}

// instant is a time as Unix seconds and nanoseconds, which compare as the
// times do (time.Time.Compare compares the same two numbers).
type instant struct {
	sec  int64
	nsec int32
}

func instantOf(t *time.Time) instant { return instant{t.Unix(), int32(t.Nanosecond())} }

// present reports whether the time is not the zero time, which stands for
// an absent datetime.
func (a instant) present() bool { return a.sec != zeroSec || a.nsec != 0 }

// zeroSec is the Unix second of the zero time.Time.
const zeroSec = -62135596800

// timeTest is the clause's test of a time that is not nil; the zero time is
// absent, as a nil pointer is, and matches only [blank]=true.
func (c *clause) timeTest() func(*time.Time) bool {
	w := instantOf(&c.val.t)
	switch c.op {
	case opBlank:
		blank := c.blank
		return func(t *time.Time) bool { return instantOf(t).present() != blank }
	case opEq:
		return func(t *time.Time) bool { v := instantOf(t); return v.present() && v == w }
	case opNotEq:
		return func(t *time.Time) bool { v := instantOf(t); return v.present() && v != w }
	case opGt:
		return func(t *time.Time) bool {
			v := instantOf(t)
			return v.present() && (v.sec > w.sec || v.sec == w.sec && v.nsec > w.nsec)
		}
	case opLt:
		return func(t *time.Time) bool {
			v := instantOf(t)
			return v.present() && (v.sec < w.sec || v.sec == w.sec && v.nsec < w.nsec)
		}
	case opGtOrEq:
		return func(t *time.Time) bool {
			v := instantOf(t)
			return v.present() && (v.sec > w.sec || v.sec == w.sec && v.nsec >= w.nsec)
		}
	case opLtOrEq:
		return func(t *time.Time) bool {
			v := instantOf(t)
			return v.present() && (v.sec < w.sec || v.sec == w.sec && v.nsec <= w.nsec)
		}
	case opIn, opNotIn:
		ws := make([]instant, len(c.list))
		for i := range c.list {
			ws[i] = instantOf(&c.list[i].t)
		}
		in := c.op == opIn
		return func(t *time.Time) bool { v := instantOf(t); return v.present() && slices.Contains(ws, v) == in }
	}
	return always[time.Time](false)
}
