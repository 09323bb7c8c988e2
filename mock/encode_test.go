package mock

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/coupaxml"
	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/gen/sourcing"
	"github.com/coupakit/coupakit/openapi"
)

func TestAppendStringIsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " back \ slash`, "<b>&amp;</b>", "tab\tnl\ncr\r\b\f\x00\x1f\x7f",
		"caf\u00e9 \u2028 \u2029 \U0001F600", "bad \xff utf-8 \xc3", strings.Repeat("é", 100)} {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(appendString(nil, s)), "%q", s)
	}
}

// rfc3339 matches the datetimes encoding/json writes.
var rfc3339 = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"`)

// coupaDatetimes rewrites the datetimes of encoding/json's output as Coupa
// writes them, the one way the mock's answers differ from it.
func coupaDatetimes(data []byte) string {
	return rfc3339.ReplaceAllStringFunc(string(data), func(q string) string {
		return `"` + coupaxml.Datetime(q[1:len(q)-1]) + `"`
	})
}

// keys returns the keys of a JSON object in the order written.
func keys(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var out []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		out = append(out, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return out
}

func TestAnswersFollowTheSpecOrder(t *testing.T) {
	o, err := newJSONOrder(openapi.CoreYAML)
	require.NoError(t, err)
	order := o.order["IntegrationError"]
	require.NotEmpty(t, order)

	st := newState(3, 5)
	rec, ok := st.errors().get(2)
	require.True(t, ok)
	rec.ExternalId = ptr("<SAP & co>")
	resp := core.ShowIntegrationError200JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}
	w := httptest.NewRecorder()
	require.True(t, o.respond(w, resp, nil))
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))

	// The same value as encoding/json, element by element.
	want, err := json.Marshal(resp)
	require.NoError(t, err)
	assert.JSONEq(t, coupaDatetimes(want), w.Body.String())
	assert.True(t, strings.HasSuffix(w.Body.String(), "}\n"))
	assert.Contains(t, w.Body.String(), `"\u003cSAP \u0026 co\u003e"`, "escaped as encoding/json does")

	got := keys(t, w.Body.Bytes())
	assert.Equal(t, "id", got[0], "id first")
	pos := map[string]int{}
	for i, k := range order {
		pos[k] = i
	}
	for i := 2; i < len(got); i++ {
		assert.Less(t, pos[got[i-1]], pos[got[i]], "%s before %s, as the spec lists them", got[i-1], got[i])
	}

	list := httptest.NewRecorder()
	rows, _ := st.errors().list(nil, 0, 3, false)
	require.True(t, o.respond(list, core.ListIntegrationErrors200JSONResponse(rows), nil))
	want, _ = json.Marshal(rows)
	assert.JSONEq(t, coupaDatetimes(want), list.Body.String())

	created := httptest.NewRecorder()
	require.True(t, o.respond(created, core.CreateIntegrationError201JSONResponse{IntegrationErrorJSONResponse: core.IntegrationErrorJSONResponse(rec)}, nil))
	assert.Equal(t, 201, created.Code, "the status comes from the response type")

	assert.False(t, o.respond(httptest.NewRecorder(), core.ShowIntegrationError401JSONResponse{}, nil), "answers with headers of their own are the generated code's")
	assert.False(t, o.respond(httptest.NewRecorder(), nil, nil))
	assert.False(t, o.respond(httptest.NewRecorder(), struct{}{}, nil))
}

func TestEventAnswersFollowTheSpecOrder(t *testing.T) {
	o, err := newJSONOrder(openapi.SourcingYAML)
	require.NoError(t, err)
	st := newState(3, 2)
	rows, _ := st.events().list(nil, 0, 2, false)
	list := sourcing.EventList{Total: 2, Events: []sourcing.Event{rows[0].ev, rows[1].ev}}
	list.Events[0].Settings.AdditionalProperties = map[string]any{"b": 1, "a": []any{"x"}}
	w := httptest.NewRecorder()
	require.True(t, o.respond(w, sourcing.ListEvents200JSONResponse(list), nil))
	want, _ := json.Marshal(list)
	assert.JSONEq(t, coupaDatetimes(want), w.Body.String())
	assert.Equal(t, o.order["EventList"], keys(t, w.Body.Bytes()))
	var first struct{ Events []json.RawMessage }
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &first))
	ev := keys(t, first.Events[0])
	assert.Equal(t, "id", ev[0])
}

func TestEncoderCoversEveryResponseType(t *testing.T) {
	// A time outside encoding/json's range is refused, not written.
	o := &jsonOrder{order: map[string][]string{}}
	_, ok := o.append(nil, reflect.ValueOf(struct {
		T time.Time `json:"t"`
	}{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}))
	assert.False(t, ok)
}

