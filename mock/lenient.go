package mock

// Leniency: Coupa is a Rails application, and reads request bodies as Rails
// does. Element names are accepted hyphenated or with underscores, numeric
// strings are cast for integer elements and "true"/"false" for booleans,
// and elements the resource does not have are dropped without a word. A
// client that passes against the mock must pass against Coupa, so the mock
// reads bodies the same way; and so that it still helps its user find
// sloppy requests, it reports each leniency as a warning.
//
// normalizeBody does that reading, on a decoded JSON body and the request
// schema, before the body is validated. Values Rails would not cast ("12abc"
// for an integer, "yes" for a boolean) are left as they are for the
// validator to reject. In strict mode nothing is changed and each leniency
// is an error instead, worded as the validator words it, for a 400.
//
// The warnings, one per leniency, name the element by its path in the body
// (integration.code, responses[0].response-code, events[1].settings.currency):
//
//	unknown element "comment" ignored
//	element "document_type" read as "document-type"
//	element "document_id" ignored: "document-id" is sent too
//	element "integration-run-id": "10" read as the integer 10
//	element "integration.id": "7" read as the integer 7
//	element "exported": "true" read as the boolean true
//	element "external-id": 4711 read as the string "4711"
//
// and, for the names of the fields and order_by parameters:
//
//	fields: element "document_type" read as "document-type"
//	fields: unknown element "comment" ignored
//	order_by: element "created_at" read as "created-at"
//
// The errors of strict mode are the validator's:
//
//	comment: is not an element of this resource
//	document_type: is not an element of this resource
//	integration-run-id: must be an integer, not "10"
//	exported: must be a boolean, not "true"
//	external-id: must be a string, not 4711

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// normalizeBody reads body (map[string]any, []any and scalars, as
// encoding/json decodes them, with or without UseNumber) against schema as
// Coupa would. It returns the normalized body and one warning per leniency;
// in strict mode it returns body unchanged, no warnings, and one error per
// leniency instead. body itself is never changed.
func normalizeBody(body any, schema *openapi3.Schema, strict bool) (out any, warnings, errs []string) {
	n := &normalizer{strict: strict}
	out = n.value(body, schema, "")
	sort.Strings(n.warnings)
	sort.Strings(n.errs)
	if strict {
		return body, nil, n.errs
	}
	return out, n.warnings, nil
}

type normalizer struct {
	strict   bool
	warnings []string
	errs     []string
}

// note records a leniency: a warning, or in strict mode the error.
func (n *normalizer) note(warning, strictErr string) {
	if n.strict {
		n.errs = append(n.errs, strictErr)
		return
	}
	n.warnings = append(n.warnings, warning)
}

func (n *normalizer) value(v any, s *openapi3.Schema, path string) any {
	if s == nil {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		if schemaTypeOf(s) == "object" || schemaTypeOf(s) == "" {
			return n.object(x, s, path)
		}
	case []any:
		if schemaTypeOf(s) == "array" {
			items := schemaItemsOf(s)
			out := make([]any, len(x))
			for i, item := range x {
				out[i] = n.value(item, items, fmt.Sprintf("%s[%d]", path, i))
			}
			return out
		}
	default:
		return n.scalar(v, s, path)
	}
	return v
}

// object normalizes the elements of an object: each name read in the
// spec's spelling, unknown ones dropped, each value read on its own.
func (n *normalizer) object(obj map[string]any, s *openapi3.Schema, path string) map[string]any {
	props, open, extra := schemaShape(s)
	out := make(map[string]any, len(obj))
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic choices and warnings
	for _, name := range names {
		v := obj[name]
		if prop, ok := props[name]; ok {
			out[name] = n.value(v, prop, elementPath(path, name))
			continue
		}
		canonical, found := otherSpelling(name, props)
		switch {
		case found:
			if _, sent := obj[canonical]; sent {
				n.note(fmt.Sprintf("element %q ignored: %q is sent too", elementPath(path, name), elementPath(path, canonical)),
					elementPath(path, name)+": is not an element of this resource")
				continue
			}
			n.note(fmt.Sprintf("element %q read as %q", elementPath(path, name), elementPath(path, canonical)),
				elementPath(path, name)+": is not an element of this resource")
			if n.strict {
				continue // the validator names the element, not what is inside it
			}
			out[canonical] = n.value(v, props[canonical], elementPath(path, canonical))
		case open:
			out[name] = n.value(v, extra, elementPath(path, name))
		default:
			n.note(fmt.Sprintf("unknown element %q ignored", elementPath(path, name)),
				elementPath(path, name)+": is not an element of this resource")
		}
	}
	return out
}

