package mock

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/openapi"
)

// widget is a test-only resource's record, as oapi-codegen would generate
// it from widgetSpec.
type widget struct {
	CreatedAt *time.Time `json:"created-at,omitempty"`
	Id        *int64     `json:"id,omitempty"`
	Name      string     `json:"name"`
	Size      *int64     `json:"size,omitempty"`
	UpdatedAt *time.Time `json:"updated-at,omitempty"`
}

type widgetUpdate struct {
	Name *string `json:"name,omitempty"`
	Size *int64  `json:"size,omitempty"`
}

// widgetSpec is the spec of the test-only resource: step 1 of adding one.
const widgetSpec = `
openapi: 3.0.3
info: {title: widgets, version: "1"}
paths:
  /api/widgets:
    get: {operationId: listWidgets, responses: {"200": {description: ok}}}
  /api/widgets/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
    get:
      operationId: showWidget
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Widget"}}}}
  /api/widgets/{id}/polish:
    parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
    put: {operationId: polishWidget, responses: {"200": {description: ok}}}
components:
  schemas:
    Widget:
      type: object
      properties:
        id: {type: integer, readOnly: true}
        created-at: {type: string, format: date-time, readOnly: true}
        updated-at: {type: string, format: date-time, readOnly: true}
        name: {type: string}
        size: {type: integer}
`

// widgets is the test-only resource's definition: what step 3 puts in
// mock/widgets.go.
func widgetsDef() *resourceDef {
	d := &resourceDef{api: coreAPI, name: "widgets", schema: "Widget", rank: 10}
	d.newTable = func() any { return newTable(func(w *widget) int64 { return *w.Id }, 1) }
	d.seedEach = func(sd *seeding, i int) {
		tableOf[widget](sd.st, d).seedRow(widget{Id: ptr(int64(i)), Name: sd.f.Noun(), Size: ptr(int64(sd.f.Number(1, 9)))})
	}
	d.build = func(m *Mock, doc *openapi3.T) (any, error) {
		return newResource[widget, widgetUpdate](m, doc, d, func(w *widget) shared {
			return shared{id: &w.Id, createdAt: &w.CreatedAt, updatedAt: &w.UpdatedAt, createdBy: new(*core.User), updatedBy: new(*core.User)}
		}, fields[widget, widgetUpdate]{
			clear: func(w *widget) { w.Id, w.CreatedAt, w.UpdatedAt = nil, nil, nil },
			apply: func(w *widget, u *widgetUpdate) { set(&w.Name, u.Name); setPtr(&w.Size, u.Size) },
		})
	}
	return d
}

// registerWidgets registers the widgets resource as its file's init would,
// but in a registry of its own, which puts it at index 0 (the tests seed
// and serve it alone), and puts the package's registry back.
func registerWidgets() *resourceDef {
	saved := registry
	defer func() { registry = saved }()
	registry = nil
	d := widgetsDef()
	register(d)
	return d
}

func loadWidgetSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(widgetSpec))
	require.NoError(t, err)
	require.NoError(t, doc.Validate(loader.Context))
	return doc
}

func TestRegistryNamesEveryResource(t *testing.T) {
	want := map[string][4]string{
		"integration_errors":          {"/api/integration_errors", "integration-errors", "integration-error", "integration error"},
		"integration_history_records": {"/api/integration_history_records", "integration-history-records", "integration-history-record", "integration history record"},
		"integrations":                {"/api/integrations", "integrations", "integration", "integration"},
		"integration_runs":            {"/api/integration_runs", "integration-runs", "integration-run", "integration run"},
		"events":                      {"/api/events", "events", "event", "event"},
	}
	require.Len(t, registry, len(want))
	for i, d := range registry {
		w, ok := want[d.name]
		require.True(t, ok, "unexpected resource %s", d.name)
		assert.Equal(t, w, [4]string{d.Path(), d.Plural(), d.Singular(), d.Human()}, d.name)
		assert.Equal(t, i, d.index)
		assert.NotNil(t, d.build, "%s builds its run-time part", d.name)
	}
}

