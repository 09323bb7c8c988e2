package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// fieldsExample ends every message about a malformed fields value.
const fieldsExample = `expected a JSON array such as ["id","status",{"integration":["code"]}]`

// projection applies return_object and fields to the Core API's JSON
// answers, so that the handlers always produce whole records. Without either
// parameter a request goes straight through. Otherwise the parameters are
// checked first (a malformed value is answered 400 before the handler runs,
// so a write changes nothing), then a 2xx JSON answer holding a record or a
// list of records is reshaped; any other answer passes unchanged.
//
//   - return_object=none: the same status and no body.
//   - return_object=limited: each record becomes {"id": ...}.
//   - return_object=shallow: each record keeps its own elements; a nested
//     object with an id becomes {"id": ...}, one without is left out, and so
//     are such objects in arrays.
//   - fields=["id","status",{"integration":["code"]}]: each record keeps the
//     elements named; an object names an association and the elements of it
//     to keep (recursively, and in each item of an array). Names match as
//     given or with hyphens for underscores; unknown names are ignored.
//     fields wins over limited and shallow; none still answers nothing.
type projection struct{}

// shape is what a request asks of each record.
type shape struct {
	none, limited, shallow bool
	fields                 fieldSet // nil unless fields was sent
}

// fieldSet maps each element to keep to the elements of it to keep, nil for
// the whole element.
type fieldSet map[string]fieldSet

// wrap applies the projection to next's answers.
func (projection) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" {
			next.ServeHTTP(w, r)
			return
		}
		q := queryOf(r.Context()) // parsed by the validation layer
		if q == nil {
			q = r.URL.Query()
		}
		if !q.Has("return_object") && !q.Has("fields") {
			next.ServeHTTP(w, r)
			return
		}
		sh, msg := parseShape(q["return_object"], q["fields"])
		if msg != "" {
			writeErrors(w, http.StatusBadRequest, resourceOf(r), msg)
			return
		}
		rec := &capture{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		for k, v := range rec.header {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		body := rec.body.Bytes()
		mt, _, _ := mime.ParseMediaType(rec.header.Get("Content-Type"))
		if rec.status/100 == 2 && mt == "application/json" {
			if sh.none {
				w.Header().Del("Content-Type")
				w.Header().Set("Content-Length", "0")
				w.WriteHeader(rec.status)
				return
			}
			if out, ok := sh.apply(body); ok {
				body = out
			}
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
	})
}

// parseShape checks the parameters' values, or says what is wrong with them.
func parseShape(returnObject, fields []string) (shape, string) {
	var sh shape
	if len(returnObject) > 1 {
		return sh, "return_object: sent more than once"
	}
	if len(returnObject) == 1 {
		switch returnObject[0] {
		case "none":
			sh.none = true
		case "limited":
			sh.limited = true
		case "shallow":
			sh.shallow = true
		default:
			return sh, fmt.Sprintf("return_object: %q is not one of none, limited, shallow", returnObject[0])
		}
	}
	if len(fields) > 1 {
		return sh, "fields: sent more than once; " + fieldsExample
	}
	if len(fields) == 1 {
		var list []any
		dec := json.NewDecoder(strings.NewReader(fields[0]))
		if err := dec.Decode(&list); err != nil {
			return sh, fmt.Sprintf("fields: %q is not a JSON array; %s", fields[0], fieldsExample)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return sh, fmt.Sprintf("fields: %q has data after the array; %s", fields[0], fieldsExample)
		}
		set, msg := parseFields(list, "")
		if msg != "" {
			return sh, "fields: " + msg + "; " + fieldsExample
		}
		sh.fields, sh.limited, sh.shallow = set, false, false
	}
	return sh, ""
}

