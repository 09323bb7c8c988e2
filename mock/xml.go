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
		if a.name == sourcingAPI {
			return errorsXML(next)
		}
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wire.Negotiate(r.Header.Get("Accept")) == wire.JSON {
			next.ServeHTTP(w, r)
			return
		}
		rec := &capture{header: http.Header{}, status: http.StatusOK, chunked: true}
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

// errorsXML answers the Sourcing API's 400s in XML, as its page says
// (<errors><error>...</error></errors>), unless the client prefers JSON
// (wire.Negotiate). Its other answers are JSON only.
func errorsXML(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wire.Negotiate(r.Header.Get("Accept")) == wire.JSON {
			next.ServeHTTP(w, r)
			return
		}
		rec := &capture{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		body := rec.body.Bytes()
		mt, _, _ := mime.ParseMediaType(rec.header.Get("Content-Type"))
		if rec.status == http.StatusBadRequest && mt == "application/json" {
			msgs, err := coupaxml.ErrorMessages(body)
			if err != nil {
				msgs = []string{strings.TrimSpace(string(body))}
			}
			var buf bytes.Buffer
			_ = coupaxml.EncodeErrors(&buf, msgs)
			w.Header().Del("Content-Length")
			writeXML(w, rec.status, buf.Bytes())
			return
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
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
		// Rails reads the root with underscores too (integration_error).
		roots := []string{singular}
		if u := strings.ReplaceAll(singular, "-", "_"); u != singular {
			roots = append(roots, u)
		}
		_, value, err := coupaxml.Decode(r.Body, roots, schema, coupaxml.WithMaxBytes(a.m.opts.MaxBodyBytes))
		if err != nil && bodyTimedOut(r) {
			a.m.writeBodyTimeout(w, singular)
			return
		}
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
	if mt, _, _ := mime.ParseMediaType(rec.header.Get("Content-Type")); mt == "application/json" && rec.status < 400 && rec.startsWith('[') {
		streamXMLList(w, r, rec, route, plural, singular)
		return
	}
	body := rec.bytes()
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

// streamXMLList turns a JSON list into Coupa's XML record by record: each
// record is decoded, encoded and handed on before the next, so that the
// answer costs the JSON the handler wrote and about one record, not a
// decoded copy of the list and its whole XML (issue 12: 20 records of 4 MiB
// descriptions took 1 GB). An empty list is Coupa's 404 "No results"; a
// projected list's records each keep only their own elements.
func streamXMLList(w http.ResponseWriter, r *http.Request, rec *capture, route *routers.Route, plural, singular string) {
	dec := json.NewDecoder(rec.reader())
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // the '['
		writeErrors(w, http.StatusInternalServerError, singular, "cannot encode the answer as XML: "+err.Error())
		return
	}
	if !dec.More() {
		writeXML(w, http.StatusNotFound, coupaxml.NoResults())
		return
	}
	var item *openapi3.Schema
	if route != nil {
		if resp := route.Operation.Responses.Status(rec.status); resp != nil && resp.Value != nil {
			if mt := resp.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil && mt.Schema.Value.Items != nil {
				item = mt.Schema.Value.Items.Value
			}
		}
	}
	q := r.URL.Query()
	projected := q.Has("return_object") || q.Has("fields")
	fw := &failWriter{w: w}
	lw, err := coupaxml.NewListWriter(fw, plural, singular)
	if err != nil {
		writeErrors(w, http.StatusInternalServerError, singular, "cannot encode the answer as XML: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", coupaxml.ContentType)
	w.WriteHeader(rec.status)
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			panic(http.ErrAbortHandler) // the status is sent: cut the answer short
		}
		schema := item
		if projected {
			schema = prune(item, v)
		}
		if err := lw.Write(v, schema); err != nil {
			if fw.failed {
				return // the client left: nothing more reaches it
			}
			panic(http.ErrAbortHandler)
		}
	}
	_ = lw.Close()
}

// failWriter notes that a write to the client failed.
type failWriter struct {
	w      io.Writer
	failed bool
}

func (f *failWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err != nil {
		f.failed = true
	}
	return n, err
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

// capture holds a handler's answer until it is converted. A chunked one
// keeps each write as its own chunk, so that holding an answer costs its
// size once (a growing buffer costs up to twice), and reads it back
// through reader.
type capture struct {
	header  http.Header
	status  int
	body    bytes.Buffer
	wrote   bool
	chunked bool
	chunks  [][]byte
}

// bytes returns the whole answer.
func (c *capture) bytes() []byte {
	if !c.chunked {
		return c.body.Bytes()
	}
	return bytes.Join(c.chunks, nil)
}

// reader reads the whole answer.
func (c *capture) reader() io.Reader {
	if !c.chunked {
		return bytes.NewReader(c.body.Bytes())
	}
	rs := make([]io.Reader, len(c.chunks))
	for i, ch := range c.chunks {
		rs[i] = bytes.NewReader(ch)
	}
	return io.MultiReader(rs...)
}

// startsWith reports whether the answer's first byte that is not white
// space is b.
func (c *capture) startsWith(b byte) bool {
	chunks := c.chunks
	if !c.chunked {
		chunks = [][]byte{c.body.Bytes()}
	}
	for _, ch := range chunks {
		if t := bytes.TrimLeft(ch, " \t\r\n"); len(t) > 0 {
			return t[0] == b
		}
	}
	return false
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(status int) {
	if !c.wrote {
		c.status, c.wrote = status, true
	}
}

func (c *capture) Write(p []byte) (int, error) {
	c.wrote = true
	if c.chunked {
		if len(p) > 0 {
			c.chunks = append(c.chunks, bytes.Clone(p))
		}
		return len(p), nil
	}
	return c.body.Write(p)
}
