package mock_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/fixtures"
	"github.com/coupakit/coupakit/mock"
)

type event map[string]any

type eventList struct {
	Total  int     `json:"total"`
	Events []event `json:"events"`
}

type bulkResult struct {
	Result []struct {
		Type        string  `json:"type"`
		Description string  `json:"description"`
		Index       *int    `json:"index"`
		ID          *string `json:"id"`
	} `json:"result"`
	Added   *int `json:"added"`
	Updated *int `json:"updated"`
	Deleted *int `json:"deleted"`
	Events  []struct {
		ID string `json:"id"`
	} `json:"events"`
}

func events(items ...any) map[string]any { return map[string]any{"events": items} }

func TestEventsLifecycle(t *testing.T) {
	_, _, s := newMock(t, mock.Options{Seed: 1, Records: 5})

	var list eventList
	s.do("GET", "/api/events", nil).expect(t, 200).decode(t, &list)
	assert.Equal(t, 5, list.Total)
	require.Len(t, list.Events, 5)
	for _, ev := range list.Events {
		id, ok := ev["id"].(string)
		require.True(t, ok, "ids are strings: %v", ev["id"])
		assert.Len(t, id, 19)
	}

	// Create two events, as the seed's example does.
	resp := s.do("POST", "/api/events", events(
		map[string]any{"market-id": "9220538753220565329", "name": "IT Hardware and Services 2021", "description": "direct Services", "reference-number": "DEMO-ref1", "settings": map[string]any{"currency": "USD"}},
		map[string]any{"market-id": "9220538753220565329", "state": "Active", "name": "Services ONLY", "time-zone": "Europe/Stockholm", "settings": map[string]any{"currency": "EUR"}},
	)).expect(t, 201)
	var created bulkResult
	resp.decode(t, &created)
	require.NotNil(t, created.Added)
	assert.Equal(t, 2, *created.Added)
	require.Len(t, created.Result, 1)
	assert.Equal(t, "api.post.added", created.Result[0].Type)
	assert.Equal(t, "2 objects created.", created.Result[0].Description)
	require.Len(t, created.Events, 2)
	assert.Contains(t, string(resp.body), `"id":"`+created.Events[0].ID+`"`, "ids are sent as JSON strings")

	var first, second event
	s.do("GET", "/api/events/"+created.Events[0].ID, nil).expect(t, 200).decode(t, &first)
	s.do("GET", "/api/events/"+created.Events[1].ID, nil).expect(t, 200).decode(t, &second)
	assert.Equal(t, "Setup", first["state"], "state defaults to Setup")
	assert.Equal(t, "Active", second["state"])
	assert.Equal(t, "DEMO-ref1", first["reference-number"])
	assert.Equal(t, map[string]any{"currency": "USD"}, first["settings"])
	assert.NotContains(t, first, "time-zone", "null values are left out")
	n1, n2 := first["event-number"].(float64), second["event-number"].(float64)
	assert.Greater(t, n2, n1, "event-number is increasing")
	for _, ev := range list.Events {
		assert.Greater(t, n1, ev["event-number"].(float64), "event-number is above every existing one")
	}

	// Lenient bulk update: the valid item is applied, the invalid one reported.
	var updated bulkResult
	s.do("PUT", "/api/events", events(
		map[string]any{"id": created.Events[0].ID, "state": "Active", "name": "IT Hardware and Services 2021-ABC"},
		map[string]any{"id": created.Events[1].ID, "state": "Aktiv"},
	)).expect(t, 200).decode(t, &updated)
	require.NotNil(t, updated.Updated)
	assert.Equal(t, 1, *updated.Updated)
	require.Len(t, updated.Result, 2)
	assert.Equal(t, "api.put.updated", updated.Result[0].Type)
	assert.Equal(t, "1 objects updated.", updated.Result[0].Description)
	assert.Equal(t, "api.put.failed", updated.Result[1].Type)
	require.NotNil(t, updated.Result[1].Index)
	assert.Equal(t, 1, *updated.Result[1].Index)
	assert.Contains(t, updated.Result[1].Description, "Setup, Active, Terminated")
	s.do("GET", "/api/events/"+created.Events[0].ID, nil).expect(t, 200).decode(t, &first)
	assert.Equal(t, "IT Hardware and Services 2021-ABC", first["name"])
	assert.Equal(t, "DEMO-ref1", first["reference-number"], "elements not sent stay")
	s.do("GET", "/api/events/"+created.Events[1].ID, nil).expect(t, 200).decode(t, &second)
	assert.Equal(t, "Active", second["state"], "the failed item changed nothing")

	// event-number and id cannot be changed; market-id only to itself.
	var one bulkResult
	s.do("PUT", "/api/events/"+created.Events[0].ID, map[string]any{"event-number": 1, "id": "1", "market-id": "9220538753220565329", "description": "same market"}).expect(t, 200).decode(t, &one)
	assert.Equal(t, 1, *one.Updated)
	var again event
	s.do("GET", "/api/events/"+created.Events[0].ID, nil).expect(t, 200).decode(t, &again)
	assert.Equal(t, first["event-number"], again["event-number"])
	assert.Equal(t, "same market", again["description"])
	msgs := s.do("PUT", "/api/events/"+created.Events[0].ID, map[string]any{"market-id": "1"}).expect(t, 400).errors(t)
	assert.True(t, anyContains(msgs, "market-id", "cannot be changed"), "%v", msgs)
	s.do("PUT", "/api/events/1234", map[string]any{"name": "x"}).expect(t, 404)

	// Delete in bulk, then one by one.
	var deleted bulkResult
	s.do("DELETE", "/api/events", events(map[string]any{"id": created.Events[0].ID}, map[string]any{"id": "42"})).expect(t, 200).decode(t, &deleted)
	assert.Equal(t, 1, *deleted.Deleted)
	assert.Equal(t, "event.deleted.logMsg", deleted.Result[0].Type)
	assert.Equal(t, "The event IT Hardware and Services 2021-ABC was deleted.", deleted.Result[0].Description)
	assert.Equal(t, "api.delete.failed", deleted.Result[1].Type)
	s.do("GET", "/api/events/"+created.Events[0].ID, nil).expect(t, 404)
	s.do("DELETE", "/api/events/"+created.Events[1].ID, nil).expect(t, 200).decode(t, &deleted)
	assert.Equal(t, 1, *deleted.Deleted)
	s.do("DELETE", "/api/events/"+created.Events[1].ID, nil).expect(t, 404)
	s.do("GET", "/api/events", nil).expect(t, 200).decode(t, &list)
	assert.Equal(t, 5, list.Total)

	// A 19-digit id beyond int64 is valid in form and names no event.
	s.do("GET", "/api/events/9999999999999999999", nil).expect(t, 404)
	s.do("GET", "/api/events/12ab", nil).expect(t, 400)
}

