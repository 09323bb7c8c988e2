package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// runAction is an action of /api/integration_runs/{id}/<name> and the
// status it sets, as the spec's descriptions say.
type runAction struct {
	op, name, status string
}

var runActionTable = []runAction{
	{op: "runIntegrationRun", name: "run", status: "running"},
	{op: "pendIntegrationRun", name: "pending", status: "pending"},
	{op: "pauseIntegrationRun", name: "pause", status: "paused"},
	{op: "succeedIntegrationRun", name: "success", status: "successful"},
	{op: "failIntegrationRun", name: "fail", status: "failed"},
}

// runActions returns the run actions the spec has, for the runs resource.
func (r *coreRes) runActions() []runAction {
	if r.name != "integration_runs" {
		return nil
	}
	var out []runAction
	for _, a := range runActionTable {
		if _, ok := r.sp.op(a.op); ok {
			out = append(out, a)
		}
	}
	return out
}

// action returns the run action called name.
func (r *coreRes) action(name string) (runAction, bool) {
	for _, a := range r.runActions() {
		if a.name == name {
			return a, true
		}
	}
	return runAction{}, false
}

// tagSource is the pointer of the description of a tag of the spec.
func (r *coreRes) tagSource(name string) string {
	for i, t := range r.sp.doc.Tags {
		if t != nil && t.Name == name {
			return r.sp.source(fmt.Sprintf("#/tags/%d/description", i))
		}
	}
	return r.sp.source("#/tags")
}

// runChecks adds the checks of the runs' status and actions, and of an
// integration driving a run.
func (r *coreRes) runChecks(out *[]*check) {
	acts := r.runActions()
	if len(acts) == 0 {
		return
	}
	n := r.name
	r.kf.add(out, &check{id: n + ".create.pending", op: r.create, element: "status", mutates: true, source: r.opSource(r.create, "/description"),
		title: "A new run is pending, without start-time or end-time.", run: r.checkRunPending})
	for _, a := range acts {
		title := map[string]string{
			"run":     "run sets status running from pending or paused, start-time the first time only, and takes total-records.",
			"pending": "pending sets status pending from running or paused.",
			"pause":   "pause sets status paused from running or pending.",
			"success": "success sets status successful and end-time; records-processed becomes total-records when it was not set.",
			"fail":    "fail sets status failed and end-time, with the counts sent.",
		}[a.name]
		r.kf.add(out, &check{id: n + ".action." + a.name, op: a.op, element: "status", mutates: true, source: r.opSource(a.op, "/description"),
			title: title, run: func(c *cctx) { r.checkRunAction(c, a) }})
	}
	r.kf.add(out, &check{id: n + ".action.ended", op: acts[0].op, element: "status", mutates: true, source: r.opSource(acts[0].op, "/description"),
		title: "A run that ended (successful or failed) cannot change: every action answers 400 and the run stays as it was.",
		run:   r.checkRunEnded})
	r.kf.add(out, &check{id: n + ".lifecycle", op: r.create, mutates: true, source: r.tagSource("integration_runs"),
		title: "An integration drives a whole run: create the integration and a run (pending), run it, create a history record and an alert error that name the run, find them by integration-run-id, resolve the error, end the run successfully.",
		run:   r.checkLifecycle})
}

// act sends a run action with body (nil: none) and checks the status the
// answer and show read.
func (r *coreRes) act(c *cctx, id string, a runAction, body map[string]any) map[string]any {
	rq := request{method: http.MethodPut, path: r.path(a.op, id), valid: true}
	if body != nil {
		rq.body = body
	}
	ex := c.do(rq)
	c.expect(ex, a.name+" of run "+id, http.StatusOK)
	rec := c.object(ex, a.name)
	if rec["status"] != a.status {
		c.errorf(ex, "%s of run %s answered status %s; want %s", a.name, id, short(rec["status"]), a.status)
	}
	shown, sex := r.fetch(c, id)
	if shown["status"] != a.status {
		c.errorf(sex, "show reads status %s after %s; want %s", short(shown["status"]), a.name, a.status)
	}
	return shown
}

