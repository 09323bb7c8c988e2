package coupaxml_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/coupaxml"
)

// TestListWriterWritesWhatEncodeListWrites: item by item, the same bytes,
// for lists short and long enough to be flushed on the way.
func TestListWriterWritesWhatEncodeListWrites(t *testing.T) {
	schema := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{
		"id":          openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"integer"}}),
		"description": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}}),
		"tags":        openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"array"}, Items: openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}})}),
		"missing":     openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}}),
	}}
	item := func(i int, desc string) any {
		return map[string]any{"id": float64(i), "description": desc, "tags": []any{"a<b", "ü"}}
	}
	tests := []struct {
		name   string
		values []any
	}{
		{"empty", nil},
		{"one", []any{item(1, "x")}},
		{"escaped", []any{item(1, "<&>\"'"), item(2, "\u00e9\U0001F600")}},
		{"flushed", func() []any {
			var out []any
			for i := range 40 {
				out = append(out, item(i, strings.Repeat("<&>", 1000)))
			}
			return out
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want, got bytes.Buffer
			if err := coupaxml.EncodeList(&want, "integrations", "integration", tt.values, schema); err != nil {
				t.Fatal(err)
			}
			lw, err := coupaxml.NewListWriter(&got, "integrations", "integration")
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range tt.values {
				if err := lw.Write(v, schema); err != nil {
					t.Fatal(err)
				}
			}
			if err := lw.Close(); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("ListWriter wrote\n%.400s\nEncodeList\n%.400s", got.String(), want.String())
			}
		})
	}
	// A failed item leaves nothing of itself.
	var out bytes.Buffer
	lw, _ := coupaxml.NewListWriter(&out, "things", "")
	_ = lw.Write(map[string]any{"a": "1"}, nil)
	if err := lw.Write(map[string]any{"bad name": "x"}, nil); err == nil || !strings.Contains(err.Error(), "1") {
		t.Errorf("a bad element name: err %v, want it named by index 1", err)
	}
	_ = lw.Close()
	if strings.Contains(out.String(), "bad") || !strings.Contains(out.String(), "<thing>") {
		t.Errorf("wrote %s", out.String())
	}
	if _, err := coupaxml.NewListWriter(&out, "bad root", ""); err == nil {
		t.Error("a bad root name is taken")
	}
}

// TestListWriterFirstItemFails: a first item that fails leaves nothing,
// not even the root it opened; the list goes on well-formed, holding only
// the good items, and a list whose only item failed is an empty list.
func TestListWriterFirstItemFails(t *testing.T) {
	var out bytes.Buffer
	lw, err := coupaxml.NewListWriter(&out, "things", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := lw.Write(map[string]any{"bad name": "x"}, nil); err == nil {
		t.Fatal("a bad element name: no error")
	}
	if err := lw.Write(map[string]any{"a": "1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name `xml:"things"`
		Things  []struct {
			A string `xml:"a"`
		} `xml:"thing"`
	}
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, out.String())
	}
	if len(doc.Things) != 1 || doc.Things[0].A != "1" {
		t.Errorf("items %+v, want the good one only\n%s", doc.Things, out.String())
	}
	if n := strings.Count(out.String(), "<things"); n != 1 {
		t.Errorf("%d roots opened\n%s", n, out.String())
	}

	var want, got bytes.Buffer
	if err := coupaxml.EncodeList(&want, "things", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	lw, _ = coupaxml.NewListWriter(&got, "things", "")
	_ = lw.Write(map[string]any{"bad name": "x"}, nil)
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("only item failed: wrote\n%s\nwant the empty list\n%s", got.String(), want.String())
	}
}