func TestEverySpecOperationIsClaimed(t *testing.T) {
	for api, load := range map[string]func() (*openapi3.T, error){coreAPI: openapi.Core, sourcingAPI: openapi.Sourcing} {
		doc, err := load()
		require.NoError(t, err)
		claims, err := claim(api, doc, registry)
		require.NoError(t, err)
		n := 0
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				n++
				d := claims[op.OperationID]
				require.NotNil(t, d, op.OperationID)
				assert.Equal(t, api, d.api)
			}
		}
		assert.Len(t, claims, n)
	}
	m, err := New(Options{})
	require.NoError(t, err)
	for op, want := range map[string]string{"acknowledgeIntegrationHistoryRecords": "integration-history-record",
		"failIntegrationRun": "integration-run", "showIntegration": "integration", "deleteEvents": "event"} {
		if assert.NotNil(t, m.claims[op], op) {
			assert.Equal(t, want, m.claims[op].Singular(), op)
		}
	}
	assert.Nil(t, m.claims["noSuchOperation"], "no silent fallback to another resource")
}

// TestRegisterRefusesASharedNameOrRankOrNoTable registers test-only
// resources next to the package's own, in a copy of the registry that the
// test puts back: a name or a rank already taken, or no table, panics and
// adds nothing; a resource with its own name and rank gets the next place
// and its singular.
func TestRegisterRefusesASharedNameOrRankOrNoTable(t *testing.T) {
	saved := registry
	t.Cleanup(func() { registry = saved })
	registry = slices.Clone(saved)

	sameRank := widgetsDef() // rank 10, the integrations'
	assert.PanicsWithValue(t, "mock: resources integrations and widgets share a name or a rank", func() { register(sameRank) })
	sameName := widgetsDef()
	sameName.name, sameName.rank = "events", 60
	assert.PanicsWithValue(t, "mock: resources events and events share a name or a rank", func() { register(sameName) })
	noTable := widgetsDef()
	noTable.rank, noTable.newTable = 60, nil
	assert.PanicsWithValue(t, "mock: resource widgets has no table", func() { register(noTable) })
	require.Len(t, registry, len(saved), "a refused resource is not added")

	d := widgetsDef()
	d.rank = 60
	register(d)
	require.Len(t, registry, len(saved)+1)
	assert.Same(t, d, registry[len(saved)])
	assert.Equal(t, len(saved), d.index, "its place in the registry, the state's tables and the runtimes")
	assert.Equal(t, "widget", d.singular)

	again := widgetsDef()
	again.rank = 70
	assert.PanicsWithValue(t, "mock: resources widgets and widgets share a name or a rank", func() { register(again) })
	assert.Len(t, registry, len(saved)+1)
}

