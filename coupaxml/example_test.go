package coupaxml_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/coupaxml"
)

func exampleSchema() *openapi3.Schema {
	line := openapi3.NewObjectSchema().
		WithProperty("response-code", openapi3.NewStringSchema())
	return openapi3.NewObjectSchema().
		WithProperty("id", openapi3.NewInt64Schema()).
		WithProperty("created-at", openapi3.NewDateTimeSchema()).
		WithProperty("document-revision", openapi3.NewInt64Schema()).
		WithProperty("resolved", openapi3.NewBoolSchema()).
		WithProperty("responses", openapi3.NewArraySchema().WithItems(line))
}

func ExampleEncode() {
	// A record as a JSON handler produced it.
	dec := json.NewDecoder(strings.NewReader(`{"id": 1, "created-at": "2026-11-20T09:15:02Z",
		"resolved": false, "responses": [{"response-code": "E-042"}]}`))
	dec.UseNumber()
	var record any
	if err := dec.Decode(&record); err != nil {
		panic(err)
	}
	if err := coupaxml.Encode(os.Stdout, "integration-error", record, exampleSchema()); err != nil {
		panic(err)
	}
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <integration-error>
	//   <created-at type="dateTime">2026-11-20T09:15:02+00:00</created-at>
	//   <document-revision type="integer" nil="true"/>
	//   <id type="integer">1</id>
	//   <resolved type="boolean">false</resolved>
	//   <responses type="array">
	//     <response>
	//       <response-code>E-042</response-code>
	//     </response>
	//   </responses>
	// </integration-error>
}

func ExampleDecode() {
	body := `<?xml version="1.0" encoding="UTF-8"?>
<integration-error>
  <id type="integer">9007199254740993</id>
  <document-revision type="integer" nil="true"/>
  <resolved type="boolean">true</resolved>
  <responses type="array">
    <response><response-code>E-042</response-code></response>
  </responses>
</integration-error>`
	root, value, err := coupaxml.Decode(strings.NewReader(body), []string{"integration-error"}, exampleSchema())
	if err != nil {
		panic(err)
	}
	data, _ := json.Marshal(value)
	fmt.Println(root)
	fmt.Println(string(data))

	_, _, err = coupaxml.Decode(strings.NewReader(`<integration-error><id>abc</id></integration-error>`),
		[]string{"integration-error"}, exampleSchema())
	fmt.Println(err)
	// Output:
	// integration-error
	// {"id":9007199254740993,"resolved":true,"responses":[{"response-code":"E-042"}]}
	// id: "abc" is not an integer
}

func ExampleErrorMessages() {
	// A JSON error answer, turned into Coupa's XML error document.
	body := []byte(`{"errors": {"integration-error": ["contact-alert-type: is required", "document-id: must be an integer, not \"x\""]}}`)
	messages, err := coupaxml.ErrorMessages(body)
	if err != nil {
		panic(err)
	}
	var b bytes.Buffer
	if err := coupaxml.EncodeErrors(&b, messages); err != nil {
		panic(err)
	}
	fmt.Print(b.String())
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <errors>
	//   <error>contact-alert-type: is required</error>
	//   <error>document-id: must be an integer, not &#34;x&#34;</error>
	// </errors>
}