// TestEventsBulkValidation runs in strict mode, where unknown keys and
// numbers for strings are 400s too (leniency_test.go has the lenient
// answers).
func TestEventsBulkValidation(t *testing.T) {
	_, _, s := newMock(t, mock.Options{Seed: 1, Records: 3, Strict: true})
	total := func() int {
		var list eventList
		s.do("GET", "/api/events", nil).expect(t, 200).decode(t, &list)
		return list.Total
	}
	cases := []struct {
		name   string
		method string
		body   any
		want   []string
	}{
		{"market-id required", "POST", events(map[string]any{"name": "x"}), []string{"events[0]", "market-id", "required"}},
		{"translated state", "POST", events(map[string]any{"market-id": "1", "state": "Einrichtung"}), []string{"state", "Setup, Active, Terminated"}},
		{"wrong case state", "POST", events(map[string]any{"market-id": "1", "state": "setup"}), []string{"state", "allowed values"}},
		{"translated key", "POST", events(map[string]any{"market-id": "1", "Name": "x"}), []string{"Name"}},
		{"currency not a code", "POST", events(map[string]any{"market-id": "1", "settings": map[string]any{"currency": "Euro"}}), []string{"settings.currency"}},
		{"wrong type", "POST", events(map[string]any{"market-id": 5}), []string{"market-id", "string"}},
		{"item not an object", "POST", events("x"), []string{"events[0]"}},
		{"no events", "POST", map[string]any{"events": []any{}}, []string{"events"}},
		{"events missing", "POST", map[string]any{}, []string{"events", "required"}},
		{"unknown envelope key", "POST", map[string]any{"events": []any{map[string]any{"market-id": "1"}}, "hinzugefügt": 1}, []string{"hinzugefügt"}},
		{"malformed JSON", "POST", `{"events": [`, []string{"JSON"}},
		{"update without id", "PUT", events(map[string]any{"name": "x"}), []string{"events[0]", "id", "required"}},
		{"update unknown id", "PUT", events(map[string]any{"id": "1", "name": "x"}), []string{"events[0]", "no event has id 1"}},
		{"delete without id", "DELETE", events(map[string]any{}), []string{"events[0]", "id", "required"}},
		{"delete bad id", "DELETE", events(map[string]any{"id": 12}), []string{"events[0]", "id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := total()
			msgs := s.do(tc.method, "/api/events", tc.body).expect(t, 400).errors(t)
			assert.True(t, anyContains(msgs, tc.want...), "want %v in %v", tc.want, msgs)
			assert.Equal(t, before, total(), "nothing stored or deleted")
		})
	}

	t.Run("one bad item does not reject the others", func(t *testing.T) {
		before := total()
		var res bulkResult
		s.do("POST", "/api/events", events(
			map[string]any{"market-id": "1", "name": "good"},
			map[string]any{"market-id": "1", "state": "Einrichtung"},
			map[string]any{"name": "no market"},
		)).expect(t, 201).decode(t, &res)
		assert.Equal(t, 1, *res.Added)
		require.Len(t, res.Events, 1)
		require.Len(t, res.Result, 3)
		assert.Equal(t, 1, *res.Result[1].Index)
		assert.Equal(t, 2, *res.Result[2].Index)
		assert.Equal(t, before+1, total())
	})

	t.Run("allowed states accepted and read back", func(t *testing.T) {
		for _, st := range []string{"Setup", "Active", "Terminated"} {
			var res bulkResult
			s.do("POST", "/api/events", events(map[string]any{"market-id": "7", "state": st})).expect(t, 201).decode(t, &res)
			var ev event
			s.do("GET", "/api/events/"+res.Events[0].ID, nil).expect(t, 200).decode(t, &ev)
			assert.Equal(t, st, ev["state"])
		}
	})
}

