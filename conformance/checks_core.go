package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// coreResource names the operations of one Core API resource. The checks
// find their paths, schemas, required elements, enums and read-only
// elements in the spec. list, create, show and put are required; the
// others are optional.
type coreResource struct {
	name                           string
	list, create, show, put, patch string
	resolve, unresolve             string
	createAlert, alertAndExport    string
	markExported, acknowledge      string
	// marker is the element that carries the run's marker ("" when the
	// resource has none to spare: what a failed create stored cannot then
	// be looked for).
	marker string
	// unique are the elements no two records may share.
	unique []string
	// optional says the resource came after the first specs: a spec
	// without it (WithCoreSpec) skips its checks instead of failing them.
	optional bool
}

var coreResources = []coreResource{
	{
		name: "integration_errors", list: "listIntegrationErrors", create: "createIntegrationError",
		show: "showIntegrationError", put: "updateIntegrationError", patch: "patchIntegrationError",
		resolve: "resolveIntegrationError", unresolve: "unresolveIntegrationError",
		createAlert: "createIntegrationErrorAlert", marker: "external-id",
	},
	{
		name: "integration_history_records", list: "listIntegrationHistoryRecords", create: "createIntegrationHistoryRecord",
		show: "showIntegrationHistoryRecord", put: "updateIntegrationHistoryRecord", patch: "patchIntegrationHistoryRecord",
		resolve: "resolveIntegrationHistoryRecord", unresolve: "unresolveIntegrationHistoryRecord",
		createAlert: "createIntegrationHistoryRecordAlert", alertAndExport: "createIntegrationHistoryRecordAlertAndMarkExported",
		markExported: "markIntegrationHistoryRecordsExported", acknowledge: "acknowledgeIntegrationHistoryRecords",
		marker: "external-id",
	},
	{
		name: "integrations", list: "listIntegrations", create: "createIntegration", show: "showIntegration", put: "updateIntegration",
		marker: "code", unique: []string{"code", "name"}, optional: true,
	},
	{
		name: "integration_runs", list: "listIntegrationRuns", create: "createIntegrationRun", show: "showIntegrationRun", put: "updateIntegrationRun",
		optional: true,
	},
}

const (
	// unknownCoreID is an id no record is expected to have.
	unknownCoreID = "9007199254740991"
	// pastTheEnd is an offset beyond any real list.
	pastTheEnd = "1000000000"
)

// changeTracking are the read-only elements an update changes by design.
var changeTracking = []string{"updated-at", "updated-by"}

// coreRes is a Core resource with what the spec says of it.
type coreRes struct {
	coreResource
	s          *suite
	sp         *spec
	schema     *openapi3.SchemaRef // the create body's schema
	els        []element           // its elements
	updEls     []element           // the elements of the update body's schema
	listItem   *openapi3.Schema    // the schema of a list item (a record)
	listItems  []element           // its elements
	listSource string
	// singular and plural are the resource's XML element names.
	singular, plural string
	// qu is the universe of the query checks, and su the first records of
	// the index, once made.
	qu, su *universe
}

func (s *suite) coreChecks() []*check {
	var out []*check
	for _, res := range coreResources {
		if _, ok := s.coreSpec.op(res.list); !ok && res.optional {
			continue
		}
		r, err := s.newCoreRes(res)
		if err != nil {
			out = append(out, &check{
				id: res.name + ".spec", title: "The spec describes the resource's operations.", level: Must, api: apiCore, op: "-",
				source: s.coreSpec.file + "#/paths", run: func(c *cctx) { c.fatalf(nil, "%v", err) },
			})
			continue
		}
		out = append(out, r.checks()...)
	}
	return out
}

func (s *suite) newCoreRes(res coreResource) (*coreRes, error) {
	r := &coreRes{coreResource: res, s: s, sp: s.coreSpec}
	for _, id := range []string{res.list, res.create, res.show, res.put} {
		if _, ok := r.sp.op(id); !ok {
			return nil, fmt.Errorf("%s has no operation %s", r.sp.file, id)
		}
	}
	for _, id := range []*string{&r.patch, &r.resolve, &r.unresolve, &r.createAlert, &r.alertAndExport, &r.markExported, &r.acknowledge} {
		if _, ok := r.sp.op(*id); !ok {
			*id = ""
		}
	}
	create, _ := r.sp.op(res.create)
	schema, ok := create.requestSchema()
	if !ok {
		return nil, fmt.Errorf("%s: %s has no JSON request body", r.sp.file, res.create)
	}
	r.schema, r.els = schema, elements(schema)
	if res.marker != "" && !slices.ContainsFunc(r.els, func(e element) bool { return e.name == res.marker }) {
		return nil, fmt.Errorf("%s: %s has no element %s to mark the records the run creates", r.sp.file, res.create, res.marker)
	}
	upd := r.patch
	if upd == "" {
		upd = r.put
	}
	if u, ok := r.op(upd).requestSchema(); ok {
		r.updEls = elements(u)
	}
	list, _ := r.sp.op(res.list)
	r.listSource = r.sp.source(list.pointer())
	if resp := list.op.Responses.Status(http.StatusOK); resp != nil && resp.Value != nil {
		if mt := resp.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil && mt.Schema.Value.Items != nil {
			r.listItem = mt.Schema.Value.Items.Value
			r.listItems = elements(mt.Schema.Value.Items)
		}
	}
	if r.listItem == nil {
		return nil, fmt.Errorf("%s: %s does not answer a JSON array of records", r.sp.file, res.list)
	}
	r.plural = strings.ReplaceAll(res.name, "_", "-")
	r.singular = singular(r.plural)
	return r, nil
}

