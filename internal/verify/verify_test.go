package verify

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var created = Record{
	ID: 3, API: "core", Method: "POST", Path: "/api/integration_errors", Query: "fields=id&return_object=limited",
	Header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json", "text/xml"}},
	Body:   `{"status": "error", "document-id": 4711, "integration": {"code": "SAP", "id": 2}, "responses": [{"response-code": "E-042"}], "note": null}`,
	Status: 201,
}

func TestMatches(t *testing.T) {
	tests := []struct {
		name  string
		match string
		want  bool
	}{
		{"empty match", `{}`, true},
		{"api, method without case, exact path", `{"api": "core", "method": "post", "path": "/api/integration_errors"}`, true},
		{"glob path", `{"path": "/api/*"}`, true},
		{"a glob stays in its segment", `{"path": "/*"}`, false},
		{"other api", `{"api": "sourcing"}`, false},
		{"other method", `{"method": "GET"}`, false},
		{"other path", `{"path": "/api/integration_errors/3"}`, false},
		{"query value", `{"query": {"return_object": "limited", "fields": "id"}}`, true},
		{"query value absent", `{"query": {"limit": "5"}}`, false},
		{"query other value", `{"query": {"fields": "name"}}`, false},
		{"header, name without case, one of its values", `{"headers": {"accept": "text/xml"}}`, true},
		{"header other value", `{"headers": {"Content-Type": "application/xml"}}`, false},
		{"body subset", `{"body": {"status": "error", "integration": {"code": "SAP"}}}`, true},
		{"body number by value", `{"body": {"document-id": 4711.0}}`, true},
		{"body array element by element", `{"body": {"responses": [{"response-code": "E-042"}]}}`, true},
		{"body array of another length", `{"body": {"responses": []}}`, false},
		{"body null is there", `{"body": {"note": null}}`, true},
		{"body nested other value", `{"body": {"integration": {"code": "ORACLE"}}}`, false},
		{"body element absent", `{"body": {"external-id": "X"}}`, false},
		{"body type differs", `{"body": {"integration": "SAP"}}`, false},
		{"empty body object", `{"body": {}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compile(t, tt.match)
			if got := c.Matches(created); got != tt.want {
				t.Fatalf("Matches = %v, want %v (differences %+v)", got, tt.want, c.Diff(created))
			}
			if got := len(c.Diff(created)) == 0; got != tt.want {
				t.Fatalf("Diff and Matches disagree: %+v", c.Diff(created))
			}
		})
	}
	c := compile(t, `{"body": {"status": "error"}}`)
	for _, body := range []string{"", "<integration-error/>", `["status"]`, `{"status": "error"} {}`} {
		r := created
		r.Body = body
		if c.Matches(r) {
			t.Errorf("body %q matched a JSON object", body)
		}
	}
}

func TestDiff(t *testing.T) {
	c := compile(t, `{"api": "core", "method": "PUT", "path": "/api/integration_errors/*", "query": {"fields": "id", "limit": "5"},
		"headers": {"x-coupakit-tenant": "a"}, "body": {"status": "resolved", "integration": {"code": "SAP", "name": "x"}, "responses": [{}, {}], "note": 1}}`)
	got := c.Diff(created)
	want := []Difference{
		{Field: "method", Expected: "PUT", Actual: "POST"},
		{Field: "path", Expected: "/api/integration_errors/*", Actual: "/api/integration_errors"},
		{Field: "query.limit", Expected: "5"},
		{Field: "headers.X-Coupakit-Tenant", Expected: "a"},
		{Field: "body.integration.name", Expected: "x"},
		{Field: "body.note", Expected: json.Number("1"), Actual: json.RawMessage("null")},
		{Field: "body.responses", Expected: []any{map[string]any{}, map[string]any{}}, Actual: []any{map[string]any{"response-code": "E-042"}}},
		{Field: "body.status", Expected: "resolved", Actual: "error"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	r := created
	r.Body = "<xml/>"
	if d := compile(t, `{"body": {"a": 1}}`).Diff(r); len(d) != 1 || d[0].Field != "body" || d[0].Actual != "not JSON: <xml/>" {
		t.Errorf("a body that is not JSON: %+v", d)
	}
}

func TestNearMisses(t *testing.T) {
	records := []Record{
		{ID: 1, API: "core", Method: "GET", Path: "/api/integration_errors"},
		{ID: 2, API: "core", Method: "POST", Path: "/api/integration_errors", Body: `{"status": "error"}`},
		{ID: 3, API: "core", Method: "POST", Path: "/api/integration_history_records", Body: `{"status": "error"}`},
		{ID: 4, API: "sourcing", Method: "GET", Path: "/api/events"},
		{ID: 5, API: "core", Method: "POST", Path: "/api/integration_errors", Body: `{"status": "warning"}`},
	}
	c := compile(t, `{"method": "POST", "path": "/api/integration_errors", "body": {"status": "resolved"}}`)
	if n := c.Count(records); n != 0 {
		t.Fatalf("count %d", n)
	}
	got := c.NearMisses(records, 3)
	var ids []int64
	for _, nm := range got {
		ids = append(ids, nm.Request.ID)
	}
	// One difference each for 5 and 2 (newest first), then two for 3 and 1.
	if diff := cmp.Diff([]int64{5, 2, 3}, ids); diff != "" {
		t.Errorf("near misses (-want +got)\n%s", diff)
	}
	if got[0].Differences[0].Field != "body.status" || got[0].Differences[0].Actual != "warning" {
		t.Errorf("closest differs by %+v", got[0].Differences)
	}
	if got := compile(t, `{"path": "/api/events"}`).NearMisses(records, 3); len(got) != 3 {
		t.Errorf("%d near misses, want at most 3", len(got))
	}
	if got := compile(t, `{}`).NearMisses(records, 3); len(got) != 0 {
		t.Errorf("a match every record passes has near misses: %+v", got)
	}
	if got := compile(t, `{"method": "POST"}`).Find(records); len(got) != 3 || got[0].ID != 2 || got[2].ID != 5 {
		t.Errorf("Find %+v, want 2, 3, 5 in order", got)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		match string
		want  []string
	}{
		{`{"path": "api/x"}`, []string{`path must start with /, got "api/x"`}},
		{`{"path": "/api/[x"}`, []string{`path "/api/[x" is not a valid glob: syntax error in pattern`}},
		{`{"method": "GET /x", "body": [1]}`, []string{`method must be an HTTP method, got "GET /x"`, "body must be a JSON object"}},
		{`{"body": "status"}`, []string{"body must be a JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.match, func(t *testing.T) {
			var m Match
			if err := json.Unmarshal([]byte(tt.match), &m); err != nil {
				t.Fatal(err)
			}
			_, err := Compile(m)
			ve, ok := err.(*Error)
			if !ok {
				t.Fatalf("want an *Error, got %v", err)
			}
			if diff := cmp.Diff(tt.want, ve.Problems); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			if !strings.HasPrefix(err.Error(), "verify: ") {
				t.Errorf("error %q", err)
			}
		})
	}
}

func compile(t *testing.T, match string) *Matcher {
	t.Helper()
	var m Match
	if err := json.Unmarshal([]byte(match), &m); err != nil {
		t.Fatal(err)
	}
	c, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
