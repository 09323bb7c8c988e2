package openapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/openapi"
)

// checkerSpec holds the schemas the checker cases are judged against.
const checkerSpec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Record:
      type: object
      additionalProperties: false
      required: [id, status]
      properties:
        id: {type: integer, format: int64, minimum: 1}
        small: {type: integer, format: int32}
        status: {type: string, enum: [open, closed]}
        name: {type: string, maxLength: 3, minLength: 1}
        code: {type: string, pattern: '^[A-Z]+$'}
        at: {type: string, format: date-time}
        ratio: {type: number, minimum: 0, maximum: 1, exclusiveMaximum: true}
        note: {type: string, nullable: true}
        flag: {type: boolean}
        secret: {type: string, writeOnly: true}
        tags: {type: array, minItems: 1, maxItems: 2, items: {type: string}}
        extra: {type: object, additionalProperties: {type: integer}, minProperties: 1}
        free: {}
    Both:
      allOf:
        - {type: object, required: [a], properties: {a: {type: string}}}
        - {type: object, required: [b], properties: {b: {type: integer}}}
    Page:
      type: object
      required: [events]
      properties:
        events: {type: array, items: {$ref: "#/components/schemas/Record"}}
    List:
      type: array
      items: {$ref: "#/components/schemas/Record"}