// singular returns the singular of a hyphenated plural resource name, as
// the XML elements and the error keys name one record:
// integration-history-records gives integration-history-record.
func singular(plural string) string {
	switch {
	case strings.HasSuffix(plural, "ies"):
		return strings.TrimSuffix(plural, "ies") + "y"
	case strings.HasSuffix(plural, "s"):
		return strings.TrimSuffix(plural, "s")
	}
	return plural
}

// update is the operation that changes a record: PATCH where there is one,
// else PUT.
func (r *coreRes) update() string {
	if r.patch != "" {
		return r.patch
	}
	return r.put
}

func (r *coreRes) updateMethod() string { return r.op(r.update()).method }

func (r *coreRes) op(id string) operation { o, _ := r.sp.op(id); return o }

// path returns the URL path of an operation, with id for {id}.
func (r *coreRes) path(opID, id string) string {
	return strings.ReplaceAll(r.op(opID).path, "{id}", url.PathEscape(id))
}

func (r *coreRes) opSource(opID, suffix string) string {
	return r.sp.source(r.op(opID).pointer() + suffix)
}

func (r *coreRes) paramSource(name string) string {
	for _, p := range r.op(r.list).op.Parameters {
		if p.Value != nil && p.Value.Name == name && p.Ref != "" {
			return r.sp.source(p.Ref)
		}
	}
	return r.listSource + "/parameters"
}

func (r *coreRes) add(out *[]*check, chk *check) {
	chk.api = apiCore
	if chk.level == "" {
		chk.level = Must
	}
	*out = append(*out, chk)
}