// railsInteger is what Rails casts to an integer without losing anything:
// digits, with an optional sign and surrounding blanks. "12abc", "1e3" and
// "12.5" are not, and stay for the validator to reject.
var railsInteger = regexp.MustCompile(`^\s*[+-]?[0-9]+\s*$`)

// scalar casts a scalar as Rails would for the element's type, and notes
// the cast.
func (n *normalizer) scalar(v any, s *openapi3.Schema, path string) any {
	c, ok := castScalar(v, s)
	if !ok {
		return v
	}
	at := path
	if at == "" {
		at = "request body"
	}
	article := "a"
	if c.kind == "integer" {
		article = "an"
	}
	n.note(fmt.Sprintf("element %q: %s read as the %s %s", path, c.sent, c.kind, c.read),
		fmt.Sprintf("%s: must be %s %s, not %s", at, article, c.kind, c.sent))
	return c.value
}

// scalarCast is a scalar as Rails reads it for an element's type.
type scalarCast struct {
	value any
	// kind is the type read ("integer", "boolean", "string"); sent and
	// read show the value sent and the value read, as the warning does.
	kind, sent, read string
}

// castScalar casts v as Rails would for the type of s; ok is false when
// Rails would not (v stays for the validator to judge). Its one caller
// that notes is normalizer.scalar; needsNormalizing asks it too, so the
// two never disagree.
func castScalar(v any, s *openapi3.Schema) (c scalarCast, ok bool) {
	switch schemaTypeOf(s) {
	case "integer":
		text, isText := v.(string)
		if !isText || !railsInteger.MatchString(text) {
			return c, false
		}
		i, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(text), "+"), 10, 64)
		if err != nil {
			return c, false // beyond int64: the validator says so
		}
		return scalarCast{value: json.Number(strconv.FormatInt(i, 10)), kind: "integer", sent: strconv.Quote(text), read: strconv.FormatInt(i, 10)}, true
	case "boolean":
		var b bool
		var sent string
		switch x := v.(type) {
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true", "1":
				b, ok = true, true
			case "false", "0":
				b, ok = false, true
			}
			sent = strconv.Quote(x)
		case json.Number:
			b, ok = x.String() == "1", x.String() == "1" || x.String() == "0"
			sent = x.String()
		case float64:
			b, ok = x == 1, x == 1 || x == 0
			sent = strconv.FormatFloat(x, 'f', -1, 64)
		}
		if !ok {
			return c, false
		}
		return scalarCast{value: b, kind: "boolean", sent: sent, read: strconv.FormatBool(b)}, true
	case "string":
		var text string
		switch x := v.(type) {
		case json.Number:
			text = x.String()
		case float64:
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return c, false
			}
			text = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return c, false
		}
		return scalarCast{value: text, kind: "string", sent: text, read: strconv.Quote(text)}, true
	}
	return c, false
}

// normalizeOrderBy reads the element name of an order_by parameter in the
// spec's spelling. It returns the name to use, a warning when it was
// respelt, and false when the resource has no such element (a 400 for the
// caller, as today). strict refuses the respelling.
func normalizeOrderBy(name string, record *openapi3.Schema, strict bool) (canonical, warning string, ok bool) {
	props, _, _ := schemaShape(record)
	if _, ok := props[name]; ok {
		return name, "", true
	}
	canonical, found := otherSpelling(name, props)
	if !found || strict {
		return name, "", false
	}
	return canonical, fmt.Sprintf("order_by: element %q read as %q", name, canonical), true
}

