package coupaxml_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/coupaxml"
)

var errorRoots = []string{"integration-error"}

// TestRoundTrip encodes JSON values as XML and decodes them again: the
// values must come back equal (null values and writeOnly elements aside,
// which XML output does not carry).
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name, root, schema string
		value              map[string]any
	}{
		{"integration error", "integration-error", "IntegrationError", fixture(t, "integration_error.json")},
		{"history record", "integration-history-record", "IntegrationHistoryRecord", fixture(t, "history_record.json")},
		{"create body", "integration-error", "IntegrationError", jsonValue(t, `{
			"contact-alert-type": "Technical", "document-type": "InvoiceHeader", "document-id": 4711,
			"external-id": "SAP-INV-4711", "status": "error", "integration": {"code": "SAP_INVOICES"},
			"integration-run-id": 12,
			"responses": [{"response-code": "E-042", "response-message": "  spaces kept  "}]}`).(map[string]any)},
		{"record ids", "record-ids", "RecordIds", jsonValue(t, `{"ids": [1, 2, 9007199254740993]}`).(map[string]any)},
		{"empty values", "integration-error", "IntegrationError", jsonValue(t, `{"status": "", "responses": [], "integration": {}}`).(map[string]any)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schema := coreSchema(t, tt.schema)
			var b bytes.Buffer
			if err := coupaxml.Encode(&b, tt.root, tt.value, schema); err != nil {
				t.Fatal(err)
			}
			root, got, err := coupaxml.Decode(&b, []string{tt.root}, schema)
			if err != nil {
				t.Fatal(err)
			}
			if root != tt.root {
				t.Errorf("root = %q, want %q", root, tt.root)
			}
			want := map[string]any{}
			for k, v := range tt.value {
				if k != "integration-run" { // writeOnly: never written
					want[k] = v
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodedBodyValidates decodes the create examples written in XML and
// checks the result against the real schemas, as the middleware will.
func TestDecodedBodyValidates(t *testing.T) {
	tests := []struct {
		name, schema, body string
		root               string
	}{
		{"integration error create", "IntegrationError", `<?xml version="1.0" encoding="UTF-8"?>
<integration-error>
  <contact-alert-type>Technical</contact-alert-type>
  <document-type>InvoiceHeader</document-type>
  <document-id type="integer">4711</document-id>
  <document-revision type="integer" nil="true"/>
  <external-id>SAP-INV-4711</external-id>
  <status>error</status>
  <integration><code>SAP_INVOICES</code></integration>
  <integration-run-id>12</integration-run-id>
  <responses type="array">
    <response>
      <response-code>E-042</response-code>
      <response-message>Cost center 4100 is blocked for posting.</response-message>
    </response>
  </responses>
</integration-error>`, "integration-error"},
		{"history record create", "IntegrationHistoryRecord", `<integration-history-record>
  <contact-alert-type>Functional</contact-alert-type>
  <document-type>InvoiceHeader</document-type>
  <document-id>4711</document-id>
  <external-id>SAP-INV-4711</external-id>
  <status>success</status>
  <integration><code>SAP_INVOICES</code></integration>
  <integration-run><id>12</id></integration-run>
</integration-history-record>`, "integration-history-record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schema := coreSchema(t, tt.schema)
			_, v, err := coupaxml.Decode(strings.NewReader(tt.body), []string{tt.root}, schema)
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.VisitJSON(toJSON(t, v), openapi3.VisitAsRequest()); err != nil {
				t.Errorf("decoded body does not validate: %v\n%v", err, v)
			}
		})
	}
}

// TestDecode covers the rules one at a time against IntegrationError.
func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		body string // inside <integration-error>...</integration-error>
		want string // JSON
	}{
		{"integers beyond 2^53 stay exact",
			`<id type="integer">9007199254740993</id><document-id>9223372036854775807</document-id><document-revision>-9223372036854775808</document-revision>`,
			`{"id": 9007199254740993, "document-id": 9223372036854775807, "document-revision": -9223372036854775808}`},
		{"integers are normalized", `<document-id> +0042 </document-id>`, `{"document-id": 42}`},
		{"the schema decides, not the type attribute",
			`<status type="integer">5</status><document-id type="string">6</document-id>`,
			`{"status": "5", "document-id": 6}`},
		{"booleans", `<resolved type="boolean">true</resolved>`, `{"resolved": true}`},
		{"boolean false", `<resolved>false</resolved>`, `{"resolved": false}`},
		{"boolean 1", `<resolved> 1 </resolved>`, `{"resolved": true}`},
		{"boolean 0", `<resolved>0</resolved>`, `{"resolved": false}`},
		{"nil elements are left out",
			`<document-id type="integer" nil="true"/><status nil="true">ignored</status><integration nil="true"><id>x</id></integration><responses type="array" nil="true"/>`,
			`{}`},
		{"empty integer, boolean and datetime elements are left out",
			`<document-id/><resolved type="boolean"></resolved><created-at type="datetime"/><updated-at> </updated-at>`,
			`{}`},
		{"empty strings stay", `<status/><external-id></external-id>`, `{"status": "", "external-id": ""}`},
		{"text is kept as it is", `<status>  two
lines &amp; &lt;tags&gt; &#233; <![CDATA[<raw> & ]]></status>`, `{"status": "  two\nlines & <tags> é <raw> & "}`},
		{"comments and processing instructions are ignored", `<!-- c --><status>a<!-- c -->b<?pi x?></status>`, `{"status": "ab"}`},
		{"arrays of responses", `<responses type="array">
    <response><id type="integer">1</id><response-code>E-1</response-code></response>
    <response nil="true"/>
    <anything><response-message>m</response-message></anything>
  </responses>`, `{"responses": [{"id": 1, "response-code": "E-1"}, null, {"response-message": "m"}]}`},
		{"an empty array", `<responses type="array"/>`, `{"responses": []}`},
		{"an array without its type attribute", `<responses>
  </responses>`, `{"responses": []}`},
		{"nested objects", `<integration><id type="integer">3</id><code>C</code></integration>`, `{"integration": {"id": 3, "code": "C"}}`},
		{"an empty nested object", `<integration/>`, `{"integration": {}}`},
		{"unknown elements stay strings", `<foo type="integer">5</foo><bar type="boolean">yes</bar>`, `{"foo": "5", "bar": "yes"}`},
		{"unknown elements with elements", `<foo><x type="integer">1</x><y nil="true"/></foo><list type="array"><i>1</i></list>`,
			`{"foo": {"x": "1", "y": null}, "list": ["1"]}`},
		{"unknown nil elements are null", `<foo nil="true"/>`, `{"foo": null}`},
		{"unknown elements inside known ones", `<integration><colour>red</colour></integration>`, `{"integration": {"colour": "red"}}`},
		{"attributes and namespaces are ignored", `<status xmlns="urn:x" lang="en">ok</status><x:document-id xmlns:x="urn:y">1</x:document-id>`,
			`{"status": "ok", "document-id": 1}`},
	}
	schema := coreSchema(t, "IntegrationError")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := "<integration-error>" + tt.body + "</integration-error>"
			root, got, err := coupaxml.Decode(strings.NewReader(body), errorRoots, schema)
			if err != nil {
				t.Fatal(err)
			}
			if root != "integration-error" {
				t.Errorf("root = %q", root)
			}
			if diff := cmp.Diff(jsonValue(t, tt.want), any(got)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeIntegerPrecision(t *testing.T) {
	body := `<integration-error><document-id type="integer">9007199254740993</document-id></integration-error>`
	_, v, err := coupaxml.Decode(strings.NewReader(body), errorRoots, coreSchema(t, "IntegrationError"))
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := v["document-id"].(json.Number); !ok || n != "9007199254740993" {
		t.Fatalf("document-id = %#v, want json.Number 9007199254740993", v["document-id"])
	}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"document-id":9007199254740993}`; string(data) != want {
		t.Errorf("marshalled %s, want %s", data, want)
	}
}

func TestDecodeRoots(t *testing.T) {
	schema := coreSchema(t, "IntegrationError")
	tests := []struct {
		name    string
		body    string
		roots   []string
		want    string
		wantErr string
	}{
		{"expected root", `<integration-error/>`, errorRoots, "integration-error", ""},
		{"one of several", `<integration-errors/>`, []string{"integration-error", "integration-errors"}, "integration-errors", ""},
		{"any root when none given", `<whatever><status>x</status></whatever>`, nil, "whatever", ""},
		{"wrong root", `<integration-history-record/>`, errorRoots, "",
			"root element <integration-history-record> is not expected here; send <integration-error>"},
		{"wrong root among several", `<foo/>`, []string{"a", "b", "c"}, "", "root element <foo> is not expected here; send <a>, <b> or <c>"},
		{"a list root", `<integration-error type="array"><integration-error/></integration-error>`, errorRoots, "integration-error", ""},
		{"text in the root", `<integration-error>hello</integration-error>`, errorRoots, "",
			`integration-error: want elements, not text "hello"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, _, err := coupaxml.Decode(strings.NewReader(tt.body), tt.roots, schema)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if root != tt.want {
				t.Errorf("root = %q, want %q", root, tt.want)
			}
		})
	}
	t.Run("ErrRoot", func(t *testing.T) {
		_, _, err := coupaxml.Decode(strings.NewReader(`<x/>`), errorRoots, schema)
		if !errors.Is(err, coupaxml.ErrRoot) {
			t.Errorf("err = %v, want ErrRoot", err)
		}
	})
	t.Run("a list root with an untyped schema", func(t *testing.T) {
		_, _, err := coupaxml.Decode(strings.NewReader(`<ids type="array"><id>1</id></ids>`), nil, nil)
		if err == nil || err.Error() != "ids: want one record, not a list" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("no schema: type attributes decide", func(t *testing.T) {
		_, v, err := coupaxml.Decode(strings.NewReader(`<x><a type="integer">1</a><b type="boolean">true</b><c type="decimal">1.50</c><d>t</d><e type="array"><f type="integer">2</f></e></x>`), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := jsonValue(t, `{"a": 1, "b": true, "c": 1.50, "d": "t", "e": [2]}`)
		if diff := cmp.Diff(want, any(v)); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestDecodeFails checks every refusal: its sentinel and its exact message.
func TestDecodeFails(t *testing.T) {
	deep := "<integration-error>" + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + "</integration-error>"
	deepKnown := "<integration-error>" + strings.Repeat("<integration>", 40) + strings.Repeat("</integration>", 40) + "</integration-error>"
	tests := []struct {
		name string
		body string
		is   error
		want string
	}{
		// Values.
		{"bad integer", `<integration-error><document-id type="integer">abc</document-id></integration-error>`,
			coupaxml.ErrValue, `document-id: "abc" is not an integer`},
		{"decimal for an integer", `<integration-error><document-id>4711.0</document-id></integration-error>`,
			coupaxml.ErrValue, `document-id: "4711.0" is not an integer`},
		{"integer out of range", `<integration-error><document-id>9223372036854775808</document-id></integration-error>`,
			coupaxml.ErrValue, `document-id: "9223372036854775808" is out of range for a 64-bit integer`},
		{"bad nested integer", `<integration-error><integration><id>x1</id></integration></integration-error>`,
			coupaxml.ErrValue, `integration.id: "x1" is not an integer`},
		{"bad integer in an array item", `<integration-error><responses type="array"><response/><response><id>1e3</id></response></responses></integration-error>`,
			coupaxml.ErrValue, `responses.1.id: "1e3" is not an integer`},
		{"bad boolean", `<integration-error><resolved type="boolean">yes</resolved></integration-error>`,
			coupaxml.ErrValue, `resolved: "yes" is not a boolean (true or false)`},
		{"long bad value is shortened", `<integration-error><document-id>` + strings.Repeat("9x", 100) + `</document-id></integration-error>`,
			coupaxml.ErrValue, `document-id: "` + strings.Repeat("9x", 32) + `…" is not an integer`},
		{"elements in an integer", `<integration-error><document-id><n>1</n></document-id></integration-error>`,
			coupaxml.ErrValue, `document-id: want an integer, not elements (<n>)`},
		{"elements in a string", `<integration-error><status><b>bold</b></status></integration-error>`,
			coupaxml.ErrValue, `status: want text, not elements (<b>)`},
		{"text in an object", `<integration-error><integration>SAP_INVOICES</integration></integration-error>`,
			coupaxml.ErrValue, `integration: want elements, not text "SAP_INVOICES"`},
		{"text in an array", `<integration-error><responses type="array">E-042</responses></integration-error>`,
			coupaxml.ErrValue, `responses: want a list of elements, not text "E-042"`},
		{"mixed content", `<integration-error><integration>SAP<code>x</code></integration></integration-error>`,
			coupaxml.ErrValue, `integration: text mixed with elements`},
		{"mixed content after elements", `<integration-error><integration><code>x</code>SAP</integration></integration-error>`,
			coupaxml.ErrValue, `integration: text mixed with elements`},
		{"an element twice", `<integration-error><status>a</status><status>b</status></integration-error>`,
			coupaxml.ErrValue, `status: given more than once`},
		{"an element twice, once nil", `<integration-error><status nil="true"/><status>b</status></integration-error>`,
			coupaxml.ErrValue, `status: given more than once`},

		// Markup.
		{"empty body", ``, coupaxml.ErrMalformed, `request body is not well-formed XML: no root element`},
		{"blank body", " \n ", coupaxml.ErrMalformed, `request body is not well-formed XML: no root element`},
		{"JSON", `{"status": "x"}`, coupaxml.ErrMalformed, `request body is not well-formed XML: text before the root element`},
		{"unclosed", `<integration-error><status>x</status>`, coupaxml.ErrMalformed,
			`request body is not well-formed XML: line 1: unexpected EOF`},
		{"mismatched tags", "<integration-error>\n<status>x</state></integration-error>", coupaxml.ErrMalformed,
			`request body is not well-formed XML: line 2: element <status> closed by </state>`},
		{"bad attribute", `<integration-error><status type=integer>x</status></integration-error>`, coupaxml.ErrMalformed,
			`request body is not well-formed XML: line 1: unquoted or missing attribute value in element`},
		{"unknown entity", `<integration-error><status>&nbsp;</status></integration-error>`, coupaxml.ErrMalformed,
			`request body is not well-formed XML: line 1: invalid character entity &nbsp;`},
		{"two roots", `<integration-error/><integration-error/>`, coupaxml.ErrMalformed,
			`request body is not well-formed XML: element <integration-error> after the root element`},
		{"text after the root", `<integration-error/>trailing`, coupaxml.ErrMalformed,
			`request body is not well-formed XML: text after the root element`},
		{"other encoding", `<?xml version="1.0" encoding="ISO-8859-1"?><integration-error/>`, coupaxml.ErrMalformed,
			`request body is not well-formed XML: encoding "ISO-8859-1" is not supported; send UTF-8`},
		{"invalid UTF-8", "<integration-error><status>\xff</status></integration-error>", coupaxml.ErrMalformed,
			`request body is not well-formed XML: line 1: invalid UTF-8`},

		// DTDs: refused before anything is expanded.
		{"DOCTYPE", `<?xml version="1.0"?><!DOCTYPE integration-error><integration-error/>`, coupaxml.ErrDTD,
			`DOCTYPE and entity declarations are not accepted`},
		{"external entity (XXE)", `<?xml version="1.0"?>
<!DOCTYPE integration-error [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<integration-error><status>&xxe;</status></integration-error>`, coupaxml.ErrDTD,
			`DOCTYPE and entity declarations are not accepted`},
		{"billion laughs", `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<integration-error><status>&lol3;</status></integration-error>`, coupaxml.ErrDTD,
			`DOCTYPE and entity declarations are not accepted`},
		{"DOCTYPE after the root", `<integration-error/><!DOCTYPE x>`, coupaxml.ErrDTD,
			`DOCTYPE and entity declarations are not accepted`},
		{"entity reference without a DTD", `<integration-error><status>&xxe;</status></integration-error>`, coupaxml.ErrMalformed,
			`request body is not well-formed XML: line 1: invalid character entity &xxe;`},

		// Bounds.
		{"deep nesting of unknown elements", deep, coupaxml.ErrTooDeep,
			strings.Repeat("a.", 31) + `a: elements are nested more than 32 deep`},
		{"deep nesting inside a nil element", "<integration-error><status nil=\"true\">" + strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40) + "</status></integration-error>",
			coupaxml.ErrTooDeep, "status." + strings.Repeat("a.", 30) + `a: elements are nested more than 32 deep`},
		{"deep nesting of known elements", deepKnown, coupaxml.ErrTooDeep,
			strings.Repeat("integration.", 31) + `integration: elements are nested more than 32 deep`},
	}
	schema := coreSchema(t, "IntegrationError")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, v, err := coupaxml.Decode(strings.NewReader(tt.body), errorRoots, schema)
			if err == nil {
				t.Fatalf("no error; decoded %v", v)
			}
			if v != nil {
				t.Errorf("value %v returned with the error", v)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.is)
			}
			var xe *coupaxml.Error
			if !errors.As(err, &xe) {
				t.Errorf("err is %T, want *coupaxml.Error", err)
			}
			if err.Error() != tt.want {
				t.Errorf("message\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestDecodeBounds(t *testing.T) {
	schema := coreSchema(t, "IntegrationError")
	body := `<integration-error><responses type="array"><response><id>1</id></response></responses></integration-error>`
	t.Run("at the size bound", func(t *testing.T) {
		if _, _, err := coupaxml.Decode(strings.NewReader(body), errorRoots, schema, coupaxml.WithMaxBytes(int64(len(body)))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("over the size bound", func(t *testing.T) {
		_, _, err := coupaxml.Decode(strings.NewReader(body+" "), errorRoots, schema, coupaxml.WithMaxBytes(int64(len(body))))
		if !errors.Is(err, coupaxml.ErrTooLarge) || err.Error() != fmt.Sprintf("request body is larger than %d bytes", len(body)) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("a large text over the default bound", func(t *testing.T) {
		r := strings.NewReader("<integration-error><status>" + strings.Repeat("x", coupaxml.DefaultMaxBytes) + "</status></integration-error>")
		if _, _, err := coupaxml.Decode(r, errorRoots, schema); !errors.Is(err, coupaxml.ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("at the depth bound", func(t *testing.T) {
		if _, _, err := coupaxml.Decode(strings.NewReader(body), errorRoots, schema, coupaxml.WithMaxDepth(4)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("over the depth bound", func(t *testing.T) {
		_, _, err := coupaxml.Decode(strings.NewReader(body), errorRoots, schema, coupaxml.WithMaxDepth(3))
		if !errors.Is(err, coupaxml.ErrTooDeep) || err.Error() != "responses.0.id: elements are nested more than 3 deep" {
			t.Fatalf("err = %v, want ErrTooDeep", err)
		}
	})
}

// TestDecodeUnknownElementsFailValidation shows why unknown elements are
// kept: the JSON validator then names them.
func TestDecodeUnknownElementsFailValidation(t *testing.T) {
	schema := coreSchema(t, "IntegrationError")
	body := `<integration-error><contact-alert-type>Technical</contact-alert-type><statut>error</statut></integration-error>`
	_, v, err := coupaxml.Decode(strings.NewReader(body), errorRoots, schema)
	if err != nil {
		t.Fatal(err)
	}
	err = schema.VisitJSON(toJSON(t, v), openapi3.VisitAsRequest())
	if err == nil || !strings.Contains(err.Error(), `"statut"`) {
		t.Errorf("validation error %v does not name statut", err)
	}
}

func TestDecodeEncodings(t *testing.T) {
	schema := coreSchema(t, "IntegrationError")
	for _, decl := range []string{
		``,
		`<?xml version="1.0"?>`,
		`<?xml version="1.0" encoding="UTF-8"?>`,
		`<?xml version="1.0" encoding="utf-8" standalone="yes"?>`,
		`<?xml version="1.0" encoding="US-ASCII"?>`,
		"\uFEFF" + `<?xml version="1.0" encoding="UTF-8"?>`,
	} {
		t.Run(decl, func(t *testing.T) {
			_, v, err := coupaxml.Decode(strings.NewReader(decl+"\n<integration-error><status>ok</status></integration-error>\n"), errorRoots, schema)
			if err != nil {
				t.Fatal(err)
			}
			if v["status"] != "ok" {
				t.Errorf("status = %v", v["status"])
			}
		})
	}
}