// checks returns the resource's checks: the read-only ones first.
func (r *coreRes) checks() []*check {
	var out []*check
	n := r.name
	r.add(&out, &check{id: n + ".list", op: r.list, source: r.listSource,
		title: "The index answers 200 with a JSON array of at most 50 records, ordered by id, without duplicates.",
		run:   r.checkList})
	r.add(&out, &check{id: n + ".list.limit", op: r.list, source: r.paramSource("limit"),
		title: "limit=2 returns the first 2 records of the list.", run: r.checkLimit})
	r.add(&out, &check{id: n + ".list.limit-cap", op: r.list, source: r.paramSource("limit"),
		title: "A limit above 50, or none, returns 50 records when more exist: limit is capped at 50.", run: r.checkLimitCap})
	r.add(&out, &check{id: n + ".list.offset", op: r.list, source: r.paramSource("offset"),
		title: "offset skips records, 0-based: consecutive pages do not overlap and together are the longer page.", run: r.checkOffset})
	r.add(&out, &check{id: n + ".list.past-end", op: r.list, source: r.sp.source("#/info/description"),
		title: "A page past the end is 200 [].", run: r.checkPastEnd})
	r.add(&out, &check{id: n + ".list.filter", op: r.list, source: r.listSource + "/description",
		title: "Filters on top-level scalar elements match exactly, with hyphens or underscores in the name.", run: r.checkFilter})
	r.add(&out, &check{id: n + ".list.filter-invalid", op: r.list, source: r.sp.source("#/info/description"),
		title: "A filter on an element the resource does not have, or with a value of the wrong type, is 400, never a silent empty list.",
		run:   r.checkFilterInvalid})
	r.add(&out, &check{id: n + ".list.bad-parameter", op: r.list, source: r.listSource + "/responses/400",
		title: "A limit or offset outside its schema (limit=0, limit=abc, offset=-1) answers 400.", run: r.checkBadParameter})
	r.queryChecks(&out)
	r.projectionChecks(&out)
	r.add(&out, &check{id: n + ".show", op: r.show, source: r.opSource(r.show, ""),
		title: "show answers 200 with the record of that id.", run: r.checkShow})
	r.add(&out, &check{id: n + ".show.not-found", op: r.show, source: r.opSource(r.show, "/responses/404"),
		title: "show of an unknown id answers 404.", run: r.checkShowNotFound})
	r.add(&out, &check{id: n + ".show.bad-id", op: r.show, level: Should, source: r.opSource(r.show, "/responses/400"),
		title: "show of an id that is not a number answers 400, as the id parameter's schema says (Coupa may answer 404).",
		run:   r.checkShowBadID})
	r.xmlChecks(&out)

	// The checks that create or change records.
	r.add(&out, &check{id: n + ".create", op: r.create, source: r.opSource(r.create, ""), mutates: true,
		title: "create answers 201 with the record, showing every element sent; show then answers the same record.",
		run:   func(c *cctx) { r.checkCreate(c, r.create) }})
	for _, el := range r.els {
		if el.required && !el.readOnly {
			r.add(&out, &check{id: n + ".create.required." + el.name, op: r.create, element: el.name, mutates: true,
				source: r.sp.source(schemaPointer(r.schema) + "/required"),
				title:  fmt.Sprintf("A create without %s is rejected with 400 naming it, and nothing is created.", el.name),
				run:    func(c *cctx) { r.checkRequired(c, el) }})
		}
	}
	for _, name := range r.unique {
		r.add(&out, &check{id: n + ".create.unique." + name, op: r.create, element: name, mutates: true,
			source: r.opSource(r.create, "/description"),
			title:  fmt.Sprintf("%s is unique: a create or an update with the %s of another record is rejected with 400 naming it, and nothing changes.", name, name),
			run:    func(c *cctx) { r.checkUnique(c, name) }})
	}
	if slices.ContainsFunc(r.els, func(e element) bool { return e.name == "integration" && !e.readOnly }) {
		r.add(&out, &check{id: n + ".create.unknown-integration", op: r.create, element: "integration", mutates: true,
			source: r.sp.source("#/components/schemas/Integration/description"),
			title:  "A create that refers to an integration that does not exist is rejected with 400 naming integration, and nothing is created.",
			run:    r.checkUnknownIntegration})
	}
	if slices.ContainsFunc(r.els, func(e element) bool { return e.name == "integration-run-id" && !e.readOnly }) {
		r.add(&out, &check{id: n + ".create.unknown-run", op: r.create, element: "integration-run-id", mutates: true,
			source: r.tagSource("integration_runs"),
			title:  "A create that refers to an integration run that does not exist, by integration-run-id or integration-run, is rejected with 400 naming it, and nothing is created.",
			run:    r.checkUnknownRun})
		r.add(&out, &check{id: n + ".create.integration-run", op: r.create, element: "integration-run-id", mutates: true,
			source: r.tagSource("integration_runs"),
			title:  "A record refers to an existing run by integration-run-id or by integration-run {id}, and shows it as integration-run-id; the two disagreeing are rejected with 400.",
			run:    r.checkRunReference})
	}
	r.add(&out, &check{id: n + ".create.unknown-element", op: r.create, level: Should, mutates: true,
		source: r.sp.source("#/info/description"),
		title:  "A create with an element the resource does not have (a translated name such as statut) is either rejected with 400 naming it and creates nothing (strict), or creates the record without it (lenient, as Coupa); the note says which.",
		run:    r.checkUnknownElement})
	r.add(&out, &check{id: n + ".create.media-type", op: r.create, level: Should, mutates: true,
		source: r.opSource(r.create, "/responses/415"),
		title:  "A create whose body is neither JSON nor XML (text/plain) is rejected with 415 and creates nothing.", run: r.checkMediaType})
	if r.createAlert != "" {
		r.add(&out, &check{id: n + ".create-alert", op: r.createAlert, source: r.opSource(r.createAlert, "/description"), mutates: true,
			title: "create_alert creates the record exactly as create does.",
			run:   func(c *cctx) { r.checkCreate(c, r.createAlert) }})
	}
	for _, el := range r.els {
		allowed := el.enum()
		if len(allowed) == 0 || el.readOnly {
			continue
		}
		src := r.sp.source(el.enumPointer())
		r.add(&out, &check{id: n + ".enum." + el.name, op: r.create, element: el.name, source: src, mutates: true,
			title: fmt.Sprintf("Every allowed value of %s (%d) is accepted on create and read back unchanged.", el.name, len(allowed)),
			run:   func(c *cctx) { r.checkEnum(c, el) }})
		r.add(&out, &check{id: n + ".enum." + el.name + ".invalid", op: r.create, element: el.name, source: src, mutates: true,
			title: fmt.Sprintf("Values just outside the set of %s (wrong case, spaces, translations) are rejected with 400 naming it, on create and on update, and nothing changes.", el.name),
			run:   func(c *cctx) { r.checkEnumInvalid(c, el) }})
		r.add(&out, &check{id: n + ".enum." + el.name + ".message", op: r.create, element: el.name, level: Should, mutates: true,
			source: r.sp.source("#/info/description"),
			title:  fmt.Sprintf("The 400 for a value outside the set of %s lists the allowed values.", el.name),
			run:    func(c *cctx) { r.checkEnumMessage(c, el) }})
	}
	for _, el := range r.els {
		if !el.readOnly {
			continue
		}
		r.add(&out, &check{id: n + ".readonly." + el.name, op: r.create, element: el.name, mutates: true,
			source: r.sp.source(el.pointer + "/readOnly"),
			title:  fmt.Sprintf("A value sent for the output-only %s on create or update is accepted and ignored.", el.name),
			run:    func(c *cctx) { r.checkReadOnly(c, el) }})
	}
	r.add(&out, &check{id: n + ".update.put", op: r.put, source: r.opSource(r.put, ""), mutates: true,
		title: "PUT changes the elements sent, leaves the others as they are, and show reads the change back.",
		run:   func(c *cctx) { r.checkUpdate(c, r.put, http.MethodPut) }})
	if r.patch != "" {
		r.add(&out, &check{id: n + ".update.patch", op: r.patch, source: r.opSource(r.patch, ""), mutates: true,
			title: "PATCH changes the elements sent, leaves the others as they are, and show reads the change back.",
			run:   func(c *cctx) { r.checkUpdate(c, r.patch, http.MethodPatch) }})
	}
	if slices.ContainsFunc(r.els, func(e element) bool { return e.name == "updated-at" }) {
		r.add(&out, &check{id: n + ".update.updated-at", op: r.update(), element: "updated-at", level: Should, mutates: true,
			source: r.sp.source(schemaPointer(r.schema) + "/properties/updated-at"),
			title:  "updated-at never moves back on a change of the record, and moves forward unless the change came within the second shown (Coupa shows it to the second), so integrations can poll with it.",
			run:    r.checkUpdatedAt})
	}
	r.add(&out, &check{id: n + ".update.not-found", op: r.put, source: r.opSource(r.put, "/responses/404"), mutates: true,
		title: "Every update and action of an unknown id answers 404.", run: r.checkUpdateNotFound})
	if r.resolve != "" && r.unresolve != "" {
		r.add(&out, &check{id: n + ".resolve", op: r.resolve, element: "resolved", source: r.opSource(r.resolve, "/description"), mutates: true,
			title: "resolve sets resolved to true, as show then reads; resolving twice is harmless.", run: r.checkResolve})
		r.add(&out, &check{id: n + ".unresolve", op: r.unresolve, element: "resolved", source: r.opSource(r.unresolve, "/description"), mutates: true,
			title: "unresolve sets resolved back to false, as show then reads.", run: r.checkUnresolve})
	}
	if r.alertAndExport != "" {
		r.add(&out, &check{id: n + ".create-alert-and-mark-exported", op: r.alertAndExport, mutates: true,
			source: r.opSource(r.alertAndExport, "/description"),
			title:  "create_alert_and_mark_exported creates the record and marks it exported (exported true, last-exported-at set, where shown).",
			run:    r.checkAlertAndExport})
	}
	for _, a := range []struct{ op, name, flag, at string }{
		{r.markExported, "mark-exported", "exported", "last-exported-at"},
		{r.acknowledge, "acknowledge", "acknowledged", "acknowledged-at"},
	} {
		if a.op == "" {
			continue
		}
		r.add(&out, &check{id: n + "." + a.name, op: a.op, element: a.flag, source: r.opSource(a.op, "/description"), mutates: true,
			title: fmt.Sprintf("%s marks every record named in ids (%s true, %s set, where shown) and returns them in the order given.", a.name, a.flag, a.at),
			run:   func(c *cctx) { r.checkIDAction(c, a.op, a.flag, a.at) }})
		r.add(&out, &check{id: n + "." + a.name + ".unknown-id", op: a.op, source: r.opSource(a.op, "/description"), mutates: true,
			title: fmt.Sprintf("%s with an unknown id answers 404 naming it and changes no record (all or nothing).", a.name),
			run:   func(c *cctx) { r.checkIDActionUnknown(c, a.op) }})
	}
	r.writeProjectionChecks(&out)
	r.runChecks(&out)
	return out
}

