package mock

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/gen/sourcing"
	"github.com/coupakit/coupakit/internal/faults"
	"github.com/coupakit/coupakit/internal/persist"
	"github.com/coupakit/coupakit/internal/tenant"
	"github.com/coupakit/coupakit/internal/verify"
	"github.com/coupakit/coupakit/openapi"
)

// Options configure a Mock. The zero value is usable: seed 0, no records.
type Options struct {
	// Seed makes the fake data deterministic: the same seed gives the same
	// records. The CLI's default is 1.
	Seed int64
	// Records is how many records of each resource are seeded.
	Records int
	// MaxBodyBytes bounds request bodies (DefaultMaxBodyBytes when 0).
	MaxBodyBytes int64
	// Now is the clock for server-set timestamps (time.Now when nil).
	Now func() time.Time
	// Auth, when set, puts Coupa's authentication in front of both APIs:
	// OAuth 2.0 client credentials at POST /oauth2/token and scoped bearer
	// tokens on the Core API, X-CSO-API-KEY on the Sourcing API. When nil
	// every request passes, which suits tests in process.
	Auth *auth.Config
	// AdminToken, when set, is wanted by every /_mock/ route but
	// GET /_mock/health, as `Authorization: Bearer <token>`; `coupakit
	// serve` sets one whenever it listens beyond loopback.
	AdminToken string
	// BodyTimeout is how long a request body may take to arrive before the
	// request is answered 408 (DefaultBodyTimeout when 0, none when
	// negative).
	BodyTimeout time.Duration
	// MaxBodyReaders bounds the request bodies read at once; past it a
	// request with a body is answered 503 (DefaultMaxBodyReaders when 0).
	MaxBodyReaders int
	// MaxTenants bounds the tenants (tenant.DefaultMax, 1,000, when 0);
	// a request naming one more is refused with 429.
	MaxTenants int
	// DataFile, when set, is a fixtures file (JSON, or YAML when it ends
	// in .yaml or .yml; the format of GET /_mock/state) loaded on top of
	// the Records seeded records (a fixture with the id of a seeded record
	// replaces it), or alone when Records is 0, in every tenant. An
	// invalid file fails New with an error naming the file, the record and
	// the element.
	DataFile string
	// StateFile, when set, keeps the default tenant's state across
	// restarts: loaded by New when it exists (a file that cannot be read
	// or parsed fails New), written atomically shortly after every change
	// and by Close.
	StateFile string
	// OnSaveError hears of failed writes of StateFile (nil: ignored until
	// Close reports the last one).
	OnSaveError func(error)
	// Faults are the start-up fault rules (serve --fault, --faults):
	// checked by New, in force from the start, and put back by Reset.
	Faults []FaultRule
	// Latency is the start-up global latency (PUT /_mock/settings), put
	// back by Reset.
	Latency Latency
	// Strict refuses what Coupa reads leniently (element names with
	// underscores, numeric and boolean strings, unknown elements, respelt
	// names in fields and order_by): each is a 400 naming the element.
	// Without it the mock reads requests as Coupa does and reports each
	// leniency in a Coupakit-Warning header and the journal.
	Strict bool
	// Location is the instance's time zone: datetimes are written in it,
	// with its offset (UTC when nil). Filters compare instants, whatever
	// the zone of the value sent.
	Location *time.Location
}

// Mock serves the Core and Sourcing APIs over one shared in-memory state.
type Mock struct {
	opts     Options
	auth     *auth.Authority
	now      func() time.Time
	core     http.Handler
	sourcing http.Handler
	outgoing outgoing
	// def is the default tenant, tenants the named ones (tenants.go).
	def     *tenantData
	tenants *tenant.Registry[*tenantData]
	// noAnswerCache turns the answer cache off (answers.go), for tests
	// that hold its answers to the handlers'; answerHits counts the reads
	// it answered.
	noAnswerCache bool
	answerHits    atomic.Int64
	// fixtures is the checked DataFile, loaded into every fresh state;
	// saver writes StateFile (persist.go).
	fixtures *stateDoc
	saver    *persist.Saver
	// claims names each operation's resource; runtimes holds each
	// resource's run-time part by its registry index.
	claims   map[string]*resourceDef
	runtimes []any
	// bodySlots holds a token per request body being read (bodyGuard).
	bodySlots chan struct{}
	docs      map[string]*openapi3.T // the specs, by API
	// lastStamp is the newest stamp given, in Unix nanoseconds.
	lastStamp atomic.Int64
}

