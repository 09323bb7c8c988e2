package openapi_test

import (
	"fmt"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/openapi"
)

// TestInputStringsAreBounded: every string a client may send, in a request
// body or a parameter, has a maxLength, unless an enum, a date format or a
// pattern bounds it already. An unbounded string lets one request store, and
// every later list answer repeat, megabytes.
func TestInputStringsAreBounded(t *testing.T) {
	for name, load := range map[string]func() (*openapi3.T, error){"core": openapi.Core, "sourcing": openapi.Sourcing} {
		t.Run(name, func(t *testing.T) {
			doc, err := load()
			if err != nil {
				t.Fatal(err)
			}
			seen := map[*openapi3.Schema]bool{}
			var walk func(where string, s *openapi3.Schema)
			walk = func(where string, s *openapi3.Schema) {
				if s == nil || seen[s] {
					return
				}
				seen[s] = true
				if s.Type.Is("string") && s.MaxLength == nil && len(s.Enum) == 0 && s.Pattern == "" &&
					s.Format != "date-time" && s.Format != "date" {
					t.Errorf("%s: string without maxLength", where)
				}
				for k, p := range s.Properties {
					walk(where+"."+k, p.Value)
				}
				if s.Items != nil {
					walk(where+"[]", s.Items.Value)
				}
				if s.AdditionalProperties.Schema != nil {
					walk(where+".*", s.AdditionalProperties.Schema.Value)
				}
				for i, sub := range append(append(append(openapi3.SchemaRefs{}, s.AllOf...), s.OneOf...), s.AnyOf...) {
					walk(fmt.Sprintf("%s(%d)", where, i), sub.Value)
				}
			}
			for path, item := range doc.Paths.Map() {
				for method, op := range item.Operations() {
					at := method + " " + path
					for _, p := range append(item.Parameters, op.Parameters...) {
						if p.Value.Schema != nil {
							walk(at+" ?"+p.Value.Name, p.Value.Schema.Value)
						}
					}
					if op.RequestBody != nil {
						for mt, c := range op.RequestBody.Value.Content {
							if c.Schema != nil {
								walk(at+" "+mt, c.Schema.Value)
							}
						}
					}
				}
			}
		})
	}
}
