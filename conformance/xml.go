package conformance

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coupakit/coupakit/internal/wire"
	"github.com/getkin/kin-openapi/openapi3"
)

// xmlChecks adds the checks of the Core API's XML format.
func (r *coreRes) xmlChecks(out *[]*check) {
	n := r.name
	src := r.sp.source("#/info/description")
	r.kf.add(out, &check{id: n + ".xml.show", op: r.show, source: src,
		title: fmt.Sprintf("show with Accept: application/xml answers the record as <%s>: the JSON's elements, hyphenated, with type=\"integer\", \"dateTime\" (as Rails writes it; \"datetime\" accepted), \"boolean\" and \"array\" attributes, and nil=\"true\" for every element without a value.", r.singular),
		run:   r.checkXMLShow})
	r.kf.add(out, &check{id: n + ".xml.list", op: r.list, source: src,
		title: fmt.Sprintf("The index with Accept: application/xml answers <%s type=\"array\"> around one <%s> per record of the JSON index.", r.plural, r.singular),
		run:   r.checkXMLList})
	if r.hasParam(r.list, "return_object") && r.hasParam(r.show, "fields") {
		r.kf.add(out, &check{id: n + ".xml.projection", op: r.list, source: src,
			title: "return_object and fields shape XML answers as they do JSON ones: exactly the elements asked for (no nil=\"true\" for the others), with their type attributes.",
			run:   r.checkXMLProjection})
	}
	r.kf.add(out, &check{id: n + ".xml.default", op: r.list, source: src,
		title: "A request without an Accept header, or with Accept: */*, is answered in XML, as Coupa does.",
		run:   r.checkXMLDefault})
	r.kf.add(out, &check{id: n + ".xml.no-results", op: r.list, source: src,
		title: "A query that matches nothing is 200 [] in JSON and, in XML, 404 <errors><error>No results match your search criteria.</error></errors>.",
		run:   r.checkXMLNoResults})
	r.kf.add(out, &check{id: n + ".xml.errors", op: r.show, source: src,
		title: "Errors in XML are <errors> with one non-empty <error> per message: an unknown id (404), an invalid filter (400).",
		run:   r.checkXMLErrors})
	r.kf.add(out, &check{id: n + ".xml.request", op: r.create, source: src, mutates: true,
		title: fmt.Sprintf("A create and an update may send an XML body (Content-Type: application/xml, root <%s>, type attributes): the record stores what was sent.", r.singular),
		run:   r.checkXMLRequest})
}

// xmlNode is an element of an XML document.
type xmlNode struct {
	name     string
	attr     map[string]string
	children []*xmlNode
	text     string
}

