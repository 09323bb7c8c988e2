package proxy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/proxy"
)

// client is an integration talking to the APIs through the proxy.
type client struct {
	t              *testing.T
	core, sourcing string
	token          string
}

func (c *client) call(method, url string, header http.Header, body string, want int) got {
	c.t.Helper()
	h := http.Header{"Accept": {"application/json"}}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	if c.token != "" && strings.HasPrefix(url, c.core) {
		h.Set("Authorization", "Bearer "+c.token)
	}
	if strings.HasPrefix(url, c.sourcing) {
		h.Set("X-CSO-API-KEY", auth.DefaultCSOAPIKey)
	}
	for k, v := range header {
		h[k] = v
	}
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	g := send(c.t, method, url, h, b)
	if g.status != want {
		c.t.Fatalf("%s %s: %d %s; want %d", method, url, g.status, g.body, want)
	}
	return g
}

func (c *client) object(g got) map[string]any {
	c.t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(g.body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		c.t.Fatalf("%v: %s", err, g.body)
	}
	return v
}

// TestIntegrationRecordsWithoutViolations drives an integration's valid
// calls through the proxy, recording: token, integrations, a run from
// pending to success, incremental polling, paging, an error created and
// resolved, XML, events created, found, updated and deleted. None is a
// violation; the recording holds the records seen, each as the upstream
// shows it now, no deleted event, and no credential.
func TestIntegrationRecordsWithoutViolations(t *testing.T) {
	st := newMockStack(t, proxy.Options{Record: true})
	c := &client{t: t, core: st.coreURL, sourcing: st.csoURL}

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {auth.DefaultClientID},
		"client_secret": {auth.DefaultClientSecret}, "scope": {"core.integration.read core.integration.write"}}
	tok := c.call("POST", c.core+"/oauth2/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form.Encode(), 200)
	c.token = c.object(tok)["access_token"].(string)

	var ins []map[string]any
	dec := json.NewDecoder(bytes.NewReader(c.call("GET", c.core+"/api/integrations?limit=2", nil, "", 200).body))
	dec.UseNumber()
	if err := dec.Decode(&ins); err != nil {
		t.Fatal(err)
	}
	code := ins[0]["code"].(string)
	run := c.object(c.call("POST", c.core+"/api/integration_runs", nil, `{"integration": {"code": "`+code+`"}}`, 201))
	runID := run["id"].(json.Number).String()
	c.call("PUT", c.core+"/api/integration_runs/"+runID+"/run", nil, `{"total-records": 2}`, 200)
	c.call("GET", c.core+"/api/integration_errors?resolved=false&integration%5Bcode%5D="+code+"&updated-at%5Bgt%5D=2020-01-01T00:00:00%2B00:00&order_by=updated_at", nil, "", 200)
	c.call("GET", c.core+"/api/integration_errors?limit=50&offset=0", nil, "", 200)
	c.call("GET", c.core+"/api/integration_errors?limit=50&offset=50", nil, "", 200)
	ie := c.object(c.call("POST", c.core+"/api/integration_errors", nil, fmt.Sprintf(`{"contact-alert-type": "Technical", "document-type": "InvoiceHeader",
		"document-id": 4711, "external-id": "SAP-INV-4711", "status": "error", "integration": {"code": %q}, "integration-run-id": %s,
		"responses": [{"response-code": "E-042", "response-message": "Cost center 4100 is blocked."}]}`, code, runID), 201))
	ieID := ie["id"].(json.Number).String()
	c.call("PUT", c.core+"/api/integration_errors/"+ieID+"/resolve", nil, "", 200)
	c.call("GET", c.core+"/api/integration_history_records?limit=3", http.Header{"Accept": {"application/xml"}}, "", 200)
	c.call("GET", c.core+"/api/integration_runs/1", http.Header{"Accept": {"application/xml"}}, "", 200)
	// Quality values count, as the mock and Coupa weigh them: JSON, then XML.
	c.call("GET", c.core+"/api/integration_runs/1", http.Header{"Accept": {"application/xml;q=0.1, application/json"}}, "", 200)
	c.call("GET", c.core+"/api/integration_runs/1", http.Header{"Accept": {"application/json;q=0.1, application/xml"}}, "", 200)
	c.call("GET", c.core+"/api/integration_history_records?fields=%5B%22id%22%5D&limit=3", nil, "", 200)
	c.call("PUT", c.core+"/api/integration_runs/"+runID+"/success", nil, "", 200)

	created := c.object(c.call("POST", c.sourcing+"/api/events", nil, `{"events": [
		{"market-id": "9220538753220565329", "name": "IT Hardware and Services 2021", "settings": {"currency": "USD"}},
		{"market-id": "9220538753220565329", "state": "Setup", "name": "Services ONLY", "time-zone": "Europe/Stockholm"}]}`, 201))
	refs := created["events"].([]any)
	keep, gone := refs[0].(map[string]any)["id"].(string), refs[1].(map[string]any)["id"].(string)
	c.call("GET", c.sourcing+"/api/events?name%5Bcontains%5D=Services", nil, "", 200)
	c.call("PUT", c.sourcing+"/api/events/"+keep, nil, `{"name": "IT Hardware 2022"}`, 200)
	c.call("GET", c.sourcing+"/api/events/"+keep, nil, "", 200)
	c.call("DELETE", c.sourcing+"/api/events/"+gone, nil, "", 200)
	// A bulk delete of a listed event and an unknown one: the first is
	// deleted, the second reported as failed.
	var page struct {
		Events []map[string]any `json:"events"`
	}
	if err := json.Unmarshal(c.call("GET", c.sourcing+"/api/events?limit=3", nil, "", 200).body, &page); err != nil || len(page.Events) < 2 {
		t.Fatalf("events page: %v", err)
	}
	bulkGone := page.Events[0]["id"].(string)
	if bulkGone == keep {
		bulkGone = page.Events[1]["id"].(string)
	}
	c.call("DELETE", c.sourcing+"/api/events", nil, `{"events": [{"id": "`+bulkGone+`"}, {"id": "9220538753252871999"}]}`, 200)

	if vs := st.proxy.Violations(); len(vs) != 0 {
		for _, v := range vs {
			t.Errorf("%s %s %s?%s: %s [%s]", v.Rule, v.Request.Method, v.Request.Path, v.Request.Query, v.Message, v.Spec)
		}
	}

	file := filepath.Join(t.TempDir(), "fixtures.json")
	if err := st.proxy.WriteFixturesFile(file); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{c.token, auth.DefaultClientSecret, auth.DefaultCSOAPIKey, "access_token"} {
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("the recording holds %q", secret)
		}
	}
	fixtures := loadFixtures(t, data)
	ids := func(res string) []string {
		var out []string
		for _, rec := range fixtures[res] {
			out = append(out, idOf(rec))
		}
		return out
	}
	for res, want := range map[string][]string{
		"integrations":     {ins[0]["id"].(json.Number).String(), ins[1]["id"].(json.Number).String()},
		"integration_runs": {runID, "1"}, "integration_errors": {ieID}, "events": {keep},
		"integration_history_records": {"1", "2", "3"}, // seen in XML only
	} {
		for _, id := range want {
			if !slices.Contains(ids(res), id) {
				t.Errorf("%s: %s not recorded (%v)", res, id, ids(res))
			}
		}
	}
	for _, id := range []string{gone, bulkGone} {
		if slices.Contains(ids("events"), id) {
			t.Errorf("the deleted event %s is recorded", id)
		}
	}
	if len(fixtures["events"]) < 2 {
		t.Errorf("events recorded: %v", ids("events"))
	}
	if len(fixtures["integration_errors"]) < 25 {
		t.Errorf("only %d integration errors recorded; the lists showed more", len(fixtures["integration_errors"]))
	}
	// Each record is as the upstream shows it now.
	for _, res := range proxy.FixtureResources {
		for _, rec := range fixtures[res] {
			base := st.upCore
			h := http.Header{"Accept": {"application/json"}, "Authorization": {"Bearer " + c.token}}
			if res == "events" {
				base, h = st.upSrc, http.Header{"X-CSO-API-KEY": {auth.DefaultCSOAPIKey}}
			}
			now := send(t, "GET", base+"/api/"+res+"/"+idOf(rec), h, nil)
			var want map[string]any
			dec := json.NewDecoder(bytes.NewReader(now.body))
			dec.UseNumber()
			if err := dec.Decode(&want); err != nil {
				t.Fatalf("%s %s: %v %s", res, idOf(rec), err, now.body)
			}
			if diff := cmp.Diff(want, rec, sameInstant); diff != "" {
				t.Errorf("%s %s: recorded mismatch (-upstream +recorded):\n%s", res, idOf(rec), diff)
			}
		}
	}
}

