package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// projectionRecord is an integration error as a handler writes it, with an
// id beyond 2^53, a decimal that must keep its trailing zero, associations
// with and without an id, and arrays of every sort.
const projectionRecord = `{"id":12,"status":"error","document-type":"InvoiceHeader","document-id":9007199254740993,` +
	`"total":"567.07","ratio":1.10,"resolved":false,"external-id":null,` +
	`"integration":{"id":3,"code":"SAP","name":"SAP export","contacts":[{"email":"ap@example.com","contact-alert-type":"Both"}]},` +
	`"created-by":{"id":1,"login":"jdoe","email":"jdoe@example.com"},"updated-by":null,` +
	`"responses":[{"id":100,"response-code":"E1","response-message":"bad"},{"id":101,"response-code":"E2","response-message":"worse"}],` +
	`"custom":{"note":"no id"},"tags":["a","b"],"empty-list":[],"idless-list":[{"x":1}],"mixed-list":[1,{"id":5,"y":2},{"z":3},null]}`

// projectionRecord2 is a second, smaller record for lists.
const projectionRecord2 = `{"id":9223372036854775807,"status":"warning","document-type":"Supplier",` +
	`"integration":{"id":4,"code":"ORACLE","name":"Oracle"},"responses":[]}`

// projectionList is a list answer of both records.
const projectionList = "[" + projectionRecord + "," + projectionRecord2 + "]"

// projectionHandler answers status with body as JSON, as the mock's
// handlers do, with the Content-Length of what it writes (stale once the
// projection reshapes it) and another header, and counts its calls.
func projectionHandler(status int, body string, calls *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls != nil {
			calls.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
		w.Header().Set("X-Request-Id", "r-1")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
		_, _ = io.WriteString(w, "\n")
	})
}

// projectionServe sends a request with the raw query through the projection
// around h and returns the recorded answer.
func projectionServe(t testing.TB, p projection, h http.Handler, method, rawQuery string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "/api/integration_errors?"+rawQuery, nil)
	rec := httptest.NewRecorder()
	p.wrap(h).ServeHTTP(rec, req)
	return rec
}

// projectionQuery encodes return_object and fields (either may be "", for
// absent) as a raw query, with a filter before them.
func projectionQuery(returnObject, fields string) string {
	v := url.Values{"status": {"error"}}
	if returnObject != "" {
		v.Set("return_object", returnObject)
	}
	if fields != "" {
		v.Set("fields", fields)
	}
	return v.Encode()
}

