package openapi_test

import (
	"strings"
	"testing"

	"github.com/coupakit/coupakit/openapi"
)

// TestAdminSpec checks that the admin spec loads, that every operation has an
// operationId, and that every route lives under /_mock/ (the mock's) or
// /_proxy/ (the proxy's).
func TestAdminSpec(t *testing.T) {
	doc, err := openapi.Admin()
	if err != nil {
		t.Fatal(err)
	}
	if doc.Components.Schemas["Error"] == nil {
		t.Fatal("no Error schema")
	}
	ids := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/_mock/") && !strings.HasPrefix(path, "/_proxy/") {
			t.Errorf("%s: not under /_mock/ or /_proxy/", path)
		}
		for method, op := range item.Operations() {
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s %s: missing or repeated operationId %q", method, path, op.OperationID)
			}
			ids[op.OperationID] = true
			if op.Responses.Default() != nil {
				t.Errorf("%s %s: has a default response; list every status", method, path)
			}
		}
	}
}