// sampler makes request values; references to what exists on the target
// are the ones the run discovered, or left out; the unique elements but the
// marker get a new marked value each time.
func (r *coreRes) sampler() sampler {
	r.s.discover()
	fixed := map[string]any{"integration": nil, "integration-run": nil, "integration-run-id": r.s.runRef}
	if r.s.integration != nil {
		fixed["integration"] = r.s.integration
	}
	for _, name := range r.unique {
		if name != r.marker {
			fixed[name] = func(int) any { return "coupakit " + r.s.marker() }
		}
	}
	return sampler{fixed: fixed}
}

// mark sets the marker element of body, where the resource has one.
func (r *coreRes) mark(body map[string]any, marker string) map[string]any {
	if r.marker != "" {
		body[r.marker] = marker
	}
	return body
}

// minimal returns a create body with the required elements and the marker.
func (r *coreRes) minimal(c *cctx, marker string) map[string]any {
	sm := r.sampler()
	body := r.mark(map[string]any{}, marker)
	for _, el := range r.els {
		if !el.required || el.readOnly || el.name == r.marker {
			continue
		}
		v, ok := sm.value(el.name, el.schema, 0)
		if !ok {
			c.fatalf(nil, "internal: cannot make a value for the required element %s (is there an integration to refer to?)", el.name)
		}
		body[el.name] = v
	}
	return body
}