// TestProjectionReshapes covers each mode on one record and on a list: the
// exact body (members in the record's order, keys and values as written),
// the status, and the recomputed Content-Length.
func TestProjectionReshapes(t *testing.T) {
	shallowRecord := `{"id":12,"status":"error","document-type":"InvoiceHeader","document-id":9007199254740993,` +
		`"total":"567.07","ratio":1.10,"resolved":false,"external-id":null,"integration":{"id":3},"created-by":{"id":1},` +
		`"updated-by":null,"responses":[{"id":100},{"id":101}],"tags":["a","b"],"empty-list":[],"mixed-list":[1,{"id":5},null]}`
	shallowRecord2 := `{"id":9223372036854775807,"status":"warning","document-type":"Supplier","integration":{"id":4},"responses":[]}`
	cases := []struct {
		name                 string
		returnObject, fields string
		status               int // 200 unless set
		record, list         string
	}{
		{
			name: "limited", returnObject: "limited",
			record: `{"id":12}`,
			list:   `[{"id":12},{"id":9223372036854775807}]`,
		},
		{
			name: "shallow", returnObject: "shallow",
			record: shallowRecord,
			list:   "[" + shallowRecord + "," + shallowRecord2 + "]",
		},
		{
			name: "fields", fields: `["id","status",{"integration":["code"]}]`,
			record: `{"id":12,"status":"error","integration":{"code":"SAP"}}`,
			list:   `[{"id":12,"status":"error","integration":{"code":"SAP"}},{"id":9223372036854775807,"status":"warning","integration":{"code":"ORACLE"}}]`,
		},
		{
			name: "fields in each item of an array association", fields: `[{"responses":["response-code","id"]}]`,
			record: `{"responses":[{"id":100,"response-code":"E1"},{"id":101,"response-code":"E2"}]}`,
			list:   `[{"responses":[{"id":100,"response-code":"E1"},{"id":101,"response-code":"E2"}]},{"responses":[]}]`,
		},
		{
			name: "fields nested twice", fields: `[{"integration":["id",{"contacts":["email"]}]}]`,
			record: `{"integration":{"id":3,"contacts":[{"email":"ap@example.com"}]}}`,
			list:   `[{"integration":{"id":3,"contacts":[{"email":"ap@example.com"}]}},{"integration":{"id":4}}]`,
		},
		{
			name: "fields with underscores", fields: `["document_type","external_id",{"created_by":["login"]},"empty_list"]`,
			record: `{"document-type":"InvoiceHeader","external-id":null,"created-by":{"login":"jdoe"},"empty-list":[]}`,
			list:   `[{"document-type":"InvoiceHeader","external-id":null,"created-by":{"login":"jdoe"},"empty-list":[]},{"document-type":"Supplier"}]`,
		},
		{
			name: "fields with unknown names", fields: `["id","nope",{"ghost":["x"]},{"integration":["nope"]},{"status":["x"]}]`,
			// an association's unknown elements leave it empty; a list on a
			// scalar keeps the scalar
			record: `{"id":12,"status":"error","integration":{}}`,
			list:   `[{"id":12,"status":"error","integration":{}},{"id":9223372036854775807,"status":"warning","integration":{}}]`,
		},
		{
			name: "fields on a null association", fields: `[{"updated_by":["login"]},{"external-id":["x"]}]`,
			record: `{"external-id":null,"updated-by":null}`,
			list:   `[{"external-id":null,"updated-by":null},{}]`,
		},
		{
			name: "fields naming an element whole wins", fields: `[{"created-by":["login"]},"created_by",{"integration":["code"]},"integration"]`,
			record: `{"integration":{"id":3,"code":"SAP","name":"SAP export","contacts":[{"email":"ap@example.com","contact-alert-type":"Both"}]},"created-by":{"id":1,"login":"jdoe","email":"jdoe@example.com"}}`,
			list:   `[{"integration":{"id":3,"code":"SAP","name":"SAP export","contacts":[{"email":"ap@example.com","contact-alert-type":"Both"}]},"created-by":{"id":1,"login":"jdoe","email":"jdoe@example.com"}},{"integration":{"id":4,"code":"ORACLE","name":"Oracle"}}]`,
		},
		{
			name: "fields lists joined", fields: `[{"integration":["code"]},{"integration":["name"]},{"created_by":["id"]},{"created-by":["login"]}]`,
			record: `{"integration":{"code":"SAP","name":"SAP export"},"created-by":{"id":1,"login":"jdoe"}}`,
			list:   `[{"integration":{"code":"SAP","name":"SAP export"},"created-by":{"id":1,"login":"jdoe"}},{"integration":{"code":"ORACLE","name":"Oracle"}}]`,
		},
		{
			name: "numbers exact", fields: `["document-id","ratio","id"]`,
			record: `{"id":12,"document-id":9007199254740993,"ratio":1.10}`,
			list:   `[{"id":12,"document-id":9007199254740993,"ratio":1.10},{"id":9223372036854775807}]`,
		},
		{
			name: "fields wins over limited", returnObject: "limited", fields: `["status"]`,
			record: `{"status":"error"}`,
			list:   `[{"status":"error"},{"status":"warning"}]`,
		},
		{
			name: "fields wins over shallow", returnObject: "shallow", fields: `[{"integration":["code"]}]`,
			record: `{"integration":{"code":"SAP"}}`,
			list:   `[{"integration":{"code":"SAP"}},{"integration":{"code":"ORACLE"}}]`,
		},
		{
			name: "created", returnObject: "limited", status: http.StatusCreated,
			record: `{"id":12}`,
			list:   `[{"id":12},{"id":9223372036854775807}]`,
		},
	}
	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, []byte(projectionList), "", "\t"))
	for _, tc := range cases {
		status := tc.status
		if status == 0 {
			status = http.StatusOK
		}
		for _, answer := range []struct {
			name, in, want string
			compact        bool // compare the answer once compacted
		}{
			{"record", projectionRecord, tc.record, false},
			{"list", projectionList, tc.list, false},
			{"indented list", indented.String(), tc.list, true},
		} {
			t.Run(tc.name+"/"+answer.name, func(t *testing.T) {
				var calls atomic.Int32
				rec := projectionServe(t, projection{}, projectionHandler(status, answer.in, &calls),
					http.MethodGet, projectionQuery(tc.returnObject, tc.fields))
				require.Equal(t, int32(1), calls.Load())
				require.Equal(t, status, rec.Code)
				require.True(t, json.Valid(rec.Body.Bytes()), rec.Body.String())
				got := rec.Body.String()
				if answer.compact {
					var c bytes.Buffer
					require.NoError(t, json.Compact(&c, rec.Body.Bytes()))
					got = c.String() + "\n"
				}
				require.Equal(t, answer.want+"\n", got)
				require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				require.Equal(t, strconv.Itoa(rec.Body.Len()), rec.Header().Get("Content-Length"))
				require.Equal(t, "r-1", rec.Header().Get("X-Request-Id"))
			})
		}
	}
}

