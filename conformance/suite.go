package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/coupakit/coupakit/internal/wire"
	"github.com/coupakit/coupakit/openapi"
)

const (
	apiCore     = "core"
	apiSourcing = "sourcing"
)

// maxProblems bounds the problems kept per check; the rest are counted.
const maxProblems = 20

// suite is one run: the target, the specs, what the run has seen.
type suite struct {
	ctx    context.Context
	target Target
	cfg    config
	client *http.Client
	runID  string

	coreSpec, csoSpec *spec
	core, cso         *apiClient // nil when the API has no base URL

	results []Result
	stats   map[string]*opStats   // by api + " " + operationId
	enums   map[string]*enumStats // by resource + " " + element
	seq     int
	events  []string // ids of events the run created and has not deleted
	// throttled counts the answers 429 that were waited out and retried;
	// throttles says what each of them said about when to retry.
	throttled int
	throttles []throttleNote

	// now is the clock of the token source and the pacing; started is
	// when the run began.
	now     func() time.Time
	started time.Time
	// tokens fetches the Core API's token with the client credentials; nil
	// without them.
	tokens *tokenSource
	// auth is the authentication the target must enforce; coreAuth and
	// csoAuth say that each API must (both, with AuthOAuth).
	auth              Auth
	coreAuth, csoAuth bool
	// sleep waits for the pacing; nextSend is when the next request may
	// go, with Target.Rate.
	sleep    func(context.Context, time.Duration) error
	nextSend time.Time

	discovered  bool
	integration map[string]any // a reference to an existing integration
	runRef      any            // an existing integration-run-id
	marketID    string
}

// opStats is what the run saw of one operation.
type opStats struct {
	requests int
	statuses map[int]int
	problems []Problem // must: the response check
	errors   []Problem // should: Sourcing error bodies
	shape    []Problem // should: single-event PUT/DELETE bodies
	dropped  int
}

