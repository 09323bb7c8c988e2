package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// failingItem is a kind of bulk item that fails on its own: the lenient
// bulk requests apply the other items and report it.
type failingItem struct {
	name, what string
	// update and remove make the failing item of a bulk update and delete
	// (nil: the kind does not apply); b is an event the item may name.
	update, remove func(b string) map[string]any
}

var failingItems = []failingItem{
	{name: "no-id", what: "an item without id",
		update: func(string) map[string]any { return map[string]any{"name": "coupakit must not apply"} },
		remove: func(string) map[string]any { return map[string]any{} }},
	{name: "unknown-id", what: "an item with an unknown id",
		update: func(string) map[string]any {
			return map[string]any{"id": unknownEventID, "name": "coupakit must not apply"}
		},
		// The bulk delete with an unknown id is events.delete.lenient.
	},
	{name: "invalid", what: "an item with an invalid value",
		// The bulk update with an invalid value is events.update.lenient.
		remove: func(string) map[string]any { return map[string]any{"id": "coupakit-not-an-id"} }},
}

// lenientChecks are the checks of bulk leniency per kind of failing item,
// and of a deleted event's afterlife.
func (r *eventsRes) lenientChecks() []*check {
	var out []*check
	src := r.sp.source("#/info/description")
	for _, fi := range failingItems {
		if fi.update != nil {
			r.kf.add(&out, &check{id: eventsResource + ".update.lenient." + fi.name, op: opUpdateEvents, source: src, mutates: true,
				title: fmt.Sprintf("A bulk update of a valid item and %s applies the valid one: 200, updated 1, the failure reported in result with its index, and nothing else changes.", fi.what),
				run:   func(c *cctx) { r.checkUpdateLenientKind(c, fi) }})
		}
		if fi.remove != nil {
			r.kf.add(&out, &check{id: eventsResource + ".delete.lenient." + fi.name, op: opDeleteEvents, source: src, mutates: true,
				title: fmt.Sprintf("A bulk delete of an event and %s deletes the event: 200, deleted 1, the failure reported in result with its index.", fi.what),
				run:   func(c *cctx) { r.checkDeleteLenientKind(c, fi) }})
		}
	}
	r.kf.add(&out, &check{id: eventsResource + ".delete.use-after", op: opDeleteEvent, source: r.opSource(opDeleteEvent, "/description"), mutates: true,
		title: "A deleted event is gone for every operation: show, PUT and DELETE answer 404, a bulk update of it fails, and the index no longer lists it.",
		run:   r.checkUseAfterDelete})
	return out
}

// oneDoneOneFailed checks the answer to a bulk operation of two items of
// which the second fails: count (updated, deleted) is 1, and result
// reports the failure at index 1.
func oneDoneOneFailed(c *cctx, ex *exchange, what, count, failing string) {
	body := c.object(ex, what)
	if n, _ := intOf(body[count]); n != 1 {
		c.errorf(ex, "%s is %s; want 1", count, short(body[count]))
	}
	if !failedAt(body, 1) {
		c.errorf(ex, "result does not report the failure of item 1 (%s): %s", failing, short(body["result"]))
	}
}

func (r *eventsRes) checkUpdateLenientKind(c *cctx, fi failingItem) {
	ids, _ := r.create(c, r.minimal(c, r.s.marker()), r.minimal(c, r.s.marker()))
	a, b := ids[0], ids[1]
	beforeA, _ := r.show(c, a)
	beforeB, _ := r.show(c, b)
	change := r.updateBody(beforeA, 3)
	items := []any{with(change, "id", a), fi.update(b)}
	ex := c.do(request{method: http.MethodPut, path: r.path(""), body: map[string]any{"events": items}})
	c.expect(ex, "a bulk update of a valid item and "+fi.what, http.StatusOK)
	oneDoneOneFailed(c, ex, "update", "updated", fi.what)
	r.changed(c, a, beforeA, change)
	afterB, sex := r.show(c, b)
	if d := differences(beforeB, afterB); len(d) > 0 {
		c.errorf(sex, "the failed item changed event %s: %s", b, strings.Join(d, ", "))
	}
}

func (r *eventsRes) checkDeleteLenientKind(c *cctx, fi failingItem) {
	ids, _ := r.create(c, r.minimal(c, r.s.marker()), r.minimal(c, r.s.marker()))
	a, b := ids[0], ids[1]
	items := []any{map[string]any{"id": a}, fi.remove(b)}
	ex := c.do(request{method: http.MethodDelete, path: r.path(""), body: map[string]any{"events": items}})
	c.expect(ex, "a bulk delete of an event and "+fi.what, http.StatusOK)
	r.s.untrackEvents(a)
	oneDoneOneFailed(c, ex, "delete", "deleted", fi.what)
	r.gone(c, a)
	if _, sex := r.show(c, b); sex.status != http.StatusOK {
		c.errorf(sex, "event %s, which the bulk delete did not name, is gone", b)
	}
}

func (r *eventsRes) checkUseAfterDelete(c *cctx) {
	marker := r.s.marker()
	ids, _ := r.create(c, r.minimal(c, marker))
	id := ids[0]
	ex := c.do(request{method: http.MethodDelete, path: r.path(id), valid: true})
	c.expect(ex, "DELETE "+id, http.StatusOK)
	r.s.untrackEvents(id)
	r.gone(c, id)
	for _, rq := range []request{
		{method: http.MethodPut, path: r.path(id), body: map[string]any{"name": "coupakit after delete"}, valid: true},
		{method: http.MethodDelete, path: r.path(id), valid: true},
	} {
		if ex := c.do(rq); ex.status != http.StatusNotFound {
			c.errorf(ex, "%s of the deleted event %s answered %s; want 404", rq.method, id, ex.summary())
		}
	}
	ex = c.do(request{method: http.MethodPut, path: r.path(""), body: map[string]any{"events": []any{map[string]any{"id": id, "name": "coupakit after delete"}}}, valid: true})
	if ex.status != http.StatusBadRequest {
		c.errorf(ex, "a bulk update of only the deleted event %s answered %s; want 400 (its one item fails)", id, ex.summary())
	}
	if p := r.list(c, url.Values{eventMarker: {marker}}); len(p.ids) > 0 {
		c.errorf(p.ex, "the index still lists the deleted event: %s", strings.Join(p.ids, ", "))
	}
	r.gone(c, id)
}