// TestProjectionAsWritten covers the JSON text itself: strings holding
// brackets, quotes and commas, escaped keys (an id spelt \u0069d), numbers
// no float64 can hold, and keys spelt both ways.
func TestProjectionAsWritten(t *testing.T) {
	const tricky = `{"x":"} ] , \" {","\u0069d":7,"big":1e400,"nested":{"s":"}\\","id":"a\"b"},` +
		`"arr":["]",{"id":1,"t":"{"}],"a_b":1,"a-b":2,"c-d":3}`
	for _, tc := range []struct{ name, body, query, want string }{
		{"limited", tricky, "return_object=limited", `{"\u0069d":7}`},
		{"shallow", tricky, "return_object=shallow",
			`{"x":"} ] , \" {","\u0069d":7,"big":1e400,"nested":{"id":"a\"b"},"arr":["]",{"id":1}],"a_b":1,"a-b":2,"c-d":3}`},
		{"fields", tricky, `fields=["x","id","big",{"nested":["s"]},{"arr":["t"]}]`,
			`{"x":"} ] , \" {","\u0069d":7,"big":1e400,"nested":{"s":"}\\"},"arr":["]",{"t":"{"}]}`},
		{"spelt as given first", tricky, `fields=["a_b"]`, `{"a_b":1}`},
		{"spelt with hyphens", tricky, `fields=["a-b","c_d"]`, `{"a-b":2,"c-d":3}`},
		{"both spellings", tricky, `fields=["a_b","a-b"]`, `{"a_b":1,"a-b":2}`},
		{"id twice, limited", `{"id":1,"x":2,"id":3}`, "return_object=limited", `{"id":3}`},
		{"empty record", `{}`, "return_object=shallow", `{}`},
		{"white space", " \r\n\t[ { \"id\" : 1 , \"a\" : [ { \"id\" : 2 } , 3 ] } , 4 ] \n", "return_object=shallow",
			`[{"id":1,"a":[{"id":2},3]},4]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			rec := projectionServe(t, projection{}, projectionHandler(http.StatusOK, tc.body, nil), http.MethodGet, v.Encode())
			require.Equal(t, tc.want+"\n", rec.Body.String())
			require.True(t, json.Valid(rec.Body.Bytes()))
		})
	}
}

// TestProjectionOtherAnswers covers answers that are not a record or a list
// of records: they are passed on as written.
func TestProjectionOtherAnswers(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"empty list", `[]`},
		{"list of non-records", `[1,"a",null,[{"id":1,"x":2}]]`},
		{"string", `"just a string"`},
		{"null", `null`},
		{"malformed", `{"id":1`},
		{"two values", `{"id":1,"x":2} {"id":2}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := projectionServe(t, projection{}, projectionHandler(http.StatusOK, tc.body, nil), http.MethodGet, "return_object=limited")
			require.Equal(t, http.StatusOK, rec.Code)
			// the list is re-encoded (compact, so unchanged), the rest passed on
			require.Equal(t, tc.body+"\n", rec.Body.String())
			require.Equal(t, strconv.Itoa(len(tc.body)+1), rec.Header().Get("Content-Length"))
		})
	}
	t.Run("items that are not objects are kept", func(t *testing.T) {
		rec := projectionServe(t, projection{}, projectionHandler(http.StatusOK, `[{"id":1,"x":2},7,null]`, nil), http.MethodGet, "return_object=limited")
		require.Equal(t, `[{"id":1},7,null]`+"\n", rec.Body.String())
	})
	t.Run("record without an id, limited", func(t *testing.T) {
		rec := projectionServe(t, projection{}, projectionHandler(http.StatusOK, `{"x":2}`, nil), http.MethodGet, "return_object=limited")
		require.Equal(t, "{}\n", rec.Body.String())
	})
}

