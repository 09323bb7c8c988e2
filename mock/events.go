package mock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/gen/sourcing"
	"github.com/coupakit/coupakit/internal/adminjson"
	"github.com/coupakit/coupakit/query"
)

// Sourcing API lists: default and maximum page size.
const csoMaxLimit = 250

// events is the Sourcing API's /api/events: sourcing events, created,
// updated and deleted in bulk, each item on its own.
var events = &resourceDef{api: sourcingAPI, name: "events", schema: "Event", rank: 50}

func init() {
	d := events
	d.newTable = func() any { return newTable(func(r *eventRow) int64 { return r.id }, firstEventID) }
	d.seed = func(sd *seeding) { sd.st.eventNumber.Store(int64(sd.records * 10)) }
	d.seedEach = seedEvent
	d.build = newEventsRuntime
	d.lenient = []string{"createEvents", "updateEvents", "deleteEvents"}
	register(d)
}

// firstEventID is where seeded event ids start: 19 digits, like Coupa's,
// beyond float64 precision and within int64.
const firstEventID int64 = 9220538753252871000

// eventRow keeps an event with its id as a number, for ordering.
type eventRow struct {
	id int64
	ev sourcing.Event
}

// MarshalJSON writes the event as the API shows it.
func (r eventRow) MarshalJSON() ([]byte, error) { return json.Marshal(r.ev) }

// UnmarshalJSON reads an event as the API shows it (the state format),
// refusing elements an event does not have; its id must be a number in a
// string.
func (r *eventRow) UnmarshalJSON(data []byte) error {
	var ev sourcing.Event
	if err := adminjson.Strict(data, &ev); err != nil {
		return err
	}
	if ev.Id == nil {
		return errors.New("id: missing; every record needs its id")
	}
	n, ok := parseEventID(*ev.Id)
	if !ok {
		return fmt.Errorf("id: %q is not an event id (digits)", *ev.Id)
	}
	r.id, r.ev = n, ev
	return nil
}

// complete gives loaded events that have none an event-number (the next)
// and a state (Setup).
func (*eventsRuntime) complete(st *state, rows any) {
	for i := range rows.([]eventRow) {
		ev := &rows.([]eventRow)[i].ev
		if ev.EventNumber == nil {
			ev.EventNumber = ptr(st.eventNumber.Add(1))
		}
		if ev.State == nil {
			ev.State = ptr(sourcing.Setup)
		}
	}
}

func (s *state) events() *table[eventRow] { return tableOf[eventRow](s, events) }

// eventsRuntime is what the events handlers take from the spec.
type eventsRuntime struct {
	// The item schemas of the lenient bulk operations.
	createItem, updateItem, deleteItem *openapi3.Schema
	filter                             *query.Schema
}

func (s *sourcingServer) events() *eventsRuntime { return runtimeOf[*eventsRuntime](s.m, events) }

func newEventsRuntime(m *Mock, doc *openapi3.T) (any, error) {
	s := &eventsRuntime{}
	for name, dst := range map[string]**openapi3.Schema{"Event": &s.createItem, "EventBulkUpdateItem": &s.updateItem, "EventRef": &s.deleteItem} {
		ref := doc.Components.Schemas[name]
		if ref == nil {
			return nil, fmt.Errorf("mock: sourcing spec has no schema %s", name)
		}
		*dst = ref.Value
	}
	filter, err := query.SchemaOf(sourcing.Event{})
	if err != nil {
		return nil, err
	}
	s.filter = filter
	return s, nil
}

