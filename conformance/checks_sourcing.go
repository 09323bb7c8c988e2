package conformance

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

const (
	// eventsResource is the Sourcing resource, and the prefix of its checks.
	eventsResource = "events"
	// eventMarker is the element that carries the run's marker.
	eventMarker = "reference-number"
	// unknownEventID is an event id no event is expected to have.
	unknownEventID = "1000000000000000001"
	// defaultState is the state an event is created in when none is sent.
	defaultState = "Setup"
)

// The operations of the events resource.
const (
	opListEvents   = "listEvents"
	opCreateEvents = "createEvents"
	opUpdateEvents = "updateEvents"
	opDeleteEvents = "deleteEvents"
	opShowEvent    = "showEvent"
	opUpdateEvent  = "updateEvent"
	opDeleteEvent  = "deleteEvent"
)

// eventsRes is the events resource with what the spec says of it.
type eventsRes struct {
	s      *suite
	sp     *spec
	item   *openapi3.SchemaRef // the schema of a create item (Event)
	els    []element           // its elements
	updEls []element           // the elements of a single update (EventUpdate)
	qu     *universe           // the universe of the query checks, once made
}

func (s *suite) sourcingChecks() []*check {
	r, err := s.newEventsRes()
	if err != nil {
		return []*check{{
			id: eventsResource + ".spec", title: "The spec describes the events operations.", level: Must, api: apiSourcing,
			source: s.csoSpec.file, run: func(c *cctx) { c.fatalf(nil, "%v", err) },
		}}
	}
	return r.checks()
}

func (s *suite) newEventsRes() (*eventsRes, error) {
	r := &eventsRes{s: s, sp: s.csoSpec}
	for _, id := range []string{opListEvents, opCreateEvents, opUpdateEvents, opDeleteEvents, opShowEvent, opUpdateEvent, opDeleteEvent} {
		if _, ok := r.sp.op(id); !ok {
			return nil, fmt.Errorf("%s has no operation %s", r.sp.file, id)
		}
	}
	create, _ := r.sp.op(opCreateEvents)
	body, ok := create.requestSchema()
	if !ok {
		return nil, fmt.Errorf("%s: %s has no JSON request body", r.sp.file, opCreateEvents)
	}
	item, err := itemSchema(body, "events")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.sp.file, err)
	}
	r.item, r.els = item, elements(item)
	if !slices.ContainsFunc(r.els, func(e element) bool { return e.name == eventMarker }) {
		return nil, fmt.Errorf("%s: events have no element %s to mark the events the run creates", r.sp.file, eventMarker)
	}
	upd, _ := r.sp.op(opUpdateEvent)
	if u, ok := upd.requestSchema(); ok {
		r.updEls = elements(u)
	}
	return r, nil
}

func (r *eventsRes) op(id string) operation { o, _ := r.sp.op(id); return o }

func (r *eventsRes) opSource(id, suffix string) string {
	return r.sp.source(r.op(id).pointer() + suffix)
}

func (r *eventsRes) path(id string) string {
	if id == "" {
		return r.op(opListEvents).path
	}
	return strings.ReplaceAll(r.op(opShowEvent).path, "{id}", url.PathEscape(id))
}

func (r *eventsRes) add(out *[]*check, chk *check) {
	chk.api = apiSourcing
	if chk.level == "" {
		chk.level = Must
	}
	*out = append(*out, chk)
}