// mustAction returns the run action called name, or skips the check.
func (r *coreRes) mustAction(c *cctx, name string) runAction {
	a, ok := r.action(name)
	if !ok {
		c.skipf("the spec has no %s action", name)
	}
	return a
}

func (r *coreRes) checkRunPending(c *cctx) {
	rec := r.newRecord(c)
	id := idString(rec["id"])
	shown, sex := r.fetch(c, id)
	for _, m := range []map[string]any{rec, shown} {
		if m["status"] != "pending" {
			c.errorf(sex, "new run %s shows status %s; want pending", id, short(m["status"]))
		}
		for _, el := range []string{"start-time", "end-time"} {
			if v, ok := m[el]; ok {
				c.errorf(sex, "new run %s shows %s %s; a run that never ran has none", id, el, short(v))
			}
		}
	}
}

// timeOf returns the datetime element el of rec.
func timeOf(rec map[string]any, el string) (time.Time, bool) {
	s, _ := rec[el].(string)
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

func (r *coreRes) checkRunAction(c *cctx, a runAction) {
	id := idString(r.newRecord(c)["id"])
	run, pause, pending := r.mustAction(c, "run"), r.mustAction(c, "pause"), r.mustAction(c, "pending")
	switch a.name {
	case "run":
		rec := r.act(c, id, run, map[string]any{"total-records": 7})
		start, ok := timeOf(rec, "start-time")
		if !ok {
			c.errorf(nil, "run %s shows no start-time after run: %s", id, short(rec["start-time"]))
		}
		if !jsonEqual(rec["total-records"], 7) {
			c.errorf(nil, "run with total-records 7: run %s shows total-records %s", id, short(rec["total-records"]))
		}
		r.act(c, id, pause, nil)
		rec = r.act(c, id, run, nil)
		if again, _ := timeOf(rec, "start-time"); ok && !again.Equal(start) {
			c.errorf(nil, "running run %s again moved start-time from %s to %s; it is set the first time only", id, start.Format(time.RFC3339), again.Format(time.RFC3339))
		}
	case "pause":
		r.act(c, id, pause, nil)
		r.act(c, id, run, nil)
		r.act(c, id, pause, nil)
	case "pending":
		r.act(c, id, run, nil)
		r.act(c, id, pending, nil)
		r.act(c, id, pause, nil)
		r.act(c, id, pending, nil)
	case "success":
		r.act(c, id, run, map[string]any{"total-records": 5})
		rec := r.act(c, id, a, nil)
		r.ended(c, id, rec)
		if !jsonEqual(rec["records-processed"], 5) {
			c.errorf(nil, "success without records-processed: run %s shows records-processed %s; want total-records, 5", id, short(rec["records-processed"]))
		}
	case "fail":
		r.act(c, id, run, map[string]any{"total-records": 5})
		rec := r.act(c, id, a, map[string]any{"records-processed": 2})
		r.ended(c, id, rec)
		if !jsonEqual(rec["records-processed"], 2) {
			c.errorf(nil, "fail with records-processed 2: run %s shows records-processed %s", id, short(rec["records-processed"]))
		}
	}
}

// ended checks the end-time of a run that ended: set, not before its
// start-time.
func (r *coreRes) ended(c *cctx, id string, rec map[string]any) {
	end, ok := timeOf(rec, "end-time")
	if !ok {
		c.errorf(nil, "run %s ended but shows end-time %s", id, short(rec["end-time"]))
		return
	}
	if start, ok := timeOf(rec, "start-time"); ok && end.Before(start) {
		c.errorf(nil, "run %s ended at %s, before its start-time %s", id, end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
}

func (r *coreRes) checkRunEnded(c *cctx) {
	for _, end := range []string{"success", "fail"} {
		id := idString(r.newRecord(c)["id"])
		r.act(c, id, r.mustAction(c, "run"), nil)
		r.act(c, id, r.mustAction(c, end), nil)
		before, _ := r.fetch(c, id)
		for _, a := range r.runActions() {
			ex := c.do(request{method: http.MethodPut, path: r.path(a.op, id), valid: true})
			if ex.status != http.StatusBadRequest {
				c.errorf(ex, "%s of run %s, which ended with %s, answered %s; want 400", a.name, id, end, ex.summary())
			}
		}
		after, sex := r.fetch(c, id)
		if d := differences(before, after); len(d) > 0 {
			c.errorf(sex, "actions on run %s, which had ended, changed it: %s", id, strings.Join(d, ", "))
		}
	}
}

// coreRes of another resource of the suite, by name.
func (r *coreRes) other(c *cctx, name string) *coreRes {
	for _, res := range coreResources {
		if res.name == name {
			o, err := r.s.newCoreRes(res)
			if err != nil {
				c.skipf("%v", err)
			}
			return o
		}
	}
	c.fatalf(nil, "internal: no resource %s", name)
	return nil
}

func (r *coreRes) checkLifecycle(c *cctx) {
	ins := r.other(c, "integrations")
	errs := r.other(c, "integration_errors")
	hist := r.other(c, "integration_history_records")
	run, success := r.mustAction(c, "run"), r.mustAction(c, "success")

	code := r.s.marker()
	in, _ := ins.post(c, ins.create, map[string]any{"code": code, "name": "coupakit " + code})
	ref := map[string]any{"code": code}
	created, ex := r.post(c, r.create, map[string]any{"integration": ref})
	runID := idString(created["id"])
	if created["status"] != "pending" {
		c.errorf(ex, "the new run shows status %s; want pending", short(created["status"]))
	}
	if got, _ := created["integration"].(map[string]any); got == nil || got["code"] != code || !jsonEqual(got["id"], in["id"]) {
		c.errorf(ex, "the run of integration %s shows integration %s", code, short(created["integration"]))
	}
	r.act(c, runID, run, map[string]any{"total-records": 2})

	hb := with(hist.minimal(c, r.s.marker()), "integration", ref)
	hb["integration-run"] = map[string]any{"id": numID(runID)}
	rec, ex := hist.post(c, hist.create, hb)
	recID := idString(rec["id"])
	if !jsonEqual(rec["integration-run-id"], numID(runID)) {
		c.errorf(ex, "a history record sent with integration-run {id: %s} shows integration-run-id %s", runID, short(rec["integration-run-id"]))
	}
	eb := with(errs.minimal(c, r.s.marker()), "integration", ref)
	eb["integration-run-id"] = numID(runID)
	alertOp := errs.createAlert
	if alertOp == "" {
		alertOp = errs.create
	}
	er, ex := errs.post(c, alertOp, eb)
	errID := idString(er["id"])
	if !jsonEqual(er["integration-run-id"], numID(runID)) {
		c.errorf(ex, "an error sent with integration-run-id %s shows %s", runID, short(er["integration-run-id"]))
	}

	for _, x := range []struct {
		res *coreRes
		id  string
	}{{hist, recID}, {errs, errID}} {
		page, pex := x.res.index(c, url.Values{"integration-run-id": {runID}})
		if ids := x.res.ids(c, pex, page); !slices.Equal(ids, []string{x.id}) {
			c.errorf(pex, "%s with integration-run-id=%s returned ids [%s]; want exactly the one created for the run, [%s]", x.res.name, runID, strings.Join(ids, ", "), x.id)
		}
	}
	if errs.resolve != "" {
		errs.setResolved(c, errs.resolve, errID, true)
	}
	done := r.act(c, runID, success, map[string]any{"records-processed": 2})
	r.ended(c, runID, done)
	c.notef("integration %s drove run %s: history record %s, error %s", code, runID, recID, errID)
}

func (r *coreRes) checkUnique(c *cctx, name string) {
	a := r.newRecord(c)
	taken := a[name]
	marker := r.s.marker()
	body := with(r.minimal(c, marker), name, taken)
	ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: body, valid: true})
	if ex.status != http.StatusBadRequest {
		c.errorf(ex, "a create with the %s %s of record %s answered %s; want 400", name, short(taken), idString(a["id"]), ex.summary())
	} else if !ex.mentions(name) {
		c.errorf(ex, "the 400 for a %s taken does not name %s: %s", name, name, ex.summary())
	}
	if name == r.marker {
		page, pex := r.index(c, url.Values{name: {fmt.Sprint(taken)}})
		if ids := r.ids(c, pex, page); len(ids) != 1 {
			c.errorf(pex, "%s=%s returned ids [%s]; want the one record that had it", name, short(taken), strings.Join(ids, ", "))
		}
	} else {
		r.nothingCreated(c, marker, "a create with a "+name+" taken")
	}
	b := r.newRecord(c)
	id := idString(b["id"])
	before, _ := r.fetch(c, id)
	ex = c.do(request{method: http.MethodPut, path: r.path(r.put, id), body: map[string]any{name: taken}, valid: true})
	if ex.status != http.StatusBadRequest {
		c.errorf(ex, "an update of record %s to the %s %s of record %s answered %s; want 400", id, name, short(taken), idString(a["id"]), ex.summary())
	}
	after, sex := r.fetch(c, id)
	if d := differences(before, after); len(d) > 0 {
		c.errorf(sex, "the rejected update changed record %s: %s", id, strings.Join(d, ", "))
	}
}

func (r *coreRes) checkUnknownRun(c *cctx) {
	bodies := []map[string]any{{"integration-run-id": numID(unknownCoreID)}}
	if slices.ContainsFunc(r.els, func(e element) bool { return e.name == "integration-run" }) {
		bodies = append(bodies, map[string]any{"integration-run": map[string]any{"id": numID(unknownCoreID)}})
	}
	for _, extra := range bodies {
		marker := r.s.marker()
		body := r.minimal(c, marker)
		for k, v := range extra {
			body[k] = v
		}
		ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: body, valid: true})
		what := fmt.Sprintf("a create that refers to the run %s by %s", unknownCoreID, sortedKeys(extra)[0])
		if ex.status != http.StatusBadRequest {
			c.errorf(ex, "%s answered %s; want 400", what, ex.summary())
		} else if !ex.mentions("integration-run") {
			c.errorf(ex, "the 400 for %s does not name integration-run: %s", what, ex.summary())
		}
		r.nothingCreated(c, marker, what)
	}
}

