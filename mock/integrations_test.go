package mock_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/sftpd"
)

func TestIntegrations(t *testing.T) {
	m, c, _ := newMock(t, mock.Options{Seed: 1, Records: 3})
	var list []record
	c.do("GET", "/api/integrations", nil).expect(t, 200).decode(t, &list)
	require.Len(t, list, 6)
	for _, in := range list {
		assert.NotEmpty(t, in["code"])
		assert.NotEmpty(t, in["contacts"])
	}

	body := record{"code": "ERP_PAYMENTS", "name": "ERP payments", "direction": "from_coupa", "integration-type": "flat_file",
		"contacts": []any{map[string]any{"name": "Ops", "email": "ops@example.com", "contact-alert-type": "Technical"}}}
	var in record
	c.do("POST", "/api/integrations", body).expect(t, 201).decode(t, &in)
	id := in.id(t)
	assert.Equal(t, "ERP_PAYMENTS", in["code"])
	var shown record
	c.do("GET", fmt.Sprintf("/api/integrations/%d", id), nil).expect(t, 200).decode(t, &shown)
	assert.Equal(t, in, shown)

	for name, bad := range map[string]record{
		"code taken":       {"code": "ERP_PAYMENTS", "name": "other"},
		"name taken":       {"code": "OTHER", "name": "ERP payments"},
		"no code":          {"name": "x"},
		"no name":          {"code": "x"},
		"bad direction":    {"code": "A", "name": "A", "direction": "inbound"},
		"bad type":         {"code": "A", "name": "A", "integration-type": "csv"},
		"contact no email": {"code": "A", "name": "A", "contacts": []any{map[string]any{"contact-alert-type": "Both"}}},
	} {
		t.Run(name, func(t *testing.T) {
			c.do("POST", "/api/integrations", bad).expect(t, 400)
		})
	}
	msgs := c.do("PUT", fmt.Sprintf("/api/integrations/%d", id), record{"code": list[0]["code"]}).expect(t, 400).errors(t)
	assert.True(t, anyContains(msgs, "code", "unique"), "%v", msgs)
	c.do("PUT", fmt.Sprintf("/api/integrations/%d", id), record{"name": "ERP payments"}).expect(t, 200)
	c.do("PUT", "/api/integrations/999", record{"name": "x"}).expect(t, 404)
	assert.Len(t, m.Integrations(), 7)

	// create_alert goes to the integration's contacts as they are now.
	c.do("PUT", fmt.Sprintf("/api/integrations/%d", id), record{"contacts": []any{
		map[string]any{"email": "tech@example.com", "contact-alert-type": "Technical"},
		map[string]any{"email": "biz@example.com", "contact-alert-type": "Functional"},
		map[string]any{"email": "all@example.com", "contact-alert-type": "Both"},
	}}).expect(t, 200)
	c.do("POST", "/api/integration_errors/create_alert", record{"contact-alert-type": "Functional", "integration": map[string]any{"id": id}}).expect(t, 201)
	alerts := m.Alerts()
	require.Len(t, alerts, 1)
	assert.Equal(t, []string{"biz@example.com", "all@example.com"}, alerts[0].Recipients)
}

func TestIntegrationRunDrivesARun(t *testing.T) {
	_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 3})
	code := integrationCode(t, c)
	var run record
	c.do("POST", "/api/integration_runs", record{"integration": map[string]any{"code": code}, "total-records": 2}).expect(t, 201).decode(t, &run)
	id := run.id(t)
	assert.Equal(t, "pending", run["status"])
	assert.Equal(t, code, run["integration"].(map[string]any)["code"])
	assert.NotContains(t, run, "start-time")

	c.do("PUT", fmt.Sprintf("/api/integration_runs/%d/run", id), record{"total-records": 3}).expect(t, 200).decode(t, &run)
	assert.Equal(t, "running", run["status"])
	assert.Equal(t, float64(3), run["total-records"])
	start := run["start-time"]
	assert.NotEmpty(t, start)
	c.do("PUT", fmt.Sprintf("/api/integration_runs/%d/pause", id), nil).expect(t, 200).decode(t, &run)
	assert.Equal(t, "paused", run["status"])
	c.do("PUT", fmt.Sprintf("/api/integration_runs/%d/pending", id), nil).expect(t, 200).decode(t, &run)
	assert.Equal(t, "pending", run["status"])
	c.do("PUT", fmt.Sprintf("/api/integration_runs/%d/run", id), nil).expect(t, 200).decode(t, &run)
	assert.Equal(t, start, run["start-time"], "start-time is the first run's")

	// The run's records and errors name it.
	hist := validHistory(code)
	hist["integration-run"] = map[string]any{"id": id}
	var rec record
	c.do("POST", "/api/integration_history_records", hist).expect(t, 201).decode(t, &rec)
	assert.Equal(t, float64(id), rec["integration-run-id"])
	errBody := validError(code)
	errBody["integration-run-id"] = id
	c.do("POST", "/api/integration_errors/create_alert", errBody).expect(t, 201)
	var mine []record
	c.do("GET", fmt.Sprintf("/api/integration_history_records?integration-run-id=%d", id), nil).expect(t, 200).decode(t, &mine)
	assert.Len(t, mine, 1)

	c.do("PUT", fmt.Sprintf("/api/integration_runs/%d", id), record{"records-processed": 1, "integration": map[string]any{"id": 99}}).expect(t, 200).decode(t, &run)
	assert.Equal(t, float64(1), run["records-processed"])
	assert.Equal(t, code, run["integration"].(map[string]any)["code"], "a run stays with its integration")
	c.do("PUT", fmt.Sprintf("/api/integration_runs/%d/success", id), record{"records-processed": 3}).expect(t, 200).decode(t, &run)
	assert.Equal(t, "successful", run["status"])
	assert.NotEmpty(t, run["end-time"])
	msgs := c.do("PUT", fmt.Sprintf("/api/integration_runs/%d/fail", id), nil).expect(t, 400).errors(t)
	assert.True(t, anyContains(msgs, "already ended"), "%v", msgs)
	c.do("PUT", fmt.Sprintf("/api/integration_runs/%d/run", id), nil).expect(t, 400)

	var failed record
	c.do("POST", "/api/integration_runs", record{"integration": map[string]any{"code": code}}).expect(t, 201).decode(t, &failed)
	c.do("PUT", fmt.Sprintf("/api/integration_runs/%d/fail", failed.id(t)), nil).expect(t, 200).decode(t, &failed)
	assert.Equal(t, "failed", failed["status"])

	c.do("POST", "/api/integration_runs", record{"integration": map[string]any{"code": "NO_SUCH"}}).expect(t, 400)
	c.do("POST", "/api/integration_runs", record{}).expect(t, 400)
	c.do("POST", "/api/integration_runs", record{"integration": map[string]any{"code": code}, "status": "successful"}).expect(t, 201).decode(t, &run)
	assert.Equal(t, "pending", run["status"], "status is set by the server")
	c.do("GET", "/api/integration_runs/999", nil).expect(t, 404)
	c.do("PUT", "/api/integration_runs/999/run", nil).expect(t, 404)
}

