package mock

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeedSharedKeepsOneCopyOfEachValue(t *testing.T) {
	sd := &seeding{}
	a, b, c := seedShared(sd, "error"), seedShared(sd, "error"), seedShared(sd, "warning")
	assert.Same(t, a, b, "equal values share one pointer")
	assert.NotSame(t, a, c)
	assert.Equal(t, "error", *a)
	assert.Equal(t, "warning", *c)
	n1, n2 := seedShared(sd, int64(7)), seedShared(sd, int64(7))
	assert.Same(t, n1, n2, "each type has its own values")
}

// TestSeedSharingIsInvisible changes the first record of every Core
// resource in every way the API allows, then requires every other record
// to read as before: seeded records share the values seeding draws from a
// few (seedShared), which is only right while no handler writes through a
// record's pointers.
func TestSeedSharingIsInvisible(t *testing.T) {
	m, err := New(Options{Seed: 7, Records: 40})
	require.NoError(t, err)
	h := m.CoreHandler()
	do := func(method, path string, body any) (int, []byte) {
		var rd *bytes.Reader
		if body != nil {
			data, err := json.Marshal(body)
			require.NoError(t, err)
			rd = bytes.NewReader(data)
		} else {
			rd = bytes.NewReader(nil)
		}
		req := httptest.NewRequest(method, path, rd)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code, w.Body.Bytes()
	}
	list := func(resource string) map[string]json.RawMessage {
		status, body := do("GET", "/api/"+resource+"?limit=50", nil)
		require.Equal(t, 200, status, "%s", body)
		var rows []json.RawMessage
		require.NoError(t, json.Unmarshal(body, &rows))
		out := map[string]json.RawMessage{}
		for _, row := range rows {
			var id struct {
				ID json.Number `json:"id"`
			}
			require.NoError(t, json.Unmarshal(row, &id))
			out[id.ID.String()] = row
		}
		return out
	}

	// The sharing is real: two seeded errors point at one status, one
	// creator and one integration.
	st := m.st(t.Context())
	e1, _ := st.errors().get(1)
	shared := 0
	for id := int64(2); id <= 40; id++ {
		e, _ := st.errors().get(id)
		if e.Status == e1.Status || e.CreatedBy == e1.CreatedBy || e.Integration == e1.Integration {
			shared++
		}
	}
	require.NotZero(t, shared, "no seeded error shares a value with the first")

	resources := []string{"integration_errors", "integration_history_records", "integration_runs"}
	before := map[string]map[string]json.RawMessage{}
	for _, r := range resources {
		before[r] = list(r)
		require.NotEmpty(t, before[r])
	}
	var in []struct {
		Code string `json:"code"`
	}
	_, body := do("GET", "/api/integrations?limit=2", nil)
	require.NoError(t, json.Unmarshal(body, &in))
	require.Len(t, in, 2)
	changes := []struct {
		method, path string
		body         any
	}{
		{"PUT", "/api/integration_errors/1", map[string]any{"status": "warning", "contact-alert-type": "Functional", "integration": map[string]any{"code": in[1].Code}, "document-status": "zzz"}},
		{"PATCH", "/api/integration_errors/1", map[string]any{"status": "error", "creation-method": "manual"}},
		{"PUT", "/api/integration_errors/1/resolve", nil},
		{"PUT", "/api/integration_errors/1/unresolve", nil},
		{"PUT", "/api/integration_history_records/1", map[string]any{"status": "warning", "integration": map[string]any{"code": in[1].Code}}},
		{"PUT", "/api/integration_history_records/1/resolve", nil},
		{"PUT", "/api/integration_history_records/1/unresolve", nil},
		{"PUT", "/api/integration_history_records/mark_exported?id=1", nil},
		{"PUT", "/api/integration_history_records/acknowledge?id=1", nil},
		{"PUT", "/api/integration_runs/1", map[string]any{"total-records": 9}},
		{"PUT", "/api/integration_runs/1/pending", nil},
		{"PUT", "/api/integration_runs/1/run", nil},
		{"PUT", "/api/integration_runs/1/pause", nil},
		{"PUT", "/api/integration_runs/1/run", nil},
		{"PUT", "/api/integration_runs/1/fail", nil},
	}
	applied := 0
	for _, c := range changes {
		status, body := do(c.method, c.path, c.body)
		require.Less(t, status, 500, "%s %s: %s", c.method, c.path, body)
		if status < 300 {
			applied++
		}
	}
	require.GreaterOrEqual(t, applied, len(changes)/2, "most changes should apply")
	for _, r := range resources {
		after := list(r)
		require.Contains(t, after, "1")
		assert.NotEqual(t, string(before[r]["1"]), string(after["1"]), "%s 1 did not change", r)
		for id, row := range before[r] {
			if id == "1" {
				continue
			}
			if diff := cmp.Diff(string(row), string(after[id])); diff != "" {
				t.Errorf("%s %s changed with record 1 (-before +after):\n%s", r, id, diff)
			}
		}
	}
}