// parseFields reads one fields list, found at where ("" at the top).
func parseFields(list []any, where string) (fieldSet, string) {
	if len(list) == 0 {
		return nil, "an empty list" + at(where)
	}
	set := fieldSet{}
	for i, item := range list {
		pos := fmt.Sprintf("%s[%d]", where, i)
		switch item := item.(type) {
		case string:
			if item == "" {
				return nil, "an empty name at " + pos
			}
			set[item] = nil
		case map[string]any:
			if len(item) != 1 {
				return nil, "an object that does not name one association at " + pos
			}
			for name, v := range item {
				sub, ok := v.([]any)
				if !ok {
					return nil, fmt.Sprintf("the elements of %q are not a list at %s", name, pos)
				}
				inner, msg := parseFields(sub, pos+"."+name)
				if msg != "" {
					return nil, msg
				}
				if whole, seen := set[name]; !seen || whole != nil {
					set[name] = inner
				}
			}
		default:
			return nil, "neither a name nor an object at " + pos
		}
	}
	return set, ""
}

func at(where string) string {
	if where == "" {
		return ""
	}
	return " at " + where
}

// apply reshapes a JSON answer: a record or a list of records. It reports
// false for anything else, which passes unchanged.
func (sh shape) apply(body []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	switch x := v.(type) {
	case map[string]any:
		v = sh.record(x)
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			rec, ok := item.(map[string]any)
			if !ok {
				return nil, false
			}
			out[i] = sh.record(rec)
		}
		v = out
	default:
		return nil, false
	}
	out, ok := appendOrdered(nil, v, keyRanks(body))
	if !ok {
		return nil, false
	}
	return append(out, '\n'), true
}

// keyRanks ranks the keys of a JSON body by where each first appears, so
// that a reshaped answer keeps the handler's order (the spec's, id first).
func keyRanks(body []byte) map[string]int {
	ranks := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct{ obj, key bool }
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return ranks
		}
		if k, isString := tok.(string); isString {
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].key {
				if _, seen := ranks[k]; !seen {
					ranks[k] = len(ranks)
				}
				stack[n-1].key = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{obj: true, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the object around it expects a key next.
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].key = true
		}
	}
}

// appendOrdered encodes a decoded JSON value with object keys in rank
// order, unranked keys after them in alphabetical order.
func appendOrdered(b []byte, v any, ranks map[string]int) ([]byte, bool) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, c string) int {
			ra, oka := ranks[a]
			rc, okc := ranks[c]
			switch {
			case oka && okc:
				return ra - rc
			case oka:
				return -1
			case okc:
				return 1
			}
			return strings.Compare(a, c)
		})
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendString(b, k), ':')
			var ok bool
			if b, ok = appendOrdered(b, x[k], ranks); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendOrdered(b, e, ranks); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	}
	data, err := json.Marshal(v)
	if err != nil {
		return b, false
	}
	return append(b, data...), true
}

// record reshapes one record.
func (sh shape) record(rec map[string]any) map[string]any {
	switch {
	case sh.fields != nil:
		return pick(rec, sh.fields)
	case sh.limited:
		return idOnly(rec)
	case sh.shallow:
		out := map[string]any{}
		for k, v := range rec {
			if v, keep := shallow(v); keep {
				out[k] = v
			}
		}
		return out
	}
	return rec
}

// idOnly reduces an object to its id.
func idOnly(obj map[string]any) map[string]any {
	if id, ok := obj["id"]; ok {
		return map[string]any{"id": id}
	}
	return map[string]any{}
}

// shallow reduces a value of a record: nested objects to their id (or
// nothing when they have none), in arrays too.
func shallow(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["id"]; ok {
			return idOnly(x), true
		}
		return nil, false
	case []any:
		out := make([]any, 0, len(x))
		for _, item := range x {
			if item, keep := shallow(item); keep {
				out = append(out, item)
			}
		}
		if len(out) == 0 && len(x) > 0 {
			return nil, false
		}
		return out, true
	}
	return v, true
}

// pick keeps the elements of obj that set names.
func pick(obj map[string]any, set fieldSet) map[string]any {
	out := map[string]any{}
	for name, sub := range set {
		key := name
		if _, ok := obj[key]; !ok {
			key = strings.ReplaceAll(name, "_", "-")
		}
		v, ok := obj[key]
		if !ok {
			continue
		}
		if sub != nil {
			v = pickIn(v, sub)
		}
		out[key] = v
	}
	return out
}

// pickIn applies a nested fields list to an association: an object, or
// each object of an array.
func pickIn(v any, set fieldSet) any {
	switch x := v.(type) {
	case map[string]any:
		return pick(x, set)
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = pickIn(item, set)
		}
		return out
	}
	return v
}