// New builds a Mock seeded from opts.
func New(opts Options) (*Mock, error) {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.BodyTimeout == 0 {
		opts.BodyTimeout = DefaultBodyTimeout
	}
	if opts.MaxBodyReaders <= 0 {
		opts.MaxBodyReaders = DefaultMaxBodyReaders
	}
	if opts.Records < 0 {
		return nil, fmt.Errorf("mock: records must not be negative, got %d", opts.Records)
	}
	m := &Mock{opts: opts, now: opts.Now, bodySlots: make(chan struct{}, opts.MaxBodyReaders)}
	if m.now == nil {
		m.now = time.Now
	}
	coreVal, err := openapi.CoreValidator()
	if err != nil {
		return nil, err
	}
	csoVal, err := openapi.SourcingValidator()
	if err != nil {
		return nil, err
	}
	docs := map[string]*openapi3.T{coreAPI: coreVal.Doc(), sourcingAPI: csoVal.Doc()}
	m.docs = docs
	if m.claims, err = claimAll(docs); err != nil {
		return nil, err
	}
	// Each tenant has its own fault engine (newTenant); the start-up
	// rules are checked here once, so that a bad one fails New.
	if _, err = newFaults(opts, docs); err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	m.runtimes = make([]any, len(registry))
	for _, d := range registry {
		if d.build == nil {
			continue
		}
		if m.runtimes[d.index], err = d.build(m, docs[d.api]); err != nil {
			return nil, err
		}
	}
	if opts.DataFile != "" {
		if m.fixtures, err = readStateFile(opts.DataFile, docs); err != nil {
			return nil, err
		}
	}
	if opts.Auth != nil {
		if m.auth, err = auth.New(*opts.Auth); err != nil {
			return nil, fmt.Errorf("mock: %w", err)
		}
	}

	c, s, err := m.newAPIs(coreVal, csoVal)
	if err != nil {
		return nil, err
	}
	m.core, m.sourcing = chain(c.handler, m.layers(c)), chain(s.handler, m.layers(s))
	if m.def, err = m.newTenant(""); err != nil {
		return nil, err
	}
	m.tenants = tenant.NewRegistry(opts.MaxTenants, m.newTenant)
	if err := m.openStateFile(docs); err != nil {
		return nil, err
	}
	return m, nil
}