// full returns a create body with every element the suite can fill in.
func (r *coreRes) full(marker string) map[string]any {
	return r.mark(r.sampler().fill(r.els, 0), marker)
}

// create posts body to the create operation opID and returns the record.
func (r *coreRes) post(c *cctx, opID string, body map[string]any) (map[string]any, *exchange) {
	ex := c.do(request{method: http.MethodPost, path: r.path(opID, ""), body: body, valid: true})
	c.expect(ex, "create", http.StatusCreated)
	rec := c.object(ex, "create")
	if idString(rec["id"]) == "" {
		c.fatalf(ex, "create: the record has no id")
	}
	return rec, ex
}

// newRecord creates a record with the required elements only.
func (r *coreRes) newRecord(c *cctx) map[string]any {
	rec, _ := r.post(c, r.create, r.minimal(c, r.s.marker()))
	return rec
}

// show reads a record back.
func (r *coreRes) fetch(c *cctx, id string) (map[string]any, *exchange) {
	ex := c.do(request{method: http.MethodGet, path: r.path(r.show, id), valid: true})
	c.expect(ex, "show "+id, http.StatusOK)
	return c.object(ex, "show "+id), ex
}

// list gets one page of the index.
func (r *coreRes) index(c *cctx, query url.Values) ([]any, *exchange) {
	ex := c.do(request{method: http.MethodGet, path: r.path(r.list, ""), query: query, valid: true})
	c.expect(ex, "index "+query.Encode(), http.StatusOK)
	return c.array(ex, "index"), ex
}

// ids returns the ids of a page of records.
func (r *coreRes) ids(c *cctx, ex *exchange, page []any) []string {
	out := make([]string, 0, len(page))
	for i, v := range page {
		rec, ok := v.(map[string]any)
		if !ok || idString(rec["id"]) == "" {
			c.fatalf(ex, "index: item %d is not a record with an id", i)
		}
		out = append(out, idString(rec["id"]))
	}
	return out
}

// created returns the records that carry marker, verifying that the
// server applied the filter (or the check could not tell).
func (r *coreRes) created(c *cctx, marker string) []map[string]any {
	page, ex := r.index(c, url.Values{r.marker: {marker}})
	var out []map[string]any
	for _, v := range page {
		rec, _ := v.(map[string]any)
		if rec[r.marker] != marker {
			c.fatalf(ex, "the index filtered by %s returned a record with %s %s: the filter is not applied, so the check cannot verify that nothing was created", r.marker, r.marker, short(rec[r.marker]))
		}
		out = append(out, rec)
	}
	return out
}

// nothingCreated fails the check if a record carries marker. A resource
// without a marker cannot tell, and says so.
func (r *coreRes) nothingCreated(c *cctx, marker string, what string) {
	if r.marker == "" {
		c.notef("%s carry no marker: that nothing was created is not verified", r.name)
		return
	}
	if recs := r.created(c, marker); len(recs) > 0 {
		ids := make([]string, len(recs))
		for i, rec := range recs {
			ids[i] = idString(rec["id"])
		}
		c.errorf(nil, "%s created records anyway (ids %s, %s %s)", what, strings.Join(ids, ", "), r.marker, marker)
	}
}

// atLeast reports whether the resource has n records or more.
func (r *coreRes) atLeast(c *cctx, n int) bool {
	if n <= 50 {
		page, _ := r.index(c, url.Values{"limit": {"50"}})
		return len(page) >= n
	}
	page, _ := r.index(c, url.Values{"limit": {"1"}, "offset": {strconv.Itoa(n - 1)}})
	return len(page) > 0
}

// ensure makes the resource have n records or more, creating marked
// records when the run may; it reports whether it has.
func (r *coreRes) ensure(c *cctx, n int) bool {
	if r.atLeast(c, n) {
		return true
	}
	if r.s.target.ReadOnly {
		return false
	}
	page, _ := r.index(c, url.Values{"limit": {"50"}})
	for i := len(page); i < n; i++ {
		r.newRecord(c)
	}
	return r.atLeast(c, n)
}

