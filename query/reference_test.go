package query

import (
	"strings"
	"time"
	"unsafe"

	"github.com/coupakit/coupakit/internal/rawint"
)

// refMatch tests the record at p (a pointer to the schema's struct type)
// as the package did before it compiled clauses: an interpreter that
// switches on the kind and the operator for every record. The compiled
// preds are held to it.
//
// p moves along c.path by the offsets of struct fields that reflection
// reported for this very type, and through pointers that those fields hold,
// so every pointer it makes points into a live value of the field's type.
func (c *clause) refMatch(p unsafe.Pointer) bool {
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
		return c.matchInt(rawint.Int(p, uintptr(c.size)))
	case kindUint:
		return c.matchUint(rawint.Uint(p, uintptr(c.size)))
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
