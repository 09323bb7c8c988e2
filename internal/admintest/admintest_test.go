package admintest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	spec := Load(t)
	json := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
		wantErr            string
	}{
		{"conforms", "GET", "/_mock/health", 200, json, `{"status":"ok"}`, ""},
		{"a path parameter", "DELETE", "/_mock/faults/3", 204, nil, ``, ""},
		{"an admin error", "DELETE", "/_mock/faults/3", 404, json, `{"errors":{"fault":["no fault rule has id 3"]}}`, ""},
		{"an undocumented route", "GET", "/_mock/nonsense", 200, json, `{}`, "is not in admin.yaml"},
		{"an undocumented method", "PATCH", "/_mock/health", 200, json, `{}`, "is not in admin.yaml"},
		{"an undocumented status", "GET", "/_mock/health", 503, json, `{"status":"ok"}`, "status is not supported"},
		{"a body off the schema", "GET", "/_mock/health", 200, json, `{"status":"fine"}`, "does not conform"},
		{"an element the schema does not have", "GET", "/_mock/health", 200, json, `{"status":"ok","uptime":3}`, "does not conform"},
		{"an error of another shape", "DELETE", "/_mock/faults/3", 404, json, `{"error":"not found"}`, "does not conform"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://127.0.0.1:9/"+strings.TrimPrefix(tt.path, "/"), nil)
			err := spec.Validate(req, tt.status, tt.header, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want it to hold %q", err, tt.wantErr)
			}
		})
	}
	if err := spec.ValidateError([]byte(`{"errors":{"request":["no admin operation matches GET /_mock/x"]}}`)); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{`{"errors":{}}`, `{"errors":{"request":[]}}`, `not json`, `{"errors":{"request":"x"}}`} {
		if spec.ValidateError([]byte(bad)) == nil {
			t.Errorf("%s passed as an admin error", bad)
		}
	}
}