func numID(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

func (r *coreRes) checkList(c *cctx) {
	page, ex := r.index(c, nil)
	ids := r.ids(c, ex, page)
	if len(ids) > 50 {
		c.errorf(ex, "the index returned %d records without a limit; the default and maximum page is 50", len(ids))
	}
	for i := 1; i < len(ids); i++ {
		if numID(ids[i]) <= numID(ids[i-1]) {
			c.errorf(ex, "the index is not ordered by id without duplicates: id %s follows id %s", ids[i], ids[i-1])
			break
		}
	}
	c.notef("%d records", len(ids))
}

func (r *coreRes) checkLimit(c *cctx) {
	r.ensure(c, 3)
	all, exAll := r.index(c, nil)
	allIDs := r.ids(c, exAll, all)
	page, ex := r.index(c, url.Values{"limit": {"2"}})
	ids := r.ids(c, ex, page)
	want := allIDs[:min(2, len(allIDs))]
	if !slices.Equal(ids, want) {
		c.errorf(ex, "limit=2 returned ids [%s]; want the first 2 of the index, [%s]", strings.Join(ids, ", "), strings.Join(want, ", "))
	}
	if len(allIDs) < 3 {
		c.notef("only %d records: limit could not be seen cutting the list", len(allIDs))
	}
}

func (r *coreRes) checkLimitCap(c *cctx) {
	if !r.ensure(c, 51) {
		c.skipf("fewer than 51 records, and a read-only run creates none: the cap cannot be observed")
	}
	for _, q := range []url.Values{nil, {"limit": {"51"}}, {"limit": {"1000"}}} {
		page, ex := r.index(c, q)
		if len(page) != 50 {
			c.errorf(ex, "the index with %s returned %d records; want 50 (limit defaults to 50 and is capped at 50)", cmpOr(q.Encode(), "no limit"), len(page))
		}
	}
}

func (r *coreRes) checkOffset(c *cctx) {
	r.ensure(c, 6)
	page := func(limit, offset int) ([]string, *exchange) {
		p, ex := r.index(c, url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset)}})
		return r.ids(c, ex, p), ex
	}
	all, _ := page(6, 0)
	p1, _ := page(3, 0)
	p2, ex2 := page(3, 3)
	for _, id := range p2 {
		if slices.Contains(p1, id) {
			c.errorf(ex2, "offset=3 repeats id %s of offset=0: pages overlap", id)
			break
		}
	}
	if got := append(slices.Clone(p1), p2...); !slices.Equal(got, all) {
		c.errorf(ex2, "limit=3 at offset 0 and 3 gave [%s]; limit=6 gave [%s]", strings.Join(got, ", "), strings.Join(all, ", "))
	}
	if len(all) >= 2 {
		one, ex := page(1, 1)
		if !slices.Equal(one, all[1:2]) {
			c.errorf(ex, "offset=1 returned [%s]; want the second record, [%s] (offset is 0-based)", strings.Join(one, ", "), all[1])
		}
	}
}

func (r *coreRes) checkPastEnd(c *cctx) {
	page, ex := r.index(c, url.Values{"offset": {pastTheEnd}})
	if len(page) != 0 {
		c.errorf(ex, "offset=%s returned %d records; want 200 []", pastTheEnd, len(page))
	}
}

// first returns the record with the smallest id, if any.
func (r *coreRes) first(c *cctx) (map[string]any, bool) {
	page, ex := r.index(c, url.Values{"limit": {"1"}})
	if len(page) == 0 {
		if r.s.target.ReadOnly {
			return nil, false
		}
		r.newRecord(c)
		page, ex = r.index(c, url.Values{"limit": {"1"}})
	}
	if len(page) == 0 {
		c.fatalf(ex, "the index is empty after a create")
	}
	rec, ok := page[0].(map[string]any)
	if !ok {
		c.fatalf(ex, "index: item 0 is not an object")
	}
	return rec, true
}

