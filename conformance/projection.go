package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// projectionChecks adds the checks of return_object and fields on the index
// and show.
func (r *coreRes) projectionChecks(out *[]*check) {
	n := r.name
	if r.hasParam(r.list, "return_object") {
		r.kf.add(out, &check{id: n + ".return-object", op: r.list, source: r.sp.source("#/components/parameters/returnObjectQuery"),
			title: "return_object=limited answers the id only and shallow the record's own elements with each association reduced to its id, on the index and show; another value is 400.",
			run:   r.checkReturnObject})
	}
	if r.hasParam(r.list, "fields") {
		r.kf.add(out, &check{id: n + ".fields", op: r.list, source: r.sp.source("#/components/parameters/fields"),
			title: "fields answers exactly the elements named (and of an association, the elements listed), on the index and show; unknown names are ignored, fields wins over return_object, and a value that is not a JSON array is 400.",
			run:   r.checkFields})
	}
}

// writeProjectionChecks adds the check of return_object and fields on
// create and update.
func (r *coreRes) writeProjectionChecks(out *[]*check) {
	if !r.hasParam(r.create, "return_object") {
		return
	}
	r.kf.add(out, &check{id: r.name + ".return-object.write", op: r.create, mutates: true, source: r.sp.source("#/components/parameters/returnObjectWrite"),
		title: "On create and update, return_object=none answers the same status with an empty body (and the change is made), limited the id only, shallow the shallow record; fields answers the elements named.",
		run:   r.checkReturnObjectWrite})
}

// shallow returns the record as return_object=shallow shows it: its own
// elements, each association reduced to its id. skip lists the elements
// whose shallow form the spec leaves open (lists of objects without an id,
// such as an integration's contacts).
func shallow(rec map[string]any) (out map[string]any, skip []string) {
	out = map[string]any{}
	for k, v := range rec {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["id"]; ok {
				out[k] = map[string]any{"id": id}
			} else {
				skip = append(skip, k)
			}
		case []any:
			var ids []any
			for _, item := range x {
				m, ok := item.(map[string]any)
				if !ok {
					ids = nil
					break
				}
				id, ok := m["id"]
				if !ok {
					ids = nil
					break
				}
				ids = append(ids, map[string]any{"id": id})
			}
			switch {
			case len(x) == 0:
				out[k] = x
			case ids == nil:
				if _, isObj := x[0].(map[string]any); isObj {
					skip = append(skip, k)
				} else {
					out[k] = x
				}
			default:
				out[k] = ids
			}
		default:
			out[k] = v
		}
	}
	slices.Sort(skip)
	return out, skip
}

// records returns up to n records of the index, creating one first when the
// index is empty and the run may write.
func (r *coreRes) records(c *cctx, n int) []map[string]any {
	if _, ok := first(c, r); !ok {
		c.skipTo("a full run, which creates records", "no records to show")
	}
	page, ex := r.index(c, url.Values{"limit": {fmt.Sprint(n)}})
	out := make([]map[string]any, 0, len(page))
	for i, v := range page {
		rec, ok := v.(map[string]any)
		if !ok || idString(rec["id"]) == "" {
			c.fatalf(ex, "index: item %d is not a record with an id", i)
		}
		out = append(out, rec)
	}
	return out
}

// projectionDiff words how got differs from want, but for the elements in
// skip: the elements shown though not asked for, those missing, and those
// with another value. It is empty when they agree.
func projectionDiff(want, got map[string]any, skip []string) string {
	var extra, missing, other []string
	for _, k := range sortedKeys(got) {
		if slices.Contains(skip, k) {
			continue
		}
		w, ok := want[k]
		switch {
		case !ok:
			extra = append(extra, k)
		case !jsonEqual(w, got[k]):
			other = append(other, fmt.Sprintf("%s (%s; want %s)", k, short(got[k]), short(w)))
		}
	}
	for _, k := range sortedKeys(want) {
		if _, ok := got[k]; !ok && !slices.Contains(skip, k) {
			missing = append(missing, k)
		}
	}
	var parts []string
	if len(extra) > 0 {
		parts = append(parts, "shows "+strings.Join(extra, ", ")+", not asked for")
	}
	if len(missing) > 0 {
		parts = append(parts, "lacks "+strings.Join(missing, ", "))
	}
	if len(other) > 0 {
		parts = append(parts, "differs in "+strings.Join(other, ", "))
	}
	return strings.Join(parts, "; ")
}

