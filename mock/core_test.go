package mock_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/openapi"
)

// record is a Core record as the wire shows it.
type record map[string]any

func (r record) id(tb testing.TB) int64 {
	tb.Helper()
	f, ok := r["id"].(float64)
	if !ok {
		tb.Fatalf("record without id: %v", r)
	}
	return int64(f)
}

func integrationCode(tb testing.TB, c *apiClient) string {
	tb.Helper()
	var ins []record
	c.do("GET", "/api/integrations", nil).expect(tb, 200).decode(tb, &ins)
	require.NotEmpty(tb, ins)
	return ins[0]["code"].(string)
}

func validError(code string) record {
	return record{
		"contact-alert-type": "Technical",
		"document-type":      "InvoiceHeader",
		"document-id":        4711,
		"external-id":        "TEST-4711",
		"status":             "error",
		"integration":        map[string]any{"code": code},
		"integration-run-id": 1,
		"responses":          []any{map[string]any{"response-code": "E-042", "response-message": "Cost center 4100 is blocked."}},
	}
}

func validHistory(code string) record {
	return record{
		"contact-alert-type": "Functional",
		"document-type":      "ReceiptRequest",
		"document-id":        815,
		"external-id":        "TEST-815",
		"status":             "success",
		"integration":        map[string]any{"code": code},
		"integration-run":    map[string]any{"id": 1},
	}
}

func count(tb testing.TB, c *apiClient, path string) int {
	tb.Helper()
	n := 0
	for offset := 0; ; offset += 50 {
		var page []record
		c.do("GET", fmt.Sprintf("%s?offset=%d", path, offset), nil).expect(tb, 200).decode(tb, &page)
		n += len(page)
		if len(page) < 50 {
			return n
		}
	}
}

func TestIntegrationErrorLifecycle(t *testing.T) {
	m, c, _ := newMock(t, mock.Options{Seed: 1, Records: 5})
	code := integrationCode(t, c)

	var created record
	c.do("POST", "/api/integration_errors", validError(code)).expect(t, 201).decode(t, &created)
	id := created.id(t)
	assert.Equal(t, int64(6), id, "ids continue after the seeded records")
	assert.Equal(t, false, created["resolved"])
	assert.Equal(t, "Technical", created["contact-alert-type"])
	assert.Equal(t, code, created["integration"].(map[string]any)["code"])
	assert.NotEmpty(t, created["integration"].(map[string]any)["name"], "the integration reference is shown in full")
	assert.Equal(t, float64(1), created["integration-run-id"])
	assert.Equal(t, "integration.user", created["created-by"].(map[string]any)["login"])
	responses := created["responses"].([]any)
	require.Len(t, responses, 1)
	assert.NotNil(t, responses[0].(map[string]any)["id"], "responses get ids")

	var shown record
	c.do("GET", fmt.Sprintf("/api/integration_errors/%d", id), nil).expect(t, 200).decode(t, &shown)
	assert.Empty(t, cmp.Diff(created, shown), "show returns what create returned")

	var put record
	c.do("PUT", fmt.Sprintf("/api/integration_errors/%d", id), record{"status": "retried", "document-status": "pending"}).expect(t, 200).decode(t, &put)
	assert.Equal(t, "retried", put["status"])
	assert.Equal(t, "pending", put["document-status"])
	assert.Equal(t, "TEST-4711", put["external-id"], "elements not sent stay as they were")
	assert.GreaterOrEqual(t, put["updated-at"], created["updated-at"], "updated-at moves with the clock, to the second shown")
	assert.Equal(t, created["created-at"], put["created-at"])

	var patched record
	c.do("PATCH", fmt.Sprintf("/api/integration_errors/%d", id), record{"contact-alert-type": "Both"}).expect(t, 200).decode(t, &patched)
	assert.Equal(t, "Both", patched["contact-alert-type"])
	assert.Equal(t, "retried", patched["status"])
	assert.GreaterOrEqual(t, patched["updated-at"], put["updated-at"])

	var resolved, unresolved record
	c.do("PUT", fmt.Sprintf("/api/integration_errors/%d/resolve", id), nil).expect(t, 200).decode(t, &resolved)
	assert.Equal(t, true, resolved["resolved"])
	c.do("GET", fmt.Sprintf("/api/integration_errors/%d", id), nil).expect(t, 200).decode(t, &shown)
	assert.Equal(t, true, shown["resolved"], "resolve is stored")
	c.do("PUT", fmt.Sprintf("/api/integration_errors/%d/unresolve", id), nil).expect(t, 200).decode(t, &unresolved)
	assert.Equal(t, false, unresolved["resolved"])

	var alerted record
	c.do("POST", "/api/integration_errors/create_alert", validError(code)).expect(t, 201).decode(t, &alerted)
	alerts := m.Alerts()
	require.Len(t, alerts, 1)
	assert.Equal(t, alerted.id(t), alerts[0].RecordID)
	assert.Equal(t, "integration_error", alerts[0].Resource)
	assert.Equal(t, code, alerts[0].IntegrationCode)
	assert.Equal(t, "Technical", alerts[0].ContactAlertType)
	assert.NotEmpty(t, alerts[0].Recipients, "the integration's technical contacts are alerted")
	var viaAdmin []mock.Alert
	c.do("GET", "/_mock/alerts", nil).expect(t, 200).decode(t, &viaAdmin)
	assert.Equal(t, alerts, viaAdmin)

	for _, path := range []string{"/api/integration_errors/999", "/api/integration_errors/999/resolve", "/api/integration_errors/999/unresolve"} {
		method := "PUT"
		if !strings.Contains(path, "resolve") {
			method = "GET"
		}
		msgs := c.do(method, path, nil).expect(t, 404).errors(t)
		assert.True(t, anyContains(msgs, "999"), "%s: %v", path, msgs)
	}
	c.do("PUT", "/api/integration_errors/999", record{"status": "x"}).expect(t, 404)
	c.do("PATCH", "/api/integration_errors/999", record{"status": "x"}).expect(t, 404)
}