func TestEventsListPagingAndFilters(t *testing.T) {
	_, _, s := newMock(t, mock.Options{Seed: 5, Records: 300})
	var page eventList
	s.do("GET", "/api/events", nil).expect(t, 200).decode(t, &page)
	assert.Equal(t, 300, page.Total)
	assert.Len(t, page.Events, 250, "at most 250 events per call")
	s.do("GET", "/api/events?limit=1000", nil).expect(t, 200).decode(t, &page)
	assert.Len(t, page.Events, 250)
	s.do("GET", "/api/events?offset=250", nil).expect(t, 200).decode(t, &page)
	assert.Len(t, page.Events, 50)
	assert.Equal(t, 300, page.Total, "total counts every match, on every page")

	seen := map[string]bool{}
	for offset := 0; offset < 300; offset += 40 {
		s.do("GET", fmt.Sprintf("/api/events?limit=40&offset=%d", offset), nil).expect(t, 200).decode(t, &page)
		for _, ev := range page.Events {
			id := ev["id"].(string)
			assert.False(t, seen[id], "pages overlap at %s", id)
			seen[id] = true
		}
	}
	assert.Len(t, seen, 300)

	var active eventList
	s.do("GET", "/api/events?state=Active", nil).expect(t, 200).decode(t, &active)
	require.NotZero(t, active.Total)
	assert.Less(t, active.Total, 300)
	for _, ev := range active.Events {
		assert.Equal(t, "Active", ev["state"])
	}
	msgs := s.do("GET", "/api/events?nosuch=1", nil).expect(t, 400).errors(t)
	assert.True(t, anyContains(msgs, "nosuch"), "%v", msgs)
}

