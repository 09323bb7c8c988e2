package openapi_test

import (
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/fixtures"
	"github.com/coupakit/coupakit/openapi"
)

func TestSpecsValidate(t *testing.T) {
	for name, load := range map[string]func() (*openapi3.T, error){"core": openapi.Core, "sourcing": openapi.Sourcing} {
		t.Run(name, func(t *testing.T) {
			doc, err := load()
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Paths.Map()) == 0 {
				t.Fatal("no paths")
			}
			for path, item := range doc.Paths.Map() {
				for method, op := range item.Operations() {
					if op.OperationID == "" {
						t.Errorf("%s %s: no operationId", method, path)
					}
					if op.Responses.Default() != nil {
						t.Errorf("%s %s: has a default response; list every status", method, path)
					}
					if op.Responses.Len() < 2 {
						t.Errorf("%s %s: documents fewer than two statuses", method, path)
					}
				}
			}
		})
	}
}

// TestDocumentedOperations pins every operation the seeds document, with its
// exact verb and path, and those of the integration guides (integrations and
// runs).
func TestDocumentedOperations(t *testing.T) {
	want := map[string][]string{
		"core": {
			"GET /api/integration_errors", "POST /api/integration_errors",
			"GET /api/integration_errors/{id}", "PUT /api/integration_errors/{id}", "PATCH /api/integration_errors/{id}",
			"PUT /api/integration_errors/{id}/resolve", "PUT /api/integration_errors/{id}/unresolve",
			"POST /api/integration_errors/create_alert",
			"GET /api/integration_history_records", "POST /api/integration_history_records",
			"GET /api/integration_history_records/{id}", "PUT /api/integration_history_records/{id}", "PATCH /api/integration_history_records/{id}",
			"POST /api/integration_history_records/acknowledge", "POST /api/integration_history_records/create_alert",
			"POST /api/integration_history_records/create_alert_and_mark_exported", "POST /api/integration_history_records/mark_exported",
			"GET /api/integrations", "POST /api/integrations", "GET /api/integrations/{id}", "PUT /api/integrations/{id}",
			"GET /api/integration_runs", "POST /api/integration_runs", "GET /api/integration_runs/{id}", "PUT /api/integration_runs/{id}",
			"PUT /api/integration_runs/{id}/run", "PUT /api/integration_runs/{id}/pending", "PUT /api/integration_runs/{id}/pause",
			"PUT /api/integration_runs/{id}/success", "PUT /api/integration_runs/{id}/fail",
		},
		"sourcing": {
			"GET /api/events", "POST /api/events", "PUT /api/events", "DELETE /api/events",
			"GET /api/events/{id}", "PUT /api/events/{id}", "DELETE /api/events/{id}",
		},
	}
	docs := map[string]func() (*openapi3.T, error){"core": openapi.Core, "sourcing": openapi.Sourcing}
	for name, ops := range want {
		doc, err := docs[name]()
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			var method, path string
			for i := range op {
				if op[i] == ' ' {
					method, path = op[:i], op[i+1:]
					break
				}
			}
			item := doc.Paths.Find(path)
			if item == nil || item.GetOperation(method) == nil {
				t.Errorf("%s: %s is missing", name, op)
			}
		}
	}
}

// TestSeedListExampleMatchesSpec checks the seed page's list answer against
// the Event schema.
func TestSeedListExampleMatchesSpec(t *testing.T) {
	doc, err := openapi.Sourcing()
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(fixtures.MustSeed("events_list_response"), &v); err != nil {
		t.Fatal(err)
	}
	if err := doc.Components.Schemas["EventList"].Value.VisitJSON(v); err != nil {
		t.Error(err)
	}
}
