package query

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Error is a query parameter that is not a valid filter, or a query that
// cannot be read completely; Parse and ParseValues return it as an *Error
// (find it with errors.As). The mock answers it with 400.
type Error struct {
	// Param is the parameter's name as sent, e.g. "updated_at[gt]".
	Param string
	// Reason says what is wrong and, where it helps, what would be right,
	// e.g. `"yesterday" is not a datetime (use ISO 8601, e.g. 2026-11-23T10:00:00Z)`.
	Reason string
	// Whole is set when the fault is the query as a whole (too many
	// parameters), not one parameter; Param is then empty.
	Whole bool
}

// Error reads like
// `filter "updated-at[gt]": "yesterday" is not a datetime (use ISO 8601, e.g. 2026-11-23T10:00:00Z)`,
// or `query: <reason>` when the fault is the query as a whole.
func (e *Error) Error() string {
	if e.Whole {
		return "query: " + e.Reason
	}
	return fmt.Sprintf("filter %q: %s", e.Param, e.Reason)
}

// op is a filter operator.
type op uint8

const (
	opEq op = iota // no operator: exact match
	opContains
	opStartsWith
	opEndsWith
	opGt
	opLt
	opGtOrEq
	opLtOrEq
	opNotEq
	opIn
	opNotIn
	opBlank
)

// operatorNames are the operators in the order error messages list them.
var operatorNames = []string{
	opContains: "contains", opStartsWith: "starts_with", opEndsWith: "ends_with",
	opGt: "gt", opLt: "lt", opGtOrEq: "gt_or_eq", opLtOrEq: "lt_or_eq",
	opNotEq: "not_eq", opIn: "in", opNotIn: "not_in", opBlank: "blank",
}

// operatorList is the list of operators for error messages.
var operatorList = strings.Join(slices.DeleteFunc(slices.Clone(operatorNames), func(s string) bool { return s == "" }), ", ")

// operator finds an operator by name.
func operator(name string) (op, bool) {
	if name == "" {
		return 0, false
	}
	i := slices.Index(operatorNames, name)
	return op(i), i > 0
}

// applies returns why operator o does not apply to elements of kind k, or "".
func applies(o op, k kind) string {
	switch o {
	case opContains, opStartsWith, opEndsWith:
		if k != kindString {
			return "applies only to strings"
		}
	case opGt, opLt, opGtOrEq, opLtOrEq:
		if k == kindBool {
			return "applies only to numbers, datetimes and strings"
		}
	}
	return ""
}

