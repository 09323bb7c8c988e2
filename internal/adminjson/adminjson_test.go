package adminjson

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestStrict(t *testing.T) {
	type target struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	tests := []struct {
		in, wantErr string
	}{
		{in: `{"name": "a", "count": 2}`},
		{in: ``, wantErr: "the body is empty: send a JSON object"},
		{in: `   `, wantErr: "the body is empty"},
		{in: `{"name": "a"`, wantErr: "the body is not valid JSON: it ends too early"},
		{in: `{"name": a}`, wantErr: "the body is not valid JSON at byte 10"},
		{in: `{"nom": "a"}`, wantErr: `unknown field "nom"`},
		{in: `{"count": "two"}`, wantErr: "count: want int, got a JSON string"},
		{in: `[1]`, wantErr: "want adminjson.target, got a JSON array"},
		{in: `{} {}`, wantErr: "the body holds more than one JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var v target
			err := Strict([]byte(tt.in), &v)
			if tt.wantErr == "" {
				if err != nil || v.Name != "a" || v.Count != 2 {
					t.Fatalf("got %+v, %v", v, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want it to hold %q", err, tt.wantErr)
			}
			if strings.HasPrefix(err.Error(), "json: ") {
				t.Errorf("error %q names the Go package", err)
			}
		})
	}
}

func TestDecodeBoundsTheBody(t *testing.T) {
	r := httptest.NewRequest("POST", "/_mock/faults", strings.NewReader(`{"a": "`+strings.Repeat("x", MaxBody)+`"}`))
	var v map[string]string
	err := Decode(httptest.NewRecorder(), r, &v)
	if err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Fatalf("got %v", err)
	}
}

func TestError(t *testing.T) {
	w := httptest.NewRecorder()
	Error(w, http.StatusNotFound, "fault", "no fault rule has id 9")
	if w.Code != 404 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if got, want := w.Body.String(), `{"errors":{"fault":["no fault rule has id 9"]}}`+"\n"; got != want {
		t.Errorf("body %q, want %q", got, want)
	}
}