func TestIntegrationHistoryRecordActions(t *testing.T) {
	m, c, _ := newMock(t, mock.Options{Seed: 1, Records: 3})
	code := integrationCode(t, c)

	var rec record
	c.do("POST", "/api/integration_history_records", validHistory(code)).expect(t, 201).decode(t, &rec)
	id := rec.id(t)
	assert.Equal(t, float64(1), rec["integration-run-id"], "integration-run is shown as integration-run-id")
	assert.NotContains(t, rec, "integration-run", "integration-run is input only")
	assert.Equal(t, false, rec["exported"])
	assert.Equal(t, false, rec["acknowledged"])

	var shown record
	c.do("GET", fmt.Sprintf("/api/integration_history_records/%d", id), nil).expect(t, 200).decode(t, &shown)
	assert.Empty(t, cmp.Diff(rec, shown))
	c.do("PUT", fmt.Sprintf("/api/integration_history_records/%d", id), record{"status": "failed"}).expect(t, 200).decode(t, &shown)
	assert.Equal(t, "failed", shown["status"])
	c.do("PATCH", fmt.Sprintf("/api/integration_history_records/%d", id), record{"document-revision": 2}).expect(t, 200).decode(t, &shown)
	assert.Equal(t, float64(2), shown["document-revision"])
	assert.Equal(t, "failed", shown["status"])
	c.do("PUT", fmt.Sprintf("/api/integration_history_records/%d/resolve", id), nil).expect(t, 200).decode(t, &shown)
	assert.Equal(t, true, shown["resolved"])
	c.do("PUT", fmt.Sprintf("/api/integration_history_records/%d/unresolve", id), nil).expect(t, 200).decode(t, &shown)
	assert.Equal(t, false, shown["resolved"])

	var marked []record
	c.do("POST", "/api/integration_history_records/mark_exported", record{"ids": []int64{id, 1}}).expect(t, 200).decode(t, &marked)
	require.Len(t, marked, 2)
	assert.Equal(t, id, marked[0].id(t), "records come back in the order given")
	for _, r := range marked {
		assert.Equal(t, true, r["exported"])
		assert.NotEmpty(t, r["last-exported-at"])
	}
	var acked []record
	c.do("POST", "/api/integration_history_records/acknowledge", record{"ids": []int64{id}}).expect(t, 200).decode(t, &acked)
	require.Len(t, acked, 1)
	assert.Equal(t, true, acked[0]["acknowledged"])
	assert.NotEmpty(t, acked[0]["acknowledged-at"])

	// All or nothing: an unknown id changes no record.
	c.do("GET", "/api/integration_history_records/2", nil).expect(t, 200).decode(t, &shown)
	before := shown
	msgs := c.do("POST", "/api/integration_history_records/acknowledge", record{"ids": []int64{2, 999}}).expect(t, 404).errors(t)
	assert.True(t, anyContains(msgs, "999"), "%v", msgs)
	c.do("GET", "/api/integration_history_records/2", nil).expect(t, 200).decode(t, &shown)
	assert.Empty(t, cmp.Diff(before, shown), "a failed acknowledge changes nothing")
	c.do("POST", "/api/integration_history_records/mark_exported", record{"ids": []int64{}}).expect(t, 400)
	c.do("POST", "/api/integration_history_records/mark_exported", record{}).expect(t, 400)

	var alerted, both record
	c.do("POST", "/api/integration_history_records/create_alert", validHistory(code)).expect(t, 201).decode(t, &alerted)
	assert.Equal(t, false, alerted["exported"])
	c.do("POST", "/api/integration_history_records/create_alert_and_mark_exported", validHistory(code)).expect(t, 201).decode(t, &both)
	assert.Equal(t, true, both["exported"])
	assert.NotEmpty(t, both["last-exported-at"])
	alerts := m.Alerts()
	require.Len(t, alerts, 2)
	assert.Equal(t, []int64{alerted.id(t), both.id(t)}, []int64{alerts[0].RecordID, alerts[1].RecordID})
	assert.Equal(t, "integration_history_record", alerts[1].Resource)
	assert.Equal(t, "Functional", alerts[1].ContactAlertType)

	c.do("GET", "/api/integration_history_records/999", nil).expect(t, 404)
	c.do("PUT", "/api/integration_history_records/999/resolve", nil).expect(t, 404)
}

