package coupaxml_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/coupaxml"
)

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// TestEncodeRecords writes whole records of the real spec and compares
// them with golden files.
func TestEncodeRecords(t *testing.T) {
	tests := []struct {
		name, root, schema, fixture, golden string
	}{
		{"integration error", "integration-error", "IntegrationError", "integration_error.json", "integration_error.golden"},
		{"history record", "integration-history-record", "IntegrationHistoryRecord", "history_record.json", "history_record.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := coupaxml.Encode(&b, tt.root, fixture(t, tt.fixture), coreSchema(t, tt.schema)); err != nil {
				t.Fatal(err)
			}
			wellFormed(t, b.Bytes())
			golden(t, tt.golden, b.Bytes())
		})
	}
}

// TestEncodeMinimalRecord writes a record with only the required elements:
// every other declared element is nil.
func TestEncodeMinimalRecord(t *testing.T) {
	v := jsonValue(t, `{"id": 7, "created-at": "2026-11-20T09:15:02Z", "updated-at": "2026-11-20T09:15:02Z",
		"contact-alert-type": "Both", "resolved": true}`)
	var b bytes.Buffer
	if err := coupaxml.Encode(&b, "integration-error", v, coreSchema(t, "IntegrationError")); err != nil {
		t.Fatal(err)
	}
	wellFormed(t, b.Bytes())
	golden(t, "integration_error_minimal.golden", b.Bytes())
}