func (r *eventsRes) checks() []*check {
	var out []*check
	n := eventsResource
	listSrc := r.opSource(opListEvents, "")
	r.add(&out, &check{id: n + ".list", op: opListEvents, source: listSrc,
		title: "The index answers 200 with total and at most 250 events, ordered by id, without duplicates; total is at least the page's length.",
		run:   r.checkList})
	r.add(&out, &check{id: n + ".list.limit", op: opListEvents, source: listSrc + "/parameters",
		title: "limit=2 returns the first 2 events, and total still counts every event.", run: r.checkLimit})
	r.add(&out, &check{id: n + ".list.limit-cap", op: opListEvents, source: listSrc + "/parameters",
		title: "A limit above 250, or none, returns 250 events when more exist: limit is capped at 250.", run: r.checkLimitCap})
	r.add(&out, &check{id: n + ".list.offset", op: opListEvents, source: listSrc + "/parameters",
		title: "offset skips events, 0-based: consecutive pages do not overlap and together are the longer page.", run: r.checkOffset})
	r.add(&out, &check{id: n + ".list.past-end", op: opListEvents, source: listSrc + "/parameters",
		title: "A page past the end has no events and the same total.", run: r.checkPastEnd})
	r.add(&out, &check{id: n + ".list.filter", op: opListEvents, source: listSrc + "/description",
		title: "Filters on the scalar elements match exactly, and total counts the matching events.", run: r.checkFilter})
	r.add(&out, &check{id: n + ".list.bad-parameter", op: opListEvents, source: r.opSource(opListEvents, "/responses/400"),
		title: "A limit or offset outside its schema (limit=0, limit=abc, offset=-1) answers 400.", run: r.checkBadParameter})
	r.add(&out, &check{id: n + ".list.operators", op: opListEvents, source: listSrc + "/description",
		title: "The Core API's operators ([not_eq], [in], [not_in], [contains], [starts_with], [ends_with], [gt], [lt], [gt_or_eq], [lt_or_eq], [blank]) return exactly the matching events, with hyphens or underscores.",
		run: func(c *cctx) {
			checkOperators(c, r.universe(c), r.fetchAll, fields(r.els, false))
		}})
	r.add(&out, &check{id: n + ".list.filter-nested", op: opListEvents, source: listSrc + "/description",
		title: "Filters on nested elements (settings[currency]) return exactly the matching events.",
		run: func(c *cctx) {
			checkNested(c, r.universe(c), r.fetchAll, fields(r.els, true))
		}})
	r.add(&out, &check{id: n + ".list.filter-invalid", op: opListEvents, source: listSrc + "/description",
		title: "A filter on an element events do not have, an unknown operator or a malformed value is answered 400.",
		run: func(c *cctx) {
			checkInvalidFilters(c, r.path(""), r.els)
			ex := c.do(request{method: http.MethodGet, path: r.path(""), query: url.Values{"statut": {"Active"}}})
			if ex.status != http.StatusBadRequest {
				c.errorf(ex, "the index with statut=Active, an element events do not have, answered %s; want 400", ex.summary())
			}
		}})
	r.add(&out, &check{id: n + ".format.json-only", op: opListEvents, source: r.sp.source("#/info/description"),
		title: "The Sourcing API answers JSON whatever the Accept header says (application/xml, */* or none), as the index shows.",
		run:   r.checkJSONOnly})
	r.add(&out, &check{id: n + ".auth", op: opListEvents, source: r.sp.source("#/components/securitySchemes/csoApiKey"),
		title: "A request without X-CSO-API-KEY, or with a made-up one, is answered 401.",
		run:   r.checkAuth})
	r.add(&out, &check{id: n + ".show", op: opShowEvent, source: r.opSource(opShowEvent, ""),
		title: "show answers 200 with the event of that id.", run: r.checkShow})
	r.add(&out, &check{id: n + ".show.not-found", op: opShowEvent, source: r.opSource(opShowEvent, "/responses/404"),
		title: "show of an unknown id answers 404.", run: r.checkShowNotFound})

	r.add(&out, &check{id: n + ".create", op: opCreateEvents, source: r.opSource(opCreateEvents, ""), mutates: true,
		title: "A bulk create answers 201 with added = the count and the new ids in request order; each id shows the elements sent.",
		run:   r.checkCreate})
	r.add(&out, &check{id: n + ".create.default-state", op: opCreateEvents, element: "state", mutates: true,
		source: r.opSource(opCreateEvents, "/description"),
		title:  "An event created without state is in state Setup.", run: r.checkDefaultState})
	for _, el := range r.els {
		if el.required && !el.readOnly {
			r.add(&out, &check{id: n + ".create.required." + el.name, op: opCreateEvents, element: el.name, mutates: true,
				source: r.sp.source(schemaPointer(r.item) + "/required"),
				title:  fmt.Sprintf("A create without %s is rejected with 400 naming it, and nothing is created.", el.name),
				run:    func(c *cctx) { r.checkRequired(c, el) }})
		}
	}
	r.add(&out, &check{id: n + ".create.lenient", op: opCreateEvents, mutates: true, source: r.sp.source("#/info/description"),
		title: "A bulk create with one invalid item creates the valid one: 201, added 1, the failure reported in result with its index.",
		run:   r.checkCreateLenient})
	r.add(&out, &check{id: n + ".create.unknown-element", op: opCreateEvents, level: Should, mutates: true,
		source: r.sp.source(schemaPointer(r.item) + "/additionalProperties"),
		title:  "An item with an element events do not have (the translated Name) is either rejected, creating nothing (strict), or created without it (lenient, as Coupa); the note says which.",
		run:    r.checkUnknownElement})
	for _, el := range r.els {
		allowed := el.enum()
		if len(allowed) == 0 || el.readOnly {
			continue
		}
		src := r.sp.source(el.enumPointer())
		r.add(&out, &check{id: n + ".enum." + el.name, op: opCreateEvents, element: el.name, source: src, mutates: true,
			title: fmt.Sprintf("Every allowed value of %s (%d) is accepted on create and read back unchanged.", el.name, len(allowed)),
			run:   func(c *cctx) { r.checkEnum(c, el) }})
		r.add(&out, &check{id: n + ".enum." + el.name + ".invalid", op: opCreateEvents, element: el.name, source: src, mutates: true,
			title: fmt.Sprintf("Values just outside the set of %s (wrong case, spaces, translations) are rejected with 400 naming it, on create and on update, and nothing changes.", el.name),
			run:   func(c *cctx) { r.checkEnumInvalid(c, el) }})
	}
	for _, el := range r.els {
		if !el.readOnly {
			continue
		}
		r.add(&out, &check{id: n + ".readonly." + el.name, op: opCreateEvents, element: el.name, mutates: true,
			source: r.sp.source(el.pointer + "/readOnly"),
			title:  fmt.Sprintf("A value sent for the output-only %s on create or update is ignored.", el.name),
			run:    func(c *cctx) { r.checkReadOnly(c, el) }})
	}
	r.add(&out, &check{id: n + ".readonly.market-id", op: opUpdateEvent, element: "market-id", mutates: true,
		source: r.opSource(opUpdateEvents, "/description"),
		title:  "market-id cannot be changed: an update with its own value is accepted, one with another value fails and changes nothing.",
		run:    r.checkMarketID})
	r.add(&out, &check{id: n + ".event-number", op: opCreateEvents, element: "event-number", mutates: true,
		source: r.opSource(opCreateEvents, "/description"),
		title:  "event-number is unique and increasing: new events get numbers above every existing one, in creation order.",
		run:    r.checkEventNumber})
	r.add(&out, &check{id: n + ".update.bulk", op: opUpdateEvents, source: r.opSource(opUpdateEvents, ""), mutates: true,
		title: "A bulk update answers 200 with updated = the count, changes the elements sent and leaves the others.",
		run:   r.checkUpdateBulk})
	r.add(&out, &check{id: n + ".update.one", op: opUpdateEvent, source: r.opSource(opUpdateEvent, ""), mutates: true,
		title: "PUT /api/events/{id} answers 200, changes the elements sent and leaves the others.", run: r.checkUpdateOne})
	r.add(&out, &check{id: n + ".update.lenient", op: opUpdateEvents, source: r.sp.source("#/info/description"), mutates: true,
		title: "A bulk update with one invalid item applies the valid one: 200, updated 1, the failure reported in result with its index.",
		run:   r.checkUpdateLenient})
	r.add(&out, &check{id: n + ".update.all-invalid", op: opUpdateEvents, source: r.sp.source("#/info/description"), mutates: true,
		title: "A bulk update whose every item fails answers 400 and changes nothing.", run: r.checkUpdateAllInvalid})
	r.add(&out, &check{id: n + ".update.not-found", op: opUpdateEvent, source: r.opSource(opUpdateEvent, "/responses/404"), mutates: true,
		title: "PUT /api/events/{id} of an unknown id answers 404.", run: r.checkUpdateNotFound})
	r.add(&out, &check{id: n + ".delete.one", op: opDeleteEvent, source: r.opSource(opDeleteEvent, ""), mutates: true,
		title: "DELETE /api/events/{id} answers 200, and show then answers 404.", run: r.checkDeleteOne})
	r.add(&out, &check{id: n + ".delete.bulk", op: opDeleteEvents, source: r.opSource(opDeleteEvents, ""), mutates: true,
		title: "A bulk delete answers 200 with deleted = the count, and show then answers 404 for each.", run: r.checkDeleteBulk})
	r.add(&out, &check{id: n + ".delete.lenient", op: opDeleteEvents, source: r.sp.source("#/info/description"), mutates: true,
		title: "A bulk delete with one unknown id deletes the others: 200, deleted 1, the failure reported in result with its index.",
		run:   r.checkDeleteLenient})
	r.add(&out, &check{id: n + ".delete.all-invalid", op: opDeleteEvents, source: r.sp.source("#/info/description"), mutates: true,
		title: "A bulk delete whose every item fails answers 400.", run: r.checkDeleteAllInvalid})
	r.add(&out, &check{id: n + ".delete.not-found", op: opDeleteEvent, source: r.opSource(opDeleteEvent, "/responses/404"), mutates: true,
		title: "DELETE /api/events/{id} of an unknown id answers 404.", run: r.checkDeleteNotFound})
	return out
}