// TestProjectionNone answers the same status with no body, no Content-Type
// and Content-Length 0, even with fields.
func TestProjectionNone(t *testing.T) {
	for _, query := range []string{
		projectionQuery("none", ""),
		projectionQuery("none", `["id"]`),
	} {
		for _, status := range []int{http.StatusOK, http.StatusCreated} {
			t.Run(fmt.Sprint(query, status), func(t *testing.T) {
				var calls atomic.Int32
				rec := projectionServe(t, projection{}, projectionHandler(status, projectionRecord, &calls), http.MethodPut, query)
				require.Equal(t, int32(1), calls.Load())
				require.Equal(t, status, rec.Code)
				require.Zero(t, rec.Body.Len())
				require.Equal(t, "0", rec.Header().Get("Content-Length"))
				require.NotContains(t, rec.Header(), "Content-Type")
				require.Equal(t, "r-1", rec.Header().Get("X-Request-Id"))
			})
		}
	}
	t.Run("an error still comes", func(t *testing.T) {
		body := `{"errors":{"integration-error":["bad"]}}`
		rec := projectionServe(t, projection{}, projectionHandler(http.StatusBadRequest, body, nil), http.MethodPut, "return_object=none")
		require.Equal(t, http.StatusBadRequest, rec.Code)
		require.Equal(t, body+"\n", rec.Body.String())
	})
}

// TestProjectionPassesOn covers answers that are not reshaped: they reach
// the client unchanged, and as they are written (the handler sees its
// status and body already recorded).
func TestProjectionPassesOn(t *testing.T) {
	cases := []struct {
		name, contentType string
		status            int
		body              string
	}{
		{"bad request", "application/json", http.StatusBadRequest, `{"errors":{"integration-error":["status is required"]}}`},
		{"not found", "application/json", http.StatusNotFound, `{"errors":{"integration-error":["no integration error has id 7"]}}`},
		{"server error", "application/json", http.StatusInternalServerError, `{"id":1,"status":"error"}`},
		{"redirect", "application/json", http.StatusFound, `{"id":1,"status":"error"}`},
		{"text", "text/plain; charset=utf-8", http.StatusOK, `{"id":1,"status":"error"}`},
		{"xml", "application/xml", http.StatusOK, `<integration-error><id type="integer">1</id></integration-error>`},
		{"json-like media type", "application/problem+json", http.StatusOK, `{"id":1,"status":"error"}`},
		{"no content type", "", http.StatusOK, `{"id":1,"status":"error"}`},
	}
	for _, tc := range cases {
		for _, query := range []string{"return_object=limited", "return_object=none", `fields=["status"]`} {
			t.Run(tc.name+"/"+query, func(t *testing.T) {
				rec := httptest.NewRecorder()
				streamed := false
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if tc.contentType != "" {
						w.Header().Set("Content-Type", tc.contentType)
					}
					w.Header().Set("Content-Length", strconv.Itoa(len(tc.body)))
					w.WriteHeader(tc.status)
					_, _ = io.WriteString(w, tc.body)
					streamed = rec.Code == tc.status && rec.Body.String() == tc.body
				})
				projection{}.wrap(h).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/integration_errors?"+query, nil))
				require.True(t, streamed, "the answer waited for the handler to return")
				require.Equal(t, tc.status, rec.Code)
				require.Equal(t, tc.body, rec.Body.String())
				require.Equal(t, strconv.Itoa(len(tc.body)), rec.Header().Get("Content-Length"))
			})
		}
	}
	t.Run("json with a charset is reshaped", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = io.WriteString(w, `{"id":1,"status":"error"}`)
		})
		rec := projectionServe(t, projection{}, h, http.MethodGet, "return_object=limited")
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, `{"id":1}`+"\n", rec.Body.String())
	})
	t.Run("nothing written", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
		rec := projectionServe(t, projection{}, h, http.MethodGet, "return_object=limited")
		require.Equal(t, http.StatusOK, rec.Code)
		require.Zero(t, rec.Body.Len())
	})
}