// parseXML reads a document into its root element.
func parseXML(data []byte) (*xmlNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var root *xmlNode
	var stack []*xmlNode
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: t.Name.Local, attr: map[string]string{}}
			if t.Name.Space != "" {
				n.name = t.Name.Space + ":" + t.Name.Local
			}
			for _, a := range t.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			switch {
			case len(stack) > 0:
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			case root != nil:
				return nil, errors.New("more than one root element")
			default:
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// isNil reports whether the element says it has no value.
func (n *xmlNode) isNil() bool { return n.attr["nil"] == "true" }

// empty reports whether the element has neither children nor text.
func (n *xmlNode) empty() bool { return len(n.children) == 0 && strings.TrimSpace(n.text) == "" }

// xmlJudge compares XML elements with the JSON of the same record.
type xmlJudge struct {
	problems []string
	camel    int // type="dateTime" seen, as Rails writes it
	lower    int // type="datetime" seen
	nils     int // nil="true" elements seen
	// partial says the answer holds only the elements asked for
	// (return_object, fields): the others are left out, not nil.
	partial bool
}

func (j *xmlJudge) errorf(format string, args ...any) {
	j.problems = append(j.problems, fmt.Sprintf(format, args...))
}

// record compares an element with a JSON object described by s: every
// element of the JSON, with its value and type attribute; nothing else
// with a value; every element the schema declares (but write-only ones)
// that the JSON leaves out, present with nil="true".
func (j *xmlJudge) record(n *xmlNode, rec map[string]any, s *openapi3.Schema, at string) {
	byName := map[string][]*xmlNode{}
	for _, ch := range n.children {
		byName[ch.name] = append(byName[ch.name], ch)
	}
	for _, k := range sortedKeys(rec) {
		chs := byName[k]
		switch {
		case len(chs) == 0 && len(byName[underscored(k)]) > 0:
			j.errorf("%s/%s is <%s> in XML: element names are hyphenated", at, k, underscored(k))
			continue
		case len(chs) == 0:
			j.errorf("%s/%s (%s in JSON) is missing from the XML", at, k, short(rec[k]))
			continue
		case len(chs) > 1:
			j.errorf("%s/%s appears %d times in the XML", at, k, len(chs))
		}
		j.value(chs[0], rec[k], propSchema(s, k), at+"/"+k)
	}
	for _, name := range sortedKeys(byName) {
		if _, ok := rec[name]; ok {
			continue
		}
		for _, ch := range byName[name] {
			switch {
			case !ch.isNil() || !ch.empty():
				j.errorf("%s/%s has a value in the XML that the JSON does not show", at, name)
			case j.partial:
				j.errorf("%s/%s is in the XML (nil) though it was not asked for", at, name)
			}
		}
	}
	if s == nil || j.partial {
		return
	}
	for _, name := range sortedKeys(s.Properties) {
		if _, ok := rec[name]; ok {
			continue
		}
		if ps := propSchema(s, name); ps == nil || ps.WriteOnly {
			continue
		}
		chs := byName[name]
		switch {
		case len(chs) == 0:
			j.errorf("%s/%s has no value and is missing from the XML; want <%s nil=\"true\"/>", at, name, name)
		case chs[0].isNil():
			j.nils++
		}
	}
}

// value compares an element with a JSON value described by s.
func (j *xmlJudge) value(n *xmlNode, v any, s *openapi3.Schema, at string) {
	if n.isNil() {
		j.errorf("%s is nil=\"true\" in the XML but %s in the JSON", at, short(v))
		return
	}
	typ := n.attr["type"]
	text := n.text
	switch x := v.(type) {
	case map[string]any:
		j.record(n, x, s, at)
	case []any:
		if typ != "array" {
			j.errorf("%s is a list: want type=\"array\", got %s", at, typeAttr(typ))
		}
		if len(n.children) != len(x) {
			j.errorf("%s has %d items in the XML and %d in the JSON", at, len(n.children), len(x))
			return
		}
		var items *openapi3.Schema
		if s != nil && s.Items != nil {
			items = s.Items.Value
		}
		for i := range x {
			j.value(n.children[i], x[i], items, fmt.Sprintf("%s/%d", at, i))
		}
	case bool:
		if typ != "boolean" {
			j.errorf("%s is a boolean: want type=\"boolean\", got %s", at, typeAttr(typ))
		}
		if strings.TrimSpace(text) != strconv.FormatBool(x) {
			j.errorf("%s is %q in the XML and %v in the JSON", at, text, x)
		}
	case json.Number:
		integer := s != nil && s.Type != nil && s.Type.Is("integer")
		if s == nil {
			_, err := x.Int64()
			integer = err == nil
		}
		if integer && typ != "integer" {
			j.errorf("%s is an integer: want type=\"integer\", got %s", at, typeAttr(typ))
		}
		a, ok1 := new(big.Rat).SetString(strings.TrimSpace(text))
		b, ok2 := new(big.Rat).SetString(x.String())
		if !ok1 || !ok2 || a.Cmp(b) != 0 {
			j.errorf("%s is %q in the XML and %s in the JSON", at, text, x)
		}
	case string:
		if s != nil && s.Format == "date-time" {
			switch typ {
			case "datetime":
				j.lower++
			case "dateTime":
				j.camel++
			default:
				j.errorf("%s is a datetime: want type=\"dateTime\" (or datetime), got %s", at, typeAttr(typ))
			}
			a, err1 := time.Parse(time.RFC3339, strings.TrimSpace(text))
			b, err2 := time.Parse(time.RFC3339, x)
			if err1 != nil || err2 != nil || !a.Equal(b) {
				j.errorf("%s is %q in the XML and %q in the JSON", at, text, x)
			}
			return
		}
		if typ != "" && typ != "string" {
			j.errorf("%s is a string: want no type attribute, got %s", at, typeAttr(typ))
		}
		if text != x {
			j.errorf("%s is %q in the XML and %q in the JSON", at, text, x)
		}
	}
}

// typeAttr words a type attribute for a message.
func typeAttr(typ string) string {
	if typ == "" {
		return "no type attribute"
	}
	return fmt.Sprintf("type=%q", typ)
}

// notes words what a passing XML check saw.
func (j *xmlJudge) notes(c *cctx) {
	if j.nils > 0 {
		c.notef("%d elements without a value shown with nil=\"true\"", j.nils)
	} else {
		c.notef("every element had a value, so nil=\"true\" could not be observed")
	}
	if j.lower > 0 {
		c.notef("%d datetimes typed datetime, where Rails writes dateTime; both are accepted", j.lower)
	}
	if j.camel > 0 {
		c.notef("%d datetimes typed dateTime, as Rails writes them", j.camel)
	}
}

// xmlAnswer ends the check unless ex is an XML answer with status, and
// returns its root.
func xmlAnswer(c *cctx, ex *exchange, what string, status int) *xmlNode {
	c.expect(ex, what, status)
	if ct := ex.header.Get("Content-Type"); !wire.IsXML(ct) {
		c.fatalf(ex, "%s: Content-Type %q; want application/xml", what, ct)
	}
	root, err := parseXML(ex.body)
	if err != nil {
		c.fatalf(ex, "%s: the body is not XML: %v", what, err)
	}
	return root
}

// xmlRequest is a GET of path with Accept: application/xml.
func xmlRequest(path string, q url.Values) request {
	return request{method: http.MethodGet, path: path, query: q, accept: "application/xml", valid: true}
}

func (r *coreRes) checkXMLShow(c *cctx) {
	var id string
	if r.s.target.ReadOnly {
		rec, ok := first(c, r)
		if !ok {
			c.skipTo("a full run, which creates records", "no records to show")
		}
		id = idString(rec["id"])
	} else {
		// A record with the required elements only, so that elements
		// without a value show.
		id = idString(r.newRecord(c)["id"])
	}
	js, _ := r.fetch(c, id)
	ex := c.do(xmlRequest(r.path(r.show, id), nil))
	root := xmlAnswer(c, ex, "show "+id+" in XML", http.StatusOK)
	if root.name != r.singular {
		c.errorf(ex, "the root element is <%s>; want <%s>", root.name, r.singular)
	}
	j := &xmlJudge{}
	j.record(root, js, r.listItem, "")
	for _, p := range j.problems {
		c.errorf(ex, "record %s: %s", id, p)
	}
	j.notes(c)
}

func (r *coreRes) checkXMLList(c *cctx) {
	full := r.records(c, 3)
	ex := c.do(xmlRequest(r.path(r.list, ""), url.Values{"limit": {"3"}}))
	root := xmlAnswer(c, ex, "the index in XML", http.StatusOK)
	if root.name != r.plural || root.attr["type"] != "array" {
		c.errorf(ex, "the root element is <%s type=%q>; want <%s type=\"array\">", root.name, root.attr["type"], r.plural)
	}
	if len(root.children) != len(full) {
		c.fatalf(ex, "the XML index has %d items; the JSON index %d", len(root.children), len(full))
	}
	j := &xmlJudge{}
	for i, ch := range root.children {
		if ch.name != r.singular {
			c.errorf(ex, "item %d is <%s>; want <%s>", i, ch.name, r.singular)
		}
		j.record(ch, full[i], r.listItem, fmt.Sprintf("/%d", i))
	}
	for _, p := range j.problems {
		c.errorf(ex, "%s", p)
	}
	j.notes(c)
}

func (r *coreRes) checkXMLProjection(c *cctx) {
	full := r.records(c, 3)
	fs := r.chooseFields(full[0])
	id := idString(full[0]["id"])
	for _, tc := range []struct {
		path string
		q    url.Values
	}{
		{r.path(r.list, ""), url.Values{"limit": {"3"}, "return_object": {"shallow"}}},
		{r.path(r.show, id), url.Values{"fields": {fs.param()}}},
	} {
		ex := c.do(request{method: http.MethodGet, path: tc.path, query: tc.q, valid: true})
		c.expect(ex, tc.path+" "+tc.q.Encode(), http.StatusOK)
		xex := c.do(xmlRequest(tc.path, tc.q))
		root := xmlAnswer(c, xex, tc.path+" "+tc.q.Encode()+" in XML", http.StatusOK)
		j := &xmlJudge{partial: true}
		switch v := ex.value.(type) {
		case []any:
			if root.name != r.plural || len(root.children) != len(v) {
				c.errorf(xex, "the XML answer is <%s> with %d items; the JSON answer has %d: want <%s> around as many", root.name, len(root.children), len(v), r.plural)
				continue
			}
			for i, item := range v {
				rec, _ := item.(map[string]any)
				j.record(root.children[i], rec, r.listItem, fmt.Sprintf("/%d", i))
			}
		case map[string]any:
			if root.name != r.singular {
				c.errorf(xex, "the root element is <%s>; want <%s>", root.name, r.singular)
			}
			j.record(root, v, r.listItem, "")
		default:
			c.fatalf(ex, "the JSON answer is neither a list nor a record: %s", ex.summary())
		}
		for _, p := range j.problems {
			c.errorf(xex, "%s: %s", tc.q.Encode(), p)
		}
	}
}

func (r *coreRes) checkXMLDefault(c *cctx) {
	r.records(c, 1)
	for _, rq := range []request{
		{method: http.MethodGet, path: r.path(r.list, ""), query: url.Values{"limit": {"1"}}, noAccept: true, valid: true},
		{method: http.MethodGet, path: r.path(r.list, ""), query: url.Values{"limit": {"1"}}, accept: "*/*", valid: true},
	} {
		what := "the index without an Accept header"
		if rq.accept != "" {
			what = "the index with Accept: " + rq.accept
		}
		ex := c.do(rq)
		if ex.status != http.StatusOK || !wire.IsXML(ex.header.Get("Content-Type")) {
			c.errorf(ex, "%s answered %d %s; want 200 in XML", what, ex.status, ex.header.Get("Content-Type"))
			continue
		}
		root, err := parseXML(ex.body)
		if err != nil {
			c.errorf(ex, "%s: the body is not XML: %v", what, err)
		} else if root.name != r.plural {
			c.errorf(ex, "%s: the root element is <%s>; want <%s>", what, root.name, r.plural)
		}
	}
}

func (r *coreRes) checkXMLNoResults(c *cctx) {
	q := url.Values{"id": {unknownCoreID}}
	page, ex := r.index(c, q)
	if len(page) != 0 {
		c.errorf(ex, "the JSON index with id=%s answered %d records; want []", unknownCoreID, len(page))
	}
	ex = c.do(xmlRequest(r.path(r.list, ""), q))
	root := xmlAnswer(c, ex, fmt.Sprintf("the XML index with id=%s", unknownCoreID), http.StatusNotFound)
	if root.name != "errors" || len(root.children) != 1 || root.children[0].name != "error" || strings.TrimSpace(root.children[0].text) != wire.NoResults {
		c.errorf(ex, "the XML answer is %s; want <errors><error>%s</error></errors>", ex.summary(), wire.NoResults)
	}
}

// xmlErrors fails the check unless root is <errors> with non-empty <error>
// elements only.
func xmlErrors(c *cctx, ex *exchange, root *xmlNode, what string) {
	if root.name != "errors" || len(root.children) == 0 {
		c.errorf(ex, "%s: the root element is <%s> with %d children; want <errors> with <error> elements", what, root.name, len(root.children))
		return
	}
	for _, ch := range root.children {
		if ch.name != "error" || strings.TrimSpace(ch.text) == "" || len(ch.children) > 0 {
			c.errorf(ex, "%s: <errors> holds <%s>; want non-empty <error> elements", what, ch.name)
			return
		}
	}
}

func (r *coreRes) checkXMLErrors(c *cctx) {
	ex := c.do(xmlRequest(r.path(r.show, unknownCoreID), nil))
	xmlErrors(c, ex, xmlAnswer(c, ex, "show of an unknown id in XML", http.StatusNotFound), "show of an unknown id in XML")
	rq := xmlRequest(r.path(r.list, ""), url.Values{"statut": {"error"}})
	rq.valid = false
	ex = c.do(rq)
	xmlErrors(c, ex, xmlAnswer(c, ex, "an invalid filter in XML", http.StatusBadRequest), "an invalid filter in XML")
}

func (r *coreRes) checkXMLRequest(c *cctx) {
	body := r.full(r.s.marker())
	ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), raw: xmlBody(r.singular, body, r.schema.Value), contentType: "application/xml"})
	c.expect(ex, "create with an XML body", http.StatusCreated)
	rec := c.object(ex, "create with an XML body")
	r.readBack(c, ex, body, rec)
	id := idString(rec["id"])

	upd := r.updateBody(rec, 1)
	var updSchema *openapi3.Schema
	if s, ok := r.op(r.put).requestSchema(); ok {
		updSchema = s.Value
	}
	ex = c.do(request{method: http.MethodPut, path: r.path(r.put, id), raw: xmlBody(r.singular, upd, updSchema), contentType: "application/xml", accept: "application/xml"})
	root := xmlAnswer(c, ex, "update with an XML body, in XML", http.StatusOK)
	if root.name != r.singular {
		c.errorf(ex, "the root element of the answer is <%s>; want <%s>", root.name, r.singular)
	}
	after, sex := r.fetch(c, id)
	for _, d := range subset(toJSON(upd), after, "", nil) {
		c.errorf(sex, "the update sent in XML was not stored: %s", d)
	}
	c.notef("created %s %s and updated %s from XML", r.singular, id, strings.Join(sortedKeys(upd), ", "))
}

