package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// readBack compares what was sent with the record answered and shown.
func (r *coreRes) readBack(c *cctx, ex *exchange, sent, rec map[string]any) {
	for _, d := range sentShown(r.els, sent, rec) {
		c.errorf(ex, "the answer does not show what was sent: %s", d)
	}
	shown, sex := r.fetch(c, idString(rec["id"]))
	if d := differences(rec, shown); len(d) > 0 {
		c.errorf(sex, "show differs from the answer it follows in: %s", strings.Join(d, ", "))
	}
}

func (r *coreRes) checkCreate(c *cctx, opID string) {
	body := r.full(r.s.marker())
	rec, ex := r.post(c, opID, body)
	r.readBack(c, ex, body, rec)
	c.notef("created %s %s", r.name, idString(rec["id"]))
}

func (r *coreRes) checkUnknownIntegration(c *cctx) {
	marker := r.s.marker()
	ref := map[string]any{"code": "COUPAKIT-NO-SUCH-INTEGRATION-" + r.s.runID}
	ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: with(r.minimal(c, marker), "integration", ref), valid: true})
	if ex.status != http.StatusBadRequest {
		c.errorf(ex, "a create that refers to the unknown integration %s answered %s; want 400", ref["code"], ex.summary())
	} else if !ex.mentions("integration") {
		c.errorf(ex, "the 400 for an unknown integration does not name the element integration: %s", ex.summary())
	}
	r.nothingCreated(c, marker, "a create with an unknown integration")
}

func (r *coreRes) checkMediaType(c *cctx) {
	marker := r.s.marker()
	ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: r.minimal(c, marker), contentType: "text/plain"})
	if ex.status != http.StatusUnsupportedMediaType {
		c.errorf(ex, "a create sent as text/plain answered %s; want 415", ex.summary())
	}
	r.nothingCreated(c, marker, "a create sent as text/plain")
}

func (r *coreRes) checkEnumMessage(c *cctx, el element) {
	marker := r.s.marker()
	v := nearMisses(el.enum())[0]
	ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: with(r.minimal(c, marker), el.name, v)})
	c.expect(ex, fmt.Sprintf("a create with %s %q", el.name, v), http.StatusBadRequest)
	var missing []string
	for _, a := range el.enum() {
		if !strings.Contains(string(ex.body), a) {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		c.errorf(ex, "the 400 for %s %q does not list the allowed values %s", el.name, v, strings.Join(missing, ", "))
	}
	r.nothingCreated(c, marker, fmt.Sprintf("a create with %s %q", el.name, v))
}

// updateBody returns a body that changes every element the suite can fill
// in, to values that differ from rec's.
func (r *coreRes) updateBody(rec map[string]any, variant int) map[string]any {
	return r.sampler().changes(r.updEls, rec, variant, r.marker, "integration", "integration-run-id")
}

func (r *coreRes) checkUpdate(c *cctx, opID, method string) {
	rec := r.newRecord(c)
	id := idString(rec["id"])
	before, _ := r.fetch(c, id)
	variant := 1
	if method == http.MethodPatch {
		variant = 2
	}
	body := r.updateBody(before, variant)
	ex := c.do(request{method: method, path: r.path(opID, id), body: body, valid: true})
	c.expect(ex, method+" "+id, http.StatusOK)
	after := c.object(ex, method)
	sent := slices.Sorted(func(yield func(string) bool) {
		for k := range body {
			if !yield(k) {
				return
			}
		}
	})
	if d := differences(without(before, sent...), without(after, sent...), changeTracking...); len(d) > 0 {
		c.errorf(ex, "%s changed elements it was not sent: %s", method, strings.Join(d, ", "))
	}
	r.readBack(c, ex, body, after)
	c.notef("changed %s", strings.Join(sent, ", "))
}

func (r *coreRes) checkUpdatedAt(c *cctx) {
	rec := r.newRecord(c)
	id := idString(rec["id"])
	before, _ := r.fetch(c, id)
	body := r.updateBody(before, 3)
	ex := c.do(request{method: r.updateMethod(), path: r.path(r.update(), id), body: body, valid: true})
	c.expect(ex, r.updateMethod()+" "+id, http.StatusOK)
	after, sex := r.fetch(c, id)
	t0, err0 := time.Parse(time.RFC3339, fmt.Sprint(before["updated-at"]))
	t1, err1 := time.Parse(time.RFC3339, fmt.Sprint(after["updated-at"]))
	switch {
	case err0 != nil || err1 != nil:
		c.errorf(sex, "updated-at is not an RFC 3339 datetime: %s, then %s", short(before["updated-at"]), short(after["updated-at"]))
	case !t1.After(t0):
		c.errorf(sex, "updated-at did not move forward on a change: %s, then %s", short(before["updated-at"]), short(after["updated-at"]))
	}
}

func (r *coreRes) checkUpdateNotFound(c *cctx) {
	body := r.updateBody(map[string]any{}, 1)
	rqs := []request{{method: http.MethodPut, path: r.path(r.put, unknownCoreID), body: body, valid: true}}
	if r.patch != "" {
		rqs = append(rqs, request{method: http.MethodPatch, path: r.path(r.patch, unknownCoreID), body: body, valid: true})
	}
	for _, op := range []string{r.resolve, r.unresolve} {
		if op != "" {
			rqs = append(rqs, request{method: http.MethodPut, path: r.path(op, unknownCoreID), valid: true})
		}
	}
	for _, a := range r.runActions() {
		rqs = append(rqs, request{method: http.MethodPut, path: r.path(a.op, unknownCoreID), valid: true})
	}
	for _, rq := range rqs {
		ex := c.do(rq)
		if ex.status != http.StatusNotFound {
			c.errorf(ex, "%s %s answered %s; want 404", rq.method, rq.path, ex.summary())
		}
	}
}

