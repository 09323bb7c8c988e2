package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Describe turns a kin-openapi request validation error into one clear
// message per problem, each naming the element: "contact-alert-type:
// \"technical\" is not an allowed value; allowed values: Technical,
// Functional, Both". Errors in a request body are rooted at "request body".
func Describe(err error) []string { return DescribeIn(err, "request body") }

// DescribeIn is Describe for errors in the value called root (the request
// body, a parameter, or "" for a value validated on its own).
func DescribeIn(err error, root string) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, inner := range e {
				walk(inner)
			}
			return
		case *openapi3filter.RequestError:
			out = append(out, requestMessages(e, root)...)
			return
		case *openapi3filter.ResponseError:
			if e.Err == nil {
				out = append(out, root+": "+strings.TrimSpace(e.Reason))
				return
			}
			walk(e.Err)
			return
		case *openapi3.SchemaError:
			out = append(out, schemaMessage(e, root))
			return
		}
		if inner := errors.Unwrap(err); inner != nil {
			walk(inner)
			return
		}
		out = append(out, err.Error())
	}
	walk(err)
	if len(out) == 0 {
		out = []string{err.Error()}
	}
	return out
}

// requestMessages words a request error: a bad parameter is named, a bad
// body is described element by element.
func requestMessages(e *openapi3filter.RequestError, root string) []string {
	if e.Parameter != nil {
		root = e.Parameter.Name
	}
	var parseErr *openapi3filter.ParseError
	switch {
	case e.Err == nil:
		return []string{root + ": " + strings.TrimSpace(e.Reason)}
	case errors.As(e.Err, &parseErr) && e.Parameter != nil:
		return []string{fmt.Sprintf("%s: %q is not a valid %s", root, fmt.Sprint(parseErr.Value), kindOf(e.Parameter.Schema))}
	case errors.As(e.Err, &parseErr):
		return []string{"request body is not valid JSON: " + parseErr.Error()}
	}
	var multi openapi3.MultiError
	var se *openapi3.SchemaError
	if errors.As(e.Err, &multi) || errors.As(e.Err, &se) {
		return DescribeIn(e.Err, root)
	}
	return []string{root + ": " + e.Err.Error()}
}

func kindOf(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil || ref.Value.Type == nil || len(*ref.Value.Type) == 0 {
		return "value"
	}
	return (*ref.Value.Type)[0]
}

// schemaMessage words one schema violation: the element's path first, then
// what is wrong with its value, with the allowed values for an enum.
func schemaMessage(se *openapi3.SchemaError, root string) string {
	var b strings.Builder
	for _, seg := range se.JSONPointer() {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	path := b.String()
	name := func(child string) string {
		if path == "" {
			return child
		}
		return path + "." + child
	}
	var msg string
	switch se.SchemaField {
	case "enum":
		allowed := make([]string, 0, len(se.Schema.Enum))
		for _, v := range se.Schema.Enum {
			allowed = append(allowed, fmt.Sprint(v))
		}
		if path == "" {
			path = root
		}
		return fmt.Sprintf("%s: %s is not an allowed value; allowed values: %s", path, Quote(se.Value), strings.Join(allowed, ", "))
	case "required":
		if prop := between(se.Reason, `property "`, `"`); prop != "" {
			if !strings.HasSuffix(path, prop) {
				path = name(prop)
			}
			return path + ": is required"
		}
	case "type":
		msg = fmt.Sprintf("must be %s, not %s", article(kindOf(&openapi3.SchemaRef{Value: se.Schema})), Quote(se.Value))
	case "maxLength":
		if s, ok := se.Value.(string); ok && se.Schema.MaxLength != nil {
			msg = fmt.Sprintf("is longer than %d characters (%d)", *se.Schema.MaxLength, len([]rune(s)))
		}
	case "minProperties":
		if se.Schema.MinProps > 0 {
			msg = fmt.Sprintf("must have at least %d element(s)", se.Schema.MinProps)
		}
	case "pattern":
		msg = fmt.Sprintf("%s does not match the pattern %s", Quote(se.Value), se.Schema.Pattern)
	}
	if prop := between(se.Reason, `property "`, `" is unsupported`); prop != "" {
		return name(prop) + ": is not an element of this resource"
	}
	if msg == "" {
		msg = se.Reason
	}
	switch {
	case path != "":
		return path + ": " + msg
	case root != "":
		return root + ": " + msg
	}
	return msg
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	return s[:j]
}

func article(kind string) string {
	switch kind {
	case "integer", "object", "array":
		return "an " + kind
	}
	return "a " + kind
}

// Quote renders a value for a message: a string quoted, null, "an object",
// "an array", anything else as its JSON.
func Quote(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
