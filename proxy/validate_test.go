package proxy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/mock"
)

// stdDecode is what decodeJSON must equal: encoding/json with UseNumber, on
// a document json.Valid accepts (one value, nothing after it).
func stdDecode(data []byte) (any, bool) {
	if !json.Valid(data) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

var jsonSeeds = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e+10`, `-12.5E-3`, `9220538753220565329`,
	`"plain"`, `"é ü 日本"`, `"esc \" \\ \/ \b \f \n \r \t"`, `"\u00e9\u65e5"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00x"`,
	`"\ud83d\u0041"`, "\"bad \xff\xfe utf8\"", "\"bad \xff\\n esc\"", `{"a":1,"a":2}`, ` [1, [2, [3, {"b": null}]]] `,
	`{"id": "9220538753252871408", "settings": {"currency": "USD"}, "n": [1, 2.0, -3e2]}`,
	// Invalid documents.
	``, `{`, `[1,]`, `{"a":}`, `{"a" 1}`, `01`, `1.`, `-`, `1e`, `.5`, `+1`, `tru`, `nul`, `"unterminated`,
	"\"ctrl \x01\"", `"\x"`, `"\u12"`, `"\uzzzz"`, `[1] 2`, `{"a":1}}`, `{1:2}`, `[` + "\x00" + `]`,
	`[1],`, `[1] ]`, "{} \t\n ",
}

func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	want, valid := stdDecode(data)
	got, err := decodeJSON(data)
	if (err == nil) != valid {
		t.Fatalf("%q: error %v, json.Valid %v", data, err, valid)
	}
	if err == nil {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q: mismatch (-encoding/json +decodeJSON):\n%s", data, diff)
		}
	}
}

// TestDecodeJSONLikeEncodingJSON decodes the seeds and the mock's answers
// as encoding/json does, and refuses what json.Valid refuses: an empty or
// cut body, and data after the document.
func TestDecodeJSONLikeEncodingJSON(t *testing.T) {
	for _, s := range jsonSeeds {
		checkDecode(t, []byte(s))
	}
	m, err := mock.New(mock.Options{Seed: 1, Records: 60})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []http.Handler{m.CoreHandler(), m.SourcingHandler()} {
		for _, path := range []string{"/api/integration_errors?limit=50", "/api/integration_history_records", "/api/integrations", "/api/integration_runs", "/api/events"} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Accept", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			checkDecode(t, rec.Body.Bytes())
		}
	}
}