var (
	currencies = []string{"EUR", "USD", "GBP", "SEK"}
	timeZones  = []string{"Europe/Stockholm", "Europe/Berlin", "America/New_York", "Asia/Tokyo"}
)

func (r *eventsRes) sampler() sampler {
	r.s.discover()
	return sampler{fixed: map[string]any{
		"market-id": r.s.marketID,
		"settings":  func(v int) any { return map[string]any{"currency": currencies[v%len(currencies)]} },
		"time-zone": func(v int) any { return timeZones[v%len(timeZones)] },
	}}
}

// minimal returns a create item with the required elements and the marker.
func (r *eventsRes) minimal(c *cctx, marker string) map[string]any {
	sm := r.sampler()
	body := map[string]any{eventMarker: marker}
	for _, el := range r.els {
		if !el.required || el.readOnly {
			continue
		}
		v, ok := sm.value(el.name, el.schema, 0)
		if !ok {
			c.fatalf(nil, "internal: cannot make a value for the required element %s", el.name)
		}
		body[el.name] = v
	}
	return body
}

// full returns a create item with every element the suite can fill in.
func (r *eventsRes) full(marker string, variant int) map[string]any {
	body := r.sampler().fill(r.els, variant)
	body[eventMarker] = marker
	return body
}

// updateBody returns the changes of every writable element but market-id
// and the marker, to values that differ from ev's.
func (r *eventsRes) updateBody(ev map[string]any, variant int) map[string]any {
	return r.sampler().changes(r.updEls, ev, variant, "market-id", eventMarker)
}