// normalizeFields reads the names of a decoded fields parameter
// (["id", "document_type", {"integration": ["code"]}]) in the spec's
// spelling, against the record schema. Names the resource does not have
// are dropped (Coupa ignores them), each with a warning. In strict mode the
// value is returned unchanged with one error per respelt name, worded as
// for a body; unknown names stay ignored, as the spec says of fields.
func normalizeFields(fields []any, record *openapi3.Schema, strict bool) (out []any, warnings, errs []string) {
	n := &normalizer{strict: strict}
	out = n.fields(fields, record, "")
	sort.Strings(n.warnings)
	sort.Strings(n.errs)
	if strict {
		return fields, nil, n.errs
	}
	return out, n.warnings, nil
}

func (n *normalizer) fields(fields []any, s *openapi3.Schema, path string) []any {
	props, _, _ := schemaShape(s)
	out := make([]any, 0, len(fields))
	name := func(raw string) (string, bool) {
		if _, ok := props[raw]; ok {
			return raw, true
		}
		canonical, found := otherSpelling(raw, props)
		if !found {
			if !n.strict {
				n.warnings = append(n.warnings, fmt.Sprintf("fields: unknown element %q ignored", elementPath(path, raw)))
			}
			return "", false
		}
		n.note(fmt.Sprintf("fields: element %q read as %q", elementPath(path, raw), elementPath(path, canonical)),
			"fields: "+elementPath(path, raw)+": is not an element of this resource")
		return canonical, true
	}
	for _, f := range fields {
		switch x := f.(type) {
		case string:
			if c, ok := name(x); ok {
				out = append(out, c)
			}
		case map[string]any:
			assoc := make(map[string]any, len(x))
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				c, ok := name(k)
				if !ok {
					continue
				}
				inner, isList := x[k].([]any)
				if !isList {
					assoc[c] = x[k] // not a list: the parser's 400
					continue
				}
				target := props[c]
				if schemaTypeOf(target) == "array" {
					target = schemaItemsOf(target)
				}
				assoc[c] = n.fields(inner, target, elementPath(path, c))
			}
			if len(assoc) > 0 {
				out = append(out, assoc)
			}
		default:
			out = append(out, f) // not a name: the parser's 400
		}
	}
	return out
}

// otherSpelling finds the element of props that name spells with hyphens for
// underscores or underscores for hyphens.
func otherSpelling(name string, props map[string]*openapi3.Schema) (string, bool) {
	for _, candidate := range []string{strings.ReplaceAll(name, "_", "-"), strings.ReplaceAll(name, "-", "_")} {
		if candidate == name {
			continue
		}
		if _, ok := props[candidate]; ok {
			return candidate, true
		}
	}
	return "", false
}

// elementPath names the element name of the object at path, as the
// validator writes paths.
func elementPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// schemaTypeOf returns the type of s, or of the first of its allOf that has one.
func schemaTypeOf(s *openapi3.Schema) string {
	if s == nil {
		return ""
	}
	if s.Type != nil && len(*s.Type) > 0 {
		return (*s.Type)[0]
	}
	for _, m := range s.AllOf {
		if m != nil {
			if t := schemaTypeOf(m.Value); t != "" {
				return t
			}
		}
	}
	return ""
}

// schemaItemsOf returns the item schema of an array schema or its allOf.
func schemaItemsOf(s *openapi3.Schema) *openapi3.Schema {
	if s == nil {
		return nil
	}
	if s.Items != nil {
		return s.Items.Value
	}
	for _, m := range s.AllOf {
		if m != nil {
			if it := schemaItemsOf(m.Value); it != nil {
				return it
			}
		}
	}
	return nil
}

// schemaShape gathers the properties of an object schema and its allOf,
// whether it takes elements it does not declare (open), and the schema of
// those.
func schemaShape(s *openapi3.Schema) (props map[string]*openapi3.Schema, open bool, extra *openapi3.Schema) {
	props = map[string]*openapi3.Schema{}
	open = true
	var walk func(*openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		if s == nil {
			return
		}
		for name, ref := range s.Properties {
			if ref != nil && props[name] == nil {
				props[name] = ref.Value
			}
		}
		if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
			open = false
		}
		if s.AdditionalProperties.Schema != nil && extra == nil {
			extra = s.AdditionalProperties.Schema.Value
		}
		for _, m := range s.AllOf {
			if m != nil {
				walk(m.Value)
			}
		}
	}
	walk(s)
	return props, open, extra
}