// newAPIs builds the mock's two APIs, Core (c) and Sourcing (s), on the
// validators of their specs: their generated handlers, whose JSON answers
// list elements in the spec's order and whose reads are cached, the
// envelopes of their lenient bulk operations and their admin mux. New calls
// it once m's docs and authority are set; the pipeline's tests call it too,
// for the very APIs New builds.
func (m *Mock) newAPIs(coreVal, csoVal *openapi.Validator) (c, s *api, err error) {
	strictCore := core.StrictHTTPServerOptions{RequestErrorHandlerFunc: requestError, ResponseErrorHandlerFunc: responseError}
	strictCSO := sourcing.StrictHTTPServerOptions{RequestErrorHandlerFunc: requestError, ResponseErrorHandlerFunc: responseError}
	coreOrder, err := newJSONOrder(openapi.CoreYAML)
	if err != nil {
		return nil, nil, err
	}
	csoOrder, err := newJSONOrder(openapi.SourcingYAML)
	if err != nil {
		return nil, nil, err
	}
	coreOrder.loc, csoOrder.loc = m.opts.Location, m.opts.Location
	// The handlers' JSON answers list elements in the spec's order; a
	// read's answer is kept until the state changes (answers.go).
	coreMW := func(f core.StrictHandlerFunc, _ string) core.StrictHandlerFunc {
		return func(ctx context.Context, w http.ResponseWriter, r *http.Request, req any) (any, error) {
			return cachedRead(coreOrder, w, r, func() (any, error) { return f(ctx, w, r, req) })
		}
	}
	csoMW := func(f sourcing.StrictHandlerFunc, _ string) sourcing.StrictHandlerFunc {
		return func(ctx context.Context, w http.ResponseWriter, r *http.Request, req any) (any, error) {
			return cachedRead(csoOrder, w, r, func() (any, error) { return f(ctx, w, r, req) })
		}
	}
	c, s = &api{
		m: m, name: coreAPI, validator: coreVal, xml: true, projection: true, token: m.auth != nil,
		mediaTypes: "application/json or application/xml",
		handler: core.HandlerWithOptions(core.NewStrictHandlerWithOptions(&coreServer{m: m}, []core.StrictMiddlewareFunc{coreMW}, strictCore),
			core.StdHTTPServerOptions{ErrorHandlerFunc: requestError}),
	}, &api{
		m: m, name: sourcingAPI, validator: csoVal,
		mediaTypes: "application/json",
		handler: sourcing.HandlerWithOptions(sourcing.NewStrictHandlerWithOptions(&sourcingServer{m: m}, []sourcing.StrictMiddlewareFunc{csoMW}, strictCSO),
			sourcing.StdHTTPServerOptions{ErrorHandlerFunc: requestError}),
	}
	// The lenient bulk operations' envelopes (see api.envelopes).
	lenient := map[string][]string{}
	for _, d := range registry {
		lenient[d.api] = append(lenient[d.api], d.lenient...)
	}
	for _, a := range []*api{c, s} {
		if a.envelopes, err = newEnvelopes(m.docs[a.name], lenient[a.name]); err != nil {
			return nil, nil, err
		}
		a.adminMux = m.adminMux(a.token)
	}
	return c, s, nil
}

// CoreHandler serves the Core API (integration_errors,
// integration_history_records, integrations, integration_runs), its OAuth
// token endpoint when Options.Auth is set, and the admin API under /_mock/.
func (m *Mock) CoreHandler() http.Handler { return m.core }

// SourcingHandler serves the Sourcing API (events) and the admin API under
// /_mock/.
func (m *Mock) SourcingHandler() http.Handler { return m.sourcing }

// Reset puts every tenant's store back to its seeded state (with the
// fixtures of Options.DataFile), empties the journals, puts each tenant's
// fault rules and latency back to those of Options, and the SFTP faults to
// none.
func (m *Mock) Reset() {
	_ = m.resetAll()
	m.resetSFTPFaults()
}

// freshState is a tenant's state at its start: the seeded records, then
// the fixtures.
func (m *Mock) freshState() (*state, error) {
	st := newState(m.opts.Seed, m.opts.Records)
	if m.fixtures != nil {
		// With no records asked for, the fixtures alone: not even the
		// integrations every seed has.
		if err := m.load(st, m.fixtures, m.opts.Records > 0); err != nil {
			return nil, fmt.Errorf("mock: %s: %w", m.opts.DataFile, err)
		}
	}
	return st, nil
}

// Alerts returns every alert of the default tenant recorded since start or
// the last Reset.
func (m *Mock) Alerts() []Alert { return m.def.state.Load().alerts.all() }

// Integrations returns the integrations records of the default tenant may
// reference, with their contacts. The records are copies, but what their
// pointers point to is the store's, shared with other records: read it, and
// replace a pointer rather than write through it.
func (m *Mock) Integrations() []core.IntegrationResource {
	out, _ := m.def.state.Load().integrations().list(nil, 0, math.MaxInt, false)
	return out
}

