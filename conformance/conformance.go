// Package conformance judges any Coupa API endpoint (Coupa itself, a sandbox,
// coupakit's mock or another one) against coupakit's OpenAPI specs, the
// contract in package openapi.
//
// It depends on kin-openapi, the standard library and the embedded specs
// only, never on the generated code or the mock, so that it can judge any
// server. Like testing/slogtest, it has two entry points over one table of
// checks: [Check] runs the suite from a program (the `coupakit check`
// command) and returns a [Report]; [Run] runs each check as a subtest, so
// another Go repository can gate its own mock or sandbox from `go test`.
//
// Every check has a stable ID, a [Level] and the spec element it comes from.
// The checks are derived from the specs where the specs allow it (required
// elements, enums, read-only elements, documented statuses, the elements a
// filter, an order or a projection can name), so the suite follows the specs
// when they grow; the behaviour the specs state in words (round trips,
// resolve, lenient bulk requests, paging, the query language, XML,
// authentication and scopes, the life of an integration run) is checked by
// hand written checks. The query checks prove that a filter returns exactly
// the matching records: they know every record of a universe (records the
// run creates with chosen values, or the first records of the index),
// compute the matches themselves and compare. Every response of every operation the run exercises is
// validated against the spec, and reported per operation by the checks
// named "<resource>.response.<operationId>".
//
// A full run creates records, marked with an external-id, code or
// reference-number that starts with [MarkerPrefix] and contains the run ID;
// it deletes the events it created (the Core API has no delete). With
// Target.ReadOnly, only the checks that change nothing run, so a read-only
// run is safe against production: it sends GET requests only (and, with
// client credentials, token requests).
//
// Whoever certifies states the authentication the target must enforce
// (Target.Auth): Coupa's ([AuthOAuth]: an OAuth token, given or fetched
// with client credentials, for the Core API, the X-CSO-API-KEY for the
// Sourcing API), or none ([AuthNone]). It is never inferred from the
// target's answers: a target that answers an unauthenticated request when
// authentication is expected fails "auth.required".
//
// Before any check, a probe sends one harmless request to each API: a
// target that cannot be reached ([ErrUnreachable]), that is not a Coupa API
// ([ErrNotCoupa]) or that refuses the credentials ([ErrAuth]) ends the run
// with one error.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// MarkerPrefix starts the external-id (Core API) or reference-number
// (Sourcing API) of every record a run creates; the run ID follows it.
const MarkerPrefix = "coupakit-conformance-"

// Level says how binding a check is.
type Level string

const (
	// Must marks a rule the specs state: a failure fails the run.
	Must Level = "must"
	// Should marks a rule the documents are uncertain about, or that Coupa
	// itself is known to break: a failure is reported but does not fail the
	// run, unless the run is [Strict].
	Should Level = "should"
)

// Status is the outcome of one check.
type Status string

const (
	// Pass means the target did what the spec says.
	Pass Status = "pass"
	// Fail means the target broke the rule; the result says how.
	Fail Status = "fail"
	// Skip means the check did not run: a read-only run, an API without a
	// base URL, or nothing on the target to check it with.
	Skip Status = "skip"
)

// The errors of a target that cannot be checked at all, wrapped by the
// error [Check] returns.
var (
	// ErrUnreachable is for a target that does not answer.
	ErrUnreachable = errors.New("target cannot be reached")
	// ErrNotCoupa is for a target that answers, but not as a Coupa API
	// does: a web page, or no JSON on the API's index.
	ErrNotCoupa = errors.New("not a Coupa API")
	// ErrAuth is for a target that refuses the run's credentials, or the
	// token endpoint that refuses its client credentials.
	ErrAuth = errors.New("authentication failed")
)

// Auth is the authentication the certifier states the target enforces.
type Auth string

const (
	// AuthOAuth is Coupa's: OAuth 2.0 bearer tokens on the Core API,
	// X-CSO-API-KEY on the Sourcing API. Requests without them must be
	// answered 401.
	AuthOAuth Auth = "oauth"
	// AuthNone is a target without authentication (a local mock): the
	// checks of authentication are skipped.
	AuthNone Auth = "none"
)