// xmlBody writes a request body as Coupa's XML: root, hyphenated elements,
// type attributes from the schema and the values.
func xmlBody(root string, v map[string]any, s *openapi3.Schema) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	writeXML(&b, root, toJSON(v), s)
	b.WriteByte('\n')
	return b.Bytes()
}

func writeXML(b *bytes.Buffer, name string, v any, s *openapi3.Schema) {
	esc := func(text string) {
		_ = xml.EscapeText(b, []byte(text))
	}
	switch x := v.(type) {
	case nil:
		fmt.Fprintf(b, `<%s nil="true"/>`, name)
	case map[string]any:
		b.WriteString("<" + name + ">")
		for _, k := range sortedKeys(x) {
			writeXML(b, k, x[k], propSchema(s, k))
		}
		b.WriteString("</" + name + ">")
	case []any:
		item := wire.Singular(name)
		var items *openapi3.Schema
		if s != nil && s.Items != nil {
			items = s.Items.Value
		}
		fmt.Fprintf(b, `<%s type="array">`, name)
		for _, e := range x {
			writeXML(b, item, e, items)
		}
		b.WriteString("</" + name + ">")
	case bool:
		fmt.Fprintf(b, `<%s type="boolean">%t</%s>`, name, x, name)
	case float64:
		if x == float64(int64(x)) {
			fmt.Fprintf(b, `<%s type="integer">%d</%s>`, name, int64(x), name)
		} else {
			fmt.Fprintf(b, `<%s type="float">%s</%s>`, name, strconv.FormatFloat(x, 'f', -1, 64), name)
		}
	case string:
		if s != nil && s.Format == "date-time" {
			fmt.Fprintf(b, `<%s type="datetime">`, name)
		} else {
			b.WriteString("<" + name + ">")
		}
		esc(x)
		b.WriteString("</" + name + ">")
	default:
		b.WriteString("<" + name + ">")
		esc(fmt.Sprint(x))
		b.WriteString("</" + name + ">")
	}
}