// setResolved calls resolve or unresolve and checks the answer and show.
func (r *coreRes) setResolved(c *cctx, opID, id string, want bool) {
	ex := c.do(request{method: http.MethodPut, path: r.path(opID, id), valid: true})
	c.expect(ex, r.op(opID).path, http.StatusOK)
	rec := c.object(ex, opID)
	if rec["resolved"] != want {
		c.errorf(ex, "the answer shows resolved %s; want %v", short(rec["resolved"]), want)
	}
	shown, sex := r.fetch(c, id)
	if shown["resolved"] != want {
		c.errorf(sex, "show reads resolved %s after %s; want %v", short(shown["resolved"]), opID, want)
	}
}

func (r *coreRes) checkResolve(c *cctx) {
	rec := r.newRecord(c)
	id := idString(rec["id"])
	if rec["resolved"] != false {
		c.errorf(nil, "a new record shows resolved %s; want false", short(rec["resolved"]))
	}
	r.setResolved(c, r.resolve, id, true)
	r.setResolved(c, r.resolve, id, true)
}

func (r *coreRes) checkUnresolve(c *cctx) {
	rec := r.newRecord(c)
	id := idString(rec["id"])
	r.setResolved(c, r.resolve, id, true)
	r.setResolved(c, r.unresolve, id, false)
}

// marked checks the flag and time an action sets on a record, where the
// server shows them.
func marked(c *cctx, ex *exchange, rec map[string]any, flag, at, what string) bool {
	v, shown := rec[flag]
	if !shown {
		return false
	}
	if v != true {
		c.errorf(ex, "%s: record %s shows %s %s; want true", what, idString(rec["id"]), flag, short(v))
	}
	if _, ok := rec[at]; !ok {
		c.errorf(ex, "%s: record %s shows %s but no %s", what, idString(rec["id"]), flag, at)
	}
	return true
}

func (r *coreRes) checkAlertAndExport(c *cctx) {
	body := r.minimal(c, r.s.marker())
	rec, ex := r.post(c, r.alertAndExport, body)
	shownFlag := marked(c, ex, rec, "exported", "last-exported-at", "the answer")
	r.readBack(c, ex, body, rec)
	shown, sex := r.fetch(c, idString(rec["id"]))
	marked(c, sex, shown, "exported", "last-exported-at", "show")
	if !shownFlag {
		c.notef("exported is not shown, so the marking could not be observed")
	}
}

func (r *coreRes) checkIDAction(c *cctx, opID, flag, at string) {
	a := idString(r.newRecord(c)["id"])
	b := idString(r.newRecord(c)["id"])
	ex := c.do(request{method: http.MethodPost, path: r.path(opID, ""), body: map[string]any{"ids": []any{numID(b), numID(a)}}, valid: true})
	c.expect(ex, opID, http.StatusOK)
	recs := c.array(ex, opID)
	if got := r.ids(c, ex, recs); !slices.Equal(got, []string{b, a}) {
		c.errorf(ex, "%s returned ids [%s]; want the records named, in the order given: [%s, %s]", opID, strings.Join(got, ", "), b, a)
	}
	shownFlag := false
	for _, v := range recs {
		rec, _ := v.(map[string]any)
		shownFlag = marked(c, ex, rec, flag, at, "the answer") || shownFlag
	}
	for _, id := range []string{a, b} {
		shown, sex := r.fetch(c, id)
		marked(c, sex, shown, flag, at, "show")
	}
	if !shownFlag {
		c.notef("%s is not shown, so the marking could not be observed", flag)
	}
}

func (r *coreRes) checkIDActionUnknown(c *cctx, opID string) {
	a := idString(r.newRecord(c)["id"])
	before, _ := r.fetch(c, a)
	ex := c.do(request{method: http.MethodPost, path: r.path(opID, ""), body: map[string]any{"ids": []any{numID(a), numID(unknownCoreID)}}, valid: true})
	if ex.status != http.StatusNotFound {
		c.errorf(ex, "%s with the unknown id %s answered %s; want 404", opID, unknownCoreID, ex.summary())
	} else if !strings.Contains(string(ex.body), unknownCoreID) {
		c.errorf(ex, "the 404 does not name the unknown id %s: %s", unknownCoreID, ex.summary())
	}
	after, sex := r.fetch(c, a)
	if d := differences(before, after); len(d) > 0 {
		c.errorf(sex, "%s changed record %s though it failed: %s", opID, a, strings.Join(d, ", "))
	}
}

func (r *coreRes) checkShowBadID(c *cctx) {
	ex := c.do(request{method: http.MethodGet, path: r.path(r.show, "abc")})
	c.expect(ex, "show of the id abc", http.StatusBadRequest)
}

func (r *coreRes) checkFilterInvalid(c *cctx) {
	// statut is the spec's own example of a translated element name; then
	// a value of the wrong type for the first boolean and integer elements.
	cases := []url.Values{{"statut": {"error"}}}
	var boolean, integer bool
	for _, el := range r.listItems {
		switch {
		case el.is("boolean") && !boolean:
			boolean = true
			cases = append(cases, url.Values{el.name: {"maybe"}})
		case el.is("integer") && el.name != "id" && !integer:
			integer = true
			cases = append(cases, url.Values{el.name: {"abc"}})
		}
	}
	for _, q := range cases {
		ex := c.do(request{method: http.MethodGet, path: r.path(r.list, ""), query: q})
		if ex.status != http.StatusBadRequest {
			c.errorf(ex, "the index with %s answered %s; want 400", q.Encode(), ex.summary())
		}
	}
}