// enumStats is what the run did with one enum element.
type enumStats struct {
	resource, element string
	allowed           []string
	accepted          map[string]bool
	rejected          map[string]bool
}

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func newSuite(ctx context.Context, target Target, opts []Option) (*suite, error) {
	s := &suite{ctx: ctx, target: target, stats: map[string]*opStats{}, enums: map[string]*enumStats{}, now: time.Now}
	for _, o := range opts {
		o(&s.cfg)
	}
	if s.cfg.now != nil {
		s.now = s.cfg.now
	}
	s.started = s.now().UTC().Truncate(time.Second)
	s.sleep = sleepCtx
	if s.cfg.sleep != nil {
		s.sleep = s.cfg.sleep
	}
	if target.BaseURL == "" && target.CSOBaseURL == "" {
		return nil, errors.New("no base URL: set BaseURL (Core API), CSOBaseURL (Sourcing API) or both")
	}
	switch {
	case target.ClientID != "" && target.Token != "":
		return nil, errors.New("give a Token or client credentials (ClientID), not both")
	case target.ClientID != "" && target.ClientSecret == "":
		return nil, errors.New("ClientID without ClientSecret")
	case target.ClientID == "" && (target.ClientSecret != "" || target.Scope != ""):
		return nil, errors.New("ClientSecret or Scope without ClientID")
	case target.Rate < 0:
		return nil, fmt.Errorf("rate %v: want a positive number of requests a second, or 0 for no pacing", target.Rate)
	}
	switch target.Auth {
	case AuthOAuth, AuthNone:
		s.auth = target.Auth
	case "":
		s.auth = AuthNone
		if target.Token != "" || target.ClientID != "" || target.CSOAPIKey != "" || slices.ContainsFunc(sortedKeys(target.Header), credentialHeader) {
			s.auth = AuthOAuth
		}
	default:
		return nil, fmt.Errorf("auth %q: want %q or %q", target.Auth, AuthOAuth, AuthNone)
	}
	s.coreAuth, s.csoAuth = s.auth == AuthOAuth, s.auth == AuthOAuth
	s.runID = target.RunID
	if s.runID == "" {
		var b [3]byte
		_, _ = rand.Read(b[:])
		s.runID = time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
	}
	if !runIDPattern.MatchString(s.runID) {
		return nil, fmt.Errorf("run ID %q: use 1 to 64 letters, digits, '.', '_' or '-'", s.runID)
	}
	coreDoc, csoDoc := s.cfg.core, s.cfg.sourcing
	var err error
	if coreDoc == nil {
		if coreDoc, err = openapi.Core(); err != nil {
			return nil, err
		}
	}
	if csoDoc == nil {
		if csoDoc, err = openapi.Sourcing(); err != nil {
			return nil, err
		}
	}
	s.coreSpec = newSpec(apiCore, "core.yaml", coreDoc)
	s.csoSpec = newSpec(apiSourcing, "sourcing.yaml", csoDoc)
	if target.BaseURL != "" {
		if s.core, err = newAPIClient(s.coreSpec, target.BaseURL); err != nil {
			return nil, err
		}
	}
	if target.CSOBaseURL != "" {
		if s.cso, err = newAPIClient(s.csoSpec, target.CSOBaseURL); err != nil {
			return nil, err
		}
	}
	if target.ClientID != "" && s.core != nil {
		s.tokens = &tokenSource{s: s, url: s.tokenURL()}
	}
	s.client = target.Client
	if s.client == nil {
		s.client = &http.Client{
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return s, nil
}

// check is one entry of the table of checks.
type check struct {
	id      string
	title   string
	level   Level
	api     string
	op      string
	element string
	source  string
	mutates bool
	run     func(c *cctx)
}

// item is a check ready to run.
type item struct {
	id   string
	exec func() Result
}

// plan returns the checks this run selects, in order.
func (s *suite) plan() []item { return s.items(s.planChecks()) }

// planChecks returns every check of the plan, selected or not.
func (s *suite) planChecks() []*check {
	var checks []*check
	checks = append(checks, s.authChecks()...)
	checks = append(checks, s.coreChecks()...)
	checks = append(checks, s.sourcingChecks()...)
	return checks
}

// selected reports whether the run runs chk.
func (s *suite) selected(chk *check) bool {
	return s.target.Only == nil || s.target.Only.MatchString(chk.id)
}

// finalPlan returns the checks that judge every response the run saw, and
// the answers 429.
func (s *suite) finalPlan() []item {
	checks := s.responseChecks()
	checks = append(checks,
		s.rateLimitCheck(apiCore, "auth.rate-limit", s.coreSpec.source("#/components/responses/TooManyRequests")),
		s.rateLimitCheck(apiSourcing, eventsResource+".rate-limit", s.csoSpec.source("#/components/responses/TooManyRequests")))
	return s.items(checks)
}

func (s *suite) items(checks []*check) []item {
	var out []item
	for _, chk := range checks {
		if !s.selected(chk) {
			continue
		}
		out = append(out, item{id: chk.id, exec: func() Result { return s.runCheck(chk) }})
	}
	return out
}

// record keeps a result and reports progress.
func (s *suite) record(r Result) {
	s.results = append(s.results, r)
	if s.target.Progress != nil {
		s.target.Progress(r)
	}
}

// api returns the client of a check's API, nil when it has no base URL.
func (s *suite) api(name string) *apiClient {
	if name == apiCore {
		return s.core
	}
	return s.cso
}

type abort struct{}

// cctx is what a running check uses to talk to the target and to report.
type cctx struct {
	s        *suite
	chk      *check
	problems []Problem
	more     int
	skipped  string
	enable   string
	notes    []string
}

func (s *suite) runCheck(chk *check) Result {
	r := Result{ID: chk.id, Level: chk.level, API: chk.api, Operation: chk.op, Element: chk.element, Source: chk.source, Title: chk.title}
	switch {
	case s.api(chk.api) == nil && chk.api == apiCore:
		r.Status, r.Message, r.Enable = Skip, "no Core API base URL given", "give the Core API's base URL (--base-url)"
		return r
	case s.api(chk.api) == nil:
		r.Status, r.Message, r.Enable = Skip, "no Sourcing API base URL given", "give the Sourcing API's base URL (--cso-base-url)"
		return r
	case chk.mutates && s.target.ReadOnly:
		r.Status, r.Message, r.Enable = Skip, "read-only run: these checks create or change records", "a full run (without --read-only), against a sandbox"
		return r
	}
	c := &cctx{s: s, chk: chk}
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(abort); !ok {
					c.problems = append(c.problems, Problem{Message: fmt.Sprintf("internal error of the suite: %v\n%s", v, debug.Stack())})
				}
			}
		}()
		chk.run(c)
	}()
	switch {
	case len(c.problems) > 0:
		for i, p := range c.problems {
			c.problems[i] = Problem{Message: s.redact(p.Message), Request: s.redact(p.Request), Response: s.redact(p.Response)}
		}
		r.Status, r.Problems, r.Omitted = Fail, c.problems, c.more
		r.Message, r.Request = c.problems[0].Message, c.problems[0].Request
		if n := len(c.problems) - 1 + c.more; n > 0 {
			r.Message += fmt.Sprintf(" (and %d more)", n)
		}
	case c.skipped != "":
		r.Status, r.Message, r.Enable = Skip, c.skipped, c.enable
	default:
		r.Status, r.Message = Pass, strings.Join(c.notes, "; ")
	}
	return r
}

