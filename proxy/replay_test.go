package proxy_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/proxy"
)

// TestRecordThenServe: the proxy records a session in front of the mock,
// is stopped, and a fresh mock loads the recording (mock.Options.DataFile,
// what serve --data does) with no seeded records: every GET gives back the
// records the session saw, as the upstream showed them, and nothing else.
func TestRecordThenServe(t *testing.T) {
	st := newMockStack(t, proxy.Options{Record: true})
	c := &client{t: t, core: st.coreURL, sourcing: st.csoURL}
	c.token = c.object(c.call("POST", st.coreURL+"/oauth2/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		"grant_type=client_credentials&client_id="+auth.DefaultClientID+"&client_secret="+auth.DefaultClientSecret+"&scope=core.integration.read+core.integration.write", 200))["access_token"].(string)
	c.call("GET", st.coreURL+"/api/integration_errors?limit=4", nil, "", 200)
	c.call("GET", st.coreURL+"/api/integrations/2", nil, "", 200)
	c.call("GET", st.coreURL+"/api/integration_history_records/3", http.Header{"Accept": {"application/xml"}}, "", 200)
	created := c.object(c.call("POST", st.csoURL+"/api/events", nil, `{"events": [{"market-id": "9220538753220565329", "name": "Replayed", "settings": {"currency": "USD"}}]}`, 201))
	eventID := created["events"].([]any)[0].(map[string]any)["id"].(string)
	c.call("GET", st.csoURL+"/api/events/"+eventID, nil, "", 200)
	if vs := st.proxy.Violations(); len(vs) != 0 {
		t.Fatalf("%d violations, the first: %+v", len(vs), vs[0])
	}
	st.proxy.Close() // stopped: what it saw is final
	file := filepath.Join(t.TempDir(), "session.json")
	if err := st.proxy.WriteFixturesFile(file); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fixtures := loadFixtures(t, data)
	wantCounts := map[string]int{"integration_errors": 4, "integrations": 1, "integration_history_records": 1, "events": 1}
	for res, n := range wantCounts {
		if len(fixtures[res]) != n {
			t.Errorf("%s: %d recorded, want %d", res, len(fixtures[res]), n)
		}
	}

	m, err := mock.New(mock.Options{Seed: 7, Records: 0, DataFile: file})
	if err != nil {
		t.Fatalf("mock.New with the recording: %v", err)
	}
	coreSrv, csoSrv := httptest.NewServer(m.CoreHandler()), httptest.NewServer(m.SourcingHandler())
	defer coreSrv.Close()
	defer csoSrv.Close()
	accept := http.Header{"Accept": {"application/json"}}
	for _, res := range proxy.FixtureResources {
		base := coreSrv.URL
		if res == "events" {
			base = csoSrv.URL
		}
		// The list holds the records seen, and only them.
		list := send(t, "GET", base+"/api/"+res+"?limit=50", accept, nil)
		records := decodeList(t, res, list)
		if len(fixtures[res]) == 0 {
			if list.status != http.StatusOK && list.status != http.StatusNotFound || len(records) != 0 {
				t.Errorf("%s: nothing recorded, the replay lists %d (%d)", res, len(records), list.status)
			}
			continue
		}
		if list.status != http.StatusOK || len(records) != len(fixtures[res]) {
			t.Errorf("%s: the replay lists %d records (%d), %d were recorded", res, len(records), list.status, len(fixtures[res]))
		}
		for _, rec := range fixtures[res] {
			g := send(t, "GET", base+"/api/"+res+"/"+idOf(rec), accept, nil)
			if g.status != http.StatusOK {
				t.Errorf("%s %s: %d %s", res, idOf(rec), g.status, g.body)
				continue
			}
			got := decodeObject(t, g.body)
			if diff := cmp.Diff(rec, got, sameInstant); diff != "" {
				t.Errorf("%s %s: the replay differs from the recording (-recorded +replayed):\n%s", res, idOf(rec), diff)
			}
		}
	}
}

func decodeObject(t *testing.T, body []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return v
}

// decodeList reads a list answer: an array (Core) or {"events": [...]}.
func decodeList(t *testing.T, res string, g got) []map[string]any {
	t.Helper()
	if g.status != http.StatusOK {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(g.body))
	dec.UseNumber()
	if res == "events" {
		var page struct {
			Events []map[string]any `json:"events"`
		}
		if err := dec.Decode(&page); err != nil {
			t.Fatalf("%s: %v", res, err)
		}
		return page.Events
	}
	var out []map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("%s: %v: %.200s", res, err, g.body)
	}
	return out
}
