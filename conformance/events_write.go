package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

func (r *eventsRes) checkCreate(c *cctx) {
	items := []map[string]any{r.full(r.s.marker(), 0), r.full(r.s.marker(), 1)}
	ids, _ := r.create(c, items...)
	for i, id := range ids {
		r.readBack(c, id, items[i])
	}
	c.notef("created events %s", strings.Join(ids, ", "))
}

func (r *eventsRes) checkDefaultState(c *cctx) {
	id := r.newEvent(c)
	ev, ex := r.show(c, id)
	if ev["state"] != defaultState {
		c.errorf(ex, "an event created without state is in state %s; want %s", short(ev["state"]), defaultState)
	}
}

// failedAt reports whether a bulk answer's result reports item index as
// failed.
func failedAt(body map[string]any, index int) bool {
	list, _ := body["result"].([]any)
	for _, v := range list {
		m, _ := v.(map[string]any)
		if i, ok := intOf(m["index"]); ok && i == int64(index) {
			return true
		}
	}
	return false
}

func (r *eventsRes) checkCreateLenient(c *cctx) {
	good, bad := r.s.marker(), r.s.marker()
	a := r.post(c, []any{r.minimal(c, good), with(r.minimal(c, bad), "state", "Einrichtung")}, false)
	c.expect(a.ex, "a create of a valid and an invalid event", http.StatusCreated)
	if a.added != 1 {
		c.errorf(a.ex, "added is %s; want 1", short(a.body["added"]))
	}
	if !failedAt(a.body, 1) {
		c.errorf(a.ex, "result does not report the failure of item 1: %s", short(a.body["result"]))
	}
	created := r.created(c, good)
	if len(created) != 1 {
		c.errorf(nil, "the valid item created %d events; want 1", len(created))
	} else if !slices.Equal(a.ids, created) {
		c.errorf(a.ex, "events lists [%s]; want the id of the event created, [%s]", strings.Join(a.ids, ", "), created[0])
	}
	r.nothingCreated(c, bad, "the invalid item")
}

func (r *eventsRes) checkMarketID(c *cctx) {
	id := r.newEvent(c)
	before, _ := r.show(c, id)
	ex := c.do(request{method: http.MethodPut, path: r.path(id), body: map[string]any{"market-id": before["market-id"], "description": "same market"}, valid: true})
	if ex.status != http.StatusOK {
		c.errorf(ex, "an update that sends market-id with its own value answered %s; want 200", ex.summary())
	}
	same, _ := r.show(c, id)
	other := "1" + fmt.Sprint(before["market-id"])
	if len(other) > 19 {
		other = "9000000000000000009"
	}
	ex = c.do(request{method: http.MethodPut, path: r.path(id), body: map[string]any{"market-id": other, "description": "other market"}, valid: true})
	if ex.status != http.StatusBadRequest {
		c.errorf(ex, "an update to another market-id answered %s; want 400 (market-id cannot be changed)", ex.summary())
	}
	after, sex := r.show(c, id)
	if d := differences(same, after); len(d) > 0 {
		c.errorf(sex, "the update to another market-id changed event %s: %s", id, strings.Join(d, ", "))
	}
}

func (r *eventsRes) checkEventNumber(c *cctx) {
	// Every event-number before the run's new events.
	existing := map[string]string{}
	var top int64
	for offset := 0; offset < 250*20; offset += 250 {
		p := r.list(c, url.Values{"limit": {"250"}, "offset": {strconv.Itoa(offset)}})
		for _, ev := range p.events {
			n, ok := intOf(ev["event-number"])
			if !ok {
				continue
			}
			key := fmt.Sprint(n)
			if other, dup := existing[key]; dup {
				c.errorf(p.ex, "events %s and %s have the same event-number %d", other, ev["id"], n)
			}
			existing[key] = fmt.Sprint(ev["id"])
			top = max(top, n)
		}
		if len(p.events) < 250 {
			break
		}
	}
	first, _ := r.create(c, r.minimal(c, r.s.marker()), r.minimal(c, r.s.marker()))
	second, _ := r.create(c, r.minimal(c, r.s.marker()))
	prev := top
	for _, id := range append(first, second...) {
		ev, ex := r.show(c, id)
		n, ok := intOf(ev["event-number"])
		switch {
		case !ok:
			c.errorf(ex, "event %s has no integer event-number: %s", id, short(ev["event-number"]))
		case n <= prev:
			c.errorf(ex, "event %s got event-number %d, not above %d (the existing events' and those created before it)", id, n, prev)
		}
		prev = max(prev, n)
	}
}

// changed compares an event before and after an update of body.
func (r *eventsRes) changed(c *cctx, id string, before, body map[string]any) {
	after := r.readBack(c, id, body)
	var sent []string
	for k := range body {
		sent = append(sent, k)
	}
	if d := differences(without(before, sent...), without(after, sent...)); len(d) > 0 {
		c.errorf(nil, "the update of event %s changed elements it was not sent: %s", id, strings.Join(d, ", "))
	}
}

