package mock_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/internal/admintest"
	"github.com/coupakit/coupakit/mock"
)

// stateClient reads and writes a mock's state over loopback, validating
// every answer against admin.yaml.
type stateClient struct {
	t    *testing.T
	spec *admintest.Spec
	srv  *httptest.Server
}

func (c *stateClient) send(method, path string, body []byte, want int) []byte {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, bytes.NewReader(body))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, got := c.spec.Do(c.t, c.srv.Client(), req)
	require.Equal(c.t, want, resp.StatusCode, "%s %s: %s", method, path, got)
	return got
}

func (c *stateClient) api(method, path string, body any, want int) []byte {
	c.t.Helper()
	data, _ := json.Marshal(body)
	req, err := http.NewRequest(method, c.srv.URL+path, bytes.NewReader(data))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.srv.Client().Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	require.Equal(c.t, want, resp.StatusCode, "%s %s: %s", method, path, got)
	return got
}

func TestStateExportImportGivesTheSameBytes(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 5, Records: 3})
	require.NoError(t, err)
	core := &stateClient{t: t, spec: admintest.Load(t), srv: httptest.NewServer(m.CoreHandler())}
	defer core.srv.Close()
	cso := &stateClient{t: t, spec: core.spec, srv: httptest.NewServer(m.SourcingHandler())}
	defer cso.srv.Close()
	code := m.Integrations()[0].Code
	core.api("POST", "/api/integration_errors", map[string]any{
		"contact-alert-type": "Technical", "status": "error", "integration": map[string]any{"code": code},
		"responses": []any{map[string]any{"response-code": "E-1", "response-message": "Cost center 4100 is blocked."}},
	}, 201)
	cso.api("POST", "/api/events", map[string]any{"events": []any{map[string]any{"market-id": "9220538753220565329", "name": "Fleet"}}}, 201)

	first := core.send("GET", "/_mock/state", nil, 200)
	assert.Contains(t, string(first), `"version": 1`)
	assert.Contains(t, string(first), `"Cost center 4100 is blocked."`)
	assert.Contains(t, string(first), `"name": "Fleet"`)
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(first, &doc))
	assert.ElementsMatch(t, []string{"version", "integrations", "integration_runs", "integration_errors", "integration_history_records", "events", "sftp_files"}, stateKeys(doc))

	// Into the same tenant, another tenant, and a mock with no records.
	assert.Equal(t, string(first), string(core.send("PUT", "/_mock/state", first, 200)), "PUT answers the state in force")
	assert.Equal(t, string(first), string(core.send("GET", "/_mock/state", nil, 200)))
	core.send("PUT", "/_mock/state?tenant=copy", first, 200)
	assert.Equal(t, string(first), string(cso.send("GET", "/_mock/state?tenant=copy", nil, 200)), "the same bytes on a second export")
	empty, err := mock.New(mock.Options{Seed: 9})
	require.NoError(t, err)
	require.NoError(t, empty.ImportState("", first, false))
	again, ok, err := empty.ExportState("")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, string(first), string(again))

	// New records and responses go on after the imported ones.
	var made struct {
		ID        int64 `json:"id"`
		Responses []struct {
			ID int64 `json:"id"`
		} `json:"responses"`
	}
	require.NoError(t, json.Unmarshal(core.api("POST", "/api/integration_errors?tenant=x", map[string]any{
		"contact-alert-type": "Technical", "status": "error", "integration": map[string]any{"code": code},
		"responses": []any{map[string]any{"response-code": "E-2"}},
	}, 201), &made))
	assert.Equal(t, int64(5), made.ID, "3 seeded, 1 created, then this one")
	var all []struct {
		Responses []struct {
			ID int64 `json:"id"`
		} `json:"responses"`
	}
	require.NoError(t, json.Unmarshal(doc["integration_errors"], &all))
	for _, r := range all {
		for _, resp := range r.Responses {
			assert.Less(t, resp.ID, made.Responses[0].ID, "response ids do not repeat")
		}
	}
}

func stateKeys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPutStateRefusesBadStates(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 5, Records: 2})
	require.NoError(t, err)
	c := &stateClient{t: t, spec: admintest.Load(t), srv: httptest.NewServer(m.CoreHandler())}
	defer c.srv.Close()
	before := c.send("GET", "/_mock/state", nil, 200)
	tests := []struct {
		name, body string
		want       []string
	}{
		{"not an object", `[1]`, []string{"not a JSON object"}},
		{"unknown key", `{"integration_error": []}`, []string{"unknown key", "integration_error", "integration_history_records"}},
		{"version", `{"version": 2}`, []string{"version: 2"}},
		{"not a list", `{"integrations": {}}`, []string{"integrations: not a list"}},
		{"no id", `{"integrations": [{"code": "X", "name": "X"}]}`, []string{"integrations[0]: id: missing"}},
		{"same id", `{"integrations": [{"id": 1, "code": "X", "name": "X"}, {"id": 1, "code": "Y", "name": "Y"}]}`, []string{"integrations[1] (id 1): id: the same id as record [0]"}},
		{"closed list", `{"integration_errors": [{"id": 4, "contact-alert-type": "technical"}]}`, []string{"integration_errors[0] (id 4): contact-alert-type:", "is not an allowed value; allowed values: Technical, Functional, Both"}},
		{"wrong type", `{"integrations": [{"id": 1, "code": 5, "name": "X"}]}`, []string{"integrations[0] (id 1): code: must be a string, not 5"}},
		{"unknown element", `{"integrations": [{"id": 1, "code": "X", "name": "X", "colour": "red"}]}`, []string{"integrations[0]", "colour"}},
		{"event id", `{"events": [{"id": "abc", "market-id": "1"}]}`, []string{"events[0]", "id"}},
		{"sftp path", `{"sftp_files": [{"path": "x.csv", "content": ""}]}`, []string{"sftp_files[0]: path"}},
		{"sftp element", `{"sftp_files": [{"path": "/x.csv", "text": ""}]}`, []string{"sftp_files", "text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			got := string(c.send("PUT", "/_mock/state", []byte(tt.body), 400))
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
			assert.Contains(t, got, `"state"`)
			assert.Equal(t, string(before), string(c.send("GET", "/_mock/state", nil, 200)), "nothing changed")
		})
	}
}

