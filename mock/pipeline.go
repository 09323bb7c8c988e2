package mock

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/internal/faults"

	"github.com/coupakit/coupakit/openapi"
)

// A layer is one step of the request pipeline: it wraps the rest of the
// pipeline, sees the request before the layers after it and their answer
// after them. A layer that does not apply to an API returns next itself.
type layer func(next http.Handler) http.Handler

// layers lists, outermost first, what every request to an API goes
// through before the generated handler. This list is the one place where
// the order is decided: to add a behaviour, write a small layer (a method
// of *Mock or *api returning a layer, in its own file, with its own test)
// and put it in the list at the place the comments name.
func (m *Mock) layers(a *api) []layer {
	return []layer{
		// Tenant name: a /t/{tenant} prefix comes off the path before
		// routing; the name (or the X-Coupakit-Tenant header's) rides in
		// the context (tenants.go).
		m.tenantName(a),
		// Route: the request's spec operation, found once; the route,
		// operation and resource ride in the context (RouteOf).
		a.route,
		// Guards (issue 12): every request body, admin routes' included,
		// is bounded in time (408) and in number (503); the admin routes
		// want the admin token when the mock has one (401).
		m.bodyGuard,
		m.adminGuard,
		// Admin: /_mock/* and /oauth2/token leave the pipeline here,
		// unjournaled (the token body holds the client's secret).
		m.admin(a),
		// Tenant: the tenant's data (records, journal, tokens), made on
		// first use, in the context (m.tenantOf).
		m.tenantLayer(a),
		// Changes: a change to the default tenant schedules a write of
		// the state file (persist.go).
		m.changes(a),
		// Journal: what the client sent, as sent (the query, the headers with
		// credentials redacted, the first 16 KiB of the body, read here), and
		// the status.
		m.journalLayer(a),
		// Faults and latency (package faults): inside the journal, which
		// marks what they applied and whose writer lets a reset take the
		// connection; outside the format layer, whose buffering writer
		// would not (their error answers are written in the client's
		// format by the layer itself).
		m.faultLayer(a),
		// Further control-plane layers go here: after the
		// journal, so that it shows what they did, and before the format,
		// so that their answers come in the format the client asked for.
		//
		// Format: the Core API answers XML unless the client prefers JSON;
		// outside authentication, so that its refusals come in XML too.
		a.answerXML,
		// Authentication, scopes and the rate limit (package auth).
		m.authenticate(a),
		// XML bodies become JSON, after authentication so that an
		// unauthenticated body is never parsed.
		a.readXML,
		// Leniency: names and values read as Coupa reads them, each
		// reported in a Coupakit-Warning header (leniency.go).
		a.lenient,
		// Other warnings layers go here, before validation.
		//
		// Validation: 404 and 405, the body's size and type, the contract.
		a.validate,
		// Projection: return_object and fields reshape the answer.
		a.project,
		// Answers: a read the answer cache holds is answered here, with
		// the bytes the handler gave (answers.go).
		a.answers,
		// Then the generated handler, whose JSON answers list elements in
		// the spec's order (encode.go).
	}
}

// chain wraps h in layers, the first outermost.
func chain(h http.Handler, layers []layer) http.Handler {
	for i := len(layers) - 1; i >= 0; i-- {
		h = layers[i](h)
	}
	return h
}

// api is one of the mock's APIs: its spec's validator, its generated
// handler, and how its layers behave on it.
type api struct {
	m         *Mock
	name      string // coreAPI or sourcingAPI
	validator *openapi.Validator
	handler   http.Handler
	// xml: the API speaks XML as well as JSON (Core); projection: it
	// takes return_object and fields (Core).
	xml, projection bool
	// mediaTypes names the request bodies the API takes, for the 415.
	mediaTypes string
	// token: the OAuth token endpoint is served on this API.
	token bool
	// envelopes holds, for the lenient bulk operations, a copy of the body
	// schema whose items accept anything: the handler validates each item
	// on its own so one bad item does not reject the others.
	envelopes map[string]*openapi3.Schema
	// admin serves /_mock/* (and the token endpoint) on this API.
	adminMux http.Handler
}

