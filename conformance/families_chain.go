package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// chainFamily returns the stateful chain of a kind: a record is created,
// found by a filter, changed, found by the changed value (and, where the
// kind has them, by updated-at[gt] and by resolved=true after resolve),
// each time from both sides: the filters that must match it do, those
// that must not do not.
func chainFamily(k kind) []*check {
	f := k.facts()
	var out []*check
	steps := "create, find by filter, update, find by the value changed"
	if hasElement(f.filterEls, "updated-at") {
		steps += ", find by updated-at[gt]"
	}
	if f.resolveOp != "" {
		steps += ", resolve, find by resolved=true"
	}
	f.add(&out, &check{id: f.name + ".chain", op: f.listOp, source: f.filterSource, mutates: true,
		title: fmt.Sprintf("A %s goes through %s: the index finds it exactly when it should at every step.", f.noun, steps),
		run:   func(c *cctx) { checkChain(c, k) }})
	return out
}

func hasElement(els []element, name string) bool {
	return slices.ContainsFunc(els, func(e element) bool { return e.name == name })
}

func checkChain(c *cctx, k kind) {
	f := k.facts()
	marker := c.s.marker()
	id, _, ex := k.createOne(c, k.minimal(c, marker), true)
	if id == "" {
		c.fatalf(ex, "create: answered %s; want 201", ex.summary())
	}
	scope := url.Values{"id": {id}}
	if f.marker != "" {
		scope = url.Values{f.marker: {marker}}
	}
	// finds asks the index for q within the scope and wants the record
	// exactly when want is set.
	finds := func(step string, q url.Values, want bool) {
		all := url.Values{}
		for k, v := range scope {
			all[k] = v
		}
		for k, v := range q {
			all[k] = v
		}
		p := k.page(c, all)
		switch {
		case want && !slices.Equal(p.ids, []string{id}):
			c.errorf(p.ex, "%s: the index with %s returned [%s]; want exactly %s %s", step, all.Encode(), strings.Join(p.ids, ", "), f.noun, id)
		case !want && len(p.ids) > 0:
			c.errorf(p.ex, "%s: the index with %s returned [%s]; want none", step, all.Encode(), strings.Join(p.ids, ", "))
		}
	}
	finds("after create", nil, true)

	before, _ := k.fetch(c, id)
	body := k.updateBody(before, 4)
	ex = k.updateOne(c, id, body, true)
	c.expect(ex, "the update", http.StatusOK)
	after, _ := k.fetch(c, id)
	changed := ""
	for _, el := range f.filterEls {
		v, sent := body[el.name]
		if !sent || el.name == f.marker || !el.scalar() || el.schema.Format == "date-time" || jsonEqual(v, before[el.name]) {
			continue
		}
		nv, ok1 := queryValue(after[el.name])
		ov, ok2 := queryValue(before[el.name])
		if !ok1 || !ok2 {
			continue
		}
		changed = el.name
		finds("after the update, by the new "+el.name, url.Values{el.name: {nv}}, true)
		finds("after the update, by the old "+el.name, url.Values{el.name: {ov}}, false)
		break
	}
	if changed == "" {
		c.notef("no scalar element changed to filter on")
	}
	if hasElement(f.filterEls, "updated-at") {
		t, err := time.Parse(time.RFC3339, fmt.Sprint(after["updated-at"]))
		if err != nil {
			c.fatalf(nil, "updated-at is not an RFC 3339 datetime: %s", short(after["updated-at"]))
		}
		finds("polling after the update", url.Values{"updated-at[gt]": {t.Add(-time.Second).UTC().Format(time.RFC3339)}}, true)
		finds("polling after the update", url.Values{"updated-at[gt]": {t.UTC().Format(time.RFC3339)}}, false)
	}
	if f.resolveOp != "" {
		ex := c.do(request{method: http.MethodPut, path: f.sp.pathOf(f.resolveOp, id), valid: true})
		c.expect(ex, "resolve", http.StatusOK)
		finds("after resolve", url.Values{"resolved": {"true"}}, true)
		finds("after resolve", url.Values{"resolved": {"false"}}, false)
	}
}