`

func checkerSchemas(t testing.TB) map[string]*openapi3.Schema {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(checkerSpec))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatal(err)
	}
	out := map[string]*openapi3.Schema{}
	for name, ref := range doc.Components.Schemas {
		out[name] = ref.Value
	}
	return out
}

// kinVerdict is what kin-openapi says of a document, as the proxy asks it.
func kinVerdict(schema *openapi3.Schema, data []byte) (decoded bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return false, nil
	}
	return true, schema.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsResponse(),
		openapi3.WithStringFormatValidator("date-time", openapi.SecondsDateTime{}))
}

// TestCheckerAgreesWithKin: where the checker passes a document, kin-openapi
// finds nothing wrong; and the checker passes the good documents, so that the
// fast path is taken.
func TestCheckerAgreesWithKin(t *testing.T) {
	schemas := checkerSchemas(t)
	cases := []struct {
		name, schema, doc string
		valid, nulls      bool
		items             int
	}{
		{"minimal", "Record", `{"id": 1, "status": "open"}`, true, false, -1},
		{"every element", "Record", `{"id": 9223372036854775807, "small": -5, "status": "closed", "name": "élé", "code": "AB",
			"at": "2026-12-01T08:17:20+01:00", "ratio": 0.5, "note": "x", "flag": true, "tags": ["a"], "extra": {"k": 1}, "free": [null, {}]}`, true, true, -1},
		{"escaped string", "Record", `{"id": 1, "status": "op\u0065n", "name": "a\"b"}`, true, false, -1},
		{"nullable null", "Record", `{"id": 1, "status": "open", "note": null}`, true, true, -1},
		{"null not nullable", "Record", `{"id": 1, "status": null}`, false, false, -1},
		{"missing required", "Record", `{"id": 1}`, false, false, -1},
		{"unknown element", "Record", `{"id": 1, "status": "open", "colour": "red"}`, false, false, -1},
		{"enum", "Record", `{"id": 1, "status": "Open"}`, false, false, -1},
		{"type", "Record", `{"id": "1", "status": "open"}`, false, false, -1},
		{"fraction for an integer", "Record", `{"id": 1.5, "status": "open"}`, false, false, -1},
		{"minimum", "Record", `{"id": 0, "status": "open"}`, false, false, -1},
		{"int32", "Record", `{"id": 1, "small": 2147483648, "status": "open"}`, false, false, -1},
		{"int64", "Record", `{"id": 9223372036854775808, "status": "open"}`, false, false, -1},
		{"maxLength in characters", "Record", `{"id": 1, "status": "open", "name": "éééé"}`, false, false, -1},
		{"minLength", "Record", `{"id": 1, "status": "open", "name": ""}`, false, false, -1},
		{"pattern", "Record", `{"id": 1, "status": "open", "code": "ab"}`, false, false, -1},
		{"datetime without offset", "Record", `{"id": 1, "status": "open", "at": "2026-12-01T08:17:20"}`, false, false, -1},
		{"datetime with a fraction", "Record", `{"id": 1, "status": "open", "at": "2026-12-01T08:17:20.5Z"}`, false, false, -1},
		{"datetime out of range", "Record", `{"id": 1, "status": "open", "at": "2026-13-01T08:17:20Z"}`, false, false, -1},
		{"leap day", "Record", `{"id": 1, "status": "open", "at": "2024-02-29T23:59:59-07:00"}`, true, false, -1},
		{"no leap day", "Record", `{"id": 1, "status": "open", "at": "2026-02-29T08:17:20Z"}`, false, false, -1},
		{"datetime, hour 24", "Record", `{"id": 1, "status": "open", "at": "2026-12-01T24:00:00Z"}`, false, false, -1},
		{"datetime, offset hour 24", "Record", `{"id": 1, "status": "open", "at": "2026-12-01T08:00:00+24:00"}`, false, false, -1},
		{"exclusive maximum", "Record", `{"id": 1, "status": "open", "ratio": 1}`, false, false, -1},
		{"write-only in an answer", "Record", `{"id": 1, "status": "open", "secret": "s"}`, false, false, -1},
		{"minItems", "Record", `{"id": 1, "status": "open", "tags": []}`, false, false, -1},
		{"maxItems", "Record", `{"id": 1, "status": "open", "tags": ["a", "b", "c"]}`, false, false, -1},
		{"additional schema", "Record", `{"id": 1, "status": "open", "extra": {"k": "v"}}`, false, false, -1},
		{"minProperties", "Record", `{"id": 1, "status": "open", "extra": {}}`, false, false, -1},
		{"minProperties, a key twice", "Record", `{"id": 1, "status": "open", "extra": {"k": 1, "k": 2}}`, false, false, -1},
		{"duplicated key", "Record", `{"id": 1, "status": "open", "status": "nope"}`, false, false, -1},
		{"invalid UTF-8", "Record", "{\"id\": 1, \"status\": \"open\", \"name\": \"\xff\"}", false, false, -1},
		{"not JSON", "Record", `{"id": 1, "status": "open",}`, false, false, -1},
		{"trailing data", "Record", `{"id": 1, "status": "open"} {}`, false, false, -1},
		{"allOf", "Both", `{"a": "x", "b": 2}`, true, false, -1},
		{"allOf, second part broken", "Both", `{"a": "x", "b": "2"}`, false, false, -1},
		{"allOf, first part missing", "Both", `{"b": 2}`, false, false, -1},
		{"page", "Page", `{"events": [{"id": 1, "status": "open"}, {"id": 2, "status": "open", "tags": ["x"]}]}`, true, false, 2},
		{"page, bad record", "Page", `{"events": [{"id": 1, "status": "open"}, {"id": 2}]}`, false, false, -1},
		{"list", "List", ` [ {"id": 1, "status": "open"}, {"id": 2, "status": "closed"}, {"id": 3, "status": "open"} ] `, true, false, 3},
		{"empty list", "List", `[]`, true, false, 0},
		{"list of a wrong type", "List", `{"id": 1, "status": "open"}`, false, false, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			schema := schemas[tc.schema]
			c, err := openapi.NewChecker(schema)
			if err != nil {
				t.Fatal(err)
			}
			got := c.Check([]byte(tc.doc), "events")
			if got.Valid != tc.valid {
				t.Errorf("Valid %v, want %v", got.Valid, tc.valid)
			}
			if got.Valid && (got.Nulls != tc.nulls || got.Items != tc.items) {
				t.Errorf("Nulls %v, Items %d; want %v, %d", got.Nulls, got.Items, tc.nulls, tc.items)
			}
			decoded, kinErr := kinVerdict(schema, []byte(tc.doc))
			if got.Valid && (!decoded || kinErr != nil) {
				t.Errorf("the checker passed what kin-openapi refuses (decoded %v): %v", decoded, kinErr)
			}
			// Where the checker is unsure it refuses, and kin-openapi may
			// pass: a key twice, invalid UTF-8, an integer beyond int64.
			unsure := map[string]bool{"duplicated key": true, "minProperties, a key twice": true, "invalid UTF-8": true, "int64": true, "datetime, offset hour 24": true}
			if !tc.valid && !unsure[tc.name] && decoded && kinErr == nil {
				t.Errorf("kin-openapi passes a case meant to break the schema")
			}
		})
	}
}

// FuzzChecker: neither kind of checker passes a document kin-openapi
// refuses (as an answer, or as a request).
func FuzzChecker(f *testing.F) {
	for _, seed := range []string{`{"id": 1, "status": "open"}`, `{"id": 1, "status": "open", "tags": ["a"], "note": null}`,
		`[{"id": 1, "status": "open", "extra": {"a": 1}}]`, `{"events": [{"id": 2, "status": "closed", "at": "2026-12-01T08:17:20Z"}]}`,
		`{"a": "x", "b": 2}`, `{"id": 2, "status": "open", "at": "2024-02-29T23:59:59-07:00", "small": -2147483648}`, `{"id": 1e0, "status": "open", "ratio": 0.25, "name": "\u00e9"}`} {
		f.Add(seed)
	}
	// Each schema's checker of either kind, judged against kin-openapi as
	// that kind is: an answer (with the events counted) or a request.
	type kind struct {
		name    string
		compile func(*openapi3.Schema) (*openapi.Checker, error)
		member  string
		verdict func(*openapi3.Schema, []byte) (bool, error)
	}
	kinds := []kind{{"checker", openapi.NewChecker, "events", kinVerdict}, {"request checker", openapi.NewRequestChecker, "", kinRequestVerdict}}
	schemas := checkerSchemas(f)
	checkers := make([]map[string]*openapi.Checker, len(kinds))
	for i, k := range kinds {
		checkers[i] = map[string]*openapi.Checker{}
		for name, s := range schemas {
			c, err := k.compile(s)
			if err != nil {
				f.Fatal(err)
			}
			checkers[i][name] = c
		}
	}
	f.Fuzz(func(t *testing.T, doc string) {
		for i, k := range kinds {
			for name, c := range checkers[i] {
				if !c.Check([]byte(doc), k.member).Valid {
					continue
				}
				if decoded, err := k.verdict(schemas[name], []byte(doc)); !decoded || err != nil {
					t.Errorf("%s: the %s passed %q, which kin-openapi refuses (decoded %v): %v", name, k.name, doc, decoded, err)
				}
			}
		}
	})
}

// kinRequestVerdict is what kin-openapi says of a request body, as
// ValidateRequestDecoded asks it: an error too when it would write a
// default in.
func kinRequestVerdict(schema *openapi3.Schema, data []byte) (decoded bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return false, nil
	}
	defaults := false
	err = schema.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsRequest(), openapi3.DisableReadOnlyValidation(),
		openapi3.DefaultsSet(func() { defaults = true }))
	if err == nil && defaults {
		err = errors.New("a default written in")
	}
	return true, err
}

// TestCheckersCoverTheSpecs: every answer schema of both APIs, and of their
// copies without required lists, compiles, so that no answer is judged the
// slow way when it keeps the contract.
func TestCheckersCoverTheSpecs(t *testing.T) {
	for name, get := range map[string]func() (*openapi.Validator, error){"core": openapi.CoreValidator, "sourcing": openapi.SourcingValidator} {
		v, err := get()
		if err != nil {
			t.Fatal(err)
		}
		relaxed, err := v.Relaxed()
		if err != nil {
			t.Fatal(err)
		}
		for _, val := range []*openapi.Validator{v, relaxed} {
			for path, item := range val.Doc().Paths.Map() {
				for method, op := range item.Operations() {
					for code, resp := range op.Responses.Map() {
						for ct, mt := range resp.Value.Content {
							if mt.Schema == nil || mt.Schema.Value == nil {
								continue
							}
							if _, err := openapi.NewChecker(mt.Schema.Value); err != nil {
								t.Errorf("%s: %s %s %s %s: %v", name, method, path, code, ct, err)
							}
							if val.Checker(mt.Schema.Value) == nil {
								t.Errorf("%s: %s %s %s: no cached checker", name, method, path, code)
							}
						}
					}
					// Every JSON request body compiles for the request
					// checker, and its examples pass it, so that a good
					// body is never decoded to be validated; but for the
					// lists of ids, whose uniqueItems the checker does not
					// model (the slow way judges them).
					if op.RequestBody == nil || val != v {
						continue
					}
					mt := op.RequestBody.Value.Content.Get("application/json")
					c := v.RequestChecker(mt.Schema.Value)
					if ids := mt.Schema.Value.Properties["ids"]; c == nil && ids != nil && ids.Value.UniqueItems {
						continue
					}
					if c == nil {
						_, err := openapi.NewRequestChecker(mt.Schema.Value)
						t.Errorf("%s: %s %s: no request checker: %v", name, method, path, err)
						continue
					}
					for ex, ref := range mt.Examples {
						data, _ := json.Marshal(ref.Value.Value)
						if !c.Check(data, "").Valid {
							t.Errorf("%s: %s %s: example %s does not pass the request checker: %s", name, method, path, ex, data)
						}
					}
				}
			}
		}
	}
}

// TestRequestChecker: a request checker judges a body as ValidateRequest
// does (readOnly elements may be sent and are not required, writeOnly
// ones may be sent), refuses a body whose default VisitJSON would write
// in, and says when an element is undeclared.
func TestRequestChecker(t *testing.T) {
	const spec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Body:
      type: object
      required: [id, name]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string}
        secret: {type: string, writeOnly: true}
        size: {type: integer, default: 3}
        owner: {allOf: [{$ref: "#/components/schemas/User"}]}
    User:
      type: object
      properties:
        login: {type: string}
`
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	schema := doc.Components.Schemas["Body"].Value
	req, err := openapi.NewRequestChecker(schema)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := openapi.NewChecker(schema)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		doc                 string
		request, undeclared bool
		response            bool
	}{
		{`{"name": "a", "size": 1}`, true, false, false},
		{`{"id": 1, "name": "a", "size": 1}`, true, false, true},
		{`{"name": "a", "size": 1, "secret": "s"}`, true, false, false},
		{`{"name": "a"}`, false, false, false},
		{`{"name": "a", "size": null}`, false, false, false},
		{`{"name": "a", "size": 1, "colour": "red"}`, true, true, false},
		{`{"name": "a", "size": 1, "owner": {"login": "x"}}`, true, false, false},
		{`{"name": "a", "size": 1, "owner": {"login": "x", "email": "y"}}`, true, true, false},
		{`{"size": 1}`, false, false, false},
	} {
		got := req.Check([]byte(tc.doc), "")
		if got.Valid != tc.request || got.Valid && got.Undeclared != tc.undeclared {
			t.Errorf("%s: request checker: Valid %v Undeclared %v, want %v %v", tc.doc, got.Valid, got.Undeclared, tc.request, tc.undeclared)
		}
		if got := resp.Check([]byte(tc.doc), "").Valid; got != tc.response {
			t.Errorf("%s: response checker: Valid %v, want %v", tc.doc, got, tc.response)
		}
		if got.Valid {
			var v any
			dec := json.NewDecoder(bytes.NewReader([]byte(tc.doc)))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			defaults := false
			if err := schema.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsRequest(), openapi3.DisableReadOnlyValidation(),
				openapi3.DefaultsSet(func() { defaults = true })); err != nil || defaults {
				t.Errorf("%s: the request checker passed what kin-openapi refuses (defaults written %v): %v", tc.doc, defaults, err)
			}
		}
	}
}

