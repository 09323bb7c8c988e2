package mock

import (
	"bytes"
	"encoding/json"
	"sort"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/internal/wire"
	"github.com/coupakit/coupakit/openapi"
)

// requestSchema returns the JSON request body schema of an operation.
func requestSchema(t *testing.T, load func() (*openapi3.T, error), operationID string) *openapi3.Schema {
	t.Helper()
	doc, err := load()
	if err != nil {
		t.Fatal(err)
	}
	op := findOperation(doc, operationID)
	if op == nil || op.RequestBody == nil {
		t.Fatalf("%s has no request body", operationID)
	}
	return op.RequestBody.Value.Content.Get("application/json").Schema.Value
}

func componentSchema(t *testing.T, load func() (*openapi3.T, error), name string) *openapi3.Schema {
	t.Helper()
	doc, err := load()
	if err != nil {
		t.Fatal(err)
	}
	return doc.Components.Schemas[name].Value
}

// decode decodes JSON as the validator does (UseNumber keeps 19-digit ids).
func decode(t *testing.T, text string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad JSON in test: %v", err)
	}
	return v
}

func TestNormalizeBody(t *testing.T) {
	core, cso := openapi.Core, openapi.Sourcing
	tests := []struct {
		name      string
		load      func() (*openapi3.T, error)
		op        string
		body      string
		want      string   // the normalized body
		warnings  []string // lenient mode
		strict    []string // strict mode's errors
		stillBad  bool     // the normalized body is still invalid: the validator's 400
		skipValid bool     // the body is not meant to be valid (a bulk envelope)
	}{
		{
			name: "the run guide's body", load: core, op: "runIntegrationRun",
			body:     `{"total_records": 2}`,
			want:     `{"total-records": 2}`,
			warnings: []string{`element "total_records" read as "total-records"`},
			strict:   []string{"total_records: is not an element of this resource"},
		},
		{
			name: "the purchase-order guide's run id", load: core, op: "createIntegrationError",
			body:     `{"contact-alert-type": "Technical", "integration-run-id": "10"}`,
			want:     `{"contact-alert-type": "Technical", "integration-run-id": 10}`,
			warnings: []string{`element "integration-run-id": "10" read as the integer 10`},
			strict:   []string{`integration-run-id: must be an integer, not "10"`},
		},
		{
			name: "underscore names of a create", load: core, op: "createIntegrationHistoryRecord",
			body: `{"document_type": "InvoiceHeader", "contact_alert_type": "Both", "document_id": 4711}`,
			want: `{"document-type": "InvoiceHeader", "contact-alert-type": "Both", "document-id": 4711}`,
			warnings: []string{
				`element "contact_alert_type" read as "contact-alert-type"`,
				`element "document_id" read as "document-id"`,
				`element "document_type" read as "document-type"`,
			},
			strict: []string{
				"contact_alert_type: is not an element of this resource",
				"document_id: is not an element of this resource",
				"document_type: is not an element of this resource",
			},
		},
		{
			name: "an unknown element is dropped", load: core, op: "updateIntegrationError",
			body:     `{"status": "retried", "comment": "from SAP"}`,
			want:     `{"status": "retried"}`,
			warnings: []string{`unknown element "comment" ignored`},
			strict:   []string{"comment: is not an element of this resource"},
		},
		{
			name: "a value Rails would not cast is left for the validator", load: core, op: "createIntegrationError",
			body:     `{"contact-alert-type": "Technical", "integration-run-id": "12abc", "document-id": "1e3"}`,
			want:     `{"contact-alert-type": "Technical", "integration-run-id": "12abc", "document-id": "1e3"}`,
			stillBad: true,
		},
		{
			name: "numeric strings with a sign and blanks", load: core, op: "createIntegrationError",
			body: `{"contact-alert-type": "Both", "document-id": " +42 ", "document-revision": "-1"}`,
			want: `{"contact-alert-type": "Both", "document-id": 42, "document-revision": -1}`,
			warnings: []string{
				`element "document-id": " +42 " read as the integer 42`,
				`element "document-revision": "-1" read as the integer -1`,
			},
			strict: []string{`document-id: must be an integer, not " +42 "`, `document-revision: must be an integer, not "-1"`},
		},
		{
			name: "an integer beyond int64 is left for the validator", load: core, op: "createIntegrationError",
			body:     `{"contact-alert-type": "Both", "document-id": "99999999999999999999"}`,
			want:     `{"contact-alert-type": "Both", "document-id": "99999999999999999999"}`,
			stillBad: true,
		},
		{
			name: "a number for a string element", load: core, op: "createIntegrationError",
			body:     `{"contact-alert-type": "Technical", "external-id": 4711}`,
			want:     `{"contact-alert-type": "Technical", "external-id": "4711"}`,
			warnings: []string{`element "external-id": 4711 read as the string "4711"`},
			strict:   []string{"external-id: must be a string, not 4711"},
		},
		{
			name: "booleans as Rails casts them", load: core, op: "updateIntegrationHistoryRecord",
			body: `{"exported": "true", "acknowledged": "0", "resolved": "FALSE"}`,
			want: `{"exported": true, "acknowledged": false, "resolved": false}`,
			warnings: []string{
				`element "acknowledged": "0" read as the boolean false`,
				`element "exported": "true" read as the boolean true`,
				`element "resolved": "FALSE" read as the boolean false`,
			},
			strict: []string{
				`acknowledged: must be a boolean, not "0"`,
				`exported: must be a boolean, not "true"`,
				`resolved: must be a boolean, not "FALSE"`,
			},
		},
		{
			name: "a boolean Rails would not read is left", load: core, op: "updateIntegrationHistoryRecord",
			body:     `{"exported": "yes", "status": true}`,
			want:     `{"exported": "yes", "status": true}`,
			stillBad: true, // exported is readOnly and ignored, status is not a string
		},
		{
			name: "nested: the integration and the responses", load: core, op: "createIntegrationError",
			body: `{"contact_alert_type": "Technical", "integration": {"id": "7", "Code": "SAP"},
				"integration_run": {"id": "12"},
				"responses": [{"response_code": "E-1"}, {"response-message": "ok", "note": "x"}]}`,
			want: `{"contact-alert-type": "Technical", "integration": {"id": 7}, "integration-run": {"id": 12},
				"responses": [{"response-code": "E-1"}, {"response-message": "ok"}]}`,
			warnings: []string{
				`element "contact_alert_type" read as "contact-alert-type"`,
				`element "integration-run.id": "12" read as the integer 12`,
				`element "integration.id": "7" read as the integer 7`,
				`element "integration_run" read as "integration-run"`,
				`element "responses[0].response_code" read as "responses[0].response-code"`,
				`unknown element "integration.Code" ignored`,
				`unknown element "responses[1].note" ignored`,
			},
			strict: []string{
				`contact_alert_type: is not an element of this resource`,
				`integration.Code: is not an element of this resource`,
				`integration.id: must be an integer, not "7"`,
				`integration_run: is not an element of this resource`,
				`responses[0].response_code: is not an element of this resource`,
				`responses[1].note: is not an element of this resource`,
			},
		},
		{
			name: "both spellings: the spec's wins", load: core, op: "createIntegrationError",
			body:     `{"contact-alert-type": "Both", "document-id": 1, "document_id": 2}`,
			want:     `{"contact-alert-type": "Both", "document-id": 1}`,
			warnings: []string{`element "document_id" ignored: "document-id" is sent too`},
			strict:   []string{"document_id: is not an element of this resource"},
		},
		{
			name: "integrations: contacts and their names", load: core, op: "createIntegration",
			body: `{"code": "X", "name": "X", "integration_type": "api",
				"contacts": [{"email": "a@example.com", "contact_alert_type": "Both", "phone": "1"}]}`,
			want: `{"code": "X", "name": "X", "integration-type": "api",
				"contacts": [{"email": "a@example.com", "contact-alert-type": "Both"}]}`,
			warnings: []string{
				`element "contacts[0].contact_alert_type" read as "contacts[0].contact-alert-type"`,
				`element "integration_type" read as "integration-type"`,
				`unknown element "contacts[0].phone" ignored`,
			},
			strict: []string{
				"contacts[0].contact_alert_type: is not an element of this resource",
				"contacts[0].phone: is not an element of this resource",
				"integration_type: is not an element of this resource",
			},
		},
		{
			name: "record ids as strings", load: core, op: "markIntegrationHistoryRecordsExported",
			body:     `{"ids": ["1", 2]}`,
			want:     `{"ids": [1, 2]}`,
			warnings: []string{`element "ids[0]": "1" read as the integer 1`},
			strict:   []string{`ids[0]: must be an integer, not "1"`},
		},
		{
			name: "events: each item, and settings keep what they do not declare", load: cso, op: "createEvents",
			body: `{"events": [{"market_id": "9220538753220565329", "time_zone": "Europe/Berlin", "colour": "red"},
				{"market-id": "9220538753220565329", "event_number": "5", "settings": {"currency": "USD", "bid_rounds": 2}}]}`,
			want: `{"events": [{"market-id": "9220538753220565329", "time-zone": "Europe/Berlin"},
				{"market-id": "9220538753220565329", "event-number": 5, "settings": {"currency": "USD", "bid_rounds": 2}}]}`,
			warnings: []string{
				`element "events[0].market_id" read as "events[0].market-id"`,
				`element "events[0].time_zone" read as "events[0].time-zone"`,
				`element "events[1].event-number": "5" read as the integer 5`,
				`element "events[1].event_number" read as "events[1].event-number"`,
				`unknown element "events[0].colour" ignored`,
			},
			strict: []string{
				"events[0].colour: is not an element of this resource",
				"events[0].market_id: is not an element of this resource",
				"events[0].time_zone: is not an element of this resource",
				"events[1].event_number: is not an element of this resource",
			},
		},
		{
			name: "a clean body has nothing to say", load: core, op: "createIntegrationError",
			body: `{"contact-alert-type": "Technical", "document-id": 4711, "integration": {"code": "SAP"}}`,
			want: `{"contact-alert-type": "Technical", "document-id": 4711, "integration": {"code": "SAP"}}`,
		},
		{
			name: "not an object: left for the validator", load: core, op: "createIntegrationError",
			body: `["contact-alert-type"]`, want: `["contact-alert-type"]`, stillBad: true,
		},
		{
			name: "a JSON null is left as it is", load: core, op: "updateIntegrationError",
			body: `{"document-id": null, "status": null}`, want: `{"document-id": null, "status": null}`, stillBad: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schema := requestSchema(t, tt.load, tt.op)
			in := decode(t, tt.body)
			before := decode(t, tt.body)

			got, warnings, errs := normalizeBody(in, schema, false)
			if diff := cmp.Diff(decode(t, tt.want), got); diff != "" {
				t.Errorf("normalized body (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if errs != nil {
				t.Errorf("lenient mode returned errors %q", errs)
			}
			if got, want := needsNormalizing(in, schema), len(warnings) > 0; got != want {
				t.Errorf("needsNormalizing = %v, but normalizeBody warns %q", got, warnings)
			}
			if diff := cmp.Diff(before, in); diff != "" {
				t.Errorf("the input was changed (-before +after):\n%s", diff)
			}
			verr := schema.VisitJSON(got, openapi3.VisitAsRequest(), openapi3.MultiErrors(), openapi3.DisableReadOnlyValidation())
			if tt.stillBad && verr == nil {
				t.Errorf("the normalized body validates; want the validator to reject it")
			}
			if !tt.stillBad && verr != nil {
				t.Errorf("the normalized body does not validate: %v", verr)
			}

			same, warnings, errs := normalizeBody(in, schema, true)
			if diff := cmp.Diff(before, same); diff != "" {
				t.Errorf("strict mode changed the body (-want +got):\n%s", diff)
			}
			if warnings != nil {
				t.Errorf("strict mode returned warnings %q", warnings)
			}
			if diff := cmp.Diff(tt.strict, errs); diff != "" {
				t.Errorf("strict errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStrictErrorsAreTheValidators shows that strict mode words each
// leniency as the validator words the same body today, so wiring strict
// mode keeps today's answers.
func TestStrictErrorsAreTheValidators(t *testing.T) {
	schema := requestSchema(t, openapi.Core, "createIntegrationError")
	body := decode(t, `{"contact-alert-type": "Technical", "document_type": "InvoiceHeader", "integration-run-id": "10",
		"external-id": 4711, "comment": "x", "integration": {"id": "7"}}`)
	_, _, errs := normalizeBody(body, schema, true)
	verr := schema.VisitJSON(body, openapi3.VisitAsRequest(), openapi3.MultiErrors(), openapi3.DisableReadOnlyValidation())
	if verr == nil {
		t.Fatal("the body validates")
	}
	msgs := wire.Describe(verr)
	for _, e := range errs {
		found := false
		for _, m := range msgs {
			if m == e {
				found = true
			}
		}
		if !found {
			t.Errorf("strict error %q is not among the validator's %q", e, msgs)
		}
	}
	if len(errs) != len(msgs) {
		t.Errorf("strict: %d errors %q; the validator: %d %q", len(errs), errs, len(msgs), msgs)
	}
}

func TestNormalizeOrderBy(t *testing.T) {
	record := componentSchema(t, openapi.Core, "IntegrationError")
	tests := []struct {
		name, want, warning string
		ok, strictOK        bool
	}{
		{"created-at", "created-at", "", true, true},
		{"created_at", "created-at", `order_by: element "created_at" read as "created-at"`, true, false},
		{"contact_alert_type", "contact-alert-type", `order_by: element "contact_alert_type" read as "contact-alert-type"`, true, false},
		{"comment", "comment", "", false, false},
		{"Created-At", "Created-At", "", false, false},
	}
	for _, tt := range tests {
		got, warning, ok := normalizeOrderBy(tt.name, record, false)
		if got != tt.want || warning != tt.warning || ok != tt.ok {
			t.Errorf("normalizeOrderBy(%q) = %q, %q, %t; want %q, %q, %t", tt.name, got, warning, ok, tt.want, tt.warning, tt.ok)
		}
		if _, warning, ok := normalizeOrderBy(tt.name, record, true); ok != tt.strictOK || warning != "" {
			t.Errorf("strict normalizeOrderBy(%q) = %q, %t; want no warning, %t", tt.name, warning, ok, tt.strictOK)
		}
	}
}

func TestNormalizeFields(t *testing.T) {
	record := componentSchema(t, openapi.Core, "IntegrationError")
	in := decode(t, `["id", "document_type", "comment", {"integration": ["code", "external_ref"]},
		{"created_by": ["login"]}, {"responses": ["response_code"]}, {"nothing": ["id"]}, 7]`).([]any)
	before := decode(t, `["id", "document_type", "comment", {"integration": ["code", "external_ref"]},
		{"created_by": ["login"]}, {"responses": ["response_code"]}, {"nothing": ["id"]}, 7]`).([]any)

	got, warnings, errs := normalizeFields(in, record, false)
	want := decode(t, `["id", "document-type", {"integration": ["code"]}, {"created-by": ["login"]},
		{"responses": ["response-code"]}, 7]`)
	if diff := cmp.Diff(want, any(got)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	wantWarnings := []string{
		`fields: element "created_by" read as "created-by"`,
		`fields: element "document_type" read as "document-type"`,
		`fields: element "responses.response_code" read as "responses.response-code"`,
		`fields: unknown element "comment" ignored`,
		`fields: unknown element "integration.external_ref" ignored`,
		`fields: unknown element "nothing" ignored`,
	}
	if diff := cmp.Diff(wantWarnings, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if errs != nil {
		t.Errorf("lenient mode returned errors %q", errs)
	}
	if diff := cmp.Diff(before, in); diff != "" {
		t.Errorf("the input was changed:\n%s", diff)
	}

	same, warnings, errs := normalizeFields(in, record, true)
	if diff := cmp.Diff(before, same); diff != "" {
		t.Errorf("strict mode changed the fields:\n%s", diff)
	}
	wantErrs := []string{
		"fields: created_by: is not an element of this resource",
		"fields: document_type: is not an element of this resource",
		"fields: responses.response_code: is not an element of this resource",
	}
	if diff := cmp.Diff(wantErrs, errs); diff != "" || warnings != nil {
		t.Errorf("strict errors (-want +got):\n%s\nwarnings %q", diff, warnings)
	}
}

// TestNeedsNormalizingBodies: the bodies clients send as the spec spells
// them need no normalizing, and one leniency anywhere in them does, on
// every operation that takes a JSON body.
func TestNeedsNormalizingBodies(t *testing.T) {
	tests := []struct {
		load func() (*openapi3.T, error)
		op   string
		body string
		want bool
	}{
		{openapi.Core, "createIntegrationError", `{"contact-alert-type":"Technical","status":"error","integration":{"code":"X"},"responses":[{"response-code":"200","response-message":"ok"}]}`, false},
		{openapi.Core, "createIntegrationError", `{"contact-alert-type":"Technical","integration-run-id":10}`, false},
		{openapi.Core, "createIntegrationError", `{"contact-alert-type":"Technical","responses":[{"response_code":"200"}]}`, true},
		{openapi.Core, "createIntegrationError", `{"contact-alert-type":"Technical","integration-run-id":"10"}`, true},
		{openapi.Core, "createIntegrationError", `{"contact-alert-type":"Technical","comment":"x"}`, true},
		{openapi.Core, "createIntegrationError", `{"contact-alert-type":"Technical","integration":{"id":"7"}}`, true},
		{openapi.Core, "createIntegrationError", `{"contact-alert-type":"Technical","external-id":4711}`, true},
		{openapi.Core, "createIntegrationError", `[1,2]`, false},
		{openapi.Sourcing, "createEvents", `{"events":[{"name":"x","market-id":"9220538753220565329","settings":{"currency":"USD"}}]}`, false},
		{openapi.Sourcing, "createEvents", `{"events":[{"name":"x"},{"name":"y","market_id":"1"}]}`, true},
	}
	for _, tt := range tests {
		schema := requestSchema(t, tt.load, tt.op)
		in := decode(t, tt.body)
		_, warnings, _ := normalizeBody(in, schema, false)
		if got := needsNormalizing(in, schema); got != tt.want || got != (len(warnings) > 0) {
			t.Errorf("%s %s: needsNormalizing %v, want %v (normalizeBody warns %q)", tt.op, tt.body, got, tt.want, warnings)
		}
		if !tt.want {
			if n := testing.AllocsPerRun(20, func() { needsNormalizing(in, schema) }); n != 0 {
				t.Errorf("%s %s: needsNormalizing allocates %v times", tt.op, tt.body, n)
			}
		}
	}
}

// FuzzNeedsNormalizing: needsNormalizing is true just when normalizeBody
// warns, for any JSON body against any operation's request schema, and
// normalizeBody never warns of a body the request checker passes with every
// element declared (which the leniency layer does not decode). Seeds
// are in testdata/fuzz/FuzzNeedsNormalizing.
func FuzzNeedsNormalizing(f *testing.F) {
	type opSchema struct {
		id     string
		schema *openapi3.Schema
	}
	var schemas []opSchema
	for _, load := range []func() (*openapi3.T, error){openapi.Core, openapi.Sourcing} {
		doc, err := load()
		if err != nil {
			f.Fatal(err)
		}
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				if op.RequestBody == nil || op.RequestBody.Value == nil {
					continue
				}
				if c := op.RequestBody.Value.Content.Get("application/json"); c != nil && c.Schema != nil && c.Schema.Value != nil {
					schemas = append(schemas, opSchema{op.OperationID, c.Schema.Value})
				}
			}
		}
	}
	sort.Slice(schemas, func(i, j int) bool { return schemas[i].id < schemas[j].id })
	checkers := make([]*openapi.Checker, len(schemas)) // nil where the schema does not compile
	for i, s := range schemas {
		checkers[i], _ = openapi.NewRequestChecker(s.schema)
	}
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		schema, c := schemas[int(which)%len(schemas)].schema, checkers[int(which)%len(schemas)]
		_, warnings, _ := normalizeBody(v, schema, false)
		if got := needsNormalizing(v, schema); got != (len(warnings) > 0) {
			t.Fatalf("needsNormalizing(%s) = %v, but normalizeBody warns %q", body, got, warnings)
		}
		// The leniency layer leaves undecoded a body its request checker
		// passes with every element declared: it must need no reading.
		if c != nil {
			if res := c.Check(body, ""); res.Valid && !res.Undeclared && len(warnings) > 0 {
				t.Fatalf("the request checker passes %s, every element declared, but normalizeBody warns %q", body, warnings)
			}
		}
	})
}