// BenchmarkEncodeList50 encodes an index page of 50 integration errors in
// the spec's order; BenchmarkEncodeList50EncodingJSON is encoding/json's
// alphabetical encoding of the same page, for comparison.
func BenchmarkEncodeList50(b *testing.B) {
	o, err := newJSONOrder(openapi.CoreYAML)
	if err != nil {
		b.Fatal(err)
	}
	rows, _ := newState(1, 200).errors().list(nil, 100, 50, false)
	resp := core.ListIntegrationErrors200JSONResponse(rows)
	b.ReportAllocs()
	report := cpuPerOp(b)
	for b.Loop() {
		if !o.respond(discard{}, resp, nil) {
			b.Fatal("not encoded")
		}
	}
	report()
}

func BenchmarkEncodeList50EncodingJSON(b *testing.B) {
	rows, _ := newState(1, 200).errors().list(nil, 100, 50, false)
	resp := core.ListIntegrationErrors200JSONResponse(rows)
	b.ReportAllocs()
	report := cpuPerOp(b)
	for b.Loop() {
		if err := resp.VisitListIntegrationErrorsResponse(discard{}); err != nil {
			b.Fatal(err)
		}
	}
	report()
}

// discard is a ResponseWriter that drops the answer.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}

// TestEncoderWritesWhatEncodingJSONWrites holds the encoder to
// encoding/json byte for byte on a type whose fields have no spec order
// (so both follow the struct), over every kind it encodes itself and
// those it hands to encoding/json, each with and without omitempty.
func TestEncoderWritesWhatEncodingJSONWrites(t *testing.T) {
	type inner struct {
		Name string `json:"name,omitempty"`
		N    *int64 `json:"n,omitempty"`
	}
	type Embedded struct {
		E string `json:"e"`
	}
	type all struct {
		Embedded
		I8     int8                `json:"i8"`
		I16    int16               `json:"i16,omitempty"`
		I32    int32               `json:"i32"`
		I      int                 `json:"i,omitempty"`
		U8     uint8               `json:"u8"`
		U16    uint16              `json:"u16,omitempty"`
		U32    uint32              `json:"u32"`
		U64    uint64              `json:"u64,omitempty"`
		F      float64             `json:"f,omitempty"`
		F32    float32             `json:"f32"`
		B      bool                `json:"b,omitempty"`
		S      string              `json:"s"`
		T      time.Time           `json:"t"`
		TP     *time.Time          `json:"tp,omitempty"`
		P      *inner              `json:"p"`
		PO     *inner              `json:"po,omitempty"`
		List   []inner             `json:"list"`
		ListO  []inner             `json:"list_o,omitempty"`
		Ptrs   *[]*inner           `json:"ptrs,omitempty"`
		Bytes  []byte              `json:"bytes"`
		Map    map[string]any      `json:"map,omitempty"`
		Any    any                 `json:"any,omitempty"`
		Arr    [2]int              `json:"arr"`
		Strs   []string            `json:"strs,omitempty"`
		Nested map[string][]string `json:"nested"`
		Plain  int64
	}
	n := int64(-7)
	tm := time.Date(2026, 12, 1, 10, 0, 0, 500, time.FixedZone("", 3600))
	values := []all{
		{},
		{Embedded: Embedded{"<e>"}, I8: -8, I16: -16, I32: -32, I: -1, U8: 8, U16: 16, U32: 32, U64: 1 << 63,
			F: -0.5, F32: 1.25, B: true, S: "caf\u00e9 \"q\" \u2028 \xff", T: tm, TP: &tm,
			P: &inner{Name: "a", N: &n}, PO: &inner{}, List: []inner{{Name: "x"}, {}}, ListO: []inner{{N: &n}},
			Ptrs: &[]*inner{nil, {Name: "y"}}, Bytes: []byte("hi"), Map: map[string]any{"b": 1, "a": []any{"x"}},
			Any: 3.5, Arr: [2]int{1, 2}, Strs: []string{"s"}, Nested: map[string][]string{"k": nil}, Plain: 9},
		{List: []inner{}, Bytes: []byte{}, Map: map[string]any{}, Strs: []string{}},
	}
	o := &jsonOrder{order: map[string][]string{}}
	// Datetimes are the one deliberate difference: written as Coupa writes
	// them, to the second with a numeric offset, in UTC here.
	coupaTimes := strings.NewReplacer(
		`"`+time.Time{}.Format(time.RFC3339Nano)+`"`, `"0001-01-01T00:00:00+00:00"`,
		`"`+tm.Format(time.RFC3339Nano)+`"`, `"`+tm.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05-07:00")+`"`,
	)
	for i, v := range values {
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		want := coupaTimes.Replace(string(raw))
		got, ok := o.append(nil, reflect.ValueOf(v))
		require.True(t, ok, "value %d", i)
		assert.Equal(t, string(want), string(got), "value %d", i)
		got, ok = o.append(nil, reflect.ValueOf(&v)) // through a pointer
		require.True(t, ok, "value %d", i)
		assert.Equal(t, string(want), string(got), "value %d by pointer", i)
	}
}
