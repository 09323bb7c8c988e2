package openapi_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/coupaxml"
	"github.com/coupakit/coupakit/openapi"
)

// body is one request or response body a spec declares: an operation's
// media type, with its examples.
type body struct {
	where   string // "POST /api/events request application/json"
	request bool
	media   string
	mt      *openapi3.MediaType
}

// bodies lists every request and response body of doc, in a stable order.
func bodies(doc *openapi3.T) []body {
	var out []body
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			at := method + " " + path
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for media, mt := range op.RequestBody.Value.Content {
					out = append(out, body{where: at + " request " + media, request: true, media: media, mt: mt})
				}
			}
			for status, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				for media, mt := range resp.Value.Content {
					out = append(out, body{where: at + " " + status + " " + media, media: media, mt: mt})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out
}

// examplesOf returns the example values of a media type by name.
func examplesOf(mt *openapi3.MediaType) map[string]any {
	out := map[string]any{}
	if mt.Example != nil {
		out["example"] = mt.Example
	}
	for name, ex := range mt.Examples {
		if ex != nil && ex.Value != nil {
			out[name] = ex.Value.Value
		}
	}
	return out
}

// seedDatetime holds the examples to the datetimes of the seeds: to the
// second, with a numeric offset.
type seedDatetime struct{}

var seedDatetimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`)

func (seedDatetime) Validate(v string) error {
	if !seedDatetimeRE.MatchString(v) {
		return errors.New("not in the seeds' form YYYY-MM-DDTHH:MM:SS+HH:MM")
	}
	return nil
}

var specs = []struct {
	name string
	load func() (*openapi3.T, error)
}{{"core", openapi.Core}, {"sourcing", openapi.Sourcing}}

// TestEveryBodyHasAValidExample checks that every request and response body
// of both specs has an example, and that each example is valid against its
// schema (as a request or as a response), datetimes in the seeds' form.
func TestEveryBodyHasAValidExample(t *testing.T) {
	for _, spec := range specs {
		doc, err := spec.load()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, b := range bodies(doc) {
			examples := examplesOf(b.mt)
			if len(examples) == 0 {
				t.Errorf("%s: %s has no example", spec.name, b.where)
				continue
			}
			for name, value := range examples {
				n++
				opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.WithStringFormatValidator("date-time", seedDatetime{})}
				if b.request {
					opts = append(opts, openapi3.VisitAsRequest())
				} else {
					opts = append(opts, openapi3.VisitAsResponse())
				}
				if err := b.mt.Schema.Value.VisitJSON(value, opts...); err != nil {
					t.Errorf("%s: %s: example %q is not valid: %v", spec.name, b.where, name, err)
				}
			}
		}
		if n < 10 {
			t.Errorf("%s: only %d examples checked", spec.name, n)
		}
	}
}

// errorSchemas names the schemas of the error bodies.
var errorSchemas = map[string]string{"application/json": "Errors", "application/xml": "XMLErrors"}

func schemaName(ref *openapi3.SchemaRef) string {
	if ref == nil {
		return ""
	}
	return ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
}

// TestCoreDeclaresXML checks that every body of the Core API comes as JSON
// and as XML: the same schema for a record or a list, Errors and XMLErrors
// for an error; that every XML schema names its root element (and a list
// its items); and that the 404 of an XML list with no results is declared.
func TestCoreDeclaresXML(t *testing.T) {
	doc, err := openapi.Core()
	if err != nil {
		t.Fatal(err)
	}
	media := map[string]map[string]*openapi3.MediaType{}
	for _, b := range bodies(doc) {
		at := strings.TrimSuffix(b.where, " "+b.media)
		if media[at] == nil {
			media[at] = map[string]*openapi3.MediaType{}
		}
		media[at][b.media] = b.mt
	}
	for at, mts := range media {
		js, xml := mts["application/json"], mts["application/xml"]
		if xml == nil {
			t.Errorf("%s: no application/xml", at)
			continue
		}
		if js == nil {
			if !strings.Contains(at, " 404") || schemaName(xml.Schema) != "XMLErrors" {
				t.Errorf("%s: XML only, and not the 404 of a list with no results", at)
			}
			continue
		}
		if schemaName(js.Schema) == "Errors" {
			if schemaName(xml.Schema) != "XMLErrors" {
				t.Errorf("%s: JSON errors, but the XML is %q, not XMLErrors", at, xml.Schema.Ref)
			}
		} else if xml.Schema.Ref != js.Schema.Ref || (js.Schema.Ref == "" && schemaName(js.Schema.Value.Items) != schemaName(xml.Schema.Value.Items)) {
			t.Errorf("%s: the XML schema is not the JSON's", at)
		}
		s := xml.Schema.Value
		switch {
		case s.Type.Is("array"):
			if s.XML == nil || s.XML.Name == "" || !s.XML.Wrapped {
				t.Errorf("%s: an XML list without a wrapped root name", at)
			}
			if it := s.Items.Value; it.XML == nil || it.XML.Name == "" {
				t.Errorf("%s: the items of an XML list have no name", at)
			}
		case s.XML == nil || s.XML.Name == "":
			t.Errorf("%s: the XML schema names no root element", at)
		}
	}
	for _, path := range []string{"/api/integration_errors", "/api/integration_history_records", "/api/integrations", "/api/integration_runs"} {
		if doc.Paths.Value(path).Get.Responses.Status(404) == nil {
			t.Errorf("GET %s: no 404 for an XML list with no results", path)
		}
	}
}

// TestXMLExamplesRoundTrip writes each XML example of a Core record as
// coupaxml does, under the root the schema's xml object names, reads it
// back with that root, and validates the result: the declared names are
// the ones the XML carries.
func TestXMLExamplesRoundTrip(t *testing.T) {
	doc, err := openapi.Core()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range bodies(doc) {
		s := b.mt.Schema.Value
		if b.media != "application/xml" || !s.Type.Is("object") || schemaName(b.mt.Schema) == "XMLErrors" {
			continue
		}
		for name, value := range examplesOf(b.mt) {
			n++
			var buf bytes.Buffer
			if err := coupaxml.Encode(&buf, s.XML.Name, value, s); err != nil {
				t.Errorf("%s: example %q: %v", b.where, name, err)
				continue
			}
			root, got, err := coupaxml.Decode(&buf, []string{s.XML.Name}, s)
			if err != nil || root != s.XML.Name {
				t.Errorf("%s: example %q: root %q, %v:\n%s", b.where, name, root, err, buf.String())
				continue
			}
			opt := openapi3.VisitAsResponse()
			if b.request {
				opt = openapi3.VisitAsRequest()
			}
			if err := s.VisitJSON(jsonNumbers(got), opt, openapi3.MultiErrors()); err != nil {
				t.Errorf("%s: example %q read back from XML is not valid: %v\n%s", b.where, name, err, buf.String())
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d XML examples round-tripped", n)
	}
}

// TestSourcingBadRequestIsXMLAndJSON checks that every 400 of the Sourcing
// API is declared as XML (the seed page's format) and as JSON.
func TestSourcingBadRequestIsXMLAndJSON(t *testing.T) {
	doc, err := openapi.Sourcing()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			resp := op.Responses.Status(400)
			if resp == nil {
				t.Errorf("%s %s: no 400", method, path)
				continue
			}
			for media, want := range errorSchemas {
				mt := resp.Value.Content.Get(media)
				if mt == nil || schemaName(mt.Schema) != want {
					t.Errorf("%s %s: the 400 has no %s body of %s", method, path, media, want)
				}
			}
		}
	}
}

// jsonNumbers turns coupaxml's json.Number values into float64, as the
// schema validator wants them.
func jsonNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = jsonNumbers(val)
		}
	case []any:
		for i, val := range x {
			x[i] = jsonNumbers(val)
		}
	case fmt.Stringer:
		var f float64
		if _, err := fmt.Sscan(x.String(), &f); err == nil {
			return f
		}
	}
	return v
}
