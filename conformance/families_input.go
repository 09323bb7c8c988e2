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
}

// inputCases returns the values at the edge of an input element's schema:
// those it must accept (a string exactly at its maxLength) and those it
// must refuse (one past maxLength, short of minLength, the wrong type, a
// value outside the pattern, format or minimum). Enums have their own
// family.
func inputCases(el element, pad func(n int) string) (accept, refuse []inputCase) {
	s := el.schema
	switch {
	case el.is("string"):
		refuse = append(refuse, inputCase{12345, "a number"})
		if s.MaxLength != nil && *s.MaxLength > 0 && *s.MaxLength <= 4096 {
			n := int(*s.MaxLength)
			accept = append(accept, inputCase{pad(n), fmt.Sprintf("exactly %d characters, the maxLength", n)})
			refuse = append(refuse, inputCase{pad(n + 1), fmt.Sprintf("%d characters, one past the maxLength", n+1)})
		}
		if s.MinLength > 0 {
			refuse = append(refuse, inputCase{strings.Repeat("7", int(s.MinLength)-1), fmt.Sprintf("%d characters, short of the minLength", s.MinLength-1)})
		}
		if s.Pattern != "" {
			if re, err := regexp.Compile(s.Pattern); err == nil {
				for _, v := range []string{"coupakit not matching", "12a", "eur"} {
					if !re.MatchString(v) {
						refuse = append(refuse, inputCase{v, "outside the pattern " + s.Pattern})
						break
					}
				}
			}
		}
		if s.Format == "date-time" {
			refuse = append(refuse, inputCase{"2026-02-30T25:00:00Z", "not a date-time"})
		}
	case el.is("integer"):
		refuse = append(refuse, inputCase{"abc", "a string"}, inputCase{1.5, "a fraction"})
		if s.Min != nil {
			refuse = append(refuse, inputCase{int64(*s.Min) - 1, fmt.Sprintf("below the minimum %v", *s.Min)})
		}
	case el.is("number"):
		refuse = append(refuse, inputCase{"abc", "a string"})
	case el.is("boolean"):
		refuse = append(refuse, inputCase{"maybe", "a string"})
	case el.is("object"):
		refuse = append(refuse, inputCase{"coupakit", "a string"})
	case el.is("array"):
		refuse = append(refuse, inputCase{"coupakit", "a string"})
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
		if el.readOnly || len(el.enum()) > 0 || slices.Contains(f.inputSkip, el.name) {
			continue
		}
		accept, refuse := inputCases(el, func(n int) string { return strings.Repeat("x", n) })
		if len(refuse) == 0 {
			continue
		}
		var whys []string
		for _, ic := range refuse {
			whys = append(whys, ic.why)
		}
		title := fmt.Sprintf("A value of %s outside its schema (%s) is rejected with 400 naming it, on create and on update, and nothing changes", el.name, strings.Join(whys, "; "))
		if len(accept) > 0 {
			title += fmt.Sprintf("; one of %s is accepted and read back", accept[0].why)
		}
		f.add(&out, &check{id: f.name + ".input." + el.name, op: f.createOp, element: el.name, mutates: true,
			source: f.source(el.pointer), title: title + ".",
			run: func(c *cctx) { checkInput(c, k, el) }})
	}
	return out
}

func checkInput(c *cctx, k kind, el element) {
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
	accept, refuse := inputCases(el, pad)
	marker := c.s.marker()
	base := k.minimal(c, marker)
	isMarker := f.marker == el.name
	for _, ic := range refuse {
		body := with(base, el.name, ic.value)
		_, _, ex := k.createOne(c, body, false)
		switch {
		case ex.status != http.StatusBadRequest:
			c.errorf(ex, "a create with %s %s (%s) answered %s; want 400", el.name, short(ic.value), ic.why, ex.summary())
		case !ex.mentions(el.name):
			c.errorf(ex, "the 400 for %s %s (%s) does not name the element: %s", el.name, short(ic.value), ic.why, ex.summary())
		}
		if isMarker {
			if v, ok := ic.value.(string); ok && v != "" {
				k.nothingCreated(c, v, fmt.Sprintf("a create with %s %s", el.name, ic.why))
			}
		}
	}
	if !isMarker {
		k.nothingCreated(c, marker, fmt.Sprintf("a create with %s outside its schema", el.name))
	}
	for _, ic := range accept {
		id, _, ex := k.createOne(c, with(k.minimal(c, c.s.marker()), el.name, ic.value), true)
		if id == "" {
			c.errorf(ex, "a create with %s of %s answered %s; want 201", el.name, ic.why, ex.summary())
			continue
		}
		if shown, sex := k.fetch(c, id); !jsonEqual(shown[el.name], ic.value) {
			c.errorf(sex, "%s of %s was read back as %s", el.name, ic.why, short(shown[el.name]))
		}
	}
	if slices.Contains(f.createOnly, el.name) || !slices.ContainsFunc(f.updEls, func(e element) bool { return e.name == el.name && !e.readOnly }) {
		c.notef("%s cannot be updated: create only", el.name)
		return
	}
	rejectedUpdates(c, k, fmt.Sprintf("rejected updates of %s", el.name), func(yield func(any) bool) {
		for _, ic := range refuse {
			if !yield(map[string]any{el.name: ic.value}) {
				return
			}
		}
	})
	for _, ic := range accept {
		id := k.newID(c)
		v := pad(len(ic.value.(string)))
		ex := k.updateOne(c, id, map[string]any{el.name: v}, true)
		if ex.status != http.StatusOK {
			c.errorf(ex, "an update with %s of %s answered %s; want 200", el.name, ic.why, ex.summary())
			continue
		}
		if shown, sex := k.fetch(c, id); !jsonEqual(shown[el.name], v) {
			c.errorf(sex, "%s of %s was read back after an update as %s", el.name, ic.why, short(shown[el.name]))
		}
	}
}
