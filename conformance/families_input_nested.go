package conformance

import (
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// nestedInputFamily returns the input checks of the elements nested one
// level inside a writable object or array of objects (a response's
// response-code, a contact's email, the settings' currency): the same
// values at the edge of the schema, sent inside a parent that is otherwise
// valid, on create and on update.
//
// It leaves alone the children of references (kindFacts.references, such
// as a record's integration): the server looks the referred resource up by
// them, so an over-long code would test the lookup, not the input.
func nestedInputFamily(k kind) []*check {
	f := k.facts()
	var out []*check
	for _, parent := range f.els {
		if parent.readOnly || slices.Contains(f.references, parent.name) {
			continue
		}
		item, array := nestedItem(parent)
		if item == nil {
			continue
		}
		children := elements(item)
		for _, child := range children {
			if child.readOnly || !child.scalar() {
				continue
			}
			siblings, ok := requiredSiblings(children, child.name)
			if !ok {
				continue
			}
			t := nestedInput(parent.name, child, siblings, array)
			title, ok := inputTitle(t.name, child)
			if !ok {
				continue
			}
			f.add(&out, &check{id: f.name + ".input." + parent.name + "." + child.name, op: f.createOp, element: parent.name, mutates: true,
				source: f.source(child.pointer), title: title,
				run: func(c *cctx) { checkInput(c, k, t) }})
		}
	}
	return out
}

// nestedItem returns the object schema that holds the children of parent,
// an object or an array of objects, with its JSON pointer as its ref; nil
// when parent is neither or has no properties.
func nestedItem(parent element) (item *openapi3.SchemaRef, array bool) {
	s, pointer := parent.schema, parent.pointer
	if parent.ref != "" {
		pointer = parent.ref
	}
	if parent.is("array") {
		if s.Items == nil || s.Items.Value == nil {
			return nil, false
		}
		pointer += "/items"
		if s.Items.Ref != "" {
			pointer = s.Items.Ref
		}
		s, array = s.Items.Value, true
	}
	if s.Type == nil || !s.Type.Is("object") || len(s.Properties) == 0 {
		return nil, false
	}
	return &openapi3.SchemaRef{Ref: pointer, Value: s}, array
}

// requiredSiblings returns valid values of the required elements beside
// the child: the sampler's, or the spec's example; false when one has
// neither.
func requiredSiblings(children []element, child string) (map[string]any, bool) {
	out := map[string]any{}
	for _, sib := range children {
		if !sib.required || sib.readOnly || sib.name == child {
			continue
		}
		v, ok := sampler{}.value(sib.name, sib.schema, 0)
		if !ok {
			if sib.schema.Example == nil {
				return nil, false
			}
			v = sib.schema.Example
		}
		out[sib.name] = v
	}
	return out, true
}

// nestedInput is the target of child inside parent: a create or update
// body sets parent to an object (or a one-item array of it) holding the
// child's value and its required siblings.
func nestedInput(parent string, child element, siblings map[string]any, array bool) inputTarget {
	name := parent + "." + child.name
	if array {
		name = parent + "[]." + child.name
	}
	return inputTarget{el: child, name: name, parent: parent, nested: true, element: child.name,
		put: func(body map[string]any, v any) map[string]any {
			obj := with(siblings, child.name, v)
			if array {
				return with(body, parent, []any{obj})
			}
			return with(body, parent, obj)
		},
		get: func(rec map[string]any) any {
			v := rec[parent]
			if items, ok := v.([]any); ok {
				if len(items) != 1 {
					return v
				}
				v = items[0]
			}
			if obj, ok := v.(map[string]any); ok {
				return obj[child.name]
			}
			return v
		}}
}

// inputTitle is the title of the input check of the element named name;
// false when there is nothing to probe.
func inputTitle(name string, el element) (string, bool) {
	accept, refuse := inputCases(el, func(n int) string { return strings.Repeat("x", n) })
	if len(refuse) == 0 {
		return "", false
	}
	var whys []string
	for _, ic := range refuse {
		whys = append(whys, ic.why)
	}
	title := "A value of " + name + " outside its schema (" + strings.Join(whys, "; ") + ") is rejected with 400 naming it, on create and on update, and nothing changes"
	if len(accept) > 0 {
		title += "; one of " + accept[0].why + " is accepted and read back"
	}
	return title + ".", true
}