func TestFilesProcessedOverSFTPGetARun(t *testing.T) {
	m, c, _ := newMock(t, mock.Options{Seed: 1, Records: 1})
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	good := sftpd.Result{User: "u", Folder: "Invoices", FileName: "a.csv", Path: "/Incoming/Invoices/a.csv", ArchivePath: "/Archive/Incoming/Invoices/a.csv", DocumentType: "InvoiceHeader", Rows: 12, ReceivedAt: now, ProcessedAt: now}
	bad := sftpd.Result{User: "u", Folder: "Invoices", FileName: "b.csv", Path: "/Incoming/Invoices/b.csv", DocumentType: "InvoiceHeader", ReceivedAt: now, ProcessedAt: now,
		Problems: []sftpd.Problem{{Row: 3, Line: 4, Code: "field_count", Message: "row 3 has 2 fields; the header has 3"}, {Row: 0, Code: "x", Message: "file-level"}}}
	require.NoError(t, m.RecordFile(context.Background(), good))
	require.NoError(t, m.RecordFile(context.Background(), bad))

	var hist []record
	c.do("GET", "/api/integration_history_records?integration-filename=a.csv", nil).expect(t, 200).decode(t, &hist)
	require.Len(t, hist, 1)
	assert.Equal(t, "SFTP_INVOICES", hist[0]["integration"].(map[string]any)["code"])
	assert.NotContains(t, hist[0], "document-id", "a whole file is no single document: Coupa shows none")
	status, _, body := rawXML(t, c, "GET", fmt.Sprintf("/api/integration_history_records/%v", hist[0]["id"]), "application/xml", "", "")
	require.Equal(t, 200, status, body)
	assert.Contains(t, body, `<document-id type="integer" nil="true"/>`)
	// A create through the API still names its document.
	noDoc := validHistory(hist[0]["integration"].(map[string]any)["code"].(string))
	delete(noDoc, "document-id")
	msgs := c.do("POST", "/api/integration_history_records", noDoc).expect(t, 400).errors(t)
	assert.True(t, anyContains(msgs, "document-id", "required"), "%v", msgs)
	var run record
	c.do("GET", fmt.Sprintf("/api/integration_runs/%v", hist[0]["integration-run-id"]), nil).expect(t, 200).decode(t, &run)
	assert.Equal(t, "successful", run["status"])
	assert.Equal(t, float64(12), run["records-processed"])

	var errs []record
	c.do("GET", "/api/integration_errors?integration-filename=b.csv", nil).expect(t, 200).decode(t, &errs)
	require.Len(t, errs, 2, "one error per problem")
	c.do("GET", fmt.Sprintf("/api/integration_runs/%v", errs[0]["integration-run-id"]), nil).expect(t, 200).decode(t, &run)
	assert.Equal(t, "failed", run["status"])
	var ins []record
	c.do("GET", "/api/integrations?code=SFTP_INVOICES", nil).expect(t, 200).decode(t, &ins)
	assert.Len(t, ins, 1, "one integration per folder")
}

func TestErrorsNameTheResource(t *testing.T) {
	_, c, _ := newMock(t, mock.Options{Seed: 1, Records: 1})
	for path, key := range map[string]string{
		"/api/integrations":                "integration",
		"/api/integration_runs":            "integration-run",
		"/api/integration_errors":          "integration-error",
		"/api/integration_history_records": "integration-history-record",
	} {
		var body struct {
			Errors map[string][]string `json:"errors"`
		}
		c.do("POST", path, record{"nosuch": 1}).expect(t, 400).decode(t, &body)
		assert.Contains(t, body.Errors, key, path)
	}
}