func TestCoreLists(t *testing.T) {
	_, c, _ := newMock(t, mock.Options{Seed: 3, Records: 60})
	for _, path := range []string{"/api/integration_errors", "/api/integration_history_records"} {
		t.Run(path, func(t *testing.T) {
			var page []record
			c.do("GET", path, nil).expect(t, 200).decode(t, &page)
			assert.Len(t, page, 50, "default limit")
			c.do("GET", path+"?limit=100", nil).expect(t, 200).decode(t, &page)
			assert.Len(t, page, 50, "limit is capped at 50")
			c.do("GET", path+"?limit=7", nil).expect(t, 200).decode(t, &page)
			assert.Len(t, page, 7)

			seen := map[int64]bool{}
			var last int64
			for offset := 0; offset < 60; offset += 25 {
				c.do("GET", fmt.Sprintf("%s?limit=25&offset=%d", path, offset), nil).expect(t, 200).decode(t, &page)
				for _, r := range page {
					id := r.id(t)
					assert.False(t, seen[id], "offset pages overlap at id %d", id)
					assert.Greater(t, id, last, "ordered by id")
					seen[id], last = true, id
				}
			}
			assert.Len(t, seen, 60)
			c.do("GET", path+"?offset=60", nil).expect(t, 200).decode(t, &page)
			assert.Empty(t, page, "a page past the end is empty")
			assert.Equal(t, "[]\n", string(c.do("GET", path+"?offset=1000", nil).body))

			for _, bad := range []string{"?limit=0", "?limit=x", "?offset=-1", "?nosuch=1", "?resolved=maybe", "?document-id=abc"} {
				msgs := c.do("GET", path+bad, nil).expect(t, 400).errors(t)
				name := strings.TrimPrefix(strings.SplitN(bad, "=", 2)[0], "?")
				assert.True(t, anyContains(msgs, name), "%s: %v", bad, msgs)
			}
		})
	}

	t.Run("filters", func(t *testing.T) {
		var all, resolved, unresolved, errs []record
		for offset := 0; offset < 60; offset += 50 {
			var page []record
			c.do("GET", fmt.Sprintf("/api/integration_errors?offset=%d", offset), nil).expect(t, 200).decode(t, &page)
			all = append(all, page...)
		}
		c.do("GET", "/api/integration_errors?resolved=true", nil).expect(t, 200).decode(t, &resolved)
		c.do("GET", "/api/integration_errors?resolved=false&limit=50", nil).expect(t, 200).decode(t, &unresolved)
		assert.Equal(t, 60, len(resolved)+len(unresolved))
		for _, r := range resolved {
			assert.Equal(t, true, r["resolved"])
		}
		c.do("GET", "/api/integration_errors?status=error", nil).expect(t, 200).decode(t, &errs)
		want := 0
		for _, r := range all {
			if r["status"] == "error" {
				want++
			}
		}
		require.NotZero(t, want, "the seed has records with status error")
		assert.Len(t, errs, min(want, 50))
		var none []record
		c.do("GET", "/api/integration_errors?status=nosuchstatus", nil).expect(t, 200).decode(t, &none)
		assert.Empty(t, none)
		var byType []record
		c.do("GET", "/api/integration_errors?document_type=InvoiceHeader", nil).expect(t, 200).decode(t, &byType)
		for _, r := range byType {
			assert.Equal(t, "InvoiceHeader", r["document-type"])
		}
	})
}

