package conformance

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// showFamily returns show and show.not-found, written once for every kind.
func showFamily(k kind) []*check {
	f := k.facts()
	var out []*check
	f.add(&out, &check{id: f.name + ".show", op: f.showOp, source: f.showSource,
		title: fmt.Sprintf("show answers 200 with the %s of that id.", f.noun), run: func(c *cctx) { checkShow(c, k) }})
	f.add(&out, &check{id: f.name + ".show.not-found", op: f.showOp, source: f.notFoundSource,
		title: "show of an unknown id answers 404.", run: func(c *cctx) { checkShowNotFound(c, k) }})
	return out
}

func checkShow(c *cctx, k kind) {
	f := k.facts()
	rec, ok := first(c, k)
	if !ok {
		c.skipTo("a full run, which creates "+f.nouns, "no %s to show", f.nouns)
	}
	id := idString(rec["id"])
	got, ex := k.fetch(c, id)
	if idString(got["id"]) != id {
		c.errorf(ex, "show %s answered the %s with id %s", id, f.noun, short(got["id"]))
	}
}

func checkShowNotFound(c *cctx, k kind) {
	f := k.facts()
	ex := c.do(request{method: http.MethodGet, path: f.sp.pathOf(f.showOp, f.unknownID), valid: true})
	c.expect(ex, "show of the unknown id "+f.unknownID, http.StatusNotFound)
}

// requiredFamily returns a check per required input element: a create
// without it is rejected naming it, and creates nothing.
func requiredFamily(k kind) []*check {
	f := k.facts()
	var out []*check
	for _, el := range f.els {
		if el.required && !el.readOnly {
			f.add(&out, &check{id: f.name + ".create.required." + el.name, op: f.createOp, element: el.name, mutates: true,
				source: f.source(f.itemPointer + "/required"),
				title:  fmt.Sprintf("A create without %s is rejected with 400 naming it, and nothing is created.", el.name),
				run:    func(c *cctx) { checkRequired(c, k, el) }})
		}
	}
	return out
}

func checkRequired(c *cctx, k kind, el element) {
	marker := c.s.marker()
	_, _, ex := k.createOne(c, without(k.minimal(c, marker), el.name), false)
	if ex.status != http.StatusBadRequest {
		c.errorf(ex, "a create without %s answered %s; want 400", el.name, ex.summary())
	} else if !ex.mentions(el.name) {
		c.errorf(ex, "the 400 for a create without %s does not name it: %s", el.name, ex.summary())
	}
	k.nothingCreated(c, marker, "a create without "+el.name)
}

// enumFamily returns, per enum input element, the checks that every
// allowed value is accepted and read back, and that values just outside
// the set are rejected on create and on update.
func enumFamily(k kind) []*check {
	f := k.facts()
	var out []*check
	for _, el := range f.els {
		allowed := el.enum()
		if len(allowed) == 0 || el.readOnly {
			continue
		}
		src := f.source(el.enumPointer())
		f.add(&out, &check{id: f.name + ".enum." + el.name, op: f.createOp, element: el.name, source: src, mutates: true,
			title: fmt.Sprintf("Every allowed value of %s (%d) is accepted on create and read back unchanged.", el.name, len(allowed)),
			run:   func(c *cctx) { checkEnum(c, k, el) }})
		f.add(&out, &check{id: f.name + ".enum." + el.name + ".invalid", op: f.createOp, element: el.name, source: src, mutates: true,
			title: fmt.Sprintf("Values just outside the set of %s (wrong case, spaces, translations) are rejected with 400 naming it, on create and on update, and nothing changes.", el.name),
			run:   func(c *cctx) { checkEnumInvalid(c, k, el) }})
	}
	return out
}

func checkEnum(c *cctx, k kind, el element) {
	f := k.facts()
	es := c.s.enumStats(f.name, el)
	for _, v := range el.enum() {
		id, answered, ex := k.createOne(c, with(k.minimal(c, c.s.marker()), el.name, v), true)
		if id == "" {
			c.errorf(ex, "%s %q was not accepted on create: %s", el.name, v, ex.summary())
			continue
		}
		if answered != nil && !jsonEqual(answered[el.name], v) {
			c.errorf(ex, "%s %q was answered as %s", el.name, v, short(answered[el.name]))
			continue
		}
		shown, sex := k.fetch(c, id)
		if !jsonEqual(shown[el.name], v) {
			c.errorf(sex, "%s %q was read back as %s", el.name, v, short(shown[el.name]))
			continue
		}
		es.accepted[v] = true
	}
	c.notef("%d values accepted and read back", len(el.enum()))
}

func checkEnumInvalid(c *cctx, k kind, el element) {
	f := k.facts()
	es := c.s.enumStats(f.name, el)
	misses := nearMisses(el.enum())
	marker := c.s.marker()
	base := k.minimal(c, marker)
	for _, v := range misses {
		_, _, ex := k.createOne(c, with(base, el.name, v), false)
		switch {
		case ex.status != http.StatusBadRequest:
			c.errorf(ex, "%s %q was answered %s on create; want 400", el.name, v, ex.summary())
		case !ex.mentions(el.name):
			c.errorf(ex, "the 400 for %s %q does not name the element: %s", el.name, v, ex.summary())
		default:
			es.rejected[v] = true
		}
	}
	k.nothingCreated(c, marker, fmt.Sprintf("a create with %s outside the allowed values", el.name))
	rejectedUpdates(c, k, fmt.Sprintf("rejected updates of %s", el.name), func(yield func(any) bool) {
		for _, v := range misses {
			if !yield(map[string]any{el.name: v}) {
				return
			}
		}
	})
	c.notef("%d values rejected on create and on update", len(misses))
}