// TestProjectionBound passes an answer larger than the bound on unchanged,
// even when it comes in several writes, and reshapes one at the bound.
func TestProjectionBound(t *testing.T) {
	body := `{"id":1,"status":"error","padding":"` + strings.Repeat("x", 100) + `"}`
	chunked := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		for chunk := range projectionChunks(body, 10) {
			_, _ = io.WriteString(w, chunk)
		}
	})
	rec := projectionServe(t, projection{maxBytes: len(body) - 1}, chunked, http.MethodGet, "return_object=limited")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, body, rec.Body.String())
	require.Equal(t, strconv.Itoa(len(body)), rec.Header().Get("Content-Length"))

	rec = projectionServe(t, projection{maxBytes: len(body)}, chunked, http.MethodGet, "return_object=limited")
	require.Equal(t, `{"id":1}`+"\n", rec.Body.String())
	require.Equal(t, "9", rec.Header().Get("Content-Length"))
}

// projectionChunks yields s in pieces of n bytes.
func projectionChunks(s string, n int) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// TestProjectionMalformed answers 400 in Coupa's error format, without
// calling the handler, for values that are not such a JSON array.
func TestProjectionMalformed(t *testing.T) {
	const expected = `; expected a JSON array such as ["id","status",{"integration":["code"]}]`
	cases := []struct{ query, msg string }{
		{"fields=id,status", `fields: "id,status" is not JSON (invalid character 'i' looking for beginning of value)` + expected},
		{"fields=" + url.QueryEscape(`["id"`), `fields: "[\"id\"" is not JSON (unexpected EOF)` + expected},
		{"fields=" + url.QueryEscape(`["id"] ["x"]`), `fields: "[\"id\"] [\"x\"]" is not JSON (data after the first value)` + expected},
		{"fields=" + url.QueryEscape(`["id"]]`), `fields: "[\"id\"]]" is not JSON (data after the first value)` + expected},
		{"fields=", `fields: the value is empty` + expected},
		{"fields=+", `fields: the value is empty` + expected},
		{"fields=" + url.QueryEscape(`{"integration":["code"]}`), `fields: {"integration":["code"]} is an object, not an array` + expected},
		{"fields=" + url.QueryEscape(`"id"`), `fields: "id" is a string, not an array` + expected},
		{"fields=42", `fields: 42 is a number, not an array` + expected},
		{"fields=true", `fields: true is a boolean, not an array` + expected},
		{"fields=null", `fields: null is null, not an array` + expected},
		{"fields=[]", `fields: the array is empty` + expected},
		{"fields=" + url.QueryEscape(`["id",1]`), `fields: item [1] is 1, neither an element name nor an object such as {"integration":["code"]}` + expected},
		{"fields=" + url.QueryEscape(`["id",null]`), `fields: item [1] is null, neither an element name nor an object such as {"integration":["code"]}` + expected},
		{"fields=" + url.QueryEscape(`[["id"]]`), `fields: item [0] is ["id"], neither an element name nor an object such as {"integration":["code"]}` + expected},
		{"fields=" + url.QueryEscape(`[""]`), `fields: item [0] is an empty name` + expected},
		{"fields=" + url.QueryEscape(`[{}]`), `fields: item [0] is an empty object; an association is an object with one key, such as {"integration":["code"]}` + expected},
		{"fields=" + url.QueryEscape(`["id",{"b":["x"],"a":["y"]}]`), `fields: item [1] has 2 keys ("a", "b"); an association is an object with one key, such as {"integration":["code"]}` + expected},
		{"fields=" + url.QueryEscape(`[{"integration":"code"}]`), `fields: item [0]["integration"] is "code", not an array of element names` + expected},
		{"fields=" + url.QueryEscape(`[{"":["code"]}]`), `fields: item [0][""] names no association` + expected},
		{"fields=" + url.QueryEscape(`[{"integration":[]}]`), `fields: item [0]["integration"] is an empty array` + expected},
		{"fields=" + url.QueryEscape(`[{"integration":["id",{"contacts":[true]}]}]`), `fields: item [0]["integration"][1]["contacts"][0] is true, neither an element name nor an object such as {"integration":["code"]}` + expected},
		{"fields=" + url.QueryEscape(`["`+strings.Repeat("x", 80)), `fields: "[\"` + strings.Repeat("x", 62) + `..." is not JSON (unexpected EOF)` + expected},
		{"fields=" + url.QueryEscape(`["id"]`) + "&fields=" + url.QueryEscape(`["status"]`), `fields: sent 2 times; send one JSON array, expected a JSON array such as ["id","status",{"integration":["code"]}]`},
		{"fields=%zz&fields=" + url.QueryEscape(`[1]`), `fields: item [0] is 1, neither an element name nor an object such as {"integration":["code"]}` + expected}, // a value that is not escaped right is skipped, as url.ParseQuery does
		{"return_object=all", `return_object: "all" is not one of none, limited, shallow`},
		{"return_object=", `return_object: "" is not one of none, limited, shallow`},
		{"return_object=limited&return_object=shallow", `return_object: sent 2 times; send it once`},
		{"return_object=none&fields=[]", `fields: the array is empty` + expected},
		{"return_object=bogus&fields=[]", `return_object: "bogus" is not one of none, limited, shallow`},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			var calls atomic.Int32
			rec := projectionServe(t, projection{}, projectionHandler(http.StatusCreated, projectionRecord, &calls), http.MethodPost, tc.query)
			require.Zero(t, calls.Load(), "the handler ran")
			require.Equal(t, http.StatusBadRequest, rec.Code)
			require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			var answer struct {
				Errors map[string][]string `json:"errors"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &answer), rec.Body.String())
			require.Equal(t, map[string][]string{"request": {tc.msg}}, answer.Errors)
		})
	}
}

// TestProjectionStraightThrough gives the handler the client's own
// ResponseWriter when neither parameter is sent, so flushing works and
// nothing is buffered; with either, the handler gets the projection's.
func TestProjectionStraightThrough(t *testing.T) {
	for _, tc := range []struct {
		query  string
		direct bool
	}{
		{"", true},
		{"status=error&limit=50&offset=0", true},
		{"updated_at%5Bgt%5D=2026-11-23T10:00:00%2B01:00&integration%5Bcode%5D=SAP", true},
		{"myfields=1&return_objects=none&fields%5Bx%5D=1&Fields=1", true},
		{"fields%zz=1&return%5object=limited", true}, // malformed escapes: no such keys
		{"fields;x=1", true},
		{"return_object=limited", false},
		{"status=error&fields=%5B%22id%22%5D", false},
		{"return%5Fobject=limited", false},
		{"%66ields=%5B%22id%22%5D", false},
		{"return_object+=limited", true}, // "return_object " is another name
	} {
		t.Run(tc.query, func(t *testing.T) {
			rec := httptest.NewRecorder()
			var got http.ResponseWriter
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = w
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"id":1,"status":"error"}`)
				require.NoError(t, http.NewResponseController(w).Flush())
			})
			projection{}.wrap(h).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/integration_errors?"+tc.query, nil))
			if tc.direct {
				require.Same(t, rec, got)
				require.True(t, rec.Flushed)
				require.Equal(t, `{"id":1,"status":"error"}`, rec.Body.String())
			} else {
				require.IsType(t, &projectionWriter{}, got)
				require.False(t, rec.Flushed, "a buffered answer was flushed")
				require.NotEqual(t, `{"id":1,"status":"error"}`, rec.Body.String())
			}
		})
	}
	t.Run("flush of an answer passed on", func(t *testing.T) {
		rec := httptest.NewRecorder()
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "data: 1\n\n")
			require.NoError(t, http.NewResponseController(w).Flush())
			require.True(t, rec.Flushed)
		})
		projection{}.wrap(h).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?return_object=limited", nil))
		require.Equal(t, "data: 1\n\n", rec.Body.String())
	})
	t.Run("no allocation to find no parameter", func(t *testing.T) {
		query := "updated_at%5Bgt%5D=2026-11-23T10:00:00%2B01:00&integration%5Bcode%5D=SAP&limit=50&offset=0&order_by=updated-at"
		allocs := testing.AllocsPerRun(100, func() {
			if _, _, present := projectionParams(query); present {
				panic("found a parameter")
			}
		})
		require.Zero(t, allocs)
	})
}