// createOps are the Core operations that create a record from a body.
var createOps = []struct {
	path  string
	valid func(code string) record
	list  string
}{
	{"/api/integration_errors", validError, "/api/integration_errors"},
	{"/api/integration_errors/create_alert", validError, "/api/integration_errors"},
	{"/api/integration_history_records", validHistory, "/api/integration_history_records"},
	{"/api/integration_history_records/create_alert", validHistory, "/api/integration_history_records"},
	{"/api/integration_history_records/create_alert_and_mark_exported", validHistory, "/api/integration_history_records"},
}

func TestRequiredElementsEnforced(t *testing.T) {
	_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 2})
	code := integrationCode(t, c)
	required := map[string][]string{
		"/api/integration_errors":          {"contact-alert-type"},
		"/api/integration_history_records": {"contact-alert-type", "document-id", "document-type"},
	}
	for _, op := range createOps {
		for _, elem := range required[op.list] {
			t.Run(op.path+"/"+elem, func(t *testing.T) {
				before := count(t, c, op.list)
				body := op.valid(code)
				delete(body, elem)
				msgs := c.do("POST", op.path, body).expect(t, 400).errors(t)
				assert.True(t, anyContains(msgs, elem, "required"), "%v", msgs)
				assert.Equal(t, before, count(t, c, op.list), "nothing is stored")
			})
		}
	}
}

func TestEnumsEnforced(t *testing.T) {
	_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 2})
	code := integrationCode(t, c)
	core, err := openapi.Core()
	require.NoError(t, err)
	enumOf := func(schema string) []string {
		var out []string
		for _, v := range core.Components.Schemas[schema].Value.Enum {
			out = append(out, v.(string))
		}
		return out
	}
	cases := []struct {
		path, list, elem string
		valid            func(string) record
		allowed          []string
		invalid          []string
	}{
		{"/api/integration_errors", "/api/integration_errors", "contact-alert-type", validError, enumOf("ContactAlertType"),
			[]string{"technical", "TECHNICAL", " Technical", "Technique", "Technisch", "both", ""}},
		{"/api/integration_errors", "/api/integration_errors", "document-type", validError, enumOf("DocumentType"),
			[]string{"Fournisseur", "Compte", "Facture", "Asn :: Header", "Asn:: Header", "invoiceheader", "InvoiceHeader ", "ReceiptRequest", "Payables::Externe::Payable"}},
		{"/api/integration_history_records", "/api/integration_history_records", "contact-alert-type", validHistory, enumOf("ContactAlertType"),
			[]string{"functional", "Fonctionnel", "Both "}},
		{"/api/integration_history_records", "/api/integration_history_records", "document-type", validHistory, enumOf("HistoryDocumentType"),
			[]string{"Utilisateur", "Taux de change", "CoupaPay:: Payment", "receiptrequest"}},
	}
	assert.Len(t, cases[1].allowed, 29)
	assert.Len(t, cases[3].allowed, 31)
	for _, tc := range cases {
		t.Run(tc.path+"/"+tc.elem, func(t *testing.T) {
			for _, v := range tc.allowed {
				body := tc.valid(code)
				body[tc.elem] = v
				var rec record
				c.do("POST", tc.path, body).expect(t, 201).decode(t, &rec)
				var shown record
				c.do("GET", fmt.Sprintf("%s/%d", tc.list, rec.id(t)), nil).expect(t, 200).decode(t, &shown)
				assert.Equal(t, v, shown[tc.elem], "allowed value read back unchanged")
			}
			before := count(t, c, tc.list)
			for _, v := range tc.invalid {
				body := tc.valid(code)
				body[tc.elem] = v
				msgs := c.do("POST", tc.path, body).expect(t, 400).errors(t)
				assert.True(t, anyContains(msgs, tc.elem, "allowed values", tc.allowed[0], tc.allowed[len(tc.allowed)-1]), "%q: %v", v, msgs)
				c.do("PATCH", tc.list+"/1", record{tc.elem: v}).expect(t, 400)
			}
			assert.Equal(t, before, count(t, c, tc.list), "rejected values store nothing")
		})
	}
}

