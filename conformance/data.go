package conformance

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// translations are the words machine translation put in place of codes in
// the vendor's pages (REFERENCE.md): integrations really send them, and the
// specs accept none of them.
var translations = map[string][]string{
	"Account":                     {"Compte"},
	"Supplier":                    {"Fournisseur"},
	"User":                        {"Utilisateur"},
	"Address":                     {"Adresse"},
	"Contract":                    {"Contrat"},
	"ExchangeRate":                {"Taux de change"},
	"Invoice":                     {"Facture"},
	"Requisition":                 {"Demande"},
	"Payment":                     {"Paiement"},
	"ApprovalChain":               {"Chaîne d'approbation"},
	"Item":                        {"Article"},
	"Charge":                      {"Imputation"},
	"Payables::External::Payable": {"Payables::Externe::Payable"},
	"Setup":                       {"Einrichtung"},
	"Active":                      {"Aktiv"},
	"Terminated":                  {"Abgebrochen"},
	"Technical":                   {"Technique"},
	"Functional":                  {"Fonctionnel"},
}

// nearMisses returns values just outside an enum that integrations really
// send: wrong case, surrounding spaces, spaces around "::", translations,
// and the empty string.
func nearMisses(allowed []string) []string {
	var out []string
	add := func(v string) {
		if !slices.Contains(allowed, v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for _, v := range allowed {
		add(strings.ToLower(v))
		add(" " + v + " ")
		if strings.Contains(v, "::") {
			add(strings.ReplaceAll(v, "::", " :: "))
		}
		for _, t := range translations[v] {
			add(t)
		}
	}
	if len(allowed) > 0 {
		add(strings.ToUpper(allowed[0]))
	}
	add("")
	return out
}

// sampler makes request values that the spec accepts.
type sampler struct {
	// fixed holds the values of elements that cannot be made up: references
	// to what exists on the target (nil: leave the element out).
	fixed map[string]any
}

// value returns a value for the element, different for each variant, and
// false when it cannot make one the schema accepts.
func (sm sampler) value(name string, schema *openapi3.Schema, variant int) (any, bool) {
	if v, ok := sm.fixed[name]; ok {
		if v == nil {
			return nil, false
		}
		if f, ok := v.(func(int) any); ok {
			v = f(variant)
		}
		return v, true
	}
	v, ok := sm.make(name, schema, variant, 0)
	if !ok || !valid(schema, v) {
		return nil, false
	}
	return v, true
}

// fill returns a value, of the variant, for every element of els that is
// neither read- nor write-only and that it can make.
func (sm sampler) fill(els []element, variant int) map[string]any {
	body := map[string]any{}
	for _, el := range els {
		if el.readOnly || el.writeOnly {
			continue
		}
		if v, ok := sm.value(el.name, el.schema, variant); ok {
			body[el.name] = v
		}
	}
	return body
}

// changes returns, for every element of els that is neither read- nor
// write-only nor named in except, a value that differs from old's: the
// first of four variants from variant on that does.
func (sm sampler) changes(els []element, old map[string]any, variant int, except ...string) map[string]any {
	body := map[string]any{}
	for _, el := range els {
		if el.readOnly || el.writeOnly || slices.Contains(except, el.name) {
			continue
		}
		for k := variant; k < variant+4; k++ {
			v, ok := sm.value(el.name, el.schema, k)
			if !ok {
				break
			}
			if !jsonEqual(toJSON(v), old[el.name]) {
				body[el.name] = v
				break
			}
		}
	}
	return body
}

func (sm sampler) make(name string, s *openapi3.Schema, variant, depth int) (any, bool) {
	if s.Type == nil && len(s.AllOf) == 1 && s.AllOf[0].Value != nil {
		s = s.AllOf[0].Value
	}
	if vals := enumStrings(s); len(vals) > 0 {
		return vals[variant%len(vals)], true
	}
	switch {
	case s.Type == nil:
		return nil, false
	case s.Type.Is("string"):
		if s.Format != "" || s.Pattern != "" {
			return nil, false
		}
		v := fmt.Sprintf("coupakit %s %d", name, variant)
		if s.MaxLength != nil && uint64(len(v)) > *s.MaxLength {
			v = v[:*s.MaxLength]
		}
		return v, true
	case s.Type.Is("integer"):
		n := 4711 + variant
		if s.Min != nil && float64(n) < *s.Min {
			n = int(*s.Min) + variant
		}
		return n, true
	case s.Type.Is("boolean"):
		return variant%2 == 0, true
	case s.Type.Is("array"):
		if s.Items == nil || s.Items.Value == nil || depth > 2 {
			return nil, false
		}
		v, ok := sm.make(name, s.Items.Value, variant, depth+1)
		if !ok {
			return nil, false
		}
		return []any{v}, true
	case s.Type.Is("object"):
		if depth > 2 || len(s.Properties) == 0 {
			return nil, false
		}
		obj := map[string]any{}
		for _, k := range sortedKeys(s.Properties) {
			p := s.Properties[k]
			if p.Value == nil || p.Value.ReadOnly || p.Value.WriteOnly {
				continue
			}
			if v, ok := sm.make(k, p.Value, variant, depth+1); ok {
				obj[k] = v
			}
		}
		for _, k := range s.Required {
			if _, ok := obj[k]; !ok {
				return nil, false
			}
		}
		return obj, len(obj) > 0
	}
	return nil, false
}

func enumStrings(s *openapi3.Schema) []string {
	var out []string
	for _, v := range s.Enum {
		str, ok := v.(string)
		if !ok {
			return nil
		}
		out = append(out, str)
	}
	return out
}

// valid reports whether the schema accepts v as part of a request.
func valid(s *openapi3.Schema, v any) bool {
	return s.VisitJSON(toJSON(v), openapi3.VisitAsRequest(), openapi3.DisableReadOnlyValidation()) == nil
}

// toJSON converts a Go value to the form encoding/json decodes to.
func toJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

// readOnlyProbe returns a value for a read-only element that the schema
// accepts and that differs from current and from anything a server would
// set by itself.
func readOnlyProbe(el element, current any) (any, bool) {
	var candidates []any
	switch {
	case len(el.enum()) > 0:
		// The last allowed value first: a server sets the first by default.
		for _, v := range slices.Backward(el.enum()) {
			candidates = append(candidates, v)
		}
	case el.is("boolean"):
		b, _ := current.(bool)
		candidates = []any{!b}
	case el.is("integer"):
		candidates = []any{987654321, 987654322}
	case el.is("string") && el.schema.Format == "date-time":
		candidates = []any{"2001-02-03T04:05:06Z", "2002-03-04T05:06:07Z"}
	case el.is("string") && el.schema.Pattern != "":
		candidates = []any{"1234567890123456789", "1234567890123456788", "coupakit-readonly", "coupakit-readonly-2"}
	case el.is("string"):
		candidates = []any{"coupakit-readonly", "coupakit-readonly-2"}
	case el.is("object"):
		v, ok := sampler{}.make(el.name, el.schema, 7, 0)
		if !ok {
			return nil, false
		}
		if m, ok := v.(map[string]any); ok {
			if _, has := m["id"]; has {
				m["id"] = 987654321
			}
		}
		candidates = []any{v}
	}
	for _, v := range candidates {
		if valid(el.schema, v) && !jsonEqual(toJSON(v), current) {
			return v, true
		}
	}
	return nil, false
}

// subset returns where got does not show what was sent: every element sent
// (but the read-only and write-only ones, which a server ignores or does not
// show) must come back with the same value; arrays must have the same
// length; objects may have more elements than were sent.
func subset(sent, got any, at string, skip func(path string) bool) []string {
	switch s := sent.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: sent an object, read back %s", cmpOr(at, "/"), short(got))}
		}
		var out []string
		for _, k := range sortedKeys(s) {
			p := at + "/" + k
			if skip != nil && skip(p) {
				continue
			}
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s: sent %s, not shown", p, short(s[k])))
				continue
			}
			out = append(out, subset(s[k], gv, p, skip)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(s) {
			return []string{fmt.Sprintf("%s: sent %s, read back %s", at, short(sent), short(got))}
		}
		var out []string
		for i := range s {
			out = append(out, subset(s[i], g[i], fmt.Sprintf("%s/%d", at, i), skip)...)
		}
		return out
	}
	if !jsonEqual(sent, got) {
		return []string{fmt.Sprintf("%s: sent %s, read back %s", at, short(sent), short(got))}
	}
	return nil
}

// differences lists the elements whose values differ between two records,
// but those in ignore.
func differences(a, b map[string]any, ignore ...string) []string {
	keys := sortedKeys(a)
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		if slices.Contains(ignore, k) {
			continue
		}
		av, aok := a[k]
		bv, bok := b[k]
		switch {
		case aok && !bok:
			out = append(out, fmt.Sprintf("%s (%s, then not shown)", k, short(av)))
		case !aok && bok:
			out = append(out, fmt.Sprintf("%s (not shown, then %s)", k, short(bv)))
		case !jsonEqual(av, bv):
			out = append(out, fmt.Sprintf("%s (%s, then %s)", k, short(av), short(bv)))
		}
	}
	return out
}

// without returns a copy of m without the keys.
func without(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !slices.Contains(keys, k) {
			out[k] = v
		}
	}
	return out
}

// with returns a copy of m with k set to v.
func with(m map[string]any, k string, v any) map[string]any {
	out := without(m)
	out[k] = v
	return out
}

// queryValue renders a scalar JSON value as a query parameter value.
func queryValue(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return fmt.Sprint(x), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}