func TestEventIDsBeyondFloat64(t *testing.T) {
	_, _, s := newMock(t, mock.Options{Seed: 1, Records: 2})
	var res bulkResult
	s.do("POST", "/api/events", events(map[string]any{"market-id": "9220538753220565329"}, map[string]any{"market-id": "9220538753220565329"})).expect(t, 201).decode(t, &res)
	require.Len(t, res.Events, 2)
	a, b := res.Events[0].ID, res.Events[1].ID
	assert.NotEqual(t, a, b)
	var fa, fb float64
	require.NoError(t, json.Unmarshal([]byte(a), &fa))
	require.NoError(t, json.Unmarshal([]byte(b), &fb))
	assert.Equal(t, fa, fb, "adjacent ids collide as float64: the reason they are strings")
	assert.True(t, strings.HasPrefix(a, "922"), a)
}

// TestSeedExamples replays the seed page's create, update and delete
// examples: the answers are the page's, but for the new ids.
func TestSeedExamples(t *testing.T) {
	_, _, s := newMock(t, mock.Options{Seed: 1, Records: 5})
	var created, want map[string]any
	s.do("POST", "/api/events", string(fixtures.MustSeed("events_create_request"))).expect(t, 201).decode(t, &created)
	require.NoError(t, json.Unmarshal(fixtures.MustSeed("events_create_response"), &want))
	ids := created["events"].([]any)
	require.Len(t, ids, 2)
	newIDs := []string{ids[0].(map[string]any)["id"].(string), ids[1].(map[string]any)["id"].(string)}
	want["events"] = []any{map[string]any{"id": newIDs[0]}, map[string]any{"id": newIDs[1]}}
	assert.Equal(t, want, created)

	// The page's update and delete name the page's ids: use the new ones.
	replay := func(method, req, resp string, status int) {
		body := strings.NewReplacer("9220538753252871154", newIDs[0], "9220538753252871160", newIDs[1]).Replace(string(fixtures.MustSeed(req)))
		var got, want map[string]any
		s.do(method, "/api/events", body).expect(t, status).decode(t, &got)
		require.NoError(t, json.Unmarshal(fixtures.MustSeed(resp), &want))
		assert.Equal(t, want, got, "%s %s", method, req)
	}
	replay("PUT", "events_update_request", "events_update_response", 200)
	replay("DELETE", "events_delete_request", "events_delete_response", 200)
	var ev event
	s.do("GET", "/api/events/"+newIDs[1], nil).expect(t, 200).decode(t, &ev)
	assert.Equal(t, "Services channges ONLY", ev["name"])
	assert.Equal(t, "Europe/Stockholm", ev["time-zone"])
}

func TestEventSettingsNeverHoldNull(t *testing.T) {
	_, _, s := newMock(t, mock.Options{Seed: 1, Records: 1})
	for _, settings := range []any{
		map[string]any{"x": nil},
		map[string]any{"y": map[string]any{"z": nil}},
		map[string]any{"y": []any{1, nil}},
	} {
		msgs := s.do("POST", "/api/events", events(map[string]any{"market-id": "1", "settings": settings})).expect(t, 400).errors(t)
		assert.True(t, anyContains(msgs, "settings", "null"), "%v", msgs)
		msgs = s.do("PUT", "/api/events/9220538753252871000", map[string]any{"settings": settings}).expect(t, 400).errors(t)
		assert.True(t, anyContains(msgs, "settings", "null"), "%v", msgs)
	}
	var res bulkResult
	s.do("POST", "/api/events", events(map[string]any{"market-id": "1", "settings": map[string]any{"currency": "USD", "rounds": []any{1, "two"}}})).expect(t, 201).decode(t, &res)
	var ev event
	s.do("GET", "/api/events/"+res.Events[0].ID, nil).expect(t, 200).decode(t, &ev)
	assert.Equal(t, map[string]any{"currency": "USD", "rounds": []any{float64(1), "two"}}, ev["settings"], "other settings are kept as sent")
}
