package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/coupakit/coupakit/internal/wire"
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
	kf     kindFacts
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
	r.singular = wire.Singular(r.plural)
	r.kf = r.newFacts()
	return r, nil
}

// facts says what the shared check families need of the resource.
func (r *coreRes) facts() kindFacts { return r.kf }

func (r *coreRes) newFacts() kindFacts {
	return kindFacts{
		name: r.name, api: apiCore, noun: "record", nouns: "records", maxPage: 50,
		listOp: r.list, showOp: r.show, createOp: r.create, resolveOp: r.resolve,
		els: r.els, filterEls: r.listItems, updEls: r.updEls, marker: r.marker, itemPointer: schemaPointer(r.schema),
		listSource: r.listSource, limitSource: r.paramSource("limit"), offsetSource: r.paramSource("offset"),
		pastEndSource: r.sp.source("#/info/description"), filterSource: r.listSource + "/description",
		badParamSource: r.listSource + "/responses/400",
		showSource:     r.opSource(r.show, ""), notFoundSource: r.opSource(r.show, "/responses/404"),
		unknownID: unknownCoreID, filterID: true, underscores: true, changeTracking: changeTracking, sp: r.sp,
		references: []string{"integration", "integration-run"},
	}
}

func (r *coreRes) createOne(c *cctx, body map[string]any, valid bool) (string, map[string]any, *exchange) {
	ex := c.do(request{method: http.MethodPost, path: r.path(r.create, ""), body: body, valid: valid})
	if ex.status != http.StatusCreated {
		return "", nil, ex
	}
	rec, _ := ex.object()
	return idString(rec["id"]), rec, ex
}

func (r *coreRes) newID(c *cctx) string { return idString(r.newRecord(c)["id"]) }

func (r *coreRes) updateOne(c *cctx, id string, body map[string]any, valid bool) *exchange {
	return c.do(request{method: r.updateMethod(), path: r.path(r.update(), id), body: body, valid: valid})
}

func (r *coreRes) deleteOne(*cctx, string) (*exchange, bool) { return nil, false }