const fixturesJSON = `{
  "version": 1,
  "integrations": [{"id": 900, "code": "FIX_INVOICES", "name": "Fixture invoices", "contacts": []}],
  "integration_errors": [{"id": 77, "contact-alert-type": "Functional", "status": "error",
    "integration": {"id": 900, "code": "FIX_INVOICES", "name": "Fixture invoices"},
    "external-id": "FIX-1"}],
  "events": [{"id": "9220538753252879999", "market-id": "9220538753220565329", "name": "Fixture event", "state": "Setup"}],
  "sftp_files": [{"path": "/Outgoing/Invoices/Invoices_20261201_081720Z.csv", "content": "a,b\n1,2\n"}]
}`

const fixturesYAML = `version: 1
integrations:
  - id: 900
    code: FIX_INVOICES
    name: Fixture invoices
    contacts: []
integration_errors:
  - id: 77
    contact-alert-type: Functional
    status: error
    integration: {id: 900, code: FIX_INVOICES, name: Fixture invoices}
    external-id: FIX-1
events:
  - id: "9220538753252879999"
    market-id: "9220538753220565329"
    name: Fixture event
    state: Setup
`

func TestFixtures(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"f.json": fixturesJSON, "f.yaml": fixturesYAML} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))

			alone, err := mock.New(mock.Options{Seed: 2, DataFile: path})
			require.NoError(t, err)
			ins := alone.Integrations()
			require.Len(t, ins, 1, "--records 0: the fixtures alone")
			assert.Equal(t, "FIX_INVOICES", ins[0].Code)

			onTop, err := mock.New(mock.Options{Seed: 2, Records: 3, DataFile: path})
			require.NoError(t, err)
			seeded, err := mock.New(mock.Options{Seed: 2, Records: 3})
			require.NoError(t, err)
			assert.Len(t, onTop.Integrations(), len(seeded.Integrations())+1, "on top of the seeded records")
			data, _, err := onTop.ExportState("tenant-never-used")
			require.NoError(t, err)
			assert.Nil(t, data)
			srv := httptest.NewServer(onTop.CoreHandler())
			defer srv.Close()
			c := &tenantClient{base: srv.URL, name: "fresh", client: srv.Client()}
			status, body, err := c.do("GET", "/api/integration_errors/77", nil)
			require.NoError(t, err)
			assert.Equal(t, 200, status, "every tenant starts with the fixtures: %s", body)
			assert.Contains(t, string(body), "FIX-1")
			status, body, err = c.do("POST", "/api/integration_errors", map[string]any{"contact-alert-type": "Technical", "status": "error", "integration": map[string]any{"code": "FIX_INVOICES"}})
			require.NoError(t, err)
			require.Equal(t, 201, status, "%s", body)
			assert.Contains(t, string(body), `"id":78`, "new ids go on after the fixtures'")
		})
	}

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(fixturesJSON, `"Functional"`, `"functional"`, 1)), 0o600))
	_, err := mock.New(mock.Options{Seed: 2, DataFile: bad})
	require.Error(t, err)
	for _, w := range []string{bad, "integration_errors[0] (id 77)", "contact-alert-type"} {
		assert.Contains(t, err.Error(), w)
	}
	_, err = mock.New(mock.Options{DataFile: filepath.Join(dir, "missing.json")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing.json")
	badYAML := filepath.Join(dir, "bad.yml")
	require.NoError(t, os.WriteFile(badYAML, []byte("integrations: [\n"), 0o600))
	_, err = mock.New(mock.Options{DataFile: badYAML})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.yml: not valid YAML")
}

func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	m, err := mock.New(mock.Options{Seed: 4, Records: 1, StateFile: path})
	require.NoError(t, err)
	srv := httptest.NewServer(m.CoreHandler())
	c := &stateClient{t: t, srv: srv}
	c.api("POST", "/api/integrations", map[string]any{"code": "KEPT", "name": "Kept across restarts"}, 201)
	c.api("POST", "/t/other/api/integrations", map[string]any{"code": "OTHER", "name": "A tenant's"}, 201)
	srv.Close()
	require.NoError(t, m.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), "KEPT")
	assert.NotContains(t, string(data), "OTHER", "the state file keeps the default tenant")

	fresh, err := mock.New(mock.Options{Seed: 4, Records: 1})
	require.NoError(t, err)
	again, err := mock.New(mock.Options{Seed: 4, Records: 1, StateFile: path})
	require.NoError(t, err)
	var codes []string
	for _, in := range again.Integrations() {
		codes = append(codes, in.Code)
	}
	assert.Contains(t, codes, "KEPT")
	assert.Len(t, codes, len(fresh.Integrations())+1)
	require.NoError(t, again.Close())

	require.NoError(t, os.WriteFile(path, []byte(`{"integrations": [`), 0o600))
	_, err = mock.New(mock.Options{Seed: 4, Records: 1, StateFile: path})
	require.Error(t, err, "a corrupt state file is an error, never a re-seed")
	assert.Contains(t, err.Error(), path)
	after, _ := os.ReadFile(path)
	assert.Equal(t, `{"integrations": [`, string(after), "and the file is left as it was")
}