// TestProjectionOverHTTP runs the projection in a real server, whose
// net/http checks the Content-Length it sends, and passes a 1xx answer on.
func TestProjectionOverHTTP(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		projectionHandler(http.StatusCreated, projectionList, nil).ServeHTTP(w, r)
	})
	srv := httptest.NewServer(projection{}.wrap(h))
	defer srv.Close()
	for _, tc := range []struct{ query, body string }{
		{projectionQuery("shallow", `["id"]`), `[{"id":12},{"id":9223372036854775807}]` + "\n"},
		{projectionQuery("none", ""), ""},
		{projectionQuery("", ""), projectionList + "\n"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			hints := 0
			trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, header textproto.MIMEHeader) error {
				if code == http.StatusEarlyHints {
					hints++
				}
				return nil
			}}
			req, err := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), http.MethodPost, srv.URL+"/api/integration_errors?"+tc.query, nil)
			require.NoError(t, err)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err, "the Content-Length sent did not match the body")
			require.Equal(t, http.StatusCreated, resp.StatusCode)
			require.Equal(t, tc.body, string(body))
			if tc.query != projectionQuery("", "") { // the handler's stale Content-Length is replaced
				require.Equal(t, int64(len(tc.body)), resp.ContentLength)
			}
			require.Equal(t, 1, hints)
		})
	}
}