// TestAddingAResource walks the package doc's steps with the test-only
// widgets resource: its spec alone is refused at start-up, its one
// definition, registered, claims its operations, names it, seeds it, and
// builds the generic store operations that serve it.
func TestAddingAResource(t *testing.T) {
	doc := loadWidgetSpec(t)
	_, err := claim(coreAPI, doc, registry)
	require.Error(t, err, "an operation no resource claims fails the start")
	assert.Contains(t, err.Error(), "GET /api/widgets (listWidgets)")
	assert.Contains(t, err.Error(), "GET /api/widgets/{id} (showWidget)")
	assert.Contains(t, err.Error(), "PUT /api/widgets/{id}/polish (polishWidget)")

	d := registerWidgets()
	claims, err := claim(coreAPI, doc, []*resourceDef{d})
	require.NoError(t, err)
	assert.Equal(t, map[string]*resourceDef{"listWidgets": d, "showWidget": d, "polishWidget": d}, claims)
	assert.Equal(t, []string{"widgets", "widget", "widget"}, []string{d.Plural(), d.Singular(), d.Human()})
	_, err = claim(sourcingAPI, doc, []*resourceDef{d})
	require.Error(t, err, "a resource claims only its own API's operations")

	m := &Mock{now: func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }}
	m.def = &tenantData{}
	m.def.state.Store(seedState([]*resourceDef{d}, 1, 3))
	built, err := d.build(m, doc)
	require.NoError(t, err)
	r, ok := built.(*resource[widget, widgetUpdate])
	require.True(t, ok, "build makes the generic Core resource")
	checkFields(t, doc, "Widget", r.fields)

	ctx := withRoute(context.Background(), &Route{query: url.Values{}})
	seeded, err := r.list(ctx, nil, nil)
	require.NoError(t, err)
	require.Len(t, seeded, 3, "seedEach seeded each record")

	made, err := r.create(ctx, &widget{Id: ptr(int64(99)), Name: "sprocket", Size: ptr(int64(4))})
	require.NoError(t, err)
	assert.Equal(t, int64(4), *made.Id, "the server sets the id: sent ones are read-only")
	assert.Equal(t, "2026-12-01T09:00:00Z", made.CreatedAt.Format(time.RFC3339))

	changed, err := r.update(ctx, 4, &widgetUpdate{Name: ptr("cog")})
	require.NoError(t, err)
	assert.Equal(t, "cog", changed.Name)
	assert.Equal(t, int64(4), *changed.Size, "an update keeps what it does not send")

	ctx = withRoute(context.Background(), &Route{query: url.Values{"name": {"cog"}}})
	found, err := r.list(ctx, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, []widget{changed}, found, "filters work on the new resource's elements")

	_, err = r.show(ctx, 42)
	var ae *apiError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, []string{"no widget has id 42"}, ae.msgs)
}

// widgetsAPI serves the widgets resource alone, as New would with its file
// added: the claims of the widget spec, its validator, the seeded state and
// the run-time part that build makes, on a Core API made the way testAPIs
// makes one.
func widgetsAPI(t *testing.T) (*api, *resourceDef) {
	t.Helper()
	doc := loadWidgetSpec(t)
	d := registerWidgets()
	v, err := openapi.NewValidator(doc)
	require.NoError(t, err)
	m := &Mock{opts: Options{MaxBodyBytes: DefaultMaxBodyBytes}, now: time.Now}
	m.claims, err = claim(coreAPI, doc, []*resourceDef{d})
	require.NoError(t, err)
	m.def = &tenantData{}
	m.def.state.Store(seedState([]*resourceDef{d}, 1, 3))
	m.runtimes = make([]any, 1)
	m.runtimes[d.index], err = d.build(m, doc)
	require.NoError(t, err)
	a := &api{m: m, name: coreAPI, validator: v, xml: true, projection: true, mediaTypes: "application/json or application/xml"}
	a.adminMux = m.adminMux(a.token)
	a.envelopes = map[string]*openapi3.Schema{}
	return a, d
}

// widgetHandler stands for the generated handler of the widget spec: the
// operations a resource file would implement, each a few lines over the
// generic ones, the resource reached with runtimeOf and its errors answered
// as the mock answers its handlers' (responseError).
func widgetHandler(m *Mock, d *resourceDef) layer {
	return func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			r := runtimeOf[*resource[widget, widgetUpdate]](m, d)
			rt := RouteOf(req.Context())
			var v any
			var err error
			switch rt.OperationID() {
			case "listWidgets":
				v, err = r.list(req.Context(), nil, nil)
			case "showWidget":
				raw, _ := rt.Match.PathParam("id")
				id, perr := strconv.ParseInt(raw, 10, 64)
				if perr != nil {
					requestError(w, req, perr)
					return
				}
				v, err = r.show(req.Context(), id)
			default:
				err = fmt.Errorf("no handler for %s", rt.OperationID())
			}
			if err != nil {
				responseError(w, req, err)
				return
			}
			writeJSON(w, http.StatusOK, v)
		})
	}
}