// stamp returns the time of a change of a record last changed at prev: the
// clock's time, kept to the nanosecond though Coupa shows it to the second,
// and after every stamp given before (prev included) by a nanosecond when
// the clock has not moved on. updated-at so never runs ahead of the clock,
// and every change is stamped after what any earlier read showed: a client
// that polls with updated-at[gt] (or [gt_or_eq]) and the last value it saw
// sees every later change at least once (a change in the second it saw
// may come twice: the filters compare instants, not the seconds shown).
func (m *Mock) stamp(prev *time.Time) time.Time {
	t := m.now().UTC().Round(0) // no monotonic reading: stamps are compared as instants
	if prev != nil && !t.After(*prev) {
		t = prev.Add(time.Nanosecond)
	}
	for {
		last := m.lastStamp.Load()
		if t.UnixNano() <= last {
			t = time.Unix(0, last+1).UTC()
		}
		if m.lastStamp.CompareAndSwap(last, t.UnixNano()) {
			return t
		}
	}
}

// apiError is a domain error that the edge answers in the API's format.
type apiError struct {
	status int
	msgs   []string
}

func (e *apiError) Error() string { return fmt.Sprint(e.msgs) }

func badRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, msgs: []string{fmt.Sprintf(format, args...)}}
}

func notFound(format string, args ...any) error {
	return &apiError{status: http.StatusNotFound, msgs: []string{fmt.Sprintf(format, args...)}}
}

// requestError answers a request the generated code could not decode.
func requestError(w http.ResponseWriter, r *http.Request, err error) {
	writeErrors(w, http.StatusBadRequest, resourceOf(r), err.Error())
}

// responseError answers a handler's error: an apiError with its own status,
// anything else as 500 (a bug in the mock, never bad input).
//
// When the answer has begun, the error is the write's (the client left):
// nothing more can reach the client, so nothing more is written.
func responseError(w http.ResponseWriter, r *http.Request, err error) {
	if a, ok := w.(interface{ answered() bool }); ok && a.answered() {
		return
	}
	var ae *apiError
	if errors.As(err, &ae) {
		writeErrors(w, ae.status, resourceOf(r), ae.msgs...)
		return
	}
	writeErrors(w, http.StatusInternalServerError, resourceOf(r), "internal error: "+err.Error())
}

// resourceOf names the resource of the request's operation, as its errors
// show it: "request" when no resource's operation matched.
func resourceOf(r *http.Request) string {
	if rt := RouteOf(r.Context()); rt != nil && rt.Resource != "" {
		return rt.Resource
	}
	return "request"
}

// claimAll claims every operation of every API's spec for its resource.
func claimAll(docs map[string]*openapi3.T) (map[string]*resourceDef, error) {
	out := map[string]*resourceDef{}
	for api, doc := range docs {
		claims, err := claim(api, doc, registry)
		if err != nil {
			return nil, err
		}
		maps.Copy(out, claims)
	}
	return out, nil
}

// queryOf returns the request's query parameters, as validated (with the
// spec's defaults), which the validation layer puts in the request's Route
// for the list handlers' filters.
func queryOf(ctx context.Context) url.Values {
	if rt := RouteOf(ctx); rt != nil {
		return rt.query
	}
	return nil
}

// Authority returns the mock's authentication, or nil when it has none.
func (m *Mock) Authority() *auth.Authority { return m.auth }