// createAnswer is what a bulk create answered.
type createAnswer struct {
	ex    *exchange
	added int64
	ids   []string
	body  map[string]any
}

// post sends a bulk create of items and returns the answer, whatever its
// status; it tracks the events created, for cleanup.
func (r *eventsRes) post(c *cctx, items []any, valid bool) createAnswer {
	ex := c.do(request{method: http.MethodPost, path: r.path(""), body: map[string]any{"events": items}, valid: valid})
	a := createAnswer{ex: ex}
	if ex.status != http.StatusCreated {
		return a
	}
	a.body = c.object(ex, "create")
	a.added, _ = intOf(a.body["added"])
	list, _ := a.body["events"].([]any)
	for _, v := range list {
		m, _ := v.(map[string]any)
		if id, ok := m["id"].(string); ok {
			a.ids = append(a.ids, id)
		}
	}
	r.s.trackEvents(a.ids...)
	return a
}

// create creates the items, all of which are valid, and returns their ids.
func (r *eventsRes) create(c *cctx, items ...map[string]any) ([]string, *exchange) {
	list := make([]any, len(items))
	for i, it := range items {
		list[i] = it
	}
	a := r.post(c, list, true)
	c.expect(a.ex, "create", http.StatusCreated)
	if a.added != int64(len(items)) || len(a.ids) != len(items) {
		c.fatalf(a.ex, "a create of %d events answered added %s and %d ids; want %d and %d", len(items), short(a.body["added"]), len(a.ids), len(items), len(items))
	}
	return a.ids, a.ex
}

// newEvent creates an event with the required elements only.
func (r *eventsRes) newEvent(c *cctx) string {
	ids, _ := r.create(c, r.minimal(c, r.s.marker()))
	return ids[0]
}

func (r *eventsRes) show(c *cctx, id string) (map[string]any, *exchange) {
	ex := c.do(request{method: http.MethodGet, path: r.path(id), valid: true})
	c.expect(ex, "show "+id, http.StatusOK)
	return c.object(ex, "show "+id), ex
}

// eventPage is one page of the index.
type eventPage struct {
	ex     *exchange
	total  int64
	events []map[string]any
	ids    []string
}

func (r *eventsRes) list(c *cctx, q url.Values) eventPage {
	ex := c.do(request{method: http.MethodGet, path: r.path(""), query: q, valid: true})
	c.expect(ex, "index "+q.Encode(), http.StatusOK)
	m := c.object(ex, "index")
	p := eventPage{ex: ex}
	var ok bool
	if p.total, ok = intOf(m["total"]); !ok {
		c.fatalf(ex, "index: total is %s, not an integer", short(m["total"]))
	}
	list, ok := m["events"].([]any)
	if !ok {
		c.fatalf(ex, "index: events is %s, not an array", short(m["events"]))
	}
	for i, v := range list {
		ev, ok := v.(map[string]any)
		id, _ := ev["id"].(string)
		if !ok || id == "" {
			c.fatalf(ex, "index: events[%d] is not an event with an id", i)
		}
		p.events = append(p.events, ev)
		p.ids = append(p.ids, id)
	}
	return p
}

// created returns the events that carry marker, verifying that the server
// applied the filter.
func (r *eventsRes) created(c *cctx, marker string) []string {
	p := r.list(c, url.Values{eventMarker: {marker}})
	for _, ev := range p.events {
		if ev[eventMarker] != marker {
			c.fatalf(p.ex, "the index filtered by %s returned an event with %s %s: the filter is not applied, so the check cannot verify that nothing was created", eventMarker, eventMarker, short(ev[eventMarker]))
		}
	}
	r.s.trackEvents(p.ids...)
	return p.ids
}

func (r *eventsRes) nothingCreated(c *cctx, marker, what string) {
	if ids := r.created(c, marker); len(ids) > 0 {
		c.errorf(nil, "%s created events anyway (ids %s, %s %s)", what, strings.Join(ids, ", "), eventMarker, marker)
	}
}

// ensure makes the index have n events or more, creating marked events in
// one request when the run may. It returns the ids it created.
func (r *eventsRes) ensure(c *cctx, n int) (bool, []string) {
	p := r.list(c, url.Values{"limit": {"1"}})
	if p.total >= int64(n) {
		return true, nil
	}
	if r.s.target.ReadOnly {
		return false, nil
	}
	marker := r.s.marker()
	items := make([]map[string]any, n-int(p.total))
	for i := range items {
		items[i] = r.minimal(c, marker)
	}
	ids, _ := r.create(c, items...)
	return true, ids
}