// Target is the server to judge and how to talk to it.
type Target struct {
	// BaseURL is the Core API's base URL, such as
	// https://acme.coupahost.com. The Core API checks are skipped when it is
	// empty.
	BaseURL string
	// CSOBaseURL is the Sourcing (CSO) API's base URL, such as
	// https://acme.cso.coupahost.com. The Sourcing checks are skipped when
	// it is empty.
	CSOBaseURL string
	// Client sends the requests; nil means a client with a 30 s timeout
	// that does not follow redirects.
	Client *http.Client
	// Header is added to every request of both APIs, for authentication
	// such as the Sourcing API's X-CSO-API-KEY. Reports show its values
	// redacted.
	Header http.Header
	// Token, when set, is an OAuth access token for the Core API, sent to it
	// (and not to the Sourcing API) as "Authorization: Bearer <Token>".
	// Reports show it as $COUPAKIT_TOKEN. Give Token or ClientID, not both.
	Token string
	// ClientID and ClientSecret, when set, are OAuth 2.0 client credentials:
	// the run fetches its own access token from the Core API's token
	// endpoint (the spec's tokenUrl, POST /oauth2/token) with the client
	// credentials grant, fetches a new one shortly before it expires and
	// once when the Core API answers 401, and sends it as Token would be.
	// With them, the checks of the token endpoint and of the scopes run
	// too. Reports never show the secret or the tokens.
	ClientID, ClientSecret string
	// Scope is the space-separated scopes the run's token asks for; empty
	// asks for the client's default scopes.
	Scope string
	// CSOAPIKey, when set, is the Sourcing API's key, sent to it (and not to
	// the Core API) as X-CSO-API-KEY. Reports show it as
	// $COUPAKIT_CSO_API_KEY.
	CSOAPIKey string
	// Auth is the authentication the target must enforce. Empty means
	// AuthOAuth when the target has credentials (Token, ClientID,
	// CSOAPIKey or a credential in Header), else AuthNone.
	Auth Auth
	// Rate, when positive, paces the run at that many requests a second at
	// most (Coupa allows about 25 a second per client; 20 keeps under it).
	Rate float64
	// ReadOnly runs only the checks that change nothing on the target.
	ReadOnly bool
	// Only, when set, runs only the checks whose ID it matches. Response
	// checks judge the responses that the selected checks produced.
	Only *regexp.Regexp
	// RunID identifies the run in the markers of the records it creates
	// and in the report; empty means one made of the time and random bits.
	RunID string
	// Progress, when set, is called with each result as soon as it is known.
	Progress func(Result)
}

// Option changes how a run judges the target.
type Option func(*config)

type config struct {
	strict   bool
	core     *openapi3.T
	sourcing *openapi3.T
	now      func() time.Time                           // the token source's and the pacing's clock (tests)
	sleep    func(context.Context, time.Duration) error // the pacing's wait (tests)
}

// Strict makes a failed [Should] check fail the run, like a [Must] check.
func Strict() Option { return func(c *config) { c.strict = true } }

// WithCoreSpec judges the Core API against doc instead of the embedded
// openapi.Core(). The document is not changed.
func WithCoreSpec(doc *openapi3.T) Option { return func(c *config) { c.core = doc } }

// WithSourcingSpec judges the Sourcing API against doc instead of the
// embedded openapi.Sourcing(). The document is not changed.
func WithSourcingSpec(doc *openapi3.T) Option { return func(c *config) { c.sourcing = doc } }