// adminMux serves the admin API under /_mock/ (never behind
// authentication, never journaled) and, when asked, the OAuth token
// endpoint.
func (m *Mock) adminMux(token bool) http.Handler {
	mux := http.NewServeMux()
	if token {
		mux.HandleFunc("/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
			td, err := m.getTenant(tenant.Name(r.Context()))
			if err != nil {
				m.refuseTenant(w, err)
				return
			}
			td.token.ServeHTTP(w, r)
		})
	}
	mux.HandleFunc("GET /_mock/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	// Tenants, fixtures and state (tenants.go, state.go).
	mux.HandleFunc("POST /_mock/reset", m.serveReset)
	mux.HandleFunc("GET /_mock/tenants", m.listTenants)
	mux.HandleFunc("DELETE /_mock/tenants/{name}", m.deleteTenant)
	mux.HandleFunc("GET /_mock/state", m.getState)
	mux.HandleFunc("PUT /_mock/state", m.putState)
	mux.HandleFunc("GET /_mock/alerts", func(w http.ResponseWriter, r *http.Request) {
		if td, ok := m.adminLookup(w, r); ok {
			writeJSON(w, http.StatusOK, td.state.Load().alerts.all())
		}
	})
	mux.HandleFunc("POST /_mock/sftp/outgoing/{object}", m.dropOutgoing)
	mux.HandleFunc("GET /_mock/requests", m.listRequests)
	mux.HandleFunc("DELETE /_mock/requests", func(w http.ResponseWriter, r *http.Request) {
		if td, ok := m.adminLookup(w, r); ok {
			td.journal.clear()
			w.WriteHeader(http.StatusNoContent)
		}
	})
	// Faults, latency, verify and SFTP faults (issue 10).
	faults.RegisterFunc(mux, m.adminFaults)
	verify.RegisterFunc(mux, m.adminRecords)
	m.registerSFTPFaults(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeErrors(w, http.StatusNotFound, "request", fmt.Sprintf("no admin operation matches %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// Alert is an alert the mock recorded for an integration's contacts, as
// create_alert and create_alert_and_mark_exported do.
type Alert struct {
	ID               int64     `json:"id"`
	CreatedAt        time.Time `json:"created-at"`
	Resource         string    `json:"resource"`
	RecordID         int64     `json:"record-id"`
	IntegrationCode  string    `json:"integration-code,omitempty"`
	ContactAlertType string    `json:"contact-alert-type"`
	Recipients       []string  `json:"recipients"`
	Message          string    `json:"message"`
}

type alertLog struct {
	mu   sync.Mutex
	list []Alert
}

func (l *alertLog) add(a Alert) Alert {
	l.mu.Lock()
	defer l.mu.Unlock()
	a.ID = int64(len(l.list) + 1)
	l.list = append(l.list, a)
	return a
}

func (l *alertLog) all() []Alert {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Alert{}, l.list...)
}

// state is everything a Reset puts back: each resource's table, by its
// registry index, and what the resources share.
type state struct {
	tables []any
	users  []core.User
	// apiUser is the API user: one copy, which every record the API user
	// made or changed points to (no record is written through a pointer).
	apiUser     *core.User
	alerts      alertLog
	responseSeq atomic.Int64
	eventNumber atomic.Int64
	// sftp is the SFTP files of the state format, kept as loaded;
	// sftpReplace says they replace the SFTP tree's files (a whole state)
	// rather than join them (fixtures). See sftpfiles.go.
	sftp        []SFTPFile
	sftpReplace bool
	// gen counts the changes to the tables; answers holds encoded answers
	// to reads made since the last one (answers.go).
	gen     atomic.Uint64
	answers answerCache
}

// integration resolves a reference to an integration, by id or code (both
// must agree when both are given), into the reference a record shows.
func (s *state) integration(ref *core.Integration) (*core.Integration, error) {
	var in core.IntegrationResource
	var ok bool
	switch {
	case ref.Id != nil:
		in, ok = s.integrations().get(*ref.Id)
		ok = ok && (ref.Code == nil || *ref.Code == in.Code)
	case ref.Code != nil:
		in, ok = s.integrations().find(func(r *core.IntegrationResource) bool { return r.Code == *ref.Code })
	default:
		return nil, badRequest("integration: give its id or code")
	}
	if ok {
		return &core.Integration{Id: in.Id, Code: ptr(in.Code), Name: ptr(in.Name)}, nil
	}
	switch {
	case ref.Id != nil && ref.Code != nil:
		return nil, badRequest("integration: no integration has id %d and code %q", *ref.Id, *ref.Code)
	case ref.Id != nil:
		return nil, badRequest("integration: no integration has id %d", *ref.Id)
	}
	return nil, badRequest("integration: no integration has code %q", *ref.Code)
}

func ptr[T any](v T) *T { return &v }

func formatID(id int64) string { return strconv.FormatInt(id, 10) }