func intOf(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// compareIDs orders digit-string ids by value.
func compareIDs(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
}

func (r *eventsRes) checkList(c *cctx) {
	p := r.list(c, nil)
	if len(p.events) > 250 {
		c.errorf(p.ex, "the index returned %d events without a limit; the default and maximum page is 250", len(p.events))
	}
	if p.total < int64(len(p.events)) {
		c.errorf(p.ex, "total is %d, fewer than the %d events of the page", p.total, len(p.events))
	}
	for i := 1; i < len(p.ids); i++ {
		if compareIDs(p.ids[i], p.ids[i-1]) <= 0 {
			c.errorf(p.ex, "the index is not ordered by id without duplicates: id %s follows id %s", p.ids[i], p.ids[i-1])
			break
		}
	}
	c.notef("%d events, total %d", len(p.events), p.total)
}

func (r *eventsRes) checkLimit(c *cctx) {
	r.ensure(c, 3)
	all := r.list(c, nil)
	p := r.list(c, url.Values{"limit": {"2"}})
	want := all.ids[:min(2, len(all.ids))]
	if !slices.Equal(p.ids, want) {
		c.errorf(p.ex, "limit=2 returned ids [%s]; want the first 2 of the index, [%s]", strings.Join(p.ids, ", "), strings.Join(want, ", "))
	}
	if p.total != all.total {
		c.errorf(p.ex, "total is %d with limit=2 and %d without: total counts every matching event", p.total, all.total)
	}
}

func (r *eventsRes) checkLimitCap(c *cctx) {
	ok, ids := r.ensure(c, 251)
	if !ok {
		c.skipf("fewer than 251 events, and a read-only run creates none: the cap cannot be observed")
	}
	for _, q := range []url.Values{nil, {"limit": {"251"}}, {"limit": {"1000"}}} {
		p := r.list(c, q)
		if len(p.events) != 250 {
			c.errorf(p.ex, "the index with %s returned %d events; want 250 (limit defaults to 250 and is capped at 250)", cmpOr(q.Encode(), "no limit"), len(p.events))
		}
	}
	if len(ids) > 0 {
		r.deleteBulk(c, ids)
	}
}

// deleteBulk deletes the events in one request, as cleanup within a check.
func (r *eventsRes) deleteBulk(c *cctx, ids []string) *exchange {
	items := make([]any, len(ids))
	for i, id := range ids {
		items[i] = map[string]any{"id": id}
	}
	ex := c.do(request{method: http.MethodDelete, path: r.path(""), body: map[string]any{"events": items}, valid: true})
	if ex.status == http.StatusOK {
		r.s.untrackEvents(ids...)
	}
	return ex
}

func (r *eventsRes) checkOffset(c *cctx) {
	r.ensure(c, 6)
	page := func(limit, offset int) eventPage {
		return r.list(c, url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset)}})
	}
	all := page(6, 0)
	p1 := page(3, 0)
	p2 := page(3, 3)
	for _, id := range p2.ids {
		if slices.Contains(p1.ids, id) {
			c.errorf(p2.ex, "offset=3 repeats id %s of offset=0: pages overlap", id)
			break
		}
	}
	if got := append(slices.Clone(p1.ids), p2.ids...); !slices.Equal(got, all.ids) {
		c.errorf(p2.ex, "limit=3 at offset 0 and 3 gave [%s]; limit=6 gave [%s]", strings.Join(got, ", "), strings.Join(all.ids, ", "))
	}
	if len(all.ids) >= 2 {
		one := page(1, 1)
		if !slices.Equal(one.ids, all.ids[1:2]) {
			c.errorf(one.ex, "offset=1 returned [%s]; want the second event, [%s] (offset is 0-based)", strings.Join(one.ids, ", "), all.ids[1])
		}
	}
}

func (r *eventsRes) checkPastEnd(c *cctx) {
	all := r.list(c, url.Values{"limit": {"1"}})
	p := r.list(c, url.Values{"offset": {pastTheEnd}})
	if len(p.events) != 0 {
		c.errorf(p.ex, "offset=%s returned %d events; want none", pastTheEnd, len(p.events))
	}
	if p.total != all.total {
		c.errorf(p.ex, "total is %d past the end and %d on the first page", p.total, all.total)
	}
}

// first returns the event with the smallest id, if any.
func (r *eventsRes) first(c *cctx) (map[string]any, bool) {
	p := r.list(c, url.Values{"limit": {"1"}})
	if len(p.events) == 0 {
		if r.s.target.ReadOnly {
			return nil, false
		}
		r.newEvent(c)
		p = r.list(c, url.Values{"limit": {"1"}})
	}
	if len(p.events) == 0 {
		c.fatalf(p.ex, "the index is empty after a create")
	}
	return p.events[0], true
}

