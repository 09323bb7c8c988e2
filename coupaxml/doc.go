// Package coupaxml reads and writes the XML flavour of the Coupa Core API.
//
// Coupa answers XML when a client asks for application/xml or sends no
// Accept header at all, and takes XML request bodies on create and update.
// The shape is that of Rails' to_xml: a root element named after the
// resource (singular for one record, plural with type="array" for a list),
// hyphenated element names, type="integer", type="boolean",
// type="dateTime" and type="array" attributes, and nil="true" on the
// elements that have no value:
//
//	<?xml version="1.0" encoding="UTF-8"?>
//	<integration-error>
//	  <contact-alert-type>Technical</contact-alert-type>
//	  <document-revision type="integer" nil="true"/>
//	  <id type="integer">1</id>
//	  ...
//	</integration-error>
//
// The package is a codec between that shape and decoded JSON values
// (map[string]any, []any, string, json.Number, bool), driven by an OpenAPI
// schema from kin-openapi. It knows nothing of the mock or of the generated
// types, so an HTTP middleware can put it in front of any JSON handler:
// [Decode] turns an XML request body into a JSON value to validate, and
// [Encode], [EncodeList] and [EncodeErrors] turn JSON answers into XML.
//
// Output is deterministic: the elements of an object come in alphabetical
// order of their names (JSON objects have no order, and Rails sorts hashes
// the same way), array items keep their order, and every property the
// schema declares is written, with nil="true" when the value lacks it,
// except writeOnly properties, which never appear in output.
//
// Decoding refuses DOCTYPE and entity declarations (no external entities,
// no entity expansion), and bounds the size of the body and the depth of
// its elements. The messages of the errors it returns are written for the
// API client and name the offending element.
package coupaxml