func (r *coreRes) checkFilter(c *cctx) {
	rec, ok := r.first(c)
	if !ok {
		c.skipf("no records to filter")
	}
	id := idString(rec["id"])
	page, ex := r.index(c, url.Values{"id": {id}})
	if ids := r.ids(c, ex, page); !slices.Equal(ids, []string{id}) {
		c.errorf(ex, "id=%s returned ids [%s]; want exactly [%s]", id, strings.Join(ids, ", "), id)
	}
	tried := 0
	for _, el := range r.listItems {
		if el.name == "id" || !el.scalar() || el.schema.Format == "date-time" || el.writeOnly {
			continue
		}
		qv, ok := queryValue(rec[el.name])
		if !ok {
			continue
		}
		names := []string{el.name}
		if strings.Contains(el.name, "-") {
			names = append(names, strings.ReplaceAll(el.name, "-", "_"))
		}
		for _, name := range names {
			tried++
			page, ex := r.index(c, url.Values{name: {qv}})
			if len(page) == 0 {
				c.errorf(ex, "%s=%s returned no record; record %s has that value", name, qv, id)
				continue
			}
			for _, v := range page {
				got, _ := v.(map[string]any)
				if !jsonEqual(got[el.name], rec[el.name]) {
					c.errorf(ex, "%s=%s returned record %s whose %s is %s", name, qv, idString(got["id"]), el.name, short(got[el.name]))
					break
				}
			}
			if first, _ := page[0].(map[string]any); idString(first["id"]) != id {
				c.errorf(ex, "%s=%s did not return record %s first, though it has that value and the smallest id", name, qv, id)
			}
		}
	}
	c.notef("%d filters on record %s", tried+1, id)
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

// badParameters are list queries outside the schemas of limit and offset.
var badParameters = []url.Values{{"limit": {"0"}}, {"limit": {"abc"}}, {"offset": {"-1"}}}

func (r *coreRes) checkBadParameter(c *cctx) {
	for _, q := range badParameters {
		ex := c.do(request{method: http.MethodGet, path: r.path(r.list, ""), query: q})
		if ex.status != http.StatusBadRequest {
			c.errorf(ex, "the index with %s answered %s; want 400", q.Encode(), ex.summary())
		}
	}
}

func (r *coreRes) checkShowBadID(c *cctx) {
	ex := c.do(request{method: http.MethodGet, path: r.path(r.show, "abc")})
	c.expect(ex, "show of the id abc", http.StatusBadRequest)
}

func (r *coreRes) checkShow(c *cctx) {
	rec, ok := r.first(c)
	if !ok {
		c.skipf("no records to show")
	}
	id := idString(rec["id"])
	got, ex := r.fetch(c, id)
	if idString(got["id"]) != id {
		c.errorf(ex, "show %s answered the record with id %s", id, short(got["id"]))
	}
}

func (r *coreRes) checkShowNotFound(c *cctx) {
	ex := c.do(request{method: http.MethodGet, path: r.path(r.show, unknownCoreID), valid: true})
	c.expect(ex, "show of the unknown id "+unknownCoreID, http.StatusNotFound)
}

// readBack compares what was sent with the record answered and shown.
func (r *coreRes) readBack(c *cctx, ex *exchange, sent, rec map[string]any) {
	skip := func(p string) bool {
		name := strings.Split(strings.TrimPrefix(p, "/"), "/")[0]
		for _, el := range r.els {
			if el.name == name {
				return el.readOnly || el.writeOnly
			}
		}
		return false
	}
	for _, d := range subset(sent, rec, "", skip) {
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

func (r *coreRes) checkRequired(c *cctx, el element) {
	marker := r.s.marker()
	body := without(r.minimal(c, marker), el.name)
	ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: body})
	if ex.status != http.StatusBadRequest {
		c.errorf(ex, "a create without %s answered %s; want 400", el.name, ex.summary())
	} else if !ex.mentions(el.name) {
		c.errorf(ex, "the 400 for a create without %s does not name it: %s", el.name, ex.summary())
	}
	r.nothingCreated(c, marker, "a create without "+el.name)
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

func (r *coreRes) checkUnknownElement(c *cctx) {
	marker := r.s.marker()
	body := with(r.minimal(c, marker), "statut", "error")
	ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: body})
	switch {
	case ex.status == http.StatusCreated:
		// Lenient, as Coupa: the element is dropped.
		if rec := c.object(ex, "create"); rec != nil && rec["statut"] != nil {
			c.errorf(ex, "a create with the unknown element statut stored it: %s", ex.summary())
			return
		}
		c.notef("lenient: 201, the unknown element statut dropped (as Coupa does)")
	case ex.status != http.StatusBadRequest:
		c.errorf(ex, "a create with the unknown element statut answered %s; want 400 or 201 without it", ex.summary())
	case !ex.mentions("statut"):
		c.errorf(ex, "the 400 for the unknown element statut does not name it: %s", ex.summary())
	default:
		c.notef("strict: 400 naming statut")
		r.nothingCreated(c, marker, "a create with an unknown element")
	}
}

func (r *coreRes) checkMediaType(c *cctx) {
	marker := r.s.marker()
	ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: r.minimal(c, marker), contentType: "text/plain"})
	if ex.status != http.StatusUnsupportedMediaType {
		c.errorf(ex, "a create sent as text/plain answered %s; want 415", ex.summary())
	}
	r.nothingCreated(c, marker, "a create sent as text/plain")
}

func (r *coreRes) checkEnum(c *cctx, el element) {
	es := r.s.enumStats(r.name, el)
	for _, v := range el.enum() {
		body := with(r.minimal(c, r.s.marker()), el.name, v)
		ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: body, valid: true})
		if ex.status != http.StatusCreated {
			c.errorf(ex, "%s %q was not accepted on create: %s", el.name, v, ex.summary())
			continue
		}
		rec := c.object(ex, "create")
		if !jsonEqual(rec[el.name], v) {
			c.errorf(ex, "%s %q was answered as %s", el.name, v, short(rec[el.name]))
			continue
		}
		shown, sex := r.fetch(c, idString(rec["id"]))
		if !jsonEqual(shown[el.name], v) {
			c.errorf(sex, "%s %q was read back as %s", el.name, v, short(shown[el.name]))
			continue
		}
		es.accepted[v] = true
	}
	c.notef("%d values accepted and read back", len(el.enum()))
}