// sameInstant compares strings, and datetimes as instants: a record seen
// only in XML is recorded with the XML's offset (+00:00), which the mock's
// JSON writes as Z.
var sameInstant = cmp.Comparer(func(a, b string) bool {
	if a == b {
		return true
	}
	ta, errA := time.Parse(time.RFC3339, a)
	tb, errB := time.Parse(time.RFC3339, b)
	return errA == nil && errB == nil && ta.Equal(tb)
})

// loadFixtures reads a fixtures file as the shared format says: one JSON
// object, "version": 1, and only the resources' plural names as other keys,
// each a list of records with ids (19-digit event ids as strings).
func loadFixtures(t *testing.T, data []byte) map[string][]map[string]any {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("not a JSON object: %v", err)
	}
	if string(raw["version"]) != "1" {
		t.Errorf("version %s", raw["version"])
	}
	out := map[string][]map[string]any{}
	for key, val := range raw {
		if key == "version" {
			continue
		}
		if !slices.Contains(proxy.FixtureResources, key) {
			t.Errorf("unknown key %q", key)
			continue
		}
		var list []map[string]any
		dec := json.NewDecoder(bytes.NewReader(val))
		dec.UseNumber()
		if err := dec.Decode(&list); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		for _, rec := range list {
			if _, ok := rec["id"]; !ok {
				t.Errorf("%s: a record without id: %v", key, rec)
			}
			if _, isString := rec["id"].(string); key == "events" && !isString {
				t.Errorf("events: id %v is not a string", rec["id"])
			}
		}
		out[key] = list
	}
	return out
}

func idOf(rec map[string]any) string { return fmt.Sprint(rec["id"]) }
