package conformance

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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
	kf     kindFacts
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
	r.kf = r.newFacts()
	return r, nil
}

// facts says what the shared check families need of events.
func (r *eventsRes) facts() kindFacts { return r.kf }

func (r *eventsRes) newFacts() kindFacts {
	listSrc := r.opSource(opListEvents, "")
	return kindFacts{
		name: eventsResource, api: apiSourcing, noun: "event", nouns: "events", maxPage: 250,
		listOp: opListEvents, showOp: opShowEvent, createOp: opCreateEvents,
		els: r.els, filterEls: r.els, updEls: r.updEls, marker: eventMarker, itemPointer: schemaPointer(r.item),
		createOnly: []string{"market-id"},
		listSource: listSrc, limitSource: listSrc + "/parameters", offsetSource: listSrc + "/parameters",
		pastEndSource: listSrc + "/parameters", filterSource: listSrc + "/description",
		badParamSource: r.opSource(opListEvents, "/responses/400"),
		showSource:     r.opSource(opShowEvent, ""), notFoundSource: r.opSource(opShowEvent, "/responses/404"),
		unknownID: unknownEventID, total: true,
		readOnlyExtra: map[string]any{"description": "coupakit read-only probe"}, sp: r.sp,
	}
}

func (r *eventsRes) createOne(c *cctx, body map[string]any, valid bool) (string, map[string]any, *exchange) {
	a := r.post(c, []any{body}, valid)
	if a.ex.status != http.StatusCreated || len(a.ids) != 1 {
		return "", nil, a.ex
	}
	return a.ids[0], nil, a.ex
}

func (r *eventsRes) newID(c *cctx) string { return r.newEvent(c) }

func (r *eventsRes) fetch(c *cctx, id string) (map[string]any, *exchange) { return r.show(c, id) }

func (r *eventsRes) updateOne(c *cctx, id string, body map[string]any, valid bool) *exchange {
	return c.do(request{method: http.MethodPut, path: r.path(id), body: body, valid: valid})
}

func (r *eventsRes) deleteOne(c *cctx, id string) (*exchange, bool) {
	ex := c.do(request{method: http.MethodDelete, path: r.path(id), valid: true})
	if ex.status == http.StatusOK {
		r.s.untrackEvents(id)
	}
	return ex, true
}

func (r *eventsRes) page(c *cctx, q url.Values) listPage {
	p := r.list(c, q)
	return listPage{ex: p.ex, recs: p.events, ids: p.ids, total: p.total}
}