// seedEvent seeds event i.
func seedEvent(sd *seeding, i int) {
	f := sd.f
	ev := sourcing.Event{
		Id:          seedPtr(sd, formatID(firstEventID+int64(i-1)*7)),
		MarketId:    formatID(9220538753220565000 + int64(f.Number(1, 40))*101),
		State:       seedShared(sd, sourcing.EventState([]string{"Setup", "Active", "Terminated"}[f.Number(0, 2)])),
		Name:        seedPtr(sd, fmt.Sprintf("%s %d", eventWords[f.Number(0, len(eventWords)-1)], f.Number(2024, 2027))),
		Description: seedPtr(sd, f.Sentence(f.Number(3, 8))),
		EventNumber: seedPtr(sd, int64(i*10)),
		Settings:    seedPtr(sd, sourcing.EventSettings{Currency: seedShared(sd, f.RandomString([]string{"USD", "EUR", "GBP", "SEK", "CHF", "JPY"}))}),
	}
	if f.Bool() {
		ev.ReferenceNumber = seedPtr(sd, fmt.Sprintf("MC-%s-%02d", strings.ToUpper(f.LetterN(2)), f.Number(1, 99)))
	}
	if f.Bool() {
		ev.TimeZone = seedShared(sd, f.RandomString([]string{"Europe/Stockholm", "Europe/London", "America/New_York", "America/Chicago", "Asia/Tokyo", "Australia/Sydney"}))
	}
	sd.st.events().seedRow(eventRow{id: firstEventID + int64(i-1)*7, ev: ev})
}

// bulk collects the outcome of a lenient bulk operation.
type bulk struct {
	verb    string // post, put, delete
	results []sourcing.Result
	failed  []string
	done    int
}

func (b *bulk) fail(index int, id *string, msgs ...string) {
	for _, msg := range msgs {
		b.failed = append(b.failed, msg)
		b.results = append(b.results, sourcing.Result{Type: "api." + b.verb + ".failed", Description: msg, Index: ptr(index), Id: id})
	}
}

// err is the answer when no item was applied: 400 with every item's errors.
func (b *bulk) err() error {
	if b.done > 0 {
		return nil
	}
	if len(b.failed) == 0 {
		return badRequest("events: at least one event is required")
	}
	return &apiError{status: http.StatusBadRequest, msgs: b.failed}
}

// parseEventID reads an event id; ids beyond int64 name no event.
func parseEventID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil
}

// ListEvents implements GET /api/events.
func (s *sourcingServer) ListEvents(ctx context.Context, req sourcing.ListEventsRequestObject) (sourcing.ListEventsResponseObject, error) {
	f, err := s.events().filter.Parse(queryOf(ctx), "limit", "offset")
	if err != nil {
		return nil, badRequest("%s", err.Error())
	}
	limit, offset := csoMaxLimit, 0
	if req.Params.Limit != nil && *req.Params.Limit < limit {
		limit = *req.Params.Limit
	}
	if req.Params.Offset != nil {
		offset = *req.Params.Offset
	}
	var match func(*eventRow) bool
	if !f.Empty() {
		m := query.MatchFunc[sourcing.Event](f)
		match = func(r *eventRow) bool { return m(&r.ev) }
	}
	rows, total := s.m.st(ctx).events().list(match, offset, limit, true)
	out := sourcing.EventList{Total: int64(total), Events: make([]sourcing.Event, len(rows))}
	for i := range rows {
		out.Events[i] = rows[i].ev
	}
	return sourcing.ListEvents200JSONResponse(out), nil
}

// CreateEvents implements POST /api/events.
func (s *sourcingServer) CreateEvents(ctx context.Context, req sourcing.CreateEventsRequestObject) (sourcing.CreateEventsResponseObject, error) {
	b := &bulk{verb: "post"}
	var ids []sourcing.EventRef
	for i, raw := range req.Body.Events {
		var ev sourcing.Event
		prefix := fmt.Sprintf("events[%d]: ", i)
		if msgs := validateItem(s.events().createItem, raw, &ev, prefix); msgs != nil {
			b.fail(i, nil, msgs...)
			continue
		}
		if msg := nullIn(ev.Settings); msg != "" {
			b.fail(i, nil, prefix+msg)
			continue
		}
		created := s.insert(ctx, ev)
		ids = append(ids, sourcing.EventRef{Id: *created.Id})
		b.done++
	}
	if err := b.err(); err != nil {
		return nil, err
	}
	b.results = append([]sourcing.Result{{Type: "api.post.added", Description: fmt.Sprintf("%d objects created.", b.done)}}, b.results...)
	return sourcing.CreateEvents201JSONResponse{Result: b.results, Added: b.done, Events: ids}, nil
}