// Parse turns query parameters into a filter. Every parameter is a filter
// except those named in reserved (paging, ordering and projection
// parameters such as limit, offset, order_by, dir, return_object, fields),
// which are skipped as written, with no underscore/hyphen folding. A
// parameter sent several times gives one filter per value; all must hold.
//
// The first invalid parameter, in sorted order, is returned as an *Error.
// No parameters (or only reserved ones) give an empty filter, which matches
// every record.
func (s *Schema) Parse(values url.Values, reserved ...string) (*Filter, error) {
	keys := make([]string, 0, len(values))
	for k := range values {
		if !slices.Contains(reserved, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	f := &Filter{schema: s}
	for _, key := range keys {
		t, reason := s.resolve(key)
		if reason != "" {
			return nil, &Error{Param: key, Reason: reason}
		}
		for _, raw := range values[key] {
			c, reason := t.compile(raw)
			if reason != "" {
				return nil, &Error{Param: key, Reason: reason}
			}
			f.clauses = append(f.clauses, c)
		}
	}
	f.preds = compilePreds(f.clauses)
	return f, nil
}

// target is what a parameter's name designates: an element (possibly of an
// association) and an operator.
type target struct {
	elem *element
	path []step // from the record to the element's value
	op   op
	name string // the element as written canonically, e.g. integration[code]
}

// malformedName is the reason given for a name that is not element[...]...
const malformedName = "malformed name (use element=value, element[operator]=value or association[element]=value)"

// resolve finds the target of a parameter's name, or returns why it has none.
func (s *Schema) resolve(key string) (target, string) {
	name, segs, ok := splitKey(key)
	if !ok {
		return target{}, malformedName
	}
	e := s.root.lookup(name)
	if e == nil {
		return target{}, fmt.Sprintf("unknown element %s %s", quote(name), listNames(s.root))
	}
	t := target{elem: e, path: join(nil, e.path), name: e.name}
	for i, seg := range segs {
		switch {
		case e.kind == kindStruct:
			next := e.nested.lookup(seg)
			if next == nil {
				if _, isOp := operator(seg); isOp {
					return target{}, assocReason(t.name, e)
				}
				return target{}, fmt.Sprintf("%s has no element %s %s", quote(t.name), quote(seg), listNames(e.nested))
			}
			e = next
			t.elem, t.path, t.name = e, join(t.path, e.path), t.name+"["+e.name+"]"
		case e.kind.scalar():
			o, isOp := operator(seg)
			if !isOp {
				return target{}, fmt.Sprintf("unknown operator [%s] (operators: %s)", seg, operatorList)
			}
			if i != len(segs)-1 {
				return target{}, fmt.Sprintf("nothing may follow the operator [%s]", seg)
			}
			if why := applies(o, e.kind); why != "" {
				return target{}, fmt.Sprintf("operator [%s] %s; %s is %s", seg, why, quote(t.name), e.kind.noun())
			}
			t.op = o
			return t, ""
		default:
			return target{}, notFilterable(t.name, e)
		}
	}
	switch {
	case e.kind == kindStruct:
		return target{}, assocReason(t.name, e)
	case !e.kind.scalar():
		return target{}, notFilterable(t.name, e)
	}
	return t, ""
}

// splitKey splits `a[b][c]` into a and [b c]; ok is false unless the key is
// a non-empty name followed by zero or more non-empty bracketed segments.
func splitKey(key string) (name string, segs []string, ok bool) {
	i := strings.IndexByte(key, '[')
	if i < 0 {
		return key, nil, key != "" && !strings.Contains(key, "]")
	}
	name, rest := key[:i], key[i:]
	if name == "" || strings.Contains(name, "]") {
		return "", nil, false
	}
	for rest != "" {
		end := strings.IndexByte(rest, ']')
		if rest[0] != '[' || end < 2 || strings.IndexByte(rest[1:end], '[') >= 0 {
			return "", nil, false
		}
		segs = append(segs, rest[1:end])
		rest = rest[end+1:]
	}
	return name, segs, true
}

// listNames lists a node's elements for an error message.
func listNames(n *node) string {
	if len(n.names) == 0 {
		return "(there are no filterable elements)"
	}
	return "(elements: " + strings.Join(n.names, ", ") + ")"
}

// assocReason says that an association must be filtered through an element.
func assocReason(name string, e *element) string {
	names := e.nested.names
	if len(names) == 0 {
		return fmt.Sprintf("%s is an association with no filterable elements", quote(name))
	}
	example := names[0]
	for _, n := range names {
		if e.nested.elems[n].kind.scalar() {
			example = n
			break
		}
	}
	return fmt.Sprintf("%s is an association: filter on one of its elements, e.g. %s[%s]=value %s",
		quote(name), name, example, listNames(e.nested))
}

// notFilterable says that a list, map or other element cannot be filtered.
func notFilterable(name string, e *element) string {
	if e.kind == kindOther {
		return fmt.Sprintf("%s (%v) cannot be filtered", quote(name), e.goType)
	}
	return fmt.Sprintf("%s is %s and cannot be filtered", quote(name), e.kind.noun())
}

// quote quotes s for an error message, shortened if long.
func quote(s string) string {
	const maxRunes = 64
	if utf8.RuneCountInString(s) > maxRunes {
		s = string([]rune(s)[:maxRunes]) + "..."
	}
	return strconv.Quote(s)
}

// value is one operand, parsed according to the element's kind.
type value struct {
	s string
	i int64
	u uint64
	f float64
	b bool
	t time.Time
}

// compile parses one value of the parameter into a clause, or returns why
// the value is invalid.
func (t *target) compile(raw string) (clause, string) {
	c := clause{path: t.path, kind: t.elem.kind, size: t.elem.size, op: t.op}
	switch t.op {
	case opBlank:
		switch strings.TrimSpace(raw) {
		case "true":
			c.blank = true
		case "false":
		default:
			return c, fmt.Sprintf("%s is not a boolean (use [blank]=true or [blank]=false)", quote(raw))
		}
	case opIn, opNotIn:
		if raw == "" {
			return c, fmt.Sprintf("empty list (use comma-separated values, e.g. %s[%s]=a,b)", t.name, operatorNames[t.op])
		}
		items := strings.Split(raw, ",")
		c.list = make([]value, len(items))
		for i, item := range items {
			v, reason := parseValue(c.kind, item)
			if reason != "" {
				return c, fmt.Sprintf("%s (in %s) %s", quote(item), quote(raw), reason)
			}
			c.list[i] = v
		}
	default:
		v, reason := parseValue(c.kind, raw)
		if reason != "" {
			return c, quote(raw) + " " + reason
		}
		c.val = v
	}
	return c, ""
}

// parseValue parses s as a value of kind k, or returns why it is not one
// (a phrase that follows the quoted value: `is not an integer`).
func parseValue(k kind, s string) (value, string) {
	var v value
	if k == kindString {
		v.s = s
		return v, ""
	}
	s = strings.TrimSpace(s)
	var err error
	switch k {
	case kindInt:
		v.i, err = strconv.ParseInt(s, 10, 64)
	case kindUint:
		v.u, err = strconv.ParseUint(s, 10, 64)
	case kindFloat:
		if strings.Trim(s, "0123456789+-.eE") != "" { // no NaN, Inf, hex or underscores
			return v, "is not " + k.noun()
		}
		v.f, err = strconv.ParseFloat(s, 64)
	case kindBool:
		switch s {
		case "true":
			v.b = true
		case "false":
		default:
			return v, "is not a boolean (use true or false)"
		}
	case kindTime:
		var ok bool
		if v.t, ok = parseDatetime(s); !ok {
			return v, "is not a datetime (use ISO 8601, e.g. 2026-11-23T10:00:00Z)"
		}
	}
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return v, "is out of range for " + k.noun()
		}
		return v, "is not " + k.noun()
	}
	return v, ""
}
