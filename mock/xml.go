package mock

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"

	"github.com/coupakit/coupakit/coupaxml"
	"github.com/coupakit/coupakit/internal/wire"
)

// The Core API speaks XML, as Coupa does: it answers XML when the client
// does not prefer JSON (wire.Negotiate: no Accept header, */*,
// application/xml), and takes XML request bodies on create and update. It
// converts at the edge: the validator and the handlers only ever see JSON.

// roots names the XML elements of the routed resource (integration-errors
// and integration-error), or, for a request no resource claims, of the
// path's first segment after /api/.
func roots(rt *Route, path string) (plural, singular string) {
	if rt != nil && rt.def != nil {
		return rt.def.Plural(), rt.def.Singular()
	}
	rest := strings.TrimPrefix(path, "/api/")
	plural = wire.Hyphenate(strings.SplitN(rest, "/", 2)[0])
	return plural, wire.Singular(plural)
}

// answerXML converts the answer to XML when the client does not prefer
// JSON, on the APIs that speak XML.
func (a *api) answerXML(next http.Handler) http.Handler {
	if !a.xml {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wire.Negotiate(r.Header.Get("Accept")) == wire.JSON {
			next.ServeHTTP(w, r)
			return
		}
		rec := &capture{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		rt := RouteOf(r.Context())
		var route *routers.Route
		if rt != nil && rt.Match != nil {
			route = rt.Match.Route
		}
		plural, singular := roots(rt, r.URL.Path)
		answerXML(w, r, rec, route, plural, singular)
	})
}

// readXML turns an XML request body into JSON for the validator, on the
// APIs that speak XML.
func (a *api) readXML(next http.Handler) http.Handler {
	if !a.xml {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := RouteOf(r.Context())
		if !wire.IsXML(r.Header.Get("Content-Type")) || rt == nil || rt.Match == nil || rt.Match.Route.Operation.RequestBody == nil {
			next.ServeHTTP(w, r)
			return
		}
		_, singular := roots(rt, r.URL.Path)
		schema := rt.Match.Route.Operation.RequestBody.Value.Content.Get("application/json").Schema.Value
		_, value, err := coupaxml.Decode(r.Body, []string{singular}, schema, coupaxml.WithMaxBytes(a.m.opts.MaxBodyBytes))
		if err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, coupaxml.ErrTooLarge) {
				status = http.StatusRequestEntityTooLarge
			}
			writeErrors(w, status, singular, err.Error())
			return
		}
		data, err := json.Marshal(value)
		if err != nil {
			writeErrors(w, http.StatusBadRequest, singular, err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(data))
		r.ContentLength = int64(len(data))
		r.Header.Set("Content-Type", "application/json")
		next.ServeHTTP(w, r)
	})
}

// answer turns the JSON the handler wrote into Coupa's XML.
func answerXML(w http.ResponseWriter, r *http.Request, rec *capture, route *routers.Route, plural, singular string) {
	for k, v := range rec.header {
		if k != "Content-Type" && k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	body := rec.body.Bytes()
	if mt, _, _ := mime.ParseMediaType(rec.header.Get("Content-Type")); mt != "application/json" {
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
		return
	}
	var buf bytes.Buffer
	if rec.status >= 400 {
		msgs, err := coupaxml.ErrorMessages(body)
		if err != nil {
			msgs = []string{strings.TrimSpace(string(body))}
		}
		_ = coupaxml.EncodeErrors(&buf, msgs)
		writeXML(w, rec.status, buf.Bytes())
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		writeErrors(w, http.StatusInternalServerError, singular, "cannot encode the answer as XML: "+err.Error())
		return
	}
	var schema *openapi3.Schema
	if route != nil {
		if resp := route.Operation.Responses.Status(rec.status); resp != nil && resp.Value != nil {
			if mt := resp.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
				schema = mt.Schema.Value
			}
		}
	}
	// A projected answer (return_object, fields) holds exactly the
	// elements asked for: each record is encoded with a schema that keeps
	// only its own, so that they keep their types and no other element is
	// shown as nil.
	projected := false
	if q := r.URL.Query(); q.Has("return_object") || q.Has("fields") {
		projected = true
	}
	var err error
	switch v := value.(type) {
	case []any:
		if len(v) == 0 {
			writeXML(w, http.StatusNotFound, coupaxml.NoResults())
			return
		}
		var item *openapi3.Schema
		if schema != nil && schema.Items != nil {
			item = schema.Items.Value
		}
		if projected {
			err = encodeProjectedList(&buf, plural, singular, v, item)
		} else {
			err = coupaxml.EncodeList(&buf, plural, singular, v, item)
		}
	default:
		if projected {
			schema = prune(schema, v)
		}
		err = coupaxml.Encode(&buf, singular, v, schema)
	}
	if err != nil {
		writeErrors(w, http.StatusInternalServerError, singular, "cannot encode the answer as XML: "+err.Error())
		return
	}
	writeXML(w, rec.status, buf.Bytes())
}

// encodeProjectedList writes a list whose records each keep only their own
// elements: every record is encoded on its own, with its pruned schema, and
// indented into the list's root.
func encodeProjectedList(buf *bytes.Buffer, plural, singular string, values []any, item *openapi3.Schema) error {
	buf.WriteString(xml.Header)
	fmt.Fprintf(buf, "<%s type=\"array\">\n", plural)
	for _, v := range values {
		var one bytes.Buffer
		if err := coupaxml.Encode(&one, singular, v, prune(item, v)); err != nil {
			return err
		}
		body := strings.TrimPrefix(strings.TrimPrefix(one.String(), xml.Header), "\n")
		for _, line := range strings.SplitAfter(strings.TrimRight(body, "\n"), "\n") {
			buf.WriteString("  " + line)
		}
		buf.WriteByte('\n')
	}
	fmt.Fprintf(buf, "</%s>\n", plural)
	return nil
}

// prune returns a copy of schema that declares only the properties value
// has, nested objects and array items included (allOf members too).
func prune(schema *openapi3.Schema, value any) *openapi3.Schema {
	if schema == nil {
		return nil
	}
	c := *schema
	switch v := value.(type) {
	case map[string]any:
		c.Properties = openapi3.Schemas{}
		for name, prop := range schema.Properties {
			if val, ok := v[name]; ok && prop != nil {
				c.Properties[name] = openapi3.NewSchemaRef("", prune(prop.Value, val))
			}
		}
		c.AllOf = make(openapi3.SchemaRefs, 0, len(schema.AllOf))
		for _, member := range schema.AllOf {
			if member != nil {
				c.AllOf = append(c.AllOf, openapi3.NewSchemaRef("", prune(member.Value, value)))
			}
		}
	case []any:
		// Items of a nested array (responses) keep the elements any of
		// them has: an array has one item schema.
		if schema.Items != nil {
			merged := map[string]any{}
			for _, item := range v {
				if obj, ok := item.(map[string]any); ok {
					for k, val := range obj {
						if _, seen := merged[k]; !seen {
							merged[k] = val
						}
					}
				}
			}
			c.Items = openapi3.NewSchemaRef("", prune(schema.Items.Value, merged))
		}
	}
	return &c
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", coupaxml.ContentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// capture holds a handler's answer until it is converted.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(status int) {
	if !c.wrote {
		c.status, c.wrote = status, true
	}
}

func (c *capture) Write(p []byte) (int, error) {
	c.wrote = true
	return c.body.Write(p)
}