// TestBadInputRejected runs in strict mode, where what Coupa reads
// leniently is a 400 too (leniency_test.go has the lenient answers).
func TestBadInputRejected(t *testing.T) {
	_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 2, MaxBodyBytes: 4096, Strict: true})
	code := integrationCode(t, c)
	with := func(k string, v any) record {
		b := validError(code)
		b[k] = v
		return b
	}
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		want   []string
	}{
		{"malformed JSON", "POST", "/api/integration_errors", `{"contact-alert-type": "Technical",`, 400, []string{"JSON"}},
		{"not an object", "POST", "/api/integration_errors", `[1,2]`, 400, []string{"object"}},
		{"empty body", "POST", "/api/integration_errors", ``, 400, []string{"body"}},
		{"wrong type", "POST", "/api/integration_errors", with("document-id", "4711"), 400, []string{"document-id", "integer"}},
		{"wrong type nested", "POST", "/api/integration_errors", with("integration", "SAP"), 400, []string{"integration", "object"}},
		{"over-long string", "POST", "/api/integration_errors", with("external-id", strings.Repeat("x", 256)), 400, []string{"external-id", "255"}},
		{"unknown element", "POST", "/api/integration_errors", with("statut", "erreur"), 400, []string{"statut"}},
		{"unknown nested element", "POST", "/api/integration_errors", with("responses", []any{map[string]any{"code": "x"}}), 400, []string{"code"}},
		{"unknown integration", "POST", "/api/integration_errors", with("integration", map[string]any{"code": "NO_SUCH"}), 400, []string{"integration", "NO_SUCH"}},
		{"run disagrees", "POST", "/api/integration_errors", with("integration-run", map[string]any{"id": 99}), 400, []string{"integration-run", "99"}},
		{"unknown run", "POST", "/api/integration_errors", with("integration-run-id", 99), 400, []string{"integration-run-id", "99"}},
		{"null value", "POST", "/api/integration_errors", with("status", nil), 400, []string{"status"}},
		{"bad id", "GET", "/api/integration_errors/abc", nil, 400, []string{"id"}},
		{"body too large", "POST", "/api/integration_errors", with("status", strings.Repeat("x", 5000)), 413, []string{"larger"}},
		{"unknown route", "GET", "/api/nosuch", nil, 404, []string{"/api/nosuch"}},
		{"method not allowed", "DELETE", "/api/integration_errors/1", nil, 405, []string{"DELETE"}},
	}
	before := count(t, c, "/api/integration_errors")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msgs := c.do(tc.method, tc.path, tc.body).expect(t, tc.status).errors(t)
			assert.True(t, anyContains(msgs, tc.want...), "want %v in %v", tc.want, msgs)
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		req, err := http.NewRequest("POST", c.srv.URL+"/api/integration_errors", strings.NewReader(`contact-alert-type=Technical`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		msgs := c.send(req).expect(t, 415).errors(t)
		assert.True(t, anyContains(msgs, "application/json"), "%v", msgs)
	})
	t.Run("no content type is taken as JSON", func(t *testing.T) {
		req, err := http.NewRequest("POST", c.srv.URL+"/api/integration_errors", strings.NewReader(`{"contact-alert-type":"Both"}`))
		require.NoError(t, err)
		c.send(req).expect(t, 201)
		before++
	})
	assert.Equal(t, before, count(t, c, "/api/integration_errors"), "rejected requests store nothing")
}

