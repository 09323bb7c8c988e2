package coupaxml_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/openapi"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")

var (
	coreOnce sync.Once
	coreDoc  *openapi3.T
	coreErr  error
)

// coreSchema returns a component schema of the real Core API spec.
func coreSchema(tb testing.TB, name string) *openapi3.Schema {
	tb.Helper()
	coreOnce.Do(func() { coreDoc, coreErr = openapi.Core() })
	if coreErr != nil {
		tb.Fatal(coreErr)
	}
	ref := coreDoc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		tb.Fatalf("core.yaml has no schema %s", name)
	}
	return ref.Value
}

// testSpec holds small schemas for the unit cases.
const testSpec = `
openapi: 3.0.3
info: {title: coupaxml tests, version: "1"}
paths: {}
components:
  schemas:
    Scalars:
      type: object
      properties:
        id: {type: integer, format: int64}
        name: {type: string}
        at: {type: string, format: date-time}
        day: {type: string, format: date}
        ok: {type: boolean}
        price: {type: number}
        total: {type: string, description: a decimal string}
        secret: {type: string, writeOnly: true}
    Line:
      type: object
      properties:
        n: {type: integer}
        text: {type: string}
    Nested:
      type: object
      properties:
        line: {$ref: "#/components/schemas/Line"}
        owner:
          allOf: [{$ref: "#/components/schemas/Line"}]
          readOnly: true
        run:
          allOf: [{$ref: "#/components/schemas/Line"}]
          writeOnly: true
    Lists:
      type: object
      properties:
        ids: {type: array, items: {type: integer, format: int64}}
        lines: {type: array, items: {$ref: "#/components/schemas/Line"}}
        data: {type: array, items: {type: string, xml: {name: datum}}}
        result: {type: array, items: {type: string}}
        entries: {type: array, items: {type: string}}
    Open:
      type: object
      properties:
        b: {type: string}
        free: {}
      additionalProperties: {type: integer}
    Empty:
      type: object
`

var (
	testOnce sync.Once
	testDoc  *openapi3.T
	testErr  error
)

// testSchema returns one of the schemas of testSpec.
func testSchema(tb testing.TB, name string) *openapi3.Schema {
	tb.Helper()
	testOnce.Do(func() {
		loader := openapi3.NewLoader()
		testDoc, testErr = loader.LoadFromData([]byte(testSpec))
		if testErr == nil {
			testErr = testDoc.Validate(loader.Context)
		}
	})
	if testErr != nil {
		tb.Fatal(testErr)
	}
	ref := testDoc.Components.Schemas[name]
	if ref == nil {
		tb.Fatalf("no test schema %s", name)
	}
	return ref.Value
}

// jsonValue decodes JSON text as a JSON handler would, numbers as
// json.Number.
func jsonValue(tb testing.TB, text string) any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("bad JSON in test: %v\n%s", err, text)
	}
	return v
}

// fixture decodes testdata/name.
func fixture(tb testing.TB, name string) map[string]any {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return jsonValue(tb, string(data)).(map[string]any)
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// wellFormed fails unless data is one well-formed XML document.
func wellFormed(tb testing.TB, data []byte) {
	tb.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	roots := 0
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("output is not well-formed XML: %v\n%s", err, data)
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 {
		tb.Fatalf("output has %d root elements\n%s", roots, data)
	}
}

// toJSON marshals v and decodes it again with float64 numbers, as
// kin-openapi's validator wants them.
func toJSON(tb testing.TB, v any) any {
	tb.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		tb.Fatal(err)
	}
	return out
}