// compareProjection fails the check where an answer differs from what it
// should show, but for the elements in skip.
func compareProjection(c *cctx, ex *exchange, what string, want, got map[string]any, skip []string) {
	if d := projectionDiff(want, got, skip); d != "" {
		c.errorf(ex, "%s: %s", what, d)
	}
}

// compareProjections compares the records of a list answer with what each
// should show; it reports the first that differs, and how many do.
func compareProjections(c *cctx, ex *exchange, what string, full, got []map[string]any, want func(map[string]any) (map[string]any, []string)) {
	if len(got) != len(full) {
		c.errorf(ex, "%s answered %d records; without it, %d", what, len(got), len(full))
		return
	}
	bad, first := 0, ""
	for i, rec := range full {
		w, skip := want(rec)
		if d := projectionDiff(w, got[i], skip); d != "" {
			if bad == 0 {
				first = fmt.Sprintf("record %s %s", idString(rec["id"]), d)
			}
			bad++
		}
	}
	if bad > 0 {
		c.errorf(ex, "%s: %s of %d records differ from what the spec says it shows; %s", what, fmt.Sprint(bad), len(full), first)
	}
}

// partialList gets the index with extra query parameters; the answer is an
// array of objects.
func (r *coreRes) partialList(c *cctx, q url.Values) ([]map[string]any, *exchange) {
	ex := c.do(request{method: http.MethodGet, path: r.path(r.list, ""), query: q, valid: true})
	c.expect(ex, "index "+q.Encode(), http.StatusOK)
	var out []map[string]any
	for i, v := range c.array(ex, "index "+q.Encode()) {
		m, ok := v.(map[string]any)
		if !ok {
			c.fatalf(ex, "index %s: item %d is not an object", q.Encode(), i)
		}
		out = append(out, m)
	}
	return out, ex
}

// partialShow gets show with extra query parameters.
func (r *coreRes) partialShow(c *cctx, id string, q url.Values) (map[string]any, *exchange) {
	ex := c.do(request{method: http.MethodGet, path: r.path(r.show, id), query: q, valid: true})
	c.expect(ex, "show "+id+" "+q.Encode(), http.StatusOK)
	return c.object(ex, "show "+id+" "+q.Encode()), ex
}

func (r *coreRes) checkReturnObject(c *cctx) {
	full := r.records(c, 5)
	for _, mode := range []string{"limited", "shallow"} {
		q := url.Values{"limit": {"5"}, "return_object": {mode}}
		got, ex := r.partialList(c, q)
		compareProjections(c, ex, "the index with return_object="+mode, full, got, func(rec map[string]any) (map[string]any, []string) {
			if mode == "limited" {
				return map[string]any{"id": rec["id"]}, nil
			}
			return shallow(rec)
		})
	}
	id := idString(full[0]["id"])
	rec, _ := r.fetch(c, id)
	for _, mode := range []string{"limited", "shallow"} {
		got, ex := r.partialShow(c, id, url.Values{"return_object": {mode}})
		want, skip := map[string]any{"id": rec["id"]}, []string(nil)
		if mode == "shallow" {
			want, skip = shallow(rec)
		}
		compareProjection(c, ex, fmt.Sprintf("show %s with return_object=%s differs from the record reduced as the spec says", id, mode), want, got, skip)
	}
	ex := c.do(request{method: http.MethodGet, path: r.path(r.list, ""), query: url.Values{"return_object": {"everything"}}})
	if ex.status != http.StatusBadRequest {
		c.errorf(ex, "return_object=everything answered %s; want 400", ex.summary())
	}
}

// fieldsSpec is a value of the fields parameter and what it selects.
type fieldsSpec struct {
	top    []string
	assoc  string
	nested []string
}