// Result is the outcome of one check. It is not bound to HTTP: another
// family of checks (the SFTP checks, say) reports in the same shape, with
// its own API and operation names and its own requests, or none.
type Result struct {
	// ID is the check's stable identifier, "<resource>.<aspect>[...]".
	ID string `json:"id"`
	// Level says whether a failure fails the run.
	Level Level `json:"level"`
	// Status is pass, fail or skip.
	Status Status `json:"status"`
	// API is the family of the check: "core", "sourcing", or another
	// family's name ("sftp").
	API string `json:"api"`
	// Operation is what the check is about: the operationId of an HTTP
	// operation, or an operation of another family ("upload"); "-" for
	// none. The score and the reports group the checks by it.
	Operation string `json:"operation"`
	// Element is the data element the check is about, if any
	// ("contact-alert-type").
	Element string `json:"element,omitempty"`
	// Source is the spec element the rule comes from, as a file and JSON
	// pointer ("core.yaml#/components/schemas/IntegrationError/required").
	Source string `json:"source"`
	// Title states the rule in one sentence.
	Title string `json:"title"`
	// Message says why the check failed or was skipped, or what a passing
	// check saw.
	Message string `json:"message,omitempty"`
	// Enable, for a skipped check, says what would make it run ("start the
	// mock with --rate-limit"); the reports group the skips by Message and
	// Enable.
	Enable string `json:"enable,omitempty"`
	// Request is the request that showed the failure, as a curl command
	// (empty when no single request did, or the family has none).
	Request string `json:"request,omitempty"`
	// Problems lists every problem found; Message and Request repeat the
	// first.
	Problems []Problem `json:"problems,omitempty"`
	// Omitted counts the problems found beyond those in Problems.
	Omitted int `json:"omitted,omitempty"`
}

// Problem is one way in which the target broke a check's rule.
type Problem struct {
	// Message says what was wrong.
	Message string `json:"message"`
	// Request is the request that showed it, as a curl command (empty when
	// no single request did). Credentials are redacted.
	Request string `json:"request,omitempty"`
	// Response is an excerpt of the answer to Request: the status, the
	// Content-Type and the start of the body, credentials redacted.
	Response string `json:"response,omitempty"`
}

// Failed reports whether r failed in a way that fails the run: a failed
// [Must] check, or any failed check when strict is true.
func (r Result) Failed(strict bool) bool {
	return r.Status == Fail && (r.Level == Must || strict)
}

// Check runs the suite against target and reports every check. It returns
// an error, with a partial report, when the target is not usable: no base
// URL, a malformed one, or a target that cannot be reached (wrapping
// [ErrUnreachable]). A target that breaks the contract is not an error:
// see [Report.Passed].
func Check(ctx context.Context, target Target, opts ...Option) (Report, error) {
	s, err := newSuite(ctx, target, opts)
	if err != nil {
		return Report{}, err
	}
	if err := s.start(); err != nil {
		return s.report(), err
	}
	for _, it := range s.plan() {
		if err := ctx.Err(); err != nil {
			return s.report(), err
		}
		s.record(it.exec())
	}
	s.cleanup()
	for _, it := range s.finalPlan() {
		s.record(it.exec())
	}
	return s.report(), ctx.Err()
}

// Run runs the suite against target with each check as a subtest of t, in
// the manner of testing/slogtest.Run: a failed [Must] check (and, with
// [Strict], a failed [Should] check) fails its subtest with the problems and
// the curl commands that show them; a failed Should check is logged; a
// skipped check is skipped. Run stops t when the target cannot be reached.
func Run(t *testing.T, target Target, opts ...Option) {
	t.Helper()
	s, err := newSuite(t.Context(), target, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	runItem := func(it item) {
		t.Run(it.id, func(t *testing.T) {
			r := it.exec()
			s.record(r)
			switch {
			case r.Status == Skip:
				t.Skip(r.Message)
			case r.Failed(s.cfg.strict):
				t.Error(resultText(r))
			case r.Status == Fail:
				t.Logf("should-level check failed (not fatal without Strict):\n%s", resultText(r))
			}
		})
	}
	for _, it := range s.plan() {
		runItem(it)
	}
	s.cleanup()
	for _, it := range s.finalPlan() {
		runItem(it)
	}
}

// resultText words a failed result for a test log.
func resultText(r Result) string {
	msg := fmt.Sprintf("%s [%s] %s\n  rule: %s\n  spec: %s", r.ID, r.Level, r.Operation, r.Title, r.Source)
	for _, p := range r.Problems {
		msg += "\n  - " + p.Message
		if p.Request != "" {
			msg += "\n    " + p.Request
		}
	}
	if r.Omitted > 0 {
		msg += fmt.Sprintf("\n  (and %d more problems)", r.Omitted)
	}
	return msg
}