// insert stores a new event: the server assigns id and event-number, and
// state defaults to Setup.
func (s *sourcingServer) insert(ctx context.Context, ev sourcing.Event) sourcing.Event {
	st := s.m.st(ctx)
	in := sourcing.Event{MarketId: ev.MarketId}
	applyEvent(&in, &sourcing.EventUpdate{Description: ev.Description, Name: ev.Name, ReferenceNumber: ev.ReferenceNumber,
		Settings: ev.Settings, State: ev.State, TimeZone: ev.TimeZone})
	if in.State == nil {
		in.State = ptr(sourcing.Setup)
	}
	row := st.events().insert(eventRow{ev: in}, func(r *eventRow, id int64) {
		r.id = id
		r.ev.Id = ptr(formatID(id))
		r.ev.EventNumber = ptr(st.eventNumber.Add(1))
	})
	return row.ev
}

// update changes one event; a different market-id fails it.
func (s *sourcingServer) update(ctx context.Context, id string, in *sourcing.EventUpdate, marketID *string) error {
	n, ok := parseEventID(id)
	if !ok {
		return notFound("no event has id %s", id)
	}
	_, err := s.m.st(ctx).events().update(n, func(r eventRow) (eventRow, error) {
		if marketID != nil && *marketID != r.ev.MarketId {
			return r, badRequest("market-id: cannot be changed once set (it is %s)", r.ev.MarketId)
		}
		applyEvent(&r.ev, in)
		return r, nil
	})
	if errors.Is(err, errNotFound) {
		return notFound("no event has id %s", id)
	}
	return err
}

// UpdateEvents implements PUT /api/events.
func (s *sourcingServer) UpdateEvents(ctx context.Context, req sourcing.UpdateEventsRequestObject) (sourcing.UpdateEventsResponseObject, error) {
	b := &bulk{verb: "put"}
	for i, raw := range req.Body.Events {
		prefix := fmt.Sprintf("events[%d]: ", i)
		var item sourcing.EventBulkUpdateItem
		if msgs := validateItem(s.events().updateItem, raw, &item, prefix); msgs != nil {
			b.fail(i, idIn(raw), msgs...)
			continue
		}
		if msg := nullIn(item.Settings); msg != "" {
			b.fail(i, &item.Id, prefix+msg)
			continue
		}
		if err := s.update(ctx, item.Id, bulkUpdate(&item), item.MarketId); err != nil {
			b.fail(i, &item.Id, prefix+errText(err))
			continue
		}
		b.done++
	}
	if err := b.err(); err != nil {
		return nil, err
	}
	b.results = append([]sourcing.Result{{Type: "api.put.updated", Description: fmt.Sprintf("%d objects updated.", b.done)}}, b.results...)
	return sourcing.UpdateEvents200JSONResponse{Result: b.results, Updated: b.done}, nil
}

// DeleteEvents implements DELETE /api/events.
func (s *sourcingServer) DeleteEvents(ctx context.Context, req sourcing.DeleteEventsRequestObject) (sourcing.DeleteEventsResponseObject, error) {
	b := &bulk{verb: "delete"}
	var deleted []sourcing.Result
	for i, raw := range req.Body.Events {
		prefix := fmt.Sprintf("events[%d]: ", i)
		var item sourcing.EventRef
		if msgs := validateItem(s.events().deleteItem, raw, &item, prefix); msgs != nil {
			b.fail(i, idIn(raw), msgs...)
			continue
		}
		res, err := s.remove(ctx, item.Id)
		if err != nil {
			b.fail(i, &item.Id, prefix+errText(err))
			continue
		}
		deleted = append(deleted, res)
		b.done++
	}
	if err := b.err(); err != nil {
		return nil, err
	}
	return sourcing.DeleteEvents200JSONResponse{Result: append(deleted, b.results...), Deleted: b.done}, nil
}