func (r *eventsRes) checkUpdateBulk(c *cctx) {
	ids, _ := r.create(c, r.minimal(c, r.s.marker()), r.minimal(c, r.s.marker()))
	before := make([]map[string]any, len(ids))
	items := make([]any, len(ids))
	bodies := make([]map[string]any, len(ids))
	for i, id := range ids {
		before[i], _ = r.show(c, id)
		bodies[i] = r.updateBody(before[i], i+1)
		items[i] = with(bodies[i], "id", id)
	}
	ex := c.do(request{method: http.MethodPut, path: r.path(""), body: map[string]any{"events": items}, valid: true})
	c.expect(ex, "a bulk update of 2 events", http.StatusOK)
	if n, _ := intOf(c.object(ex, "update")["updated"]); n != 2 {
		c.errorf(ex, "updated is %s; want 2", short(c.object(ex, "update")["updated"]))
	}
	for i, id := range ids {
		r.changed(c, id, before[i], bodies[i])
	}
}

func (r *eventsRes) checkUpdateOne(c *cctx) {
	id := r.newEvent(c)
	before, _ := r.show(c, id)
	body := r.updateBody(before, 2)
	ex := c.do(request{method: http.MethodPut, path: r.path(id), body: body, valid: true})
	c.expect(ex, "PUT "+id, http.StatusOK)
	r.changed(c, id, before, body)
}

// checkUpdateLenient is checkUpdateLenientKind with an item that breaks
// the spec (a state in German, as the translated page shows it).
func (r *eventsRes) checkUpdateLenient(c *cctx) {
	r.checkUpdateLenientKind(c, failingItem{what: "an invalid item", update: func(b string) map[string]any {
		return map[string]any{"id": b, "state": "Einrichtung", "name": "coupakit must not apply"}
	}})
}

func (r *eventsRes) checkUpdateAllInvalid(c *cctx) {
	id := r.newEvent(c)
	before, _ := r.show(c, id)
	items := []any{map[string]any{"id": id, "state": "aktiv"}, map[string]any{"id": unknownEventID, "name": "coupakit"}}
	ex := c.do(request{method: http.MethodPut, path: r.path(""), body: map[string]any{"events": items}})
	if ex.status != http.StatusBadRequest {
		c.errorf(ex, "a bulk update whose every item fails answered %s; want 400", ex.summary())
	}
	after, sex := r.show(c, id)
	if d := differences(before, after); len(d) > 0 {
		c.errorf(sex, "the failed update changed event %s: %s", id, strings.Join(d, ", "))
	}
}

func (r *eventsRes) checkUpdateNotFound(c *cctx) {
	ex := c.do(request{method: http.MethodPut, path: r.path(unknownEventID), body: map[string]any{"name": "coupakit"}, valid: true})
	c.expect(ex, "PUT of the unknown id "+unknownEventID, http.StatusNotFound)
}

// gone fails the check unless show of id answers 404.
func (r *eventsRes) gone(c *cctx, id string) {
	ex := c.do(request{method: http.MethodGet, path: r.path(id), valid: true})
	if ex.status != http.StatusNotFound {
		c.errorf(ex, "show of the deleted event %s answered %s; want 404", id, ex.summary())
	}
}

func (r *eventsRes) checkDeleteOne(c *cctx) {
	id := r.newEvent(c)
	ex := c.do(request{method: http.MethodDelete, path: r.path(id), valid: true})
	c.expect(ex, "DELETE "+id, http.StatusOK)
	r.s.untrackEvents(id)
	r.gone(c, id)
}

func (r *eventsRes) checkDeleteBulk(c *cctx) {
	ids, _ := r.create(c, r.minimal(c, r.s.marker()), r.minimal(c, r.s.marker()))
	ex := r.deleteBulk(c, ids)
	c.expect(ex, "a bulk delete of 2 events", http.StatusOK)
	if n, _ := intOf(c.object(ex, "delete")["deleted"]); n != 2 {
		c.errorf(ex, "deleted is %s; want 2", short(c.object(ex, "delete")["deleted"]))
	}
	for _, id := range ids {
		r.gone(c, id)
	}
}

// checkDeleteLenient is checkDeleteLenientKind with an unknown id.
func (r *eventsRes) checkDeleteLenient(c *cctx) {
	r.checkDeleteLenientKind(c, failingItem{what: "an unknown id", remove: func(string) map[string]any {
		return map[string]any{"id": unknownEventID}
	}})
}

func (r *eventsRes) checkDeleteNotFound(c *cctx) {
	ex := c.do(request{method: http.MethodDelete, path: r.path(unknownEventID), valid: true})
	c.expect(ex, "DELETE of the unknown id "+unknownEventID, http.StatusNotFound)
}

func (r *eventsRes) checkDeleteAllInvalid(c *cctx) {
	items := []any{map[string]any{"id": unknownEventID}}
	ex := c.do(request{method: http.MethodDelete, path: r.path(""), body: map[string]any{"events": items}, valid: true})
	if ex.status != http.StatusBadRequest {
		c.errorf(ex, "a bulk delete whose every item fails answered %s; want 400", ex.summary())
	}
}