// twoRuns returns the ids of two existing runs, creating them when needed.
func (r *coreRes) twoRuns(c *cctx) []any {
	runs := r.other(c, "integration_runs")
	page, ex := runs.index(c, url.Values{"limit": {"2"}})
	ids := runs.ids(c, ex, page)
	for len(ids) < 2 {
		ids = append(ids, idString(runs.newRecord(c)["id"]))
	}
	return []any{numID(ids[0]), numID(ids[1])}
}

func (r *coreRes) checkRunReference(c *cctx) {
	hasRun := slices.ContainsFunc(r.els, func(e element) bool { return e.name == "integration-run" })
	runs := r.twoRuns(c)
	cases := []map[string]any{{"integration-run-id": runs[0]}}
	if hasRun {
		cases = append(cases, map[string]any{"integration-run": map[string]any{"id": runs[1]}},
			map[string]any{"integration-run": map[string]any{"id": runs[0]}, "integration-run-id": runs[0]})
	}
	for _, extra := range cases {
		body := r.minimal(c, r.s.marker())
		for k, v := range extra {
			body[k] = v
		}
		rec, ex := r.post(c, r.create, body)
		want := extra["integration-run-id"]
		if want == nil {
			want = extra["integration-run"].(map[string]any)["id"]
		}
		if !jsonEqual(rec["integration-run-id"], want) {
			c.errorf(ex, "a create with %s shows integration-run-id %s; want %v", short(extra), short(rec["integration-run-id"]), want)
		}
		if _, ok := rec["integration-run"]; ok {
			c.errorf(ex, "the record shows integration-run, which is input only (shown as integration-run-id)")
		}
	}
	if !hasRun {
		return
	}
	marker := r.s.marker()
	body := r.minimal(c, marker)
	body["integration-run"], body["integration-run-id"] = map[string]any{"id": runs[0]}, runs[1]
	ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: body, valid: true})
	if ex.status != http.StatusBadRequest {
		c.errorf(ex, "a create with integration-run %v and integration-run-id %v, which disagree, answered %s; want 400", runs[0], runs[1], ex.summary())
	}
	r.nothingCreated(c, marker, "a create whose run references disagree")
}
