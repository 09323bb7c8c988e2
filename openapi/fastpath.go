package openapi

import (
	"math"
	"net/http"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// The fast path of ValidateRequest: a request with no query and no body to
// an operation whose only required parameters are integer path parameters
// (GET /api/integration_errors/{id}) is proved valid by reading each path
// parameter as kin-openapi reads it, without building its validation
// input. Whenever the fast path cannot prove a request valid (any query,
// a body, a parameter out of range, another kind of operation), the
// request goes to kin-openapi, whose answer and wording stand.

// fastPlan is what the fast path checks of one operation that qualifies.
type fastPlan struct {
	params []fastInteger // its path parameters
}

// fastInteger is an integer path parameter and its bounds.
type fastInteger struct {
	name     string
	min, max float64
}

// fastIntegerKeywords are the schema keywords the fast path models in an
// integer path parameter, the rest constraining nothing. A schema with any
// other (exclusive bounds, multipleOf, enum, nullable, not, allOf, the
// const or if/then/else of OpenAPI 3.1...) is left to kin-openapi.
var fastIntegerKeywords = map[string]bool{
	"type": true, "format": true, "minimum": true, "maximum": true,
	"description": true, "title": true, "example": true, "deprecated": true, "externalDocs": true,
}

// newFastPlan returns the fast plan of a route, nil when the fast path
// leaves the operation to kin-openapi. NewValidator makes them.
func newFastPlan(route *routers.Route) *fastPlan {
	op := route.Operation
	if op == nil || op.RequestBody != nil {
		return nil
	}
	var params openapi3.Parameters
	if route.PathItem != nil {
		params = append(params, route.PathItem.Parameters...)
	}
	params = append(params, op.Parameters...)
	plan := &fastPlan{}
	for _, ref := range params {
		p := ref.Value
		if p == nil || p.Schema == nil || p.Schema.Value == nil || p.Content != nil {
			return nil
		}
		s := p.Schema.Value
		switch p.In {
		case openapi3.ParameterInPath:
			// Written as it is (style simple: label and matrix want a
			// prefix), an integer of at most 64 bits, nothing else to it.
			if p.Style != "" && p.Style != openapi3.SerializationSimple {
				return nil
			}
			if _, err := schemaKeywords(s, fastIntegerKeywords); err != nil {
				return nil
			}
			if !s.Type.Is("integer") || (s.Format != "" && s.Format != "int64" && s.Format != "int32") {
				return nil
			}
			fi := fastInteger{name: p.Name, min: math.Inf(-1), max: math.Inf(1)}
			if s.Format == "int32" {
				fi.min, fi.max = math.MinInt32, math.MaxInt32
			}
			if s.Min != nil {
				fi.min = math.Max(fi.min, *s.Min)
			}
			if s.Max != nil {
				fi.max = math.Min(fi.max, *s.Max)
			}
			plan.params = append(plan.params, fi)
		case openapi3.ParameterInQuery:
			// Absent from the request (valid wants no query), it must
			// be optional with nothing for kin-openapi to write in its
			// place: no default, nor one in a part of allOf, which
			// kin-openapi reads too.
			if p.Required || s.Default != nil {
				return nil
			}
			for _, part := range s.AllOf {
				if part == nil || part.Value == nil || part.Value.Default != nil {
					return nil
				}
			}
		default: // a header or a cookie, which a request may send: kin-openapi judges
			return nil
		}
	}
	return plan
}

// valid reports whether the fast path proves r, routed to m, valid: true
// only when ValidateRequest would find nothing wrong and change nothing.
// A nil plan proves nothing.
func (plan *fastPlan) valid(r *http.Request, m *Match) bool {
	if plan == nil || r.URL.RawQuery != "" || (r.Body != nil && r.Body != http.NoBody) || r.ContentLength > 0 {
		return false
	}
	for _, p := range plan.params {
		v, ok := m.PathParam(p.name)
		if !ok {
			return false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return false
		}
		f := float64(n)
		if f < p.min || f > p.max {
			return false
		}
		// Beyond 2^53 a float64 cannot tell n from its neighbours, and the
		// bounds above are judged in float64 as kin-openapi judges them.
		if n > 1<<53 || n < -(1<<53) {
			return false
		}
	}
	return true
}