// rejectedUpdates sends each body as an update of a new record, wants 400
// for each, and that the record did not change.
func rejectedUpdates(c *cctx, k kind, what string, bodies func(func(any) bool)) {
	f := k.facts()
	id := k.newID(c)
	before, _ := k.fetch(c, id)
	for body := range bodies {
		ex := k.updateOne(c, id, body.(map[string]any), false)
		if ex.status != http.StatusBadRequest {
			c.errorf(ex, "the update %s was answered %s; want 400", short(body), ex.summary())
		}
	}
	after, sex := k.fetch(c, id)
	if d := differences(before, after); len(d) > 0 {
		c.errorf(sex, "%s changed %s %s: %s", what, f.noun, id, strings.Join(d, ", "))
	}
}

// readOnlyFamily returns, per output-only element, the check that a value
// sent for it on create or update is accepted and ignored.
func readOnlyFamily(k kind, title string) []*check {
	f := k.facts()
	var out []*check
	for _, el := range f.els {
		if !el.readOnly {
			continue
		}
		f.add(&out, &check{id: f.name + ".readonly." + el.name, op: f.createOp, element: el.name, mutates: true,
			source: f.source(el.pointer + "/readOnly"),
			title:  fmt.Sprintf(title, el.name),
			run:    func(c *cctx) { checkReadOnly(c, k, el) }})
	}
	return out
}

func checkReadOnly(c *cctx, k kind, el element) {
	f := k.facts()
	probe, ok := readOnlyProbe(el, false)
	if !ok {
		c.skipf("internal: no probe value for %s", el.name)
	}
	id, answered, ex := k.createOne(c, with(k.minimal(c, c.s.marker()), el.name, probe), false)
	if id == "" {
		c.fatalf(ex, "a create with the output-only %s %s answered %s; want 201 (the value is ignored)", el.name, short(probe), ex.summary())
	}
	if answered != nil && jsonEqual(answered[el.name], toJSON(probe)) || el.name == "id" && jsonEqual(toJSON(id), toJSON(probe)) {
		c.errorf(ex, "create took the value sent for the output-only %s: %s", el.name, short(probe))
	}
	before, sex := k.fetch(c, id)
	if jsonEqual(before[el.name], toJSON(probe)) {
		c.errorf(sex, "show reads back the value sent for the output-only %s on create: %s", el.name, short(probe))
	}
	if probe, ok = readOnlyProbe(el, before[el.name]); !ok {
		c.skipf("internal: no probe value for %s", el.name)
	}
	body := map[string]any{el.name: probe}
	for name, v := range f.readOnlyExtra {
		body[name] = v
	}
	ex = k.updateOne(c, id, body, false)
	if ex.status != http.StatusOK {
		c.fatalf(ex, "an update with the output-only %s %s answered %s; want 200 (the value is ignored)", el.name, short(probe), ex.summary())
	}
	after, sex := k.fetch(c, id)
	switch {
	case jsonEqual(after[el.name], toJSON(probe)):
		c.errorf(sex, "update changed the output-only %s to the value sent, %s", el.name, short(probe))
	case !slices.Contains(f.changeTracking, el.name) && !jsonEqual(after[el.name], before[el.name]):
		c.errorf(sex, "update changed the output-only %s from %s to %s", el.name, short(before[el.name]), short(after[el.name]))
	}
}

// unknownElementCheck is the check that a create with an element the kind
// does not have (name, a translated one, with value) is rejected naming
// it, and creates nothing. Coupa itself is known to drop such elements, so
// it is a should.
func unknownElementCheck(k kind, name string, value any, source, title string) *check {
	f := k.facts()
	return &check{id: f.name + ".create.unknown-element", op: f.createOp, level: Should, mutates: true, api: f.api, source: source, title: title,
		run: func(c *cctx) {
			marker := c.s.marker()
			_, _, ex := k.createOne(c, with(k.minimal(c, marker), name, value), false)
			if ex.status != http.StatusBadRequest {
				c.errorf(ex, "a create with the unknown element %s answered %s; want 400", name, ex.summary())
			} else if !ex.mentions(name) {
				c.errorf(ex, "the 400 for the unknown element %s does not name it: %s", name, ex.summary())
			}
			k.nothingCreated(c, marker, "a create with the unknown element "+name)
		}}
}

// sentShown returns how rec differs from what was sent: the elements sent
// that rec does not show as sent, output-only and input-only ones aside.
func sentShown(els []element, sent, rec map[string]any) []string {
	skip := func(p string) bool {
		name := strings.Split(strings.TrimPrefix(p, "/"), "/")[0]
		for _, el := range els {
			if el.name == name {
				return el.readOnly || el.writeOnly
			}
		}
		return false
	}
	return subset(sent, rec, "", skip)
}