func (r *eventsRes) checkFilter(c *cctx) {
	ev, ok := r.first(c)
	if !ok {
		c.skipf("no events to filter")
	}
	id := ev["id"].(string)
	tried := 0
	for _, el := range r.els {
		if !el.scalar() || el.writeOnly || el.schema.Format == "date-time" {
			continue
		}
		qv, ok := queryValue(ev[el.name])
		if !ok {
			continue
		}
		tried++
		p := r.list(c, url.Values{el.name: {qv}})
		if len(p.events) == 0 {
			c.errorf(p.ex, "%s=%s returned no event; event %s has that value", el.name, qv, id)
			continue
		}
		for _, got := range p.events {
			if !jsonEqual(got[el.name], ev[el.name]) {
				c.errorf(p.ex, "%s=%s returned event %s whose %s is %s", el.name, qv, short(got["id"]), el.name, short(got[el.name]))
				break
			}
		}
		if p.ids[0] != id {
			c.errorf(p.ex, "%s=%s did not return event %s first, though it has that value and the smallest id", el.name, qv, id)
		}
		if p.total < 250 && p.total != int64(len(p.events)) {
			c.errorf(p.ex, "%s=%s answered total %d with %d events: total counts the matching events", el.name, qv, p.total, len(p.events))
		}
	}
	c.notef("%d filters on event %s", tried, id)
}

func (r *eventsRes) checkBadParameter(c *cctx) {
	for _, q := range badParameters {
		ex := c.do(request{method: http.MethodGet, path: r.path(""), query: q})
		if ex.status != http.StatusBadRequest {
			c.errorf(ex, "the index with %s answered %s; want 400", q.Encode(), ex.summary())
		}
	}
}

func (r *eventsRes) checkShow(c *cctx) {
	ev, ok := r.first(c)
	if !ok {
		c.skipf("no events to show")
	}
	id := ev["id"].(string)
	got, ex := r.show(c, id)
	if got["id"] != id {
		c.errorf(ex, "show %s answered the event with id %s", id, short(got["id"]))
	}
}

func (r *eventsRes) checkShowNotFound(c *cctx) {
	ex := c.do(request{method: http.MethodGet, path: r.path(unknownEventID), valid: true})
	c.expect(ex, "show of the unknown id "+unknownEventID, http.StatusNotFound)
}

// readBack checks that show reads back what was sent for event id.
func (r *eventsRes) readBack(c *cctx, id string, sent map[string]any) map[string]any {
	ev, ex := r.show(c, id)
	skip := func(p string) bool {
		name := strings.Split(strings.TrimPrefix(p, "/"), "/")[0]
		for _, el := range r.els {
			if el.name == name {
				return el.readOnly || el.writeOnly
			}
		}
		return false
	}
	for _, d := range subset(sent, ev, "", skip) {
		c.errorf(ex, "event %s does not show what was sent: %s", id, d)
	}
	return ev
}

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