func TestEncodeList(t *testing.T) {
	schema := coreSchema(t, "IntegrationError")
	t.Run("two records", func(t *testing.T) {
		second := fixture(t, "integration_error.json")
		second["id"] = json.Number("2")
		second["resolved"] = true
		delete(second, "responses")
		var b bytes.Buffer
		err := coupaxml.EncodeList(&b, "integration-errors", "integration-error",
			[]any{fixture(t, "integration_error.json"), second}, schema)
		if err != nil {
			t.Fatal(err)
		}
		wellFormed(t, b.Bytes())
		golden(t, "integration_errors.golden", b.Bytes())
	})

	small := testSchema(t, "Line")
	tests := []struct {
		name, root, item string
		values           []any
		want             string
	}{
		{"empty", "integration-errors", "integration-error", nil,
			`<integration-errors type="array"/>` + "\n"},
		{"empty, not nil", "integration-errors", "integration-error", []any{},
			`<integration-errors type="array"/>` + "\n"},
		{"item name from the root", "lines", "", []any{map[string]any{"n": json.Number("1")}, nil}, `<lines type="array">
  <line>
    <n type="integer">1</n>
    <text nil="true"/>
  </line>
  <line nil="true"/>
</lines>
`},
		{"item when the root is not plural", "result", "", []any{map[string]any{"text": "x", "n": 2.0}}, `<result type="array">
  <item>
    <n type="integer">2</n>
    <text>x</text>
  </item>
</result>
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := coupaxml.EncodeList(&b, tt.root, tt.item, tt.values, small); err != nil {
				t.Fatal(err)
			}
			wellFormed(t, b.Bytes())
			if diff := cmp.Diff(xmlHeader+tt.want, b.String()); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEncode covers the rules one at a time on small schemas.
func TestEncode(t *testing.T) {
	tests := []struct {
		name   string
		schema string // of testSpec; "" for none
		root   string
		value  any // JSON text (string) or a Go value
		want   string
	}{
		{"scalars", "Scalars", "thing",
			`{"id": 42, "name": "Widget", "at": "2016-10-07T06:59:46-07:00", "day": "2016-10-07",
			  "ok": true, "price": 9.5, "total": "567.07"}`, `<thing>
  <at type="dateTime">2016-10-07T06:59:46-07:00</at>
  <day type="date">2016-10-07</day>
  <id type="integer">42</id>
  <name>Widget</name>
  <ok type="boolean">true</ok>
  <price type="decimal">9.5</price>
  <total>567.07</total>
</thing>
`},
		{"every declared element lacking is nil, with its type", "Scalars", "thing", `{}`, `<thing>
  <at type="dateTime" nil="true"/>
  <day type="date" nil="true"/>
  <id type="integer" nil="true"/>
  <name nil="true"/>
  <ok type="boolean" nil="true"/>
  <price type="decimal" nil="true"/>
  <total nil="true"/>
</thing>
`},
		{"null is nil", "Scalars", "thing",
			`{"id": null, "name": null, "at": null, "day": null, "ok": null, "price": null, "total": null}`, `<thing>
  <at type="dateTime" nil="true"/>
  <day type="date" nil="true"/>
  <id type="integer" nil="true"/>
  <name nil="true"/>
  <ok type="boolean" nil="true"/>
  <price type="decimal" nil="true"/>
  <total nil="true"/>
</thing>
`},
		{"writeOnly never appears", "Scalars", "thing",
			`{"secret": "hunter2", "id": 1, "name": "", "at": "", "day": "x", "ok": false, "price": 0, "total": "0.00"}`, `<thing>
  <at type="dateTime"></at>
  <day type="date">x</day>
  <id type="integer">1</id>
  <name></name>
  <ok type="boolean">false</ok>
  <price type="decimal">0</price>
  <total>0.00</total>
</thing>
`},
		{"float64 numbers as encoding/json decodes them", "Scalars", "thing",
			map[string]any{"id": 4711.0, "price": 0.1, "ok": true, "name": "n", "at": "a", "day": "d", "total": "1"}, `<thing>
  <at type="dateTime">a</at>
  <day type="date">d</day>
  <id type="integer">4711</id>
  <name>n</name>
  <ok type="boolean">true</ok>
  <price type="decimal">0.1</price>
  <total>1</total>
</thing>
`},
		{"the type attribute follows the value when the schema disagrees", "Scalars", "thing",
			`{"id": "12", "name": 5, "at": true, "day": 1.5, "ok": "yes", "price": "cheap", "total": 567.07}`, `<thing>
  <at type="boolean">true</at>
  <day type="decimal">1.5</day>
  <id>12</id>
  <name type="integer">5</name>
  <ok>yes</ok>
  <price>cheap</price>
  <total type="decimal">567.07</total>
</thing>
`},
		{"integers stay exact beyond 2^53", "Scalars", "thing",
			`{"id": 9223372036854775807, "price": 9007199254740993, "ok": false, "name": "-", "at": "-", "day": "-", "total": "-"}`, `<thing>
  <at type="dateTime">-</at>
  <day type="date">-</day>
  <id type="integer">9223372036854775807</id>
  <name>-</name>
  <ok type="boolean">false</ok>
  <price type="decimal">9007199254740993</price>
  <total>-</total>
</thing>
`},
		{"escaping", "Line", "line",
			map[string]any{"n": json.Number("1"), "text": "a < b && c > d; \"quoted\" 'single' café 東京 ✓\ttab\nline\r\x00\x1b\xff"}, `<line>
  <n type="integer">1</n>
  <text>a &lt; b &amp;&amp; c &gt; d; &#34;quoted&#34; &#39;single&#39; café 東京 ✓&#x9;tab&#xA;line&#xD;` + "\uFFFD\uFFFD\uFFFD" + `</text>
</line>
`},
		{"nested objects, present and lacking", "Nested", "nest",
			`{"line": {"n": 1, "text": "first"}, "run": {"n": 9}}`, `<nest>
  <line>
    <n type="integer">1</n>
    <text>first</text>
  </line>
  <owner nil="true"/>
</nest>
`},
		{"nested objects, null and empty", "Nested", "nest",
			`{"line": null, "owner": {}}`, `<nest>
  <line nil="true"/>
  <owner>
    <n type="integer" nil="true"/>
    <text nil="true"/>
  </owner>
</nest>
`},
		{"arrays", "Lists", "lists",
			`{"ids": [1, 9223372036854775807], "lines": [{"n": 1}, null, {"text": "x"}], "data": ["a"], "result": ["r"], "entries": []}`, `<lists>
  <data type="array">
    <datum>a</datum>
  </data>
  <entries type="array"/>
  <ids type="array">
    <id type="integer">1</id>
    <id type="integer">9223372036854775807</id>
  </ids>
  <lines type="array">
    <line>
      <n type="integer">1</n>
      <text nil="true"/>
    </line>
    <line nil="true"/>
    <line>
      <n type="integer" nil="true"/>
      <text>x</text>
    </line>
  </lines>
  <result type="array">
    <item>r</item>
  </result>
</lists>
`},
		{"arrays lacking are nil", "Lists", "lists", `{"entries": ["e"]}`, `<lists>
  <data type="array" nil="true"/>
  <entries type="array">
    <entry>e</entry>
  </entries>
  <ids type="array" nil="true"/>
  <lines type="array" nil="true"/>
  <result type="array" nil="true"/>
</lists>
`},
		{"undeclared keys in order, typed by value and additionalProperties", "Open", "open",
			`{"c": 3, "a": "x", "free": {"z": [true, 1.25], "y": null}, "aa": null}`, `<open>
  <a>x</a>
  <aa type="integer" nil="true"/>
  <b nil="true"/>
  <c type="integer">3</c>
  <free>
    <y nil="true"/>
    <z type="array">
      <item type="boolean">true</item>
      <item type="decimal">1.25</item>
    </z>
  </free>
</open>
`},
		{"object without properties", "Empty", "empty", `{}`, `<empty></empty>
`},
		{"no schema", "", "thing", `{"b": 2, "a": [{"x": "y"}], "n": null}`, `<thing>
  <a type="array">
    <item>
      <x>y</x>
    </item>
  </a>
  <b type="integer">2</b>
  <n nil="true"/>
</thing>
`},
		{"a list through Encode", "", "widgets", `[1, "two"]`, `<widgets type="array">
  <widget type="integer">1</widget>
  <widget>two</widget>
</widgets>
`},
		{"a nil root", "Line", "line", nil, `<line nil="true"/>
`},
		{"a scalar root", "", "count", json.Number("3"), `<count type="integer">3</count>
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			value := tt.value
			if text, ok := value.(string); ok {
				value = jsonValue(t, text)
			}
			var schemaName = tt.schema
			var b bytes.Buffer
			var err error
			if schemaName == "" {
				err = coupaxml.Encode(&b, tt.root, value, nil)
			} else {
				err = coupaxml.Encode(&b, tt.root, value, testSchema(t, schemaName))
			}
			if err != nil {
				t.Fatal(err)
			}
			wellFormed(t, b.Bytes())
			if diff := cmp.Diff(xmlHeader+tt.want, b.String()); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEncodeDeterministic encodes the same record many times: map order
// must not show.
func TestEncodeDeterministic(t *testing.T) {
	schema := coreSchema(t, "IntegrationError")
	v := fixture(t, "integration_error.json")
	v["zz-extra"], v["aa-extra"], v["mm-extra"] = "z", "a", map[string]any{"q": "1", "p": "2", "r": "3"}
	var first []byte
	for i := range 50 {
		var b bytes.Buffer
		if err := coupaxml.Encode(&b, "integration-error", v, schema); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b.Bytes()
		} else if !bytes.Equal(first, b.Bytes()) {
			t.Fatalf("run %d differs:\n%s", i, cmp.Diff(string(first), b.String()))
		}
	}
}

func TestEncodeFails(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	tests := []struct {
		name  string
		root  string
		value any
		want  string
	}{
		{"bad root name", "1st", map[string]any{}, `coupaxml: "1st" is not a valid XML element name`},
		{"root name with a space", "a b", map[string]any{}, `coupaxml: "a b" is not a valid XML element name`},
		{"bad key", "line", map[string]any{"text": map[string]any{"x y": "1"}}, `coupaxml: text: "x y" is not a valid XML element name`},
		{"unsupported type", "line", map[string]any{"n": struct{}{}}, `coupaxml: n: cannot encode a value of type struct {} (want a decoded JSON value)`},
		{"NaN", "line", map[string]any{"n": []any{1.0, math.NaN()}}, `coupaxml: n.1: NaN is not a JSON number`},
		{"bad json.Number", "line", map[string]any{"n": json.Number("12abc")}, `coupaxml: n: "12abc" is not a number`},
		{"cycle", "line", cyclic, "values nested more than 128 deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := coupaxml.Encode(&b, tt.root, tt.value, testSchema(t, "Line"))
			if err == nil {
				t.Fatalf("no error; wrote\n%s", b.String())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes despite the error", b.Len())
			}
		})
	}
	t.Run("list with a bad item", func(t *testing.T) {
		var b bytes.Buffer
		err := coupaxml.EncodeList(&b, "lines", "", []any{map[string]any{}, map[string]any{"n": struct{}{}}}, testSchema(t, "Line"))
		if err == nil || err.Error() != "coupaxml: 1.n: cannot encode a value of type struct {} (want a decoded JSON value)" {
			t.Errorf("err = %v", err)
		}
		if b.Len() != 0 {
			t.Errorf("wrote %d bytes despite the error", b.Len())
		}
	})
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncodeWriteError(t *testing.T) {
	if err := coupaxml.Encode(errWriter{}, "line", map[string]any{}, testSchema(t, "Line")); err == nil || err.Error() != "disk full" {
		t.Errorf("Encode: err = %v, want the writer's", err)
	}
	if err := coupaxml.EncodeErrors(errWriter{}, []string{"x"}); err == nil {
		t.Error("EncodeErrors: no error")
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name     string
		messages []string
		want     string
	}{
		{"one", []string{"contact-alert-type: is required"}, `<errors>
  <error>contact-alert-type: is required</error>
</errors>
`},
		{"several, in order, escaped", []string{
			`contact-alert-type: "technical" is not an allowed value; allowed values: Technical, Functional, Both`,
			"document-id: must be an integer, not <abc> & co",
			"élément inconnu",
		}, `<errors>
  <error>contact-alert-type: &#34;technical&#34; is not an allowed value; allowed values: Technical, Functional, Both</error>
  <error>document-id: must be an integer, not &lt;abc&gt; &amp; co</error>
  <error>élément inconnu</error>
</errors>
`},
		{"none", nil, "<errors/>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := coupaxml.EncodeErrors(&b, tt.messages); err != nil {
				t.Fatal(err)
			}
			wellFormed(t, b.Bytes())
			if diff := cmp.Diff(xmlHeader+tt.want, b.String()); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoResults(t *testing.T) {
	want := xmlHeader + "<errors>\n  <error>No results match your search criteria.</error>\n</errors>\n"
	got := coupaxml.NoResults()
	if string(got) != want {
		t.Errorf("NoResults() = %q, want %q", got, want)
	}
	got[0] = 'X'
	if string(coupaxml.NoResults()) != want {
		t.Error("NoResults shares its slice between calls")
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []string
		wantErr bool
	}{
		{"one resource", `{"errors": {"integration-error": ["a", "b"]}}`, []string{"a", "b"}, false},
		{"resources in body order", `{"errors": {"zeta": ["z1"], "alpha": ["a1", "a2"], "mid": []}, "other": {"x": 1}}`,
			[]string{"z1", "a1", "a2"}, false},
		{"other members first", `{"status": 400, "errors": {"request": ["no operation matches GET /x"]}}`,
			[]string{"no operation matches GET /x"}, false},
		{"not an object", `["a"]`, nil, true},
		{"no errors member", `{"error": "x"}`, nil, true},
		{"errors not an object", `{"errors": ["a"]}`, nil, true},
		{"messages not strings", `{"errors": {"r": [1]}}`, nil, true},
		{"truncated", `{"errors": {"r": ["a"]`, nil, true},
		{"empty", ``, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := coupaxml.ErrorMessages([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEncodeConcurrent shares one schema between goroutines, as a server
// does; run with -race.
func TestEncodeConcurrent(t *testing.T) {
	schema := coreSchema(t, "IntegrationError")
	values := []any{fixture(t, "integration_error.json"), fixture(t, "integration_error.json")}
	var want bytes.Buffer
	if err := coupaxml.EncodeList(&want, "integration-errors", "", values, schema); err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for range 8 {
		go func() {
			for range 20 {
				var b bytes.Buffer
				if err := coupaxml.EncodeList(&b, "integration-errors", "", values, schema); err != nil {
					done <- err.Error()
					return
				}
				if !bytes.Equal(b.Bytes(), want.Bytes()) {
					done <- "output differs"
					return
				}
			}
			done <- ""
		}()
	}
	for range 8 {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}
