package openapi

import (
	"errors"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// WithoutRequired returns a deep copy of doc whose schemas have no required
// lists and no minimum number of properties: the contract of the answers
// that hold only the elements asked for (return_object, fields). doc is
// not changed.
func WithoutRequired(doc *openapi3.T) (*openapi3.T, error) {
	data, err := doc.MarshalJSON()
	if err != nil {
		return nil, err
	}
	cp, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, err
	}
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		v := ref.Value
		seen[v] = true
		v.Required, v.MinProps = nil, 0
		for _, p := range v.Properties {
			walk(p)
		}
		walk(v.Items)
		walk(v.AdditionalProperties.Schema)
		for _, list := range []openapi3.SchemaRefs{v.AllOf, v.AnyOf, v.OneOf} {
			for _, x := range list {
				walk(x)
			}
		}
	}
	walkContent := func(resp *openapi3.ResponseRef) {
		if resp == nil || resp.Value == nil {
			return
		}
		for _, mt := range resp.Value.Content {
			walk(mt.Schema)
		}
	}
	for _, ref := range cp.Components.Schemas {
		walk(ref)
	}
	for _, resp := range cp.Components.Responses {
		walkContent(resp)
	}
	for _, item := range cp.Paths.Map() {
		for _, op := range item.Operations() {
			for _, resp := range op.Responses.Map() {
				walkContent(resp)
			}
		}
	}
	return cp, nil
}

// Relaxed returns the validator of a copy of v's spec without required
// lists (WithoutRequired), with v's response options: for the answers that
// hold only the elements asked for. It is built once, on first use.
func (v *Validator) Relaxed() (*Validator, error) {
	v.relaxedOnce.Do(func() {
		doc, err := WithoutRequired(v.doc)
		if err != nil {
			v.relaxedErr = err
			return
		}
		if v.relaxed, v.relaxedErr = NewValidator(doc); v.relaxedErr == nil {
			v.relaxed.schemaOpts = v.schemaOpts
		}
	})
	return v.relaxed, v.relaxedErr
}

// SchemaOptions are the options ValidateResponse judges bodies with: what
// the spec's conventions add to its schemas (the Core API's datetimes to
// the second). A caller that visits a decoded body itself passes them
// with openapi3.VisitAsResponse().
func (v *Validator) SchemaOptions() []openapi3.SchemaValidationOption { return v.schemaOpts }

// SecondsDateTime validates the Core API's datetimes, as its conventions
// say: ISO 8601 with an offset, to the second (YYYY-MM-DDTHH:MM:SS followed
// by Z or ±HH:MM). It is a format validator for
// openapi3.WithStringFormatValidator.
type SecondsDateTime struct{}

// Validate reports whether s is a datetime to the second with an offset.
func (SecondsDateTime) Validate(s string) error {
	if !secondsShape(s) {
		return errors.New("not a datetime to the second with an offset (YYYY-MM-DDTHH:MM:SS+HH:MM)")
	}
	_, err := time.Parse(time.RFC3339, s)
	return err
}

// secondsShape checks the layout of a datetime without a regular
// expression: it runs for every datetime of every answer judged.
func secondsShape(v string) bool {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(v) != len(layout)+1 && len(v) != len(layout)+6 {
		return false
	}
	for i := 0; i < len(layout); i++ {
		if layout[i] == 'd' {
			if v[i] < '0' || v[i] > '9' {
				return false
			}
		} else if v[i] != layout[i] {
			return false
		}
	}
	zone := v[len(layout):]
	if zone == "Z" {
		return true
	}
	return len(zone) == 6 && (zone[0] == '+' || zone[0] == '-') && isDigits(zone[1:3]) && zone[3] == ':' && isDigits(zone[4:6])
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