func TestServerManagedElementsIgnored(t *testing.T) {
	_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 2})
	code := integrationCode(t, c)
	body := validError(code)
	body["id"] = 777
	body["resolved"] = true
	body["created-at"] = "2001-01-01T00:00:00Z"
	body["created-by"] = map[string]any{"id": 99, "login": "mallory"}
	var rec record
	c.do("POST", "/api/integration_errors", body).expect(t, 201).decode(t, &rec)
	assert.NotEqual(t, float64(777), rec["id"])
	assert.Equal(t, false, rec["resolved"])
	assert.NotEqual(t, "2001-01-01T00:00:00Z", rec["created-at"])
	assert.Equal(t, "integration.user", rec["created-by"].(map[string]any)["login"])

	// A record read with GET can be sent back with PUT unchanged.
	var put record
	id := rec.id(t)
	rec["resolved"] = true
	rec["id"] = 1
	c.do("PUT", fmt.Sprintf("/api/integration_errors/%d", id), rec).expect(t, 200).decode(t, &put)
	assert.Equal(t, float64(id), put["id"], "the id in the body is ignored")
	assert.Equal(t, false, put["resolved"], "resolved changes only by resolve")
	assert.GreaterOrEqual(t, put["updated-at"], rec["updated-at"])

	hist := validHistory(code)
	hist["integration-filename"] = "forged.csv"
	hist["exported"] = true
	c.do("POST", "/api/integration_history_records", hist).expect(t, 201).decode(t, &rec)
	assert.NotContains(t, rec, "integration-filename", "integration-filename is output only on history records")
	assert.Equal(t, false, rec["exported"])
}

func TestSeededDataIsDeterministic(t *testing.T) {
	dump := func(seed int64) string {
		_, c, s := newMock(t, mock.Options{Seed: seed, Records: 30})
		var b strings.Builder
		for _, path := range []string{"/api/integration_errors", "/api/integration_history_records"} {
			b.Write(c.do("GET", path, nil).expect(t, 200).body)
		}
		b.Write(s.do("GET", "/api/events", nil).expect(t, 200).body)
		b.Write(c.do("GET", "/api/integrations", nil).expect(t, 200).body)
		b.Write(c.do("GET", "/api/integration_runs", nil).expect(t, 200).body)
		return b.String()
	}
	a, b, other := dump(42), dump(42), dump(43)
	assert.Equal(t, a, b, "the same seed gives the same data")
	assert.NotEqual(t, a, other, "another seed gives other data")
	zero1, zero2 := dump(0), dump(0)
	assert.Equal(t, zero1, zero2, "seed 0 is deterministic too")
}

func TestConcurrentCreatesLoseNothing(t *testing.T) {
	_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 5})
	code := integrationCode(t, c)
	const workers, each = 8, 25
	var mu sync.Mutex
	ids := map[int64]bool{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				var rec record
				c.do("POST", "/api/integration_errors", validError(code)).expect(t, 201).decode(t, &rec)
				c.do("PUT", fmt.Sprintf("/api/integration_errors/%d/resolve", rec.id(t)), nil).expect(t, 200)
				mu.Lock()
				ids[rec.id(t)] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Len(t, ids, workers*each, "every create got its own id")
	assert.Equal(t, 5+workers*each, count(t, c, "/api/integration_errors"))
	var resolved []record
	n := 0
	for offset := 0; ; offset += 50 {
		c.do("GET", fmt.Sprintf("/api/integration_errors?resolved=true&offset=%d", offset), nil).expect(t, 200).decode(t, &resolved)
		for _, r := range resolved {
			if ids[r.id(t)] {
				n++
			}
		}
		if len(resolved) < 50 {
			break
		}
	}
	assert.Equal(t, workers*each, n, "every resolve was stored")
}