// errorf records a problem, shown by the request of ex when ex is not nil.
func (c *cctx) errorf(ex *exchange, format string, args ...any) {
	if len(c.problems) >= maxProblems {
		c.more++
		return
	}
	p := Problem{Message: fmt.Sprintf(format, args...)}
	if ex != nil {
		p.Request = ex.curl
		if ex.status != 0 {
			p.Response = ex.excerpt(600)
		}
	}
	c.problems = append(c.problems, p)
}

// fatalf records a problem and ends the check.
func (c *cctx) fatalf(ex *exchange, format string, args ...any) {
	c.errorf(ex, format, args...)
	panic(abort{})
}

// skipf ends the check as skipped.
func (c *cctx) skipf(format string, args ...any) {
	c.skipped = fmt.Sprintf(format, args...)
	panic(abort{})
}

// skipTo ends the check as skipped, saying what would make it run.
func (c *cctx) skipTo(enable, format string, args ...any) {
	c.enable = enable
	c.skipf(format, args...)
}

// notef adds to what a passing check reports.
func (c *cctx) notef(format string, args ...any) {
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
}

// do sends rq to the check's API; a request that cannot be sent ends the
// check.
func (c *cctx) do(rq request) *exchange {
	ex, err := c.s.send(c.s.api(c.chk.api), rq)
	if err != nil {
		if ex == nil {
			c.fatalf(nil, "%v", err)
		}
		c.fatalf(ex, "%s %s: no answer: %v", rq.method, rq.path, err)
	}
	return ex
}

// expect ends the check unless ex has one of the statuses.
func (c *cctx) expect(ex *exchange, what string, statuses ...int) {
	if slices.Contains(statuses, ex.status) {
		return
	}
	want := make([]string, len(statuses))
	for i, st := range statuses {
		want[i] = fmt.Sprint(st)
	}
	c.fatalf(ex, "%s: got %s; want %s", what, ex.summary(), strings.Join(want, " or "))
}

// object ends the check unless ex's body is a JSON object.
func (c *cctx) object(ex *exchange, what string) map[string]any {
	m, ok := ex.object()
	if !ok {
		c.fatalf(ex, "%s: the body is not a JSON object: %s", what, ex.summary())
	}
	return m
}

// array ends the check unless ex's body is a JSON array.
func (c *cctx) array(ex *exchange, what string) []any {
	a, ok := ex.array()
	if !ok {
		c.fatalf(ex, "%s: the body is not a JSON array: %s", what, ex.summary())
	}
	return a
}

// marker returns a new marker for the records one request creates.
func (s *suite) marker() string {
	s.seq++
	return fmt.Sprintf("%s%s-%d", MarkerPrefix, s.runID, s.seq)
}

// observe keeps what the run saw of an operation. The statuses of XML
// answers are not counted in the coverage: the spec documents the JSON
// (the XML checks judge them, and their statuses are judged here).
func (s *suite) observe(ex *exchange) {
	st := s.opStats(ex.api.spec.api, ex.op)
	st.requests++
	if !ex.wantXML || ex.api.spec.api != apiCore || !wire.IsXML(ex.header.Get("Content-Type")) {
		st.statuses[ex.status]++
	}
	add := func(list *[]Problem, msgs []string) {
		for _, m := range msgs {
			if len(*list) >= maxProblems {
				st.dropped++
				continue
			}
			*list = append(*list, Problem{Message: fmt.Sprintf("%s %s answered %d: %s", ex.method, strings.TrimPrefix(ex.url, ex.api.base), ex.status, m), Request: ex.curl})
		}
	}
	add(&st.problems, ex.problems)
	if ex.status >= 400 {
		add(&st.errors, ex.lenient)
	} else {
		add(&st.shape, ex.lenient)
	}
}

func (s *suite) opStats(api, op string) *opStats {
	key := api + " " + op
	st := s.stats[key]
	if st == nil {
		st = &opStats{statuses: map[int]int{}}
		s.stats[key] = st
	}
	return st
}