// TestWidgetsThroughThePipeline sends requests for the test-only widgets
// resource through the pipeline's route and validation layers, and then to
// a handler: the route names the widget resource, a refused request and a
// 404 come under the widget's error key, and the XML answers have its
// roots.
func TestWidgetsThroughThePipeline(t *testing.T) {
	a, d := widgetsAPI(t)
	require.Equal(t, "widget", d.Singular())
	for _, tc := range []struct{ method, target, op string }{
		{"GET", "/api/widgets", "listWidgets"},
		{"GET", "/api/widgets/2", "showWidget"},
		{"GET", "/api/widgets/42", "showWidget"},
		{"PUT", "/api/widgets/2/polish", "polishWidget"},
	} {
		rec, got := through([]layer{a.route, a.validate}, tc.method, tc.target, "")
		require.Equal(t, 299, rec.Code, "%s %s passes validation", tc.method, tc.target)
		rt := RouteOf(got.r.Context())
		require.NotNil(t, rt, "%s %s", tc.method, tc.target)
		assert.Equal(t, tc.op, rt.OperationID(), "%s %s", tc.method, tc.target)
		assert.Equal(t, d.Singular(), rt.Resource, "%s %s", tc.method, tc.target)
		assert.Same(t, d, rt.def, "%s %s", tc.method, tc.target)
	}

	rec, got := through([]layer{a.route, a.validate}, "GET", "/api/widgets/x", "")
	assert.Equal(t, 400, rec.Code)
	assert.Nil(t, got.r, "a refused request never reaches the handler")
	assert.JSONEq(t, `{"errors":{"widget":["id: \"x\" is not a valid integer"]}}`, rec.Body.String())

	rec, got = through([]layer{a.route, a.validate}, "GET", "/api/gadgets/1", "")
	assert.Equal(t, 404, rec.Code, "only the widget spec's paths are routed")
	assert.Nil(t, got.r)
	assert.JSONEq(t, `{"errors":{"request":["no operation matches GET /api/gadgets/1"]}}`, rec.Body.String())

	// End to end, in the pipeline's order: route, format, validation, handler.
	layers := []layer{a.route, a.answerXML, a.validate, widgetHandler(a.m, d)}
	want, err := runtimeOf[*resource[widget, widgetUpdate]](a.m, d).show(context.Background(), 2)
	require.NoError(t, err)
	rec, _ = through(layers, "GET", "/api/widgets/2", "", "Accept", "application/json")
	require.Equal(t, 200, rec.Code, rec.Body.String())
	var shown widget
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &shown))
	assert.Equal(t, want, shown, "the seeded widget, over HTTP")

	rec, _ = through(layers, "GET", "/api/widgets/42", "", "Accept", "application/json")
	assert.Equal(t, 404, rec.Code)
	assert.JSONEq(t, `{"errors":{"widget":["no widget has id 42"]}}`, rec.Body.String())

	// XML, the Core API's default. The roots come from the route's
	// resource; an unclaimed path would give the same names (its first
	// segment), so these show the answers' shape, the claim being shown
	// above.
	rec, _ = through(layers, "GET", "/api/widgets/2", "")
	require.Equal(t, 200, rec.Code, rec.Body.String())
	assert.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "application/xml"), rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), "<widget>")
	assert.Contains(t, rec.Body.String(), `<id type="integer">2</id>`)
	assert.Contains(t, rec.Body.String(), "<name>"+want.Name+"</name>")

	rec, _ = through(layers, "GET", "/api/widgets", "")
	require.Equal(t, 200, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `<widgets type="array">`)
	assert.Equal(t, 3, strings.Count(rec.Body.String(), "<widget>"), rec.Body.String())

	rec, _ = through(layers, "GET", "/api/widgets/42", "")
	assert.Equal(t, 404, rec.Code)
	assert.Contains(t, rec.Body.String(), "<error>no widget has id 42</error>")
}