func (fs fieldsSpec) param(extra ...string) string {
	var list []any
	for _, n := range fs.top {
		list = append(list, n)
	}
	if fs.assoc != "" {
		list = append(list, map[string]any{fs.assoc: fs.nested})
	}
	for _, n := range extra {
		list = append(list, n)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(list)
	return strings.TrimSpace(b.String())
}

// project returns what fields shows of rec.
func (fs fieldsSpec) project(rec map[string]any) map[string]any {
	out := map[string]any{}
	for _, n := range fs.top {
		if v, ok := rec[n]; ok {
			out[n] = v
		}
	}
	if fs.assoc == "" {
		return out
	}
	pick := func(v any) any {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		sub := map[string]any{}
		for _, n := range fs.nested {
			if x, ok := m[n]; ok {
				sub[n] = x
			}
		}
		return sub
	}
	switch x := rec[fs.assoc].(type) {
	case map[string]any:
		out[fs.assoc] = pick(x)
	case []any:
		list := make([]any, len(x))
		for i, item := range x {
			list[i] = pick(item)
		}
		out[fs.assoc] = list
	}
	return out
}

// chooseFields picks id, two scalar elements and an association with one
// of its elements that rec shows.
func (r *coreRes) chooseFields(rec map[string]any) fieldsSpec {
	fs := fieldsSpec{top: []string{"id"}}
	for _, el := range r.listItems {
		if el.name == "id" || el.writeOnly {
			continue
		}
		v, ok := rec[el.name]
		if !ok {
			continue
		}
		if m, isObj := v.(map[string]any); isObj && fs.assoc == "" {
			for _, k := range []string{"code", "login", "id"} {
				if _, ok := m[k]; ok {
					fs.assoc, fs.nested = el.name, []string{k}
					break
				}
			}
			continue
		}
		if kindOfSchema(el.schema) != qNone && len(fs.top) < 3 {
			fs.top = append(fs.top, el.name)
		}
	}
	return fs
}

func (r *coreRes) checkFields(c *cctx) {
	full := r.records(c, 3)
	fs := r.chooseFields(full[0])
	cases := []struct {
		q    url.Values
		what string
	}{
		{url.Values{"fields": {fs.param()}}, "fields=" + fs.param()},
		{url.Values{"fields": {fs.param("statut")}}, "fields=" + fs.param("statut") + " (statut is unknown: ignored)"},
		{url.Values{"fields": {fs.param()}, "return_object": {"limited"}}, "fields=" + fs.param() + " and return_object=limited (fields wins)"},
	}
	for _, tc := range cases {
		tc.q.Set("limit", "3")
		got, ex := r.partialList(c, tc.q)
		compareProjections(c, ex, "the index with "+tc.what, full, got, func(rec map[string]any) (map[string]any, []string) {
			return fs.project(rec), nil
		})
	}
	id := idString(full[0]["id"])
	rec, _ := r.fetch(c, id)
	got, ex := r.partialShow(c, id, url.Values{"fields": {fs.param()}})
	compareProjection(c, ex, fmt.Sprintf("show %s with fields=%s does not show exactly the elements named", id, fs.param()), fs.project(rec), got, nil)
	for _, bad := range []string{"status", `["id",`, `{"id":true}`} {
		ex := c.do(request{method: http.MethodGet, path: r.path(r.list, ""), query: url.Values{"fields": {bad}}})
		if ex.status != http.StatusBadRequest {
			c.errorf(ex, "fields=%s answered %s; want 400 (not a JSON array of names)", bad, ex.summary())
		}
	}
	c.notef("fields=%s", fs.param())
}

func (r *coreRes) checkReturnObjectWrite(c *cctx) {
	// none: the same status, no body, and the record is created.
	marker := r.s.marker()
	ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), query: url.Values{"return_object": {"none"}}, body: r.minimal(c, marker), valid: true})
	c.expect(ex, "create with return_object=none", http.StatusCreated)
	if len(bytes.TrimSpace(ex.body)) > 0 {
		c.errorf(ex, "create with return_object=none answered a body: %s; want none", ex.summary())
	}
	if r.marker != "" {
		if recs := r.created(c, marker); len(recs) != 1 {
			c.errorf(nil, "create with return_object=none stored %d records with %s %s; want 1", len(recs), r.marker, marker)
		}
	}

	// limited: the id only, of a record that exists.
	ex = c.do(request{method: http.MethodPost, path: r.path(r.create, ""), query: url.Values{"return_object": {"limited"}}, body: r.minimal(c, r.s.marker()), valid: true})
	c.expect(ex, "create with return_object=limited", http.StatusCreated)
	got := c.object(ex, "create with return_object=limited")
	if keys := sortedKeys(got); !slices.Equal(keys, []string{"id"}) {
		c.errorf(ex, "create with return_object=limited answered the elements %s; want id only", strings.Join(keys, ", "))
	}
	id := idString(got["id"])
	if id == "" {
		c.fatalf(ex, "create with return_object=limited answered no id")
	}
	before, _ := r.fetch(c, id)

	// shallow and none on update.
	body := r.updateBody(before, 1)
	ex = c.do(request{method: http.MethodPut, path: r.path(r.put, id), query: url.Values{"return_object": {"shallow"}}, body: body, valid: true})
	c.expect(ex, "PUT with return_object=shallow", http.StatusOK)
	answered := c.object(ex, "PUT with return_object=shallow")
	after, sex := r.fetch(c, id)
	want, skip := shallow(after)
	compareProjection(c, ex, "PUT with return_object=shallow differs from the updated record reduced as the spec says", want, answered, skip)
	for _, d := range subset(toJSON(body), after, "", nil) {
		c.errorf(sex, "PUT with return_object=shallow did not make the change: %s", d)
	}
	body = r.updateBody(after, 2)
	ex = c.do(request{method: http.MethodPut, path: r.path(r.put, id), query: url.Values{"return_object": {"none"}}, body: body, valid: true})
	c.expect(ex, "PUT with return_object=none", http.StatusOK)
	if len(bytes.TrimSpace(ex.body)) > 0 {
		c.errorf(ex, "PUT with return_object=none answered a body: %s; want none", ex.summary())
	}
	after, sex = r.fetch(c, id)
	for _, d := range subset(toJSON(body), after, "", nil) {
		c.errorf(sex, "PUT with return_object=none did not make the change: %s", d)
	}

	// fields on create: the id and the first other element every record
	// shows.
	fs := fieldsSpec{top: []string{"id"}}
	for _, el := range r.listItems {
		if el.name != "id" && slices.Contains(r.listItem.Required, el.name) && kindOfSchema(el.schema) != qNone {
			fs.top = append(fs.top, el.name)
			break
		}
	}
	ex = c.do(request{method: http.MethodPost, path: r.path(r.create, ""), query: url.Values{"fields": {fs.param()}}, body: r.minimal(c, r.s.marker()), valid: true})
	c.expect(ex, "create with fields", http.StatusCreated)
	got = c.object(ex, "create with fields")
	wantKeys := slices.Sorted(slices.Values(fs.top))
	if keys := sortedKeys(got); !slices.Equal(keys, wantKeys) {
		c.errorf(ex, "create with fields=%s answered the elements %s; want %s", fs.param(), strings.Join(keys, ", "), strings.Join(wantKeys, ", "))
	}
}

// propSchema returns the schema of property name of s, allOf of one folded
// in, or nil.
func propSchema(s *openapi3.Schema, name string) *openapi3.Schema {
	if s == nil {
		return nil
	}
	p := s.Properties[name]
	if p == nil || p.Value == nil {
		return nil
	}
	v := p.Value
	if v.Type == nil && len(v.AllOf) == 1 && v.AllOf[0].Value != nil {
		inner := *v.AllOf[0].Value
		inner.ReadOnly = inner.ReadOnly || v.ReadOnly
		inner.WriteOnly = inner.WriteOnly || v.WriteOnly
		return &inner
	}
	return v
}
