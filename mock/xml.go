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
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/coupakit/coupakit/coupaxml"
)

// xmlFormat speaks XML on the Core API, as Coupa does: it answers XML when
// the client asks for application/xml or sends no preference (no Accept
// header, or */*), and takes XML request bodies on create and update. It
// converts at the edge: the validator and the handlers only ever see JSON.
type xmlFormat struct {
	router  routers.Router
	maxBody int64
}

func newXMLFormat(doc *openapi3.T, maxBody int64) (*xmlFormat, error) {
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &xmlFormat{router: router, maxBody: maxBody}, nil
}

// wantsXML reports whether the client prefers XML: JSON only when it asks
// for it.
func wantsXML(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch {
		case mt == "application/json" || strings.HasSuffix(mt, "+json"):
			return false
		case mt == "application/xml" || mt == "text/xml":
			return true
		}
	}
	return true
}

func isXML(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/xml" || mt == "text/xml")
}

// roots names a resource's XML elements from its path:
// /api/integration_errors/1 gives integration-errors and integration-error.
func roots(path string) (plural, singular string) {
	rest := strings.TrimPrefix(path, "/api/")
	plural = strings.ReplaceAll(strings.SplitN(rest, "/", 2)[0], "_", "-")
	singular = coupaxml.Singular(plural)
	if singular == "" {
		singular = plural
	}
	return plural, singular
}

// answers converts the answer to XML when the client prefers it. It goes
// outermost, so that every answer (authentication errors included) comes in
// the format asked for.
func (x *xmlFormat) answers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !wantsXML(r.Header.Get("Accept")) {
			next.ServeHTTP(w, r)
			return
		}
		rec := &capture{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		route, _, _ := x.router.FindRoute(r)
		plural, singular := roots(r.URL.Path)
		x.answer(w, r, rec, route, plural, singular)
	})
}

// requests turns an XML request body into JSON for the validator. It goes
// after authentication, so that an unauthenticated body is never read.
func (x *xmlFormat) requests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isXML(r.Header.Get("Content-Type")) {
			next.ServeHTTP(w, r)
			return
		}
		route, _, _ := x.router.FindRoute(r)
		if route == nil || route.Operation.RequestBody == nil {
			next.ServeHTTP(w, r)
			return
		}
		_, singular := roots(r.URL.Path)
		schema := route.Operation.RequestBody.Value.Content.Get("application/json").Schema.Value
		_, value, err := coupaxml.Decode(r.Body, []string{singular}, schema, coupaxml.WithMaxBytes(x.maxBody))
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
func (x *xmlFormat) answer(w http.ResponseWriter, r *http.Request, rec *capture, route *routers.Route, plural, singular string) {
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
