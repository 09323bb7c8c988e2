package conformance

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// inputCase is a value of an element that the schema accepts or refuses.
type inputCase struct {
	value any
	why   string // what makes it wrong, or right
	// rails: Coupa, a Rails application, may cast the value instead of
	// refusing it (a number for a string element is stored as its digits):
	// a server may refuse it or store the cast value; the note says which.
	rails any
}

// inputCases returns the values at the edge of an input element's schema:
// those it must accept (a string exactly at its maxLength) and those it
// must refuse (one past maxLength, short of minLength, the wrong type, a
// value outside the pattern, format or minimum). Enums have their own
// family.
func inputCases(el element, pad func(n int) string) (accept, refuse []inputCase) {
	s := el.schema
	switch {
	case el.is("string") && len(el.enum()) > 0:
		// An enum nested in another element (top-level enums have their
		// own family): a value outside the set is refused, a number too
		// (cast to its digits it is still outside).
		allowed := el.enum()
		refuse = append(refuse, inputCase{12345, "a number", nil},
			inputCase{outsideEnum(allowed), "outside the allowed values " + strings.Join(allowed, ", "), nil})
	case el.is("string"):
		refuse = append(refuse, inputCase{12345, "a number", "12345"})
		if s.MaxLength != nil && *s.MaxLength > 0 && *s.MaxLength <= 4096 {
			n := int(*s.MaxLength)
			accept = append(accept, inputCase{pad(n), fmt.Sprintf("exactly %d characters, the maxLength", n), nil})
			refuse = append(refuse, inputCase{pad(n + 1), fmt.Sprintf("%d characters, one past the maxLength", n+1), nil})
		}
		if s.MinLength > 0 {
			refuse = append(refuse, inputCase{strings.Repeat("7", int(s.MinLength)-1), fmt.Sprintf("%d characters, short of the minLength", s.MinLength-1), nil})
		}
		if s.Pattern != "" {
			if re, err := regexp.Compile(s.Pattern); err == nil {
				for _, v := range []string{"coupakit not matching", "12a", "eur"} {
					if !re.MatchString(v) {
						refuse = append(refuse, inputCase{v, "outside the pattern " + s.Pattern, nil})
						break
					}
				}
			}
		}
		if s.Format == "date-time" {
			refuse = append(refuse, inputCase{"2026-02-30T25:00:00Z", "not a date-time", nil})
		}
	case el.is("integer"):
		refuse = append(refuse, inputCase{"abc", "a string", nil}, inputCase{1.5, "a fraction", nil})
		if s.Min != nil {
			refuse = append(refuse, inputCase{int64(*s.Min) - 1, fmt.Sprintf("below the minimum %v", *s.Min), nil})
		}
	case el.is("number"):
		refuse = append(refuse, inputCase{"abc", "a string", nil})
	case el.is("boolean"):
		refuse = append(refuse, inputCase{"maybe", "a string", nil})
	case el.is("object"):
		refuse = append(refuse, inputCase{"coupakit", "a string", nil})
	case el.is("array"):
		refuse = append(refuse, inputCase{"coupakit", "a string", nil})
	}
	return accept, refuse
}

// inputFamily returns, per writable element with a schema to probe (but
// enums, which have their own family), the check that the values at the
// edge of its schema are accepted or refused, on create and on update.
func inputFamily(k kind) []*check {
	f := k.facts()
	var out []*check
	for _, el := range f.els {
		if el.readOnly || len(el.enum()) > 0 {
			continue
		}
		title, ok := inputTitle(el.name, el)
		if !ok {
			continue
		}
		t := topInput(el)
		f.add(&out, &check{id: f.name + ".input." + el.name, op: f.createOp, element: el.name, mutates: true,
			source: f.source(el.pointer), title: title,
			run: func(c *cctx) { checkInput(c, k, t) }})
	}
	return append(out, nestedInputFamily(k)...)
}

// inputTarget is an element the input family probes, where it sits in a
// create body and in a record: a top-level element, or one nested inside
// an object or an array of objects.
type inputTarget struct {
	el      element // the probed element: its name and schema
	name    string  // how messages name it: "code", "responses[].response-code"
	parent  string  // the top-level element that holds it (itself at the top)
	nested  bool
	put     func(body map[string]any, v any) map[string]any // a copy of body with the element set to v
	get     func(rec map[string]any) any                    // the element's value in a record
	element string                                          // what a 400 must name
}

// topInput is the target of a top-level element.
func topInput(el element) inputTarget {
	return inputTarget{el: el, name: el.name, parent: el.name, element: el.name,
		put: func(body map[string]any, v any) map[string]any { return with(body, el.name, v) },
		get: func(rec map[string]any) any { return rec[el.name] }}
}