func (r *eventsRes) checkRequired(c *cctx, el element) {
	marker := r.s.marker()
	a := r.post(c, []any{without(r.minimal(c, marker), el.name)}, false)
	if a.ex.status != http.StatusBadRequest {
		c.errorf(a.ex, "a create without %s answered %s; want 400", el.name, a.ex.summary())
	} else if !a.ex.mentions(el.name) {
		c.errorf(a.ex, "the 400 for a create without %s does not name it: %s", el.name, a.ex.summary())
	}
	r.nothingCreated(c, marker, "a create without "+el.name)
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

func (r *eventsRes) checkUnknownElement(c *cctx) {
	marker := r.s.marker()
	a := r.post(c, []any{with(r.minimal(c, marker), "Name", "Einkauf 2026")}, false)
	switch {
	case a.ex.status == http.StatusCreated && len(a.ids) == 1:
		// Lenient, as Coupa: the element is dropped.
		if ev, ex := r.show(c, a.ids[0]); ev["Name"] != nil {
			c.errorf(ex, "a create with the element Name stored it: %s", ex.summary())
			return
		}
		c.notef("lenient: 201, the element Name dropped (as Coupa does)")
	case a.ex.status != http.StatusBadRequest:
		c.errorf(a.ex, "a create with the element Name answered %s; want 400 or 201 without it", a.ex.summary())
	default:
		c.notef("strict: 400")
		r.nothingCreated(c, marker, "a create with the element Name")
	}
}

func (r *eventsRes) checkEnum(c *cctx, el element) {
	es := r.s.enumStats(eventsResource, el)
	for _, v := range el.enum() {
		marker := r.s.marker()
		a := r.post(c, []any{with(r.minimal(c, marker), el.name, v)}, true)
		if a.ex.status != http.StatusCreated || len(a.ids) != 1 {
			c.errorf(a.ex, "%s %q was not accepted on create: %s", el.name, v, a.ex.summary())
			continue
		}
		ev, ex := r.show(c, a.ids[0])
		if !jsonEqual(ev[el.name], v) {
			c.errorf(ex, "%s %q was read back as %s", el.name, v, short(ev[el.name]))
			continue
		}
		es.accepted[v] = true
	}
	c.notef("%d values accepted and read back", len(el.enum()))
}

func (r *eventsRes) checkEnumInvalid(c *cctx, el element) {
	es := r.s.enumStats(eventsResource, el)
	misses := nearMisses(el.enum())
	marker := r.s.marker()
	for _, v := range misses {
		a := r.post(c, []any{with(r.minimal(c, marker), el.name, v)}, false)
		switch {
		case a.ex.status != http.StatusBadRequest:
			c.errorf(a.ex, "%s %q was answered %s on create; want 400", el.name, v, a.ex.summary())
		case !a.ex.mentions(el.name):
			c.errorf(a.ex, "the 400 for %s %q does not name the element: %s", el.name, v, a.ex.summary())
		default:
			es.rejected[v] = true
		}
	}
	r.nothingCreated(c, marker, fmt.Sprintf("a create with %s outside the allowed values", el.name))

	id := r.newEvent(c)
	before, _ := r.show(c, id)
	for _, v := range misses {
		ex := c.do(request{method: http.MethodPut, path: r.path(id), body: map[string]any{el.name: v}})
		if ex.status != http.StatusBadRequest {
			c.errorf(ex, "%s %q was answered %s on update; want 400", el.name, v, ex.summary())
		}
	}
	after, sex := r.show(c, id)
	if d := differences(before, after); len(d) > 0 {
		c.errorf(sex, "rejected updates of %s changed event %s: %s", el.name, id, strings.Join(d, ", "))
	}
	c.notef("%d values rejected on create and on update", len(misses))
}

func (r *eventsRes) checkReadOnly(c *cctx, el element) {
	probe, ok := readOnlyProbe(el, nil)
	if !ok {
		c.skipf("internal: no probe value for %s", el.name)
	}
	a := r.post(c, []any{with(r.minimal(c, r.s.marker()), el.name, probe)}, false)
	if a.ex.status != http.StatusCreated || len(a.ids) != 1 {
		c.fatalf(a.ex, "a create with the output-only %s %s answered %s; want 201 (the value is ignored)", el.name, short(probe), a.ex.summary())
	}
	id := a.ids[0]
	if jsonEqual(toJSON(id), toJSON(probe)) && el.name == "id" {
		c.errorf(a.ex, "create took the id sent, %s", short(probe))
	}
	before, sex := r.show(c, id)
	if jsonEqual(before[el.name], toJSON(probe)) {
		c.errorf(sex, "show reads back the value sent for the output-only %s on create: %s", el.name, short(probe))
	}
	probe, ok = readOnlyProbe(el, before[el.name])
	if !ok {
		c.skipf("internal: no probe value for %s", el.name)
	}
	ex := c.do(request{method: http.MethodPut, path: r.path(id), body: map[string]any{el.name: probe, "description": "coupakit read-only probe"}})
	if ex.status != http.StatusOK {
		c.fatalf(ex, "an update with the output-only %s %s answered %s; want 200 (the value is ignored)", el.name, short(probe), ex.summary())
	}
	after, sex := r.show(c, id)
	if !jsonEqual(after[el.name], before[el.name]) {
		c.errorf(sex, "update changed the output-only %s from %s to %s", el.name, short(before[el.name]), short(after[el.name]))
	}
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

func (r *eventsRes) checkUpdateLenient(c *cctx) {
	ids, _ := r.create(c, r.minimal(c, r.s.marker()), r.minimal(c, r.s.marker()))
	a, b := ids[0], ids[1]
	beforeA, _ := r.show(c, a)
	beforeB, _ := r.show(c, b)
	change := r.updateBody(beforeA, 3)
	items := []any{with(change, "id", a), map[string]any{"id": b, "state": "Einrichtung", "name": "coupakit must not apply"}}
	ex := c.do(request{method: http.MethodPut, path: r.path(""), body: map[string]any{"events": items}})
	c.expect(ex, "a bulk update of a valid and an invalid item", http.StatusOK)
	body := c.object(ex, "update")
	if n, _ := intOf(body["updated"]); n != 1 {
		c.errorf(ex, "updated is %s; want 1", short(body["updated"]))
	}
	if !failedAt(body, 1) {
		c.errorf(ex, "result does not report the failure of item 1: %s", short(body["result"]))
	}
	r.changed(c, a, beforeA, change)
	afterB, sex := r.show(c, b)
	if d := differences(beforeB, afterB); len(d) > 0 {
		c.errorf(sex, "the failed item changed event %s: %s", b, strings.Join(d, ", "))
	}
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

func (r *eventsRes) checkDeleteLenient(c *cctx) {
	id := r.newEvent(c)
	items := []any{map[string]any{"id": id}, map[string]any{"id": unknownEventID}}
	ex := c.do(request{method: http.MethodDelete, path: r.path(""), body: map[string]any{"events": items}, valid: true})
	c.expect(ex, "a bulk delete of an event and an unknown id", http.StatusOK)
	r.s.untrackEvents(id)
	body := c.object(ex, "delete")
	if n, _ := intOf(body["deleted"]); n != 1 {
		c.errorf(ex, "deleted is %s; want 1", short(body["deleted"]))
	}
	if !failedAt(body, 1) {
		c.errorf(ex, "result does not report the failure of item 1: %s", short(body["result"]))
	}
	r.gone(c, id)
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

// fetchAll returns every event the index answers to q, in pages of 250,
// within a bound.
func (r *eventsRes) fetchAll(c *cctx, q url.Values) ([]map[string]any, *exchange) {
	return fetchPages(q, 250, func(pq url.Values) ([]map[string]any, *exchange) {
		p := r.list(c, pq)
		return p.events, p.ex
	})
}

// universe returns the events of the query checks, made once: in a full
// run, six events the run creates with chosen values; else the first
// events of the index.
func (r *eventsRes) universe(c *cctx) *universe {
	if r.qu == nil {
		if r.s.target.ReadOnly {
			r.qu = r.sample(c)
		} else {
			r.qu = r.design(c)
		}
	}
	if len(r.qu.recs) == 0 {
		c.skipf("no events to filter")
	}
	return r.qu
}

// sample takes the first events of the index; when there are more than
// maxUniverse, the scope id[in] selects them.
func (r *eventsRes) sample(c *cctx) *universe {
	recs, _ := r.fetchAll(c, url.Values{})
	var scope url.Values
	if len(recs) > maxUniverse {
		recs = recs[:maxUniverse]
		ids := make([]string, len(recs))
		for i, ev := range recs {
			ids[i] = idString(ev["id"])
		}
		scope = url.Values{"id[in]": {strings.Join(ids, ",")}}
	}
	return newUniverse(recs, scope, false)
}

// design creates six events with chosen values in one request, marked
// P-<word>-<i> with a new marker P, and reads them back.
func (r *eventsRes) design(c *cctx) *universe {
	p := r.s.marker()
	items := make([]map[string]any, len(designWords))
	for i := range items {
		it := r.minimal(c, fmt.Sprintf("%s-%s-%d", p, designWords[i], i))
		if s := designStrings[i]; s != "" {
			it["name"], it["description"] = "coupakit "+s, s+" event"
			it["time-zone"] = timeZones[i%len(timeZones)]
			it["settings"] = map[string]any{"currency": currencies[i%len(currencies)]}
		}
		if i != 3 {
			it["state"] = []string{"Setup", "Active", "Terminated"}[i%3]
		}
		items[i] = it
	}
	ids, _ := r.create(c, items...)
	var recs []map[string]any
	for _, id := range ids {
		ev, _ := r.show(c, id)
		recs = append(recs, ev)
	}
	return newUniverse(recs, url.Values{eventMarker + "[starts_with]": {p}}, true)
}

func (r *eventsRes) checkJSONOnly(c *cctx) {
	for _, rq := range []request{
		{method: http.MethodGet, path: r.path(""), query: url.Values{"limit": {"1"}}, accept: "application/xml", valid: true},
		{method: http.MethodGet, path: r.path(""), query: url.Values{"limit": {"1"}}, accept: "*/*", valid: true},
		{method: http.MethodGet, path: r.path(""), query: url.Values{"limit": {"1"}}, noAccept: true, valid: true},
	} {
		// Error answers are left to the should-level error-format checks:
		// the vendor's page says they are XML.
		ex := c.do(rq)
		accept := cmpOr(rq.accept, "none")
		mt := strings.ToLower(ex.header.Get("Content-Type"))
		if !strings.HasPrefix(mt, "application/json") || ex.value == nil {
			c.errorf(ex, "%s %s with Accept %s answered %d %q: %s; want JSON", rq.method, rq.path, accept, ex.status, ex.header.Get("Content-Type"), ex.summary())
		}
	}
}

func (r *eventsRes) checkAuth(c *cctx) {
	if !r.s.csoAuth {
		c.skipf("the target does not enforce authentication: an unauthenticated request was not answered 401")
	}
	for _, rq := range []request{
		{method: http.MethodGet, path: r.path(""), query: url.Values{"limit": {"1"}}, auth: authNone},
		{method: http.MethodGet, path: r.path(unknownEventID), auth: authNone},
		{method: http.MethodGet, path: r.path(""), query: url.Values{"limit": {"1"}}, auth: authKey, token: "coupakit-conformance-made-up-key"},
		{method: http.MethodGet, path: r.path(unknownEventID), auth: authKey, token: "coupakit-conformance-made-up-key"},
	} {
		ex := c.do(rq)
		what := "without X-CSO-API-KEY"
		if rq.auth == authKey {
			what = "with a made-up X-CSO-API-KEY"
		}
		if ex.status != http.StatusUnauthorized {
			c.errorf(ex, "%s %s %s answered %s; want 401", rq.method, rq.path, what, ex.summary())
		}
	}
}