// Route is what the pipeline's outermost layer found for a request.
type Route struct {
	// API is "core" or "sourcing".
	API string
	// Match is the spec operation and its path parameters; nil when no
	// operation matches (Err says why).
	Match *openapi.Match
	// Err is openapi.ErrNoOperation or openapi.ErrMethodNotAllowed when
	// Match is nil.
	Err error
	// Resource is the matched operation's resource: its singular wire
	// name, "integration-error"; "" when Match is nil.
	Resource string

	def   *resourceDef
	query url.Values // the validated query, set by the validation layer
	// decoded is the JSON body the leniency layer decoded and left as
	// sent (raw), which the validation layer checks without decoding it
	// again.
	decoded *decodedBody
	// faults is what the faults layer applied, for the journal.
	faults faults.Report
	// body is the request body as the body guard bounds it, nil for a
	// request without one.
	body *guardedBody
	// keep, set by the answers layer on a read it may keep, takes the
	// handler's answer when it went out in one piece.
	keep func(status int, body []byte)
	// tenant is the request's tenant's data, set by the tenant layer (the
	// default tenant's too); nil before it (m.tenantOf).
	tenant *tenantData
}

// decodedBody is a JSON body as sent and as decoded with UseNumber; value
// is nil when the leniency layer found the body conforming on its bytes
// (a request checker's verdict) and did not decode it.
type decodedBody struct {
	raw   []byte
	value any
	// body is the request body the leniency layer put back, which reads
	// raw and then the end of the body; checked: raw passes checkBody
	// with numbers checked.
	body    io.ReadCloser
	checked bool
}

// OperationID is the matched operation's id, "" when none matched.
func (rt *Route) OperationID() string {
	if rt == nil || rt.Match == nil {
		return ""
	}
	return rt.Match.OperationID()
}

type routeKey struct{}

// RouteOf returns the route the pipeline found for the request whose
// context this is, or nil outside the pipeline.
func RouteOf(ctx context.Context) *Route {
	if rc, ok := ctx.(*routeContext); ok { // the route layer's, as a rule
		return &rc.rt
	}
	rt, _ := ctx.Value(routeKey{}).(*Route)
	return rt
}

// withRoute returns ctx carrying rt.
func withRoute(ctx context.Context, rt *Route) context.Context {
	return context.WithValue(ctx, routeKey{}, rt)
}

// routeContext is the context the route layer gives a request: its parent
// with the route, held in place (one allocation for both).
type routeContext struct {
	context.Context
	rt    Route
	match openapi.Match
}

// Value returns the route for routeKey, else the parent's value.
func (c *routeContext) Value(key any) any {
	if key == (routeKey{}) {
		return &c.rt
	}
	return c.Context.Value(key)
}

// route finds the request's operation once and puts it in the context.
func (a *api) route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := &routeContext{Context: r.Context()}
		rt := &rc.rt
		rt.API = a.name
		if rt.Err = a.validator.RouteInto(r, &rc.match); rt.Err == nil {
			rt.Match = &rc.match
			if rt.def = a.m.claims[rt.Match.OperationID()]; rt.def != nil {
				rt.Resource = rt.def.Singular()
			}
		}
		next.ServeHTTP(w, r.WithContext(rc))
	})
}

// admin hands the admin routes and the token endpoint to the admin mux.
func (m *Mock) admin(a *api) layer {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isAdminPath(r.URL.Path) || (a.token && r.URL.Path == "/oauth2/token") {
				a.adminMux.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func isAdminPath(p string) bool { return p == "/_mock" || len(p) >= 7 && p[:7] == "/_mock/" }

// authenticate puts the auth package's checks in front of the API, when
// the mock has authentication.
func (m *Mock) authenticate(a *api) layer {
	return func(next http.Handler) http.Handler {
		if m.opts.Auth == nil {
			return next
		}
		// Each tenant has its own authority (its own tokens), which wraps
		// next once per tenant, on the tenant's first request here.
		key := new(authedKey)
		wrap := func(au *auth.Authority) http.Handler {
			if a.name == sourcingAPI {
				return au.Sourcing(next)
			}
			return au.Core(next, nil)
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			td := m.tenantOf(r.Context())
			h, ok := td.authed.Load(key)
			if !ok {
				h, _ = td.authed.LoadOrStore(key, wrap(td.auth))
			}
			h.(http.Handler).ServeHTTP(w, r)
		})
	}
}

// project applies return_object and fields, on the APIs that take them.
func (a *api) project(next http.Handler) http.Handler {
	if !a.projection {
		return next
	}
	return projection{}.wrap(next)
}

// authedKey names one authenticate layer in a tenant's authed map.
type authedKey struct{ _ byte }
