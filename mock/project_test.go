package mock

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// projectionRecord is a record as a handler writes it, with an id beyond
// 2^53, associations with and without an id, and arrays of every sort.
const projectionRecord = `{"id":12,"status":"error","document-type":"InvoiceHeader","document-id":9007199254740993,` +
	`"integration":{"id":3,"code":"SAP","name":"SAP export"},` +
	`"created-by":{"id":1,"login":"jdoe"},` +
	`"responses":[{"id":100,"response-code":"E1"},{"id":101,"response-code":"E2"}],` +
	`"custom":{"note":"no id"},"tags":["a","b"],"idless":[{"x":1}]}`

// projectionHandler answers status with body and counts its calls.
func projectionHandler(status int, contentType, body string, calls *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("X-Request-Id", "r-1")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body+"\n")
	})
}

func project(t *testing.T, h http.Handler, query url.Values) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/integration_errors?"+query.Encode(), nil)
	// The pipeline's outermost layer routes every request.
	req = req.WithContext(withRoute(req.Context(), &Route{API: coreAPI, Resource: "integration-error"}))
	projection{}.wrap(h).ServeHTTP(rec, req)
	return rec
}

// TestProjectionReshapes pins each answer byte for byte: the elements kept
// come in the handler's order (the spec's, id first), as Coupa lists them.
func TestProjectionReshapes(t *testing.T) {
	list := "[" + projectionRecord + `,{"id":9223372036854775807,"status":"ok"}]`
	cases := []struct {
		name, body string
		query      url.Values
		want       string
	}{
		{"limited", projectionRecord, url.Values{"return_object": {"limited"}}, `{"id":12}`},
		{"limited list", list, url.Values{"return_object": {"limited"}}, `[{"id":12},{"id":9223372036854775807}]`},
		{"shallow", projectionRecord, url.Values{"return_object": {"shallow"}},
			`{"id":12,"status":"error","document-type":"InvoiceHeader","document-id":9007199254740993,"integration":{"id":3},` +
				`"created-by":{"id":1},"responses":[{"id":100},{"id":101}],"tags":["a","b"]}`},
		{"fields", projectionRecord, url.Values{"fields": {`["id","status",{"integration":["code"]}]`}},
			`{"id":12,"status":"error","integration":{"code":"SAP"}}`},
		{"fields in arrays", projectionRecord, url.Values{"fields": {`[{"responses":["response-code"]}]`}},
			`{"responses":[{"response-code":"E1"},{"response-code":"E2"}]}`},
		{"underscores and unknown names", projectionRecord, url.Values{"fields": {`["document_id","nosuch"]`}},
			`{"document-id":9007199254740993}`},
		{"fields wins over limited", list, url.Values{"fields": {`["status"]`}, "return_object": {"limited"}},
			`[{"status":"error"},{"status":"ok"}]`},
		{"whole element wins over a list", projectionRecord, url.Values{"fields": {`["integration",{"integration":["code"]}]`}},
			`{"integration":{"id":3,"code":"SAP","name":"SAP export"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			rec := project(t, projectionHandler(200, "application/json", tc.body, &calls), tc.query)
			assert.Equal(t, 200, rec.Code)
			assert.Equal(t, tc.want+"\n", rec.Body.String())
			assert.Equal(t, "r-1", rec.Header().Get("X-Request-Id"), "other headers pass")
			assert.Equal(t, int32(1), calls.Load())
		})
	}
}

func TestProjectionPassesOtherAnswers(t *testing.T) {
	cases := []struct {
		name, contentType, body string
		status                  int
	}{
		{"error answer", "application/json", `{"errors":{"integration-error":["no"]}}`, 404},
		{"not JSON", "application/xml", `<x/>`, 200},
		{"not records", "application/json", `[1,"a"]`, 200},
		{"malformed", "application/json", `{"id":1`, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			rec := project(t, projectionHandler(tc.status, tc.contentType, tc.body, &calls), url.Values{"return_object": {"limited"}})
			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, tc.body+"\n", rec.Body.String())
		})
	}
}

func TestProjectionNone(t *testing.T) {
	var calls atomic.Int32
	rec := project(t, projectionHandler(201, "application/json", projectionRecord, &calls), url.Values{"return_object": {"none"}})
	assert.Equal(t, 201, rec.Code)
	assert.Empty(t, rec.Body.String())
	assert.Equal(t, "0", rec.Header().Get("Content-Length"))
	assert.Empty(t, rec.Header().Get("Content-Type"))
	assert.Equal(t, int32(1), calls.Load(), "the write is made")
}

func TestProjectionRefusesMalformedValues(t *testing.T) {
	for _, q := range []url.Values{
		{"return_object": {"full"}},
		{"return_object": {"limited", "shallow"}},
		{"fields": {"id"}},
		{"fields": {`{"id":1}`}},
		{"fields": {`[]`}},
		{"fields": {`[1]`}},
		{"fields": {`[""]`}},
		{"fields": {`[{"a":["x"],"b":["y"]}]`}},
		{"fields": {`[{"a":"x"}]`}},
		{"fields": {`["id"] x`}},
		{"fields": {`["id"]`, `["status"]`}},
	} {
		t.Run(q.Encode(), func(t *testing.T) {
			var calls atomic.Int32
			rec := project(t, projectionHandler(200, "application/json", projectionRecord, &calls), q)
			assert.Equal(t, 400, rec.Code)
			assert.Contains(t, rec.Body.String(), `"errors":{"integration-error":[`)
			assert.Zero(t, calls.Load(), "the handler does not run")
		})
	}
}

func TestProjectionStraightThrough(t *testing.T) {
	rec := httptest.NewRecorder()
	var got http.ResponseWriter
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = w })
	projection{}.wrap(h).ServeHTTP(rec, httptest.NewRequest("GET", "/api/integration_errors?status=error&myfields=1", nil))
	require.Same(t, rec, got, "without the parameters the handler writes to the client directly")
}

func BenchmarkProjectionFields(b *testing.B) {
	list := "[" + strings.Repeat(projectionRecord+",", 49) + projectionRecord + "]"
	var calls atomic.Int32
	h := projection{}.wrap(projectionHandler(200, "application/json", list, &calls))
	query := "/api/integration_errors?fields=" + url.QueryEscape(`["id","status",{"integration":["code"]}]`)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", query, nil))
	}
}
