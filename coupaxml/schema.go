package coupaxml

import (
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// kind is the JSON type a schema gives its values.
type kind uint8

const (
	kindAny kind = iota // no type: the value (on output) or the type attribute (on input) decides
	kindString
	kindInteger
	kindNumber
	kindBoolean
	kindArray
	kindObject
)

// maxAllOf bounds how deep allOf chains are followed, so that a malformed
// (cyclic) schema cannot loop forever.
const maxAllOf = 16

// walk calls f on s and then, depth first, on the schemas of its allOf,
// until f returns true. It reports whether f did.
func walk(s *openapi3.Schema, f func(*openapi3.Schema) bool) bool {
	return walkN(s, f, 0)
}

func walkN(s *openapi3.Schema, f func(*openapi3.Schema) bool, depth int) bool {
	if s == nil || depth > maxAllOf {
		return false
	}
	if f(s) {
		return true
	}
	for _, ref := range s.AllOf {
		if ref != nil && walkN(ref.Value, f, depth+1) {
			return true
		}
	}
	return false
}

// deref returns the schema a reference points to, or nil.
func deref(ref *openapi3.SchemaRef) *openapi3.Schema {
	if ref == nil {
		return nil
	}
	return ref.Value
}

// kindOf returns the JSON type of s, looking through allOf. A schema
// without a type that declares properties is an object, one with items an
// array.
func kindOf(s *openapi3.Schema) kind {
	k := kindAny
	walk(s, func(s *openapi3.Schema) bool {
		if s.Type == nil {
			return false
		}
		for _, t := range *s.Type {
			switch t {
			case openapi3.TypeString:
				k = kindString
			case openapi3.TypeInteger:
				k = kindInteger
			case openapi3.TypeNumber:
				k = kindNumber
			case openapi3.TypeBoolean:
				k = kindBoolean
			case openapi3.TypeArray:
				k = kindArray
			case openapi3.TypeObject:
				k = kindObject
			default: // "null"
				continue
			}
			return true
		}
		return false
	})
	if k != kindAny {
		return k
	}
	walk(s, func(s *openapi3.Schema) bool {
		switch {
		case len(s.Properties) > 0:
			k = kindObject
		case s.Items != nil:
			k = kindArray
		default:
			return false
		}
		return true
	})
	return k
}

// formatOf returns the first format s or its allOf declare.
func formatOf(s *openapi3.Schema) string {
	var f string
	walk(s, func(s *openapi3.Schema) bool { f = s.Format; return f != "" })
	return f
}

// itemsOf returns the item schema of an array schema, or nil.
func itemsOf(s *openapi3.Schema) *openapi3.Schema {
	var items *openapi3.Schema
	walk(s, func(s *openapi3.Schema) bool { items = deref(s.Items); return items != nil })
	return items
}

// xmlNameOf returns the xml.name s or its allOf declare, or "".
func xmlNameOf(s *openapi3.Schema) string {
	var name string
	walk(s, func(s *openapi3.Schema) bool {
		if s.XML != nil {
			name = s.XML.Name
		}
		return name != ""
	})
	return name
}

// isWriteOnly reports whether s or one of its allOf is writeOnly.
func isWriteOnly(s *openapi3.Schema) bool {
	return walk(s, func(s *openapi3.Schema) bool { return s.WriteOnly })
}

// property returns the schema of the property name of the object schema s,
// looking through allOf and then at additionalProperties. ok is false when
// s does not know the name.
func property(s *openapi3.Schema, name string) (prop *openapi3.Schema, ok bool) {
	if walk(s, func(s *openapi3.Schema) bool {
		ref, found := s.Properties[name]
		if found {
			prop = deref(ref)
		}
		return found
	}) {
		return prop, true
	}
	extra := additional(s)
	return extra, extra != nil
}

// respelt returns the schema of the property of s that name spells with
// underscores for hyphens or hyphens for underscores. ok is false when s
// declares no such property.
func respelt(s *openapi3.Schema, name string) (prop *openapi3.Schema, ok bool) {
	for _, other := range []string{strings.ReplaceAll(name, "_", "-"), strings.ReplaceAll(name, "-", "_")} {
		if other == name {
			continue
		}
		if walk(s, func(s *openapi3.Schema) bool {
			ref, found := s.Properties[other]
			if found {
				prop = deref(ref)
			}
			return found
		}) {
			return prop, true
		}
	}
	return nil, false
}

// additional returns the schema additionalProperties gives, or nil when the
// schema gives none (absent, true or false).
func additional(s *openapi3.Schema) *openapi3.Schema {
	var extra *openapi3.Schema
	walk(s, func(s *openapi3.Schema) bool {
		extra = deref(s.AdditionalProperties.Schema)
		return extra != nil
	})
	return extra
}

// propertyNames returns the names of the properties s and its allOf
// declare, sorted. The first declaration of a name wins.
func propertyNames(s *openapi3.Schema) (names []string, schemas map[string]*openapi3.Schema) {
	schemas = map[string]*openapi3.Schema{}
	walk(s, func(s *openapi3.Schema) bool {
		for name, ref := range s.Properties {
			if _, seen := schemas[name]; !seen {
				schemas[name] = deref(ref)
				names = append(names, name)
			}
		}
		return false
	})
	slices.Sort(names)
	return names, schemas
}

// typeAttr returns the type attribute of an element described by s: the
// one its value carries, and the one a nil element carries. Strings other
// than datetimes and dates, and objects, have none. Datetimes are typed
// dateTime, as Rails' to_xml writes them (Decode takes datetime too).
func typeAttr(s *openapi3.Schema) string {
	switch kindOf(s) {
	case kindInteger:
		return "integer"
	case kindNumber:
		return "decimal"
	case kindBoolean:
		return "boolean"
	case kindArray:
		return "array"
	case kindString:
		switch formatOf(s) {
		case "date-time":
			return "dateTime"
		case "date":
			return "date"
		}
	}
	return ""
}