func TestUpdatedAtNeverRunsAheadOfTheClock(t *testing.T) {
	fixed := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 1, Now: func() time.Time { return fixed }})
	for i := 0; i < 300; i++ {
		var rec record
		c.do("PUT", "/api/integration_errors/1/resolve", nil).expect(t, 200).decode(t, &rec)
		require.Equal(t, "2026-11-23T10:00:00+00:00", rec["updated-at"], "change %d: the clock's second, however many changes it holds", i)
	}
}

func TestAdminAPI(t *testing.T) {
	_, c, s := newMock(t, mock.Options{Seed: 1, Records: 4})
	code := integrationCode(t, c)
	for _, cl := range []*apiClient{c, s} {
		var health map[string]string
		cl.do("GET", "/_mock/health", nil).expect(t, 200).decode(t, &health)
		assert.Equal(t, "ok", health["status"])
	}
	c.do("POST", "/api/integration_errors/create_alert", validError(code)).expect(t, 201)
	s.do("POST", "/api/events", map[string]any{"events": []any{map[string]any{"market-id": "1"}}}).expect(t, 201)
	assert.Equal(t, 5, count(t, c, "/api/integration_errors"))
	c.do("POST", "/_mock/reset", nil).expect(t, 200)
	assert.Equal(t, 4, count(t, c, "/api/integration_errors"), "reset restores the seeded state")
	var events struct{ Total int }
	s.do("GET", "/api/events", nil).expect(t, 200).decode(t, &events)
	assert.Equal(t, 4, events.Total, "reset covers both APIs")
	var alerts []mock.Alert
	c.do("GET", "/_mock/alerts", nil).expect(t, 200).decode(t, &alerts)
	assert.Empty(t, alerts)
	c.do("GET", "/_mock/nosuch", nil).expect(t, 404)
	c.do("GET", "/_mock/reset", nil).expect(t, 404)
}

func TestRequestJournal(t *testing.T) {
	m, c, s := newMock(t, mock.Options{Seed: 1, Records: 2})
	code := integrationCode(t, c)
	c.do("POST", "/api/integration_errors", validError(code)).expect(t, 201)
	c.do("POST", "/api/integration_errors", record{"contact-alert-type": "nope"}).expect(t, 400)
	s.do("GET", "/api/events?state=Active", nil).expect(t, 200)
	c.do("GET", "/_mock/health", nil).expect(t, 200)

	var posts []mock.Request
	c.do("GET", "/_mock/requests?method=POST&path=/api/integration_errors", nil).expect(t, 200).decode(t, &posts)
	require.Len(t, posts, 2)
	assert.Equal(t, 201, posts[0].Status)
	assert.Contains(t, posts[0].Body, `"external-id":"TEST-4711"`, "the body the integration sent")
	assert.Equal(t, 400, posts[1].Status)
	assert.Less(t, posts[0].ID, posts[1].ID)

	all := m.Requests()
	require.Len(t, all, 4, "the integration lookup, two creates and the events list; admin calls are not journaled")
	assert.Equal(t, "sourcing", all[3].API)
	assert.Equal(t, "state=Active", all[3].Query)

	big := validError(code)
	big["status"] = strings.Repeat("x", 200) // still valid
	big["responses"] = []any{map[string]any{"response-message": strings.Repeat("y", 20000)}}
	c.do("POST", "/api/integration_errors", big).expect(t, 201)
	last := m.Requests()[4]
	assert.True(t, last.Truncated)
	assert.Len(t, last.Body, 16<<10)

	c.do("DELETE", "/_mock/requests", nil).expect(t, 204)
	assert.Empty(t, m.Requests())
	c.do("GET", "/api/integration_errors/1", nil).expect(t, 200)
	c.do("POST", "/_mock/reset", nil).expect(t, 200)
	assert.Empty(t, m.Requests(), "reset empties the journal")
}