func (r *coreRes) page(c *cctx, q url.Values) listPage {
	page, ex := r.index(c, q)
	p := listPage{ex: ex, ids: r.ids(c, ex, page)}
	for _, v := range page {
		rec, _ := v.(map[string]any)
		p.recs = append(p.recs, rec)
	}
	return p
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

// checks returns the resource's checks: the read-only ones first.
func (r *coreRes) checks() []*check {
	var out []*check
	n := r.name
	out = append(out, listFamily(r)...)
	r.kf.add(&out, &check{id: n + ".list.filter-invalid", op: r.list, source: r.sp.source("#/info/description"),
		title: "A filter on an element the resource does not have, or with a value of the wrong type, is 400, never a silent empty list.",
		run:   r.checkFilterInvalid})
	r.queryChecks(&out)
	r.projectionChecks(&out)
	out = append(out, showFamily(r)...)
	r.kf.add(&out, &check{id: n + ".show.bad-id", op: r.show, level: Should, source: r.opSource(r.show, "/responses/400"),
		title: "show of an id that is not a number answers 400, as the id parameter's schema says (Coupa may answer 404).",
		run:   r.checkShowBadID})
	r.xmlChecks(&out)

	// The checks that create or change records.
	r.kf.add(&out, &check{id: n + ".create", op: r.create, source: r.opSource(r.create, ""), mutates: true,
		title: "create answers 201 with the record, showing every element sent; show then answers the same record.",
		run:   func(c *cctx) { r.checkCreate(c, r.create) }})
	out = append(out, requiredFamily(r)...)
	for _, name := range r.unique {
		r.kf.add(&out, &check{id: n + ".create.unique." + name, op: r.create, element: name, mutates: true,
			source: r.opSource(r.create, "/description"),
			title:  fmt.Sprintf("%s is unique: a create or an update with the %s of another record is rejected with 400 naming it, and nothing changes.", name, name),
			run:    func(c *cctx) { r.checkUnique(c, name) }})
	}
	if slices.ContainsFunc(r.els, func(e element) bool { return e.name == "integration" && !e.readOnly }) {
		r.kf.add(&out, &check{id: n + ".create.unknown-integration", op: r.create, element: "integration", mutates: true,
			source: r.sp.source("#/components/schemas/Integration/description"),
			title:  "A create that refers to an integration that does not exist is rejected with 400 naming integration, and nothing is created.",
			run:    r.checkUnknownIntegration})
	}
	if slices.ContainsFunc(r.els, func(e element) bool { return e.name == "integration-run-id" && !e.readOnly }) {
		r.kf.add(&out, &check{id: n + ".create.unknown-run", op: r.create, element: "integration-run-id", mutates: true,
			source: r.tagSource("integration_runs"),
			title:  "A create that refers to an integration run that does not exist, by integration-run-id or integration-run, is rejected with 400 naming it, and nothing is created.",
			run:    r.checkUnknownRun})
		r.kf.add(&out, &check{id: n + ".create.integration-run", op: r.create, element: "integration-run-id", mutates: true,
			source: r.tagSource("integration_runs"),
			title:  "A record refers to an existing run by integration-run-id or by integration-run {id}, and shows it as integration-run-id; the two disagreeing are rejected with 400.",
			run:    r.checkRunReference})
	}
	out = append(out, unknownElementCheck(r, "statut", "error", r.sp.source("#/info/description"),
		"A create with an element the resource does not have (a translated name such as statut) is either rejected with 400 naming it and creates nothing (strict), or creates the record without it (lenient, as Coupa); the note says which."))
	r.kf.add(&out, &check{id: n + ".create.media-type", op: r.create, level: Should, mutates: true,
		source: r.opSource(r.create, "/responses/415"),
		title:  "A create whose body is neither JSON nor XML (text/plain) is rejected with 415 and creates nothing.", run: r.checkMediaType})
	if r.createAlert != "" {
		r.kf.add(&out, &check{id: n + ".create-alert", op: r.createAlert, source: r.opSource(r.createAlert, "/description"), mutates: true,
			title: "create_alert creates the record exactly as create does.",
			run:   func(c *cctx) { r.checkCreate(c, r.createAlert) }})
	}
	out = append(out, enumFamily(r)...)
	for _, el := range r.els {
		if len(el.enum()) > 0 && !el.readOnly {
			r.kf.add(&out, &check{id: n + ".enum." + el.name + ".message", op: r.create, element: el.name, level: Should, mutates: true,
				source: r.sp.source("#/info/description"),
				title:  fmt.Sprintf("The 400 for a value outside the set of %s lists the allowed values.", el.name),
				run:    func(c *cctx) { r.checkEnumMessage(c, el) }})
		}
	}
	out = append(out, readOnlyFamily(r, "A value sent for the output-only %s on create or update is accepted and ignored.")...)
	out = append(out, inputFamily(r)...)
	out = append(out, chainFamily(r)...)
	r.kf.add(&out, &check{id: n + ".update.put", op: r.put, source: r.opSource(r.put, ""), mutates: true,
		title: "PUT changes the elements sent, leaves the others as they are, and show reads the change back.",
		run:   func(c *cctx) { r.checkUpdate(c, r.put, http.MethodPut) }})
	if r.patch != "" {
		r.kf.add(&out, &check{id: n + ".update.patch", op: r.patch, source: r.opSource(r.patch, ""), mutates: true,
			title: "PATCH changes the elements sent, leaves the others as they are, and show reads the change back.",
			run:   func(c *cctx) { r.checkUpdate(c, r.patch, http.MethodPatch) }})
	}
	if slices.ContainsFunc(r.els, func(e element) bool { return e.name == "updated-at" }) {
		r.kf.add(&out, &check{id: n + ".update.updated-at", op: r.update(), element: "updated-at", level: Should, mutates: true,
			source: r.sp.source(schemaPointer(r.schema) + "/properties/updated-at"),
			title:  "updated-at never moves back on a change of the record, and moves forward unless the change came within the second shown (Coupa shows it to the second), so integrations can poll with it.",
			run:    r.checkUpdatedAt})
	}
	r.kf.add(&out, &check{id: n + ".update.not-found", op: r.put, source: r.opSource(r.put, "/responses/404"), mutates: true,
		title: "Every update and action of an unknown id answers 404.", run: r.checkUpdateNotFound})
	if r.resolve != "" && r.unresolve != "" {
		r.kf.add(&out, &check{id: n + ".resolve", op: r.resolve, element: "resolved", source: r.opSource(r.resolve, "/description"), mutates: true,
			title: "resolve sets resolved to true, as show then reads; resolving twice is harmless.", run: r.checkResolve})
		r.kf.add(&out, &check{id: n + ".unresolve", op: r.unresolve, element: "resolved", source: r.opSource(r.unresolve, "/description"), mutates: true,
			title: "unresolve sets resolved back to false, as show then reads.", run: r.checkUnresolve})
	}
	if r.alertAndExport != "" {
		r.kf.add(&out, &check{id: n + ".create-alert-and-mark-exported", op: r.alertAndExport, mutates: true,
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
		r.kf.add(&out, &check{id: n + "." + a.name, op: a.op, element: a.flag, source: r.opSource(a.op, "/description"), mutates: true,
			title: fmt.Sprintf("%s marks every record named in ids (%s true, %s set, where shown) and returns them in the order given.", a.name, a.flag, a.at),
			run:   func(c *cctx) { r.checkIDAction(c, a.op, a.flag, a.at) }})
		r.kf.add(&out, &check{id: n + "." + a.name + ".unknown-id", op: a.op, source: r.opSource(a.op, "/description"), mutates: true,
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