func (r *coreRes) checkEnumInvalid(c *cctx, el element) {
	es := r.s.enumStats(r.name, el)
	misses := nearMisses(el.enum())
	marker := r.s.marker()
	base := r.minimal(c, marker)
	for _, v := range misses {
		ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: with(base, el.name, v)})
		switch {
		case ex.status != http.StatusBadRequest:
			c.errorf(ex, "%s %q was answered %s on create; want 400", el.name, v, ex.summary())
		case !ex.mentions(el.name):
			c.errorf(ex, "the 400 for %s %q does not name the element: %s", el.name, v, ex.summary())
		default:
			es.rejected[v] = true
		}
	}
	r.nothingCreated(c, marker, fmt.Sprintf("a create with %s outside the allowed values", el.name))

	rec := r.newRecord(c)
	id := idString(rec["id"])
	before, _ := r.fetch(c, id)
	for _, v := range misses {
		ex := c.do(request{method: r.updateMethod(), path: r.path(r.update(), id), body: map[string]any{el.name: v}})
		if ex.status != http.StatusBadRequest {
			c.errorf(ex, "%s %q was answered %s on update; want 400", el.name, v, ex.summary())
		}
	}
	after, sex := r.fetch(c, id)
	if d := differences(before, after); len(d) > 0 {
		c.errorf(sex, "rejected updates of %s changed record %s: %s", el.name, id, strings.Join(d, ", "))
	}
	c.notef("%d values rejected on create and on update", len(misses))
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

func (r *coreRes) checkReadOnly(c *cctx, el element) {
	marker := r.s.marker()
	probe, ok := readOnlyProbe(el, false)
	if !ok {
		c.skipf("internal: no probe value for %s", el.name)
	}
	body := with(r.minimal(c, marker), el.name, probe)
	ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: body})
	if ex.status != http.StatusCreated {
		c.fatalf(ex, "a create with the output-only %s %s answered %s; want 201 (the value is ignored)", el.name, short(probe), ex.summary())
	}
	rec := c.object(ex, "create")
	id := idString(rec["id"])
	if jsonEqual(rec[el.name], toJSON(probe)) {
		c.errorf(ex, "create took the value sent for the output-only %s: %s", el.name, short(probe))
	}
	before, sex := r.fetch(c, id)
	if jsonEqual(before[el.name], toJSON(probe)) {
		c.errorf(sex, "show reads back the value sent for the output-only %s on create: %s", el.name, short(probe))
	}

	probe, ok = readOnlyProbe(el, before[el.name])
	if !ok {
		c.skipf("internal: no probe value for %s", el.name)
	}
	ex = c.do(request{method: r.updateMethod(), path: r.path(r.update(), id), body: map[string]any{el.name: probe}})
	if ex.status != http.StatusOK {
		c.fatalf(ex, "an update with the output-only %s %s answered %s; want 200 (the value is ignored)", el.name, short(probe), ex.summary())
	}
	after, sex := r.fetch(c, id)
	switch {
	case jsonEqual(after[el.name], toJSON(probe)):
		c.errorf(sex, "update changed the output-only %s to the value sent, %s", el.name, short(probe))
	case !slices.Contains(changeTracking, el.name) && !jsonEqual(after[el.name], before[el.name]):
		c.errorf(sex, "update changed the output-only %s from %s to %s", el.name, short(before[el.name]), short(after[el.name]))
	}
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
	case t1.Before(t0):
		c.errorf(sex, "updated-at moved back on a change: %s, then %s", short(before["updated-at"]), short(after["updated-at"]))
	case t1.Equal(t0):
		// Shown to the second: a change within the second keeps it. A
		// change once that second is over must move it on: wait for the
		// next second by this machine's clock (at most 1.1 s), and once
		// more should the server's clock lag.
		var again map[string]any
		var aex *exchange
		var t2 time.Time
		for attempt := 0; attempt < 2; attempt++ {
			time.Sleep(min(max(0, time.Until(t1.Add(1100*time.Millisecond))), 1100*time.Millisecond))
			ex := c.do(request{method: r.updateMethod(), path: r.path(r.update(), id), body: r.updateBody(after, 4+attempt), valid: true})
			c.expect(ex, r.updateMethod()+" "+id, http.StatusOK)
			again, aex = r.fetch(c, id)
			var err error
			if t2, err = time.Parse(time.RFC3339, fmt.Sprint(again["updated-at"])); err != nil || t2.After(t1) {
				break
			}
		}
		if !t2.After(t1) {
			c.errorf(aex, "updated-at did not move forward on a change a second later: %s, then %s", short(after["updated-at"]), short(again["updated-at"]))
			return
		}
		c.notef("updated-at stayed %s on a change within that second, then moved to %s", short(after["updated-at"]), short(again["updated-at"]))
	default:
		c.notef("updated-at moved forward: %s, then %s", short(before["updated-at"]), short(after["updated-at"]))
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