func TestRelaxedHasNoRequired(t *testing.T) {
	v, err := openapi.CoreValidator()
	if err != nil {
		t.Fatal(err)
	}
	r, err := v.Relaxed()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := v.Relaxed()
	if again != r {
		t.Error("Relaxed is built once")
	}
	if len(v.Doc().Components.Schemas["IntegrationError"].Value.Required) == 0 {
		t.Fatal("the spec's IntegrationError has no required list")
	}
	for name, ref := range r.Doc().Components.Schemas {
		if len(ref.Value.Required) != 0 || ref.Value.MinProps != 0 {
			t.Errorf("%s keeps required %v / minProperties %d", name, ref.Value.Required, ref.Value.MinProps)
		}
	}
	if len(r.SchemaOptions()) != len(v.SchemaOptions()) || len(v.SchemaOptions()) == 0 {
		t.Error("the relaxed validator judges datetimes as the Core validator does")
	}
}

func TestSecondsDateTime(t *testing.T) {
	for s, ok := range map[string]bool{"2026-12-01T08:17:20+00:00": true, "2026-12-01T08:17:20Z": true, "2016-10-07T06:59:46-07:00": true,
		"2026-12-01T08:17:20": false, "2026-12-01T08:17:20.5Z": false, "2026-12-01 08:17:20Z": false, "2026-02-30T08:17:20Z": false, "": false} {
		if err := (openapi.SecondsDateTime{}).Validate(s); (err == nil) != ok {
			t.Errorf("%q: %v, want ok %v", s, err, ok)
		}
	}
}
