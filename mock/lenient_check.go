package mock

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// needsNormalizing reports whether normalizeBody would read anything in
// body differently, that is would note a leniency: a name in the other
// spelling, an unknown element, a value to cast. It follows normalizeBody's
// walk without building the normalized copy, and allocates nothing for a
// body that needs no change (the common case), so that such a body costs
// the leniency layer only a walk.
//
// It must agree with normalizeBody exactly: TestNormalizeBody and
// FuzzNeedsNormalizing check that it is true just when normalizeBody
// returns warnings.
func needsNormalizing(v any, s *openapi3.Schema) bool {
	if s == nil {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		if t := schemaTypeOf(s); t == "object" || t == "" {
			return objectNeedsNormalizing(x, s)
		}
		return false
	case []any:
		if schemaTypeOf(s) != "array" {
			return false
		}
		items := schemaItemsOf(s)
		for _, item := range x {
			if needsNormalizing(item, items) {
				return true
			}
		}
		return false
	default:
		_, cast := castScalar(v, s)
		return cast
	}
}

// objectNeedsNormalizing is needsNormalizing for an object, read as
// normalizer.object reads it.
func objectNeedsNormalizing(obj map[string]any, s *openapi3.Schema) bool {
	for name, v := range obj {
		if prop, ok := shapeProperty(s, name); ok {
			if needsNormalizing(v, prop) {
				return true
			}
			continue
		}
		if otherSpellingIn(s, name) {
			return true // read as the other spelling, or ignored
		}
		open, extra := shapeExtra(s)
		if !open {
			return true // unknown: dropped
		}
		if needsNormalizing(v, extra) {
			return true
		}
	}
	return false
}

// shapeProperty looks name up among the properties schemaShape gathers,
// without gathering them: found when s or one of its allOf declares it,
// with the schema schemaShape would give it (the first non-nil one, in
// schemaShape's order).
func shapeProperty(s *openapi3.Schema, name string) (prop *openapi3.Schema, found bool) {
	if s == nil {
		return nil, false
	}
	if ref := s.Properties[name]; ref != nil {
		prop, found = ref.Value, true
	}
	for _, m := range s.AllOf {
		if m == nil {
			continue
		}
		if p, ok := shapeProperty(m.Value, name); ok {
			found = true
			if prop == nil {
				prop = p
			}
		}
	}
	return prop, found
}

// shapeExtra returns what schemaShape says of the elements s does not
// declare: whether it takes them, and their schema.
func shapeExtra(s *openapi3.Schema) (open bool, extra *openapi3.Schema) {
	if s == nil {
		return true, nil
	}
	open = s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has
	if s.AdditionalProperties.Schema != nil {
		extra = s.AdditionalProperties.Schema.Value
	}
	for _, m := range s.AllOf {
		if m == nil {
			continue
		}
		o, e := shapeExtra(m.Value)
		open = open && o
		if extra == nil {
			extra = e
		}
	}
	return open, extra
}

// otherSpellingIn reports whether otherSpelling finds name's other
// spelling among the properties of s.
func otherSpellingIn(s *openapi3.Schema, name string) bool {
	for _, candidate := range []string{strings.ReplaceAll(name, "_", "-"), strings.ReplaceAll(name, "-", "_")} {
		if candidate == name {
			continue
		}
		if _, ok := shapeProperty(s, candidate); ok {
			return true
		}
	}
	return false
}
