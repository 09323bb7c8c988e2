package mock

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// fuzzMock is the mock the fuzz targets send requests to.
func fuzzMock(f *testing.F) *Mock {
	m, err := New(Options{Seed: 1, Records: 3, MaxBodyBytes: 64 << 10})
	if err != nil {
		f.Fatal(err)
	}
	return m
}

// FuzzJSONBody sends a body to the operations that take one, JSON and XML:
// no body is answered 5xx, a body checkJSON accepts is one valid JSON
// value, and one its fast path proves is one its token walk accepts. Seeds are in testdata/fuzz/FuzzJSONBody.
func FuzzJSONBody(f *testing.F) {
	m := fuzzMock(f)
	targets := []struct {
		h            http.Handler
		method, path string
	}{
		{m.CoreHandler(), "POST", "/api/integration_errors"},
		{m.CoreHandler(), "PUT", "/api/integration_errors/1"},
		{m.CoreHandler(), "POST", "/api/integration_history_records"},
		{m.CoreHandler(), "PUT", "/api/integrations/1"},
		{m.CoreHandler(), "POST", "/api/integration_runs"},
		{m.SourcingHandler(), "POST", "/api/events"},
		{m.SourcingHandler(), "PUT", "/api/events"},
	}
	f.Fuzz(func(t *testing.T, body []byte, target uint8, xml bool) {
		assertFastImpliesSlow(t, body, true)
		assertFastImpliesSlow(t, body, false)
		if err := checkJSON(body, true); err == nil && !json.Valid(body) {
			t.Fatalf("checkJSON accepts %q, which is not JSON", body)
		}
		tg := targets[int(target)%len(targets)]
		req := httptest.NewRequest(tg.method, tg.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if xml {
			req.Header.Set("Content-Type", "application/xml")
		}
		req.Header.Set("Accept", "application/json")
		rec := httptest.NewRecorder()
		tg.h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", tg.method, tg.path, body, rec.Code, rec.Body)
		}
		if rec.Code < 300 && !xml && checkJSON(body, false) != nil {
			t.Fatalf("%s %s took %q, which checkJSON refuses", tg.method, tg.path, body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %s", rec.Body)
		}
	})
}

// FuzzFields lists records with a fuzzed fields or return_object
// parameter, JSON and XML: never 5xx, and a JSON answer is valid JSON.
// Seeds are in testdata/fuzz/FuzzFields.
func FuzzFields(f *testing.F) {
	m := fuzzMock(f)
	paths := []string{"/api/integration_errors", "/api/integration_errors/1", "/api/integrations", "/api/integration_runs", "/api/integration_history_records"}
	f.Fuzz(func(t *testing.T, fields string, returnObject string, path uint8, xml bool) {
		q := url.Values{}
		if fields != "" {
			q.Set("fields", fields)
		}
		if returnObject != "" {
			q.Set("return_object", returnObject)
		}
		req := httptest.NewRequest("GET", paths[int(path)%len(paths)]+"?"+q.Encode(), nil)
		req.Header.Set("Accept", "application/json")
		if xml {
			req.Header.Set("Accept", "application/xml")
		}
		rec := httptest.NewRecorder()
		m.CoreHandler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("fields=%q return_object=%q: %d %s", fields, returnObject, rec.Code, rec.Body)
		}
		if !xml && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %s", rec.Body)
		}
	})
}