func (r *eventsRes) ensure(c *cctx, n int) bool {
	ok, _ := r.ensureIDs(c, n)
	return ok
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

func (r *eventsRes) checks() []*check {
	var out []*check
	n := eventsResource
	listSrc := r.opSource(opListEvents, "")
	out = append(out, listFamily(r)...)
	r.kf.add(&out, &check{id: n + ".list.operators", op: opListEvents, source: listSrc + "/description",
		title: "The Core API's operators ([not_eq], [in], [not_in], [contains], [starts_with], [ends_with], [gt], [lt], [gt_or_eq], [lt_or_eq], [blank]) return exactly the matching events, with hyphens or underscores.",
		run: func(c *cctx) {
			checkOperators(c, r.universe(c), fetchAll(r), fields(r.els, false))
		}})
	r.kf.add(&out, &check{id: n + ".list.filter-nested", op: opListEvents, source: listSrc + "/description",
		title: "Filters on nested elements (settings[currency]) return exactly the matching events.",
		run: func(c *cctx) {
			checkNested(c, r.universe(c), fetchAll(r), fields(r.els, true))
		}})
	r.kf.add(&out, &check{id: n + ".list.filter-invalid", op: opListEvents, source: listSrc + "/description",
		title: "A filter on an element events do not have, an unknown operator or a malformed value is answered 400.",
		run: func(c *cctx) {
			checkInvalidFilters(c, r.path(""), r.els)
			ex := c.do(request{method: http.MethodGet, path: r.path(""), query: url.Values{"statut": {"Active"}}})
			if ex.status != http.StatusBadRequest {
				c.errorf(ex, "the index with statut=Active, an element events do not have, answered %s; want 400", ex.summary())
			}
		}})
	r.kf.add(&out, &check{id: n + ".format.json-only", op: opListEvents, source: r.sp.source("#/info/description"),
		title: "The Sourcing API answers JSON whatever the Accept header says (application/xml, */* or none), as the index shows.",
		run:   r.checkJSONOnly})
	r.kf.add(&out, &check{id: n + ".auth", op: opListEvents, source: r.sp.source("#/components/securitySchemes/csoApiKey"),
		title: "A request without X-CSO-API-KEY, or with a made-up one, is answered 401 on every operation (writes only when the run may write, with an unknown id or an empty body).",
		run:   r.checkAuth})
	out = append(out, showFamily(r)...)

	r.kf.add(&out, &check{id: n + ".create", op: opCreateEvents, source: r.opSource(opCreateEvents, ""), mutates: true,
		title: "A bulk create answers 201 with added = the count and the new ids in request order; each id shows the elements sent.",
		run:   r.checkCreate})
	r.kf.add(&out, &check{id: n + ".create.default-state", op: opCreateEvents, element: "state", mutates: true,
		source: r.opSource(opCreateEvents, "/description"),
		title:  "An event created without state is in state Setup.", run: r.checkDefaultState})
	out = append(out, requiredFamily(r)...)
	r.kf.add(&out, &check{id: n + ".create.lenient", op: opCreateEvents, mutates: true, source: r.sp.source("#/info/description"),
		title: "A bulk create with one invalid item creates the valid one: 201, added 1, the failure reported in result with its index.",
		run:   r.checkCreateLenient})
	out = append(out, unknownElementCheck(r, "Name", "Einkauf 2026", r.sp.source(schemaPointer(r.item)+"/additionalProperties"),
		"An item with an element events do not have (the translated Name) is either rejected with 400 naming it, creating nothing (strict), or created without it (lenient, as Coupa); the note says which."))
	out = append(out, enumFamily(r)...)
	out = append(out, readOnlyFamily(r, "A value sent for the output-only %s on create or update is ignored.")...)
	out = append(out, inputFamily(r)...)
	out = append(out, chainFamily(r)...)
	r.kf.add(&out, &check{id: n + ".readonly.market-id", op: opUpdateEvent, element: "market-id", mutates: true,
		source: r.opSource(opUpdateEvents, "/description"),
		title:  "market-id cannot be changed: an update with its own value is accepted, one with another value fails and changes nothing.",
		run:    r.checkMarketID})
	r.kf.add(&out, &check{id: n + ".event-number", op: opCreateEvents, element: "event-number", mutates: true,
		source: r.opSource(opCreateEvents, "/description"),
		title:  "event-number is unique and increasing: new events get numbers above every existing one, in creation order.",
		run:    r.checkEventNumber})
	r.kf.add(&out, &check{id: n + ".update.bulk", op: opUpdateEvents, source: r.opSource(opUpdateEvents, ""), mutates: true,
		title: "A bulk update answers 200 with updated = the count, changes the elements sent and leaves the others.",
		run:   r.checkUpdateBulk})
	r.kf.add(&out, &check{id: n + ".update.one", op: opUpdateEvent, source: r.opSource(opUpdateEvent, ""), mutates: true,
		title: "PUT /api/events/{id} answers 200, changes the elements sent and leaves the others.", run: r.checkUpdateOne})
	r.kf.add(&out, &check{id: n + ".update.lenient", op: opUpdateEvents, source: r.sp.source("#/info/description"), mutates: true,
		title: "A bulk update with one invalid item applies the valid one: 200, updated 1, the failure reported in result with its index.",
		run:   r.checkUpdateLenient})
	r.kf.add(&out, &check{id: n + ".update.all-invalid", op: opUpdateEvents, source: r.sp.source("#/info/description"), mutates: true,
		title: "A bulk update whose every item fails answers 400 and changes nothing.", run: r.checkUpdateAllInvalid})
	r.kf.add(&out, &check{id: n + ".update.not-found", op: opUpdateEvent, source: r.opSource(opUpdateEvent, "/responses/404"), mutates: true,
		title: "PUT /api/events/{id} of an unknown id answers 404.", run: r.checkUpdateNotFound})
	r.kf.add(&out, &check{id: n + ".delete.one", op: opDeleteEvent, source: r.opSource(opDeleteEvent, ""), mutates: true,
		title: "DELETE /api/events/{id} answers 200, and show then answers 404.", run: r.checkDeleteOne})
	r.kf.add(&out, &check{id: n + ".delete.bulk", op: opDeleteEvents, source: r.opSource(opDeleteEvents, ""), mutates: true,
		title: "A bulk delete answers 200 with deleted = the count, and show then answers 404 for each.", run: r.checkDeleteBulk})
	r.kf.add(&out, &check{id: n + ".delete.lenient", op: opDeleteEvents, source: r.sp.source("#/info/description"), mutates: true,
		title: "A bulk delete with one unknown id deletes the others: 200, deleted 1, the failure reported in result with its index.",
		run:   r.checkDeleteLenient})
	r.kf.add(&out, &check{id: n + ".delete.all-invalid", op: opDeleteEvents, source: r.sp.source("#/info/description"), mutates: true,
		title: "A bulk delete whose every item fails answers 400.", run: r.checkDeleteAllInvalid})
	r.kf.add(&out, &check{id: n + ".delete.not-found", op: opDeleteEvent, source: r.opSource(opDeleteEvent, "/responses/404"), mutates: true,
		title: "DELETE /api/events/{id} of an unknown id answers 404.", run: r.checkDeleteNotFound})
	out = append(out, r.lenientChecks()...)
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
func (r *eventsRes) ensureIDs(c *cctx, n int) (bool, []string) {
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

// readBack checks that show reads back what was sent for event id.
func (r *eventsRes) readBack(c *cctx, id string, sent map[string]any) map[string]any {
	ev, ex := r.show(c, id)
	for _, d := range sentShown(r.els, sent, ev) {
		c.errorf(ex, "event %s does not show what was sent: %s", id, d)
	}
	return ev
}
