package mock_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/openapi"
)

// bodyOperations lists every operation of a spec that takes a request
// body, with its path's {id} filled by id.
func bodyOperations(t *testing.T, load func() (*openapi3.T, error), id string) (out [][3]string) {
	t.Helper()
	doc, err := load()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value.Content.Get("application/json") != nil {
				out = append(out, [3]string{op.OperationID, method, strings.ReplaceAll(path, "{id}", id)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// TestTrailingDataRefused: anything after the first JSON value is a 400 on
// every operation that takes a body, and nothing is stored.
func TestTrailingDataRefused(t *testing.T) {
	m, core, cso := newMock(t, mock.Options{Seed: 1, Records: 3})
	evs := firstEvents(t, cso)
	ops := len(bodyOperations(t, openapi.Core, "1")) + len(bodyOperations(t, openapi.Sourcing, evs[0].ID))
	if ops < 14 {
		t.Fatalf("%d operations take a body, want at least the 14 of the issue", ops)
	}
	for _, api := range []struct {
		c   *apiClient
		ops [][3]string
	}{{core, bodyOperations(t, openapi.Core, "1")}, {cso, bodyOperations(t, openapi.Sourcing, evs[0].ID)}} {
		for _, op := range api.ops {
			for _, trail := range []string{`{"x":`, ` x`, `[]`, `{"contact-alert-type":"Both"}`} {
				t.Run(op[0]+"/"+trail, func(t *testing.T) {
					before := len(m.Alerts())
					body := `{"contact-alert-type":"Technical"}` + trail
					if strings.Contains(op[2], "events") {
						body = `{"events":[{"id":"` + evs[0].ID + `","name":"Renamed"}]}` + trail
					}
					res := api.c.do(op[1], op[2], body).expect(t, http.StatusBadRequest)
					if !anyContains(res.errors(t), "data after the first JSON value") {
						t.Errorf("errors %q do not name the trailing data", res.errors(t))
					}
					if len(m.Alerts()) != before {
						t.Error("a refused request raised an alert")
					}
				})
			}
		}
	}
	var after struct {
		Name string `json:"name"`
	}
	cso.do("GET", "/api/events/"+evs[0].ID, nil).expect(t, http.StatusOK).decode(t, &after)
	if after.Name == "Renamed" {
		t.Error("a refused bulk update was stored")
	}
	core.do("GET", "/api/integration_errors/4", nil).expect(t, http.StatusNotFound)
}

type eventID struct {
	ID string `json:"id"`
}

// firstEvents lists the seeded events.
func firstEvents(t *testing.T, cso *apiClient) []eventID {
	t.Helper()
	var page struct {
		Events []eventID `json:"events"`
	}
	cso.do("GET", "/api/events", nil).expect(t, http.StatusOK).decode(t, &page)
	if len(page.Events) == 0 {
		t.Fatal("no events seeded")
	}
	return page.Events
}

// TestBodyStrictness: strings must be Unicode, integers must fit in 64 bits
// and are named exactly as sent, nesting is bounded.
func TestBodyStrictness(t *testing.T) {
	_, core, cso := newMock(t, mock.Options{Seed: 1, Records: 3})
	big := "9223372036854775808"
	tests := []struct {
		name       string
		c          *apiClient
		method     string
		path, body string
		want       []string
	}{
		{"lone high surrogate", core, "POST", "/api/integration_errors", `{"contact-alert-type":"Technical","external-id":"\ud800"}`, []string{`\ud800`, "lone surrogate"}},
		{"lone low surrogate", core, "PUT", "/api/integration_errors/1", `{"external-id":"a\uDC00b"}`, []string{`\uDC00`, "lone surrogate"}},
		{"high then not low", core, "POST", "/api/integration_errors", `{"contact-alert-type":"Technical","external-id":"\ud800\u0041"}`, []string{"lone surrogate"}},
		{"surrogate in event", cso, "PUT", "/api/events/1", `{"event":{"name":"\ud83d"}}`, []string{"lone surrogate"}},
		{"invalid UTF-8", core, "POST", "/api/integration_errors", "{\"contact-alert-type\":\"Technical\",\"external-id\":\"\xff\"}", []string{"not valid UTF-8"}},
		{"big in string field", core, "POST", "/api/integration_errors", `{"contact-alert-type":"Technical","responses":[{"response-code":` + big + `}]}`, []string{"responses[0].response-code", big}},
		{"big in integer field", core, "PUT", "/api/integration_errors/1", `{"document-id":` + big + `}`, []string{"document-id", big}},
		{"big negative", core, "PUT", "/api/integration_errors/1", `{"document-id":-9223372036854775809}`, []string{"-9223372036854775809"}},
		{"big in bulk item", cso, "POST", "/api/events", `{"events":[{"market-id":` + big + `,"name":"x"}]}`, []string{"events[0]", "market-id", big}},
		{"deep nesting", core, "PUT", "/api/integration_errors/1", strings.Repeat("[", 200) + strings.Repeat("]", 200), []string{"deeper than 100"}},
		{"unclosed", core, "PUT", "/api/integration_errors/1", `{"document-id":1`, []string{"not valid JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.c.do(tt.method, tt.path, tt.body).expect(t, http.StatusBadRequest)
			if !anyContains(res.errors(t), tt.want...) {
				t.Errorf("errors %q, want one containing %q", res.errors(t), tt.want)
			}
			if strings.Contains(string(res.body), "9223372036854776000") {
				t.Errorf("a number lost its digits: %s", res.body)
			}
		})
	}
	// A surrogate pair is a character, and an integer at the bound fits.
	var rec map[string]any
	core.do("PUT", "/api/integration_errors/1", `{"external-id":"\ud83d\ude00","document-id":9223372036854775807}`).expect(t, http.StatusOK).decode(t, &rec)
	if rec["external-id"] != "\U0001F600" {
		t.Errorf("external-id %q, want the emoji", rec["external-id"])
	}
}

// TestQueryReadWholeOrRefused: a query the mock cannot read completely is a
// 400, never a wider answer.
func TestQueryReadWholeOrRefused(t *testing.T) {
	_, core, cso := newMock(t, mock.Options{Seed: 1, Records: 5})
	many := strings.Repeat("x=1&", 10000) + "contact-alert-type=Both"
	tests := []struct {
		name string
		c    *apiClient
		path string
		want string
	}{
		{"semicolon", core, "/api/integration_errors?contact-alert-type=Both;x=1", "semicolon"},
		{"semicolon in name", core, "/api/integration_errors?a;b=1&contact-alert-type=Both", "semicolon"},
		{"bad escape", core, "/api/integration_errors?nope=%zz", "percent-escape"},
		{"lone percent", core, "/api/integration_runs?status=%", "percent-escape"},
		{"too many", core, "/api/integration_errors?" + many, "parameters"},
		{"a thousand and one", core, "/api/integrations?" + strings.Repeat("a=1&", 1001), "parameters"},
		{"not UTF-8", core, "/api/integration_errors?external-id=%ff", "UTF-8"},
		{"sourcing semicolon", cso, "/api/events?state=Setup;x=1", "semicolon"},
		{"on a show", core, "/api/integration_errors/1?fields=%zz", "percent-escape"},
		// With a name the leniency layer respells: the query it would
		// rewrite is the part it could read, without the filter.
		{"semicolon, order_by respelt", core, "/api/integration_errors?status=error;x=1&order_by=created_at", "semicolon"},
		{"bad escape, order_by respelt", core, "/api/integration_errors?status=%zz&order_by=created_at", "percent-escape"},
		{"bad escape, fields respelt", core, "/api/integration_errors?status=%zz&fields=%5B%22id%22%2C%22document_type%22%5D", "percent-escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.c.do("GET", tt.path, nil).expect(t, http.StatusBadRequest)
			if !anyContains(res.errors(t), tt.want) {
				t.Errorf("errors %q, want one naming %q", res.errors(t), tt.want)
			}
		})
	}
	// What ParseValues reads, the filters read the same.
	var list []map[string]any
	core.do("GET", "/api/integration_errors?contact-alert-type=Both&x=%3B", nil).expect(t, http.StatusBadRequest)
	core.do("GET", "/api/integration_errors?contact-alert-type=Both", nil).expect(t, http.StatusOK).decode(t, &list)
	for _, rec := range list {
		if rec["contact-alert-type"] != "Both" {
			t.Errorf("filter dropped: %v", rec["contact-alert-type"])
		}
	}
}

// TestCanonicalIDs: only an id written canonically is an id, on every {id}
// route, writes included.
func TestCanonicalIDs(t *testing.T) {
	_, core, cso := newMock(t, mock.Options{Seed: 1, Records: 3})
	evs := firstEvents(t, cso)
	doc, err := openapi.Core()
	if err != nil {
		t.Fatal(err)
	}
	type route struct {
		c            *apiClient
		method, path string
	}
	var routes []route
	for path, item := range doc.Paths.Map() {
		if !strings.Contains(path, "{id}") {
			continue
		}
		for method := range item.Operations() {
			routes = append(routes, route{core, method, path})
		}
	}
	routes = append(routes, route{cso, "GET", "/api/events/{id}"}, route{cso, "PUT", "/api/events/{id}"})
	for _, rt := range routes {
		canonical := "1"
		if rt.c == cso {
			canonical = evs[0].ID
		}
		for _, id := range []string{"+" + canonical, "0" + canonical, "%2B" + canonical, "00" + canonical} {
			t.Run(rt.method+" "+rt.path+" "+id, func(t *testing.T) {
				body := any(nil)
				if rt.method == "PUT" || rt.method == "PATCH" || rt.method == "POST" {
					body = "{}"
				}
				res := rt.c.do(rt.method, strings.Replace(rt.path, "{id}", id, 1), body).expect(t, http.StatusBadRequest)
				if !anyContains(res.errors(t), "is not an id", "canonical") {
					t.Errorf("errors %q", res.errors(t))
				}
			})
		}
	}
	core.do("GET", "/api/integration_errors/1", nil).expect(t, http.StatusOK)
	cso.do("GET", "/api/events/"+evs[0].ID, nil).expect(t, http.StatusOK)
	// Not numbers at all: the validator's own words.
	res := core.do("GET", "/api/integration_errors/9223372036854775808", nil).expect(t, http.StatusBadRequest)
	if !anyContains(res.errors(t), "9223372036854775808") {
		t.Errorf("errors %q do not name the id exactly", res.errors(t))
	}
}

// TestBodyBoundLenient: in lenient mode too, where the leniency layer
// reads the body first and the validation layer takes what it read, a body
// of exactly MaxBodyBytes is read whole and stored as sent, one byte more
// is a 413, and a body the leniency layer rewrites is stored rewritten.
func TestBodyBoundLenient(t *testing.T) {
	const limit = 2048
	_, core, _ := newMock(t, mock.Options{Seed: 1, Records: 2, MaxBodyBytes: limit})
	code := integrationCode(t, core)
	good, err := json.Marshal(validError(code))
	if err != nil {
		t.Fatal(err)
	}
	pad := func(body []byte, n int) string { return string(body) + strings.Repeat(" ", n-len(body)) }

	var rec map[string]any
	res := core.do("POST", "/api/integration_errors", pad(good, limit)).expect(t, http.StatusCreated)
	res.decode(t, &rec)
	if rec["external-id"] != "TEST-4711" || rec["document-id"] != float64(4711) {
		t.Errorf("stored %v, want the body as sent", rec)
	}
	if w := res.header.Values(mock.WarningHeader); len(w) != 0 {
		t.Errorf("warnings %q for a body as the spec spells it", w)
	}

	res = core.do("POST", "/api/integration_errors", pad(good, limit+1)).expect(t, http.StatusRequestEntityTooLarge)
	if !anyContains(res.errors(t), "larger than 2048 bytes") {
		t.Errorf("errors %q do not name the bound", res.errors(t))
	}

	respelt := bytes.Replace(good, []byte(`"external-id"`), []byte(`"external_id"`), 1)
	res = core.do("POST", "/api/integration_errors", pad(respelt, limit)).expect(t, http.StatusCreated)
	rec = nil
	res.decode(t, &rec)
	if rec["external-id"] != "TEST-4711" {
		t.Errorf("stored %v, want external_id read as external-id", rec)
	}
	if w := res.header.Values(mock.WarningHeader); len(w) != 1 || !strings.Contains(w[0], `"external_id" read as "external-id"`) {
		t.Errorf("warnings %q, want the respelling", w)
	}
}