func (s *sourcingServer) remove(ctx context.Context, id string) (sourcing.Result, error) {
	n, ok := parseEventID(id)
	if !ok {
		return sourcing.Result{}, notFound("no event has id %s", id)
	}
	row, ok := s.m.st(ctx).events().remove(n)
	if !ok {
		return sourcing.Result{}, notFound("no event has id %s", id)
	}
	name := ""
	if row.ev.Name != nil {
		name = *row.ev.Name
	}
	return sourcing.Result{Type: "event.deleted.logMsg", Description: fmt.Sprintf("The event %s was deleted.", name)}, nil
}

// ShowEvent implements GET /api/events/{id}.
func (s *sourcingServer) ShowEvent(ctx context.Context, req sourcing.ShowEventRequestObject) (sourcing.ShowEventResponseObject, error) {
	if n, ok := parseEventID(req.Id); ok {
		if row, ok := s.m.st(ctx).events().get(n); ok {
			return sourcing.ShowEvent200JSONResponse(row.ev), nil
		}
	}
	return nil, notFound("no event has id %s", req.Id)
}

// UpdateEvent implements PUT /api/events/{id}.
func (s *sourcingServer) UpdateEvent(ctx context.Context, req sourcing.UpdateEventRequestObject) (sourcing.UpdateEventResponseObject, error) {
	if msg := nullIn(req.Body.Settings); msg != "" {
		return nil, badRequest("%s", msg)
	}
	if err := s.update(ctx, req.Id, req.Body, req.Body.MarketId); err != nil {
		return nil, err
	}
	return sourcing.UpdateEvent200JSONResponse{Result: []sourcing.Result{{Type: "api.put.updated", Description: "1 objects updated."}}, Updated: 1}, nil
}

// DeleteEvent implements DELETE /api/events/{id}.
func (s *sourcingServer) DeleteEvent(ctx context.Context, req sourcing.DeleteEventRequestObject) (sourcing.DeleteEventResponseObject, error) {
	res, err := s.remove(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return sourcing.DeleteEvent200JSONResponse{Result: []sourcing.Result{res}, Deleted: 1}, nil
}

// nullIn says where settings hold a null, at any depth: the schema allows
// free-form settings, and null values never appear in a response.
func nullIn(settings *sourcing.EventSettings) string {
	if settings == nil {
		return ""
	}
	var walk func(v any, path string) string
	walk = func(v any, path string) string {
		switch x := v.(type) {
		case nil:
			return path + ": null values are not allowed"
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				if msg := walk(x[k], path+"."+k); msg != "" {
					return msg
				}
			}
		case []any:
			for i, e := range x {
				if msg := walk(e, fmt.Sprintf("%s[%d]", path, i)); msg != "" {
					return msg
				}
			}
		}
		return ""
	}
	return walk(map[string]any(settings.AdditionalProperties), "settings")
}

// idIn returns the id an invalid item names, if it names one that is a
// valid event id, for the failure report.
func idIn(raw json.RawMessage) *string {
	var v struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	if s, ok := v.ID.(string); ok {
		if _, ok := parseEventID(s); ok {
			return &s
		}
	}
	return nil
}

func errText(err error) string {
	var ae *apiError
	if errors.As(err, &ae) && len(ae.msgs) > 0 {
		return ae.msgs[0]
	}
	return err.Error()
}

// applyEvent copies into an event what an update sent: every element but
// id and event-number (the server's) and market-id (set once).
func applyEvent(ev *sourcing.Event, u *sourcing.EventUpdate) {
	setPtr(&ev.Description, u.Description)
	setPtr(&ev.Name, u.Name)
	setPtr(&ev.ReferenceNumber, u.ReferenceNumber)
	setPtr(&ev.Settings, u.Settings)
	setPtr(&ev.State, u.State)
	setPtr(&ev.TimeZone, u.TimeZone)
}

// bulkUpdate is an item of a bulk update as a single update.
func bulkUpdate(item *sourcing.EventBulkUpdateItem) *sourcing.EventUpdate {
	return &sourcing.EventUpdate{Description: item.Description, EventNumber: item.EventNumber, Id: &item.Id, MarketId: item.MarketId,
		Name: item.Name, ReferenceNumber: item.ReferenceNumber, Settings: item.Settings, State: item.State, TimeZone: item.TimeZone}
}