// enumStats returns the record of an enum element.
func (s *suite) enumStats(resource string, el element) *enumStats {
	key := resource + " " + el.name
	es := s.enums[key]
	if es == nil {
		es = &enumStats{resource: resource, element: el.name, allowed: el.enum(), accepted: map[string]bool{}, rejected: map[string]bool{}}
		s.enums[key] = es
	}
	return es
}

// cleanup deletes the events the run created and did not delete. Its
// requests are judged like any other.
func (s *suite) cleanup() {
	if s.cso == nil || len(s.events) == 0 {
		return
	}
	for chunk := range slices.Chunk(s.events, 100) {
		items := make([]any, len(chunk))
		for i, id := range chunk {
			items[i] = map[string]any{"id": id}
		}
		_, _ = s.send(s.cso, request{method: http.MethodDelete, path: "/api/events", body: map[string]any{"events": items}})
	}
	s.events = nil
}

// trackEvents remembers events the run created, for cleanup.
func (s *suite) trackEvents(ids ...string) { s.events = append(s.events, ids...) }

// untrackEvents forgets events the run deleted.
func (s *suite) untrackEvents(ids ...string) {
	s.events = slices.DeleteFunc(s.events, func(id string) bool { return slices.Contains(ids, id) })
}

// discover finds, once, what the created records can refer to: an
// existing integration and integration run (Core), a market (Sourcing).
// When the target has no integration or run and the run may write, it
// creates a marked one.
func (s *suite) discover() {
	if s.discovered {
		return
	}
	s.discovered = true
	if s.core != nil {
		s.discoverCore()
	}
	if s.cso != nil {
		ex, err := s.send(s.cso, request{method: http.MethodGet, path: "/api/events", query: url.Values{"limit": {"1"}}, valid: true})
		if err == nil {
			if m, ok := ex.object(); ok {
				if list, ok := m["events"].([]any); ok && len(list) > 0 {
					if ev, ok := list[0].(map[string]any); ok {
						s.marketID, _ = ev["market-id"].(string)
					}
				}
			}
		}
	}
	if s.marketID == "" {
		// The spec's own example.
		s.marketID = "9220538753220565329"
	}
}

// discoverCore finds an integration and a run to refer to: from their own
// indexes where the spec has them, else from the records that refer to
// them.
func (s *suite) discoverCore() {
	first := func(path string) map[string]any {
		if _, _, err := s.core.router.FindRoute(getRequest(s.core.base + path)); err != nil {
			return nil
		}
		ex, err := s.send(s.core, request{method: http.MethodGet, path: path, query: url.Values{"limit": {"1"}}, valid: true})
		if err != nil || ex.status != http.StatusOK {
			return nil
		}
		list, _ := ex.array()
		if len(list) == 0 {
			return nil
		}
		rec, _ := list[0].(map[string]any)
		return rec
	}
	create := func(path string, body map[string]any) map[string]any {
		if s.target.ReadOnly {
			return nil
		}
		ex, err := s.send(s.core, request{method: http.MethodPost, path: path, body: body, valid: true})
		if err != nil || ex.status != http.StatusCreated {
			return nil
		}
		rec, _ := ex.object()
		return rec
	}
	in := first("/api/integrations")
	if in == nil {
		m := s.marker()
		in = create("/api/integrations", map[string]any{"code": m, "name": "coupakit " + m})
	}
	if in != nil && in["id"] != nil {
		s.integration = map[string]any{"id": in["id"]}
	}
	run := first("/api/integration_runs")
	if run == nil && s.integration != nil {
		run = create("/api/integration_runs", map[string]any{"integration": s.integration})
	}
	if run != nil && run["id"] != nil {
		s.runRef = run["id"]
	}
	if s.integration != nil && s.runRef != nil {
		return
	}
	for _, path := range []string{"/api/integration_errors", "/api/integration_history_records"} {
		ex, err := s.send(s.core, request{method: http.MethodGet, path: path, query: url.Values{"limit": {"50"}}, valid: true})
		if err != nil {
			continue
		}
		list, _ := ex.array()
		for _, v := range list {
			rec, _ := v.(map[string]any)
			if in, ok := rec["integration"].(map[string]any); ok && s.integration == nil {
				if id, ok := in["id"]; ok {
					s.integration = map[string]any{"id": id}
				} else if code, ok := in["code"]; ok {
					s.integration = map[string]any{"code": code}
				}
			}
			if run, ok := rec["integration-run-id"]; ok && s.runRef == nil {
				s.runRef = run
			}
		}
	}
}

// getRequest is a GET request of target, for finding routes.
func getRequest(target string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	return req
}
