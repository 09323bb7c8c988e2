package mock

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// propertyOrder returns, for each component schema of a spec in YAML, its
// property names in the order the spec lists them (the properties of allOf
// members in turn, a $ref member's in its schema's order). kin-openapi keeps
// properties in maps, which lose that order; an answer that lists elements
// as the spec does needs it.
func propertyOrder(spec []byte) (map[string][]string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(spec, &root); err != nil {
		return nil, fmt.Errorf("mock: read the spec's property order: %w", err)
	}
	schemas := lookup(lookup(docNode(&root), "components"), "schemas")
	if schemas == nil {
		return map[string][]string{}, nil
	}
	byName := map[string]*yaml.Node{}
	for i := 0; i+1 < len(schemas.Content); i += 2 {
		byName[schemas.Content[i].Value] = deref(schemas.Content[i+1])
	}
	out := map[string][]string{}
	var order func(n *yaml.Node, depth int) []string
	order = func(n *yaml.Node, depth int) []string {
		if n == nil || depth > 16 {
			return nil
		}
		if ref := lookup(n, "$ref"); ref != nil {
			return order(byName[strings.TrimPrefix(ref.Value, "#/components/schemas/")], depth+1)
		}
		var names []string
		if props := lookup(n, "properties"); props != nil {
			for i := 0; i+1 < len(props.Content); i += 2 {
				names = append(names, props.Content[i].Value)
			}
		}
		if all := lookup(n, "allOf"); all != nil {
			for _, member := range all.Content {
				names = append(names, order(deref(member), depth+1)...)
			}
		}
		return names
	}
	for name, n := range byName {
		out[name] = order(n, 0)
	}
	return out, nil
}

func docNode(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	return n
}

// lookup returns the value of key in a mapping node, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

// deref resolves a YAML alias (*name) to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}