// BenchmarkProjectionFields projects a list of 50 integration errors with
// fields (and, for scale, with return_object, and not at all). One op is
// one request through the middleware.
func BenchmarkProjectionFields(b *testing.B) {
	var list bytes.Buffer
	list.WriteByte('[')
	for i := range 50 {
		if i > 0 {
			list.WriteByte(',')
		}
		fmt.Fprintf(&list, `{"id":%d,"status":"error","contact-alert-type":"Technical","document-type":"InvoiceHeader",`+
			`"document-id":%d,"document-status":"approved","document-revision":1,"external-id":"INV-%06d",`+
			`"integration-filename":"invoices_%d.csv","creation-method":"api","resolved":false,"exported":false,`+
			`"created-at":"2026-11-23T10:00:00+01:00","updated-at":"2026-11-23T10:%02d:00+01:00",`+
			`"integration":{"id":3,"code":"SAP","name":"SAP export"},`+
			`"created-by":{"id":1,"login":"jdoe","email":"jdoe@example.com","firstname":"J","lastname":"Doe"},`+
			`"updated-by":{"id":1,"login":"jdoe","email":"jdoe@example.com","firstname":"J","lastname":"Doe"},`+
			`"responses":[{"id":%d,"response-code":"E1","response-message":"Vendor not found","created-at":"2026-11-23T10:00:00+01:00"}]}`,
			i+1, 4000+i, i, i, i, 100+i)
	}
	list.WriteByte(']')
	body := list.String()
	h := projectionHandler(http.StatusOK, body, nil)
	for _, bc := range []struct{ name, query string }{
		{"fields", projectionQuery("", `["id","status","updated-at",{"integration":["code"]},{"responses":["response-code"]}]`)},
		{"limited", projectionQuery("limited", "")},
		{"shallow", projectionQuery("shallow", "")},
		{"none", projectionQuery("none", "")},
		{"no-projection", projectionQuery("", "")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			handler := projection{}.wrap(h)
			req := httptest.NewRequest(http.MethodGet, "/api/integration_errors?"+bc.query, nil)
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			var rec *httptest.ResponseRecorder
			for b.Loop() {
				rec = httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
			}
			if rec.Code != http.StatusOK || (bc.name != "none" && rec.Body.Len() == 0) {
				b.Fatalf("answer %d %q", rec.Code, rec.Body.String())
			}
		})
	}
}