func checkInput(c *cctx, k kind, t inputTarget) {
	f := k.facts()
	// Strings at the limit start with a new marker, so that they are
	// unique and can be looked for.
	pad := func(n int) string {
		m := c.s.marker()
		if len(m) >= n {
			return strings.Repeat("x", n)
		}
		return m + strings.Repeat("x", n-len(m))
	}
	accept, refuse := inputCases(t.el, pad)
	marker := c.s.marker()
	base := k.minimal(c, marker)
	isMarker := !t.nested && f.marker == t.name
	for _, ic := range refuse {
		if ic.rails != nil {
			checkRailsCast(c, k, t, ic)
			continue
		}
		_, _, ex := k.createOne(c, t.put(base, ic.value), false)
		switch {
		case ex.status != http.StatusBadRequest:
			c.errorf(ex, "a create with %s %s (%s) answered %s; want 400", t.name, short(ic.value), ic.why, ex.summary())
		case !ex.mentions(t.element):
			c.errorf(ex, "the 400 for %s %s (%s) does not name the element: %s", t.name, short(ic.value), ic.why, ex.summary())
		}
		if isMarker {
			if v, ok := ic.value.(string); ok && v != "" {
				k.nothingCreated(c, v, fmt.Sprintf("a create with %s %s", t.name, ic.why))
			}
		}
	}
	if !isMarker {
		k.nothingCreated(c, marker, fmt.Sprintf("a create with %s outside its schema", t.name))
	}
	for _, ic := range accept {
		id, _, ex := k.createOne(c, t.put(k.minimal(c, c.s.marker()), ic.value), true)
		if id == "" {
			c.errorf(ex, "a create with %s of %s answered %s; want 201", t.name, ic.why, ex.summary())
			continue
		}
		if shown, sex := k.fetch(c, id); !jsonEqual(t.get(shown), ic.value) {
			c.errorf(sex, "%s of %s was read back as %s", t.name, ic.why, short(t.get(shown)))
		}
	}
	if slices.Contains(f.createOnly, t.parent) || !slices.ContainsFunc(f.updEls, func(e element) bool { return e.name == t.parent && !e.readOnly }) {
		c.notef("%s cannot be updated: create only", t.name)
		return
	}
	rejectedUpdates(c, k, fmt.Sprintf("rejected updates of %s", t.name), func(yield func(any) bool) {
		for _, ic := range refuse {
			if ic.rails != nil {
				continue // checked on create, either way
			}
			if !yield(t.put(map[string]any{}, ic.value)) {
				return
			}
		}
	})
	for _, ic := range accept {
		id := k.newID(c)
		v := pad(len(ic.value.(string)))
		ex := k.updateOne(c, id, t.put(map[string]any{}, v), true)
		if ex.status != http.StatusOK {
			c.errorf(ex, "an update with %s of %s answered %s; want 200", t.name, ic.why, ex.summary())
			continue
		}
		if shown, sex := k.fetch(c, id); !jsonEqual(t.get(shown), v) {
			c.errorf(sex, "%s of %s was read back after an update as %s", t.name, ic.why, short(t.get(shown)))
		}
	}
}

// checkRailsCast checks a value Coupa may cast rather than refuse: a
// create with it is either refused with 400 naming the element and creates
// nothing (strict), or creates the record with the cast value (lenient, as
// Rails); the note says which.
func checkRailsCast(c *cctx, k kind, t inputTarget, ic inputCase) {
	marker := c.s.marker()
	id, _, ex := k.createOne(c, t.put(k.minimal(c, marker), ic.value), false)
	switch {
	case id != "":
		if shown, sex := k.fetch(c, id); !jsonEqual(t.get(shown), ic.rails) {
			c.errorf(sex, "a create with %s %s (%s) was accepted, and read back as %s; want it refused, or cast to %s", t.name, short(ic.value), ic.why, short(t.get(shown)), short(ic.rails))
			return
		}
		c.notef("lenient: %s %s (%s) cast to %s, as Rails does", t.name, short(ic.value), ic.why, short(ic.rails))
	case ex.status != http.StatusBadRequest:
		c.errorf(ex, "a create with %s %s (%s) answered %s; want 400, or a create with it cast to %s", t.name, short(ic.value), ic.why, ex.summary(), short(ic.rails))
	case !ex.mentions(t.element):
		c.errorf(ex, "the 400 for %s %s (%s) does not name the element: %s", t.name, short(ic.value), ic.why, ex.summary())
	default:
		k.nothingCreated(c, marker, fmt.Sprintf("a create with %s %s", t.name, ic.why))
	}
}

// outsideEnum returns a value none of allowed is: the first one in lower
// case, as a careless client would send it, or a made-up one.
func outsideEnum(allowed []string) string {
	if v := strings.ToLower(allowed[0]); !slices.Contains(allowed, v) {
		return v
	}
	return "coupakit-not-allowed"
}
