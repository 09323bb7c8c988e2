package conformance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/conformance"
	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/openapi"
	"github.com/getkin/kin-openapi/openapi3"
)

// TestRunAgainstMock gates the project's mock from go test, the way another
// repository would gate its own: each check is a subtest.
func TestRunAgainstMock(t *testing.T) {
	conformance.Run(t, serveMock(t, nil))
}

// assertFullCoverage shows that a full run exercised every operation of
// both specs, answered with its success status, and every allowed value of
// every enum, with the near misses integrations really send.
func assertFullCoverage(t *testing.T, report conformance.Report) {
	t.Helper()
	ops := 0
	for _, sp := range []func() (*openapi3.T, error){openapi.Core, openapi.Sourcing} {
		doc, err := sp()
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range doc.Paths.Map() {
			ops += len(item.Operations())
		}
	}
	if got := len(report.Coverage.Operations); got != ops {
		t.Errorf("coverage lists %d operations; the specs have %d", got, ops)
	}
	for _, oc := range report.Coverage.Operations {
		if oc.Requests == 0 {
			t.Errorf("%s %s (%s) was not exercised", oc.Method, oc.Path, oc.Operation)
		}
		if len(oc.Undocumented) > 0 {
			t.Errorf("%s answered undocumented statuses %v", oc.Operation, oc.Undocumented)
		}
		if len(oc.Exercised) == 0 || oc.Exercised[0] != oc.Documented[0] || oc.Documented[0] >= 300 {
			t.Errorf("%s: the success status %d was not answered (answered %v)", oc.Operation, oc.Documented[0], oc.Exercised)
		}
	}
	if len(report.Coverage.Enums) != 7 {
		t.Errorf("coverage lists %d enum elements; want 7 (contact-alert-type and document-type twice, direction, integration-type, state)", len(report.Coverage.Enums))
	}
	for _, ec := range report.Coverage.Enums {
		if !slices.Equal(ec.Accepted, ec.Allowed) {
			t.Errorf("%s %s: accepted %v of %v", ec.Resource, ec.Element, ec.Accepted, ec.Allowed)
		}
		wrongCase := strings.ToLower(ec.Allowed[0])
		if wrongCase == ec.Allowed[0] {
			wrongCase = strings.ToUpper(wrongCase)
		}
		for _, v := range []string{"", " " + ec.Allowed[0] + " ", wrongCase} {
			if !slices.Contains(ec.Rejected, v) {
				t.Errorf("%s %s: the near miss %q was not tried", ec.Resource, ec.Element, v)
			}
		}
	}
	for _, want := range []string{"Asn :: Header", "Fournisseur", "Compte", "Payables::Externe::Payable"} {
		if !slices.ContainsFunc(report.Coverage.Enums, func(ec conformance.EnumCoverage) bool { return slices.Contains(ec.Rejected, want) }) {
			t.Errorf("the near miss %q was not tried", want)
		}
	}
	if !slices.ContainsFunc(report.Coverage.Enums, func(ec conformance.EnumCoverage) bool {
		return ec.Element == "state" && slices.Contains(ec.Rejected, "setup") && slices.Contains(ec.Rejected, "Einrichtung")
	}) {
		t.Errorf("the near misses setup and Einrichtung of state were not tried")
	}
}

func TestCheckTargetErrors(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	unauthorized := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"errors":{"request":["invalid token"]}}`))
	}))
	t.Cleanup(unauthorized.Close)
	var webRequests atomic.Int32
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		webRequests.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html>\n<html><head><title>Welcome to nginx!</title></head>\n<body>It works</body></html>\n"))
	}))
	t.Cleanup(web.Close)
	authMock := serveAuthMock(t, nil)
	wrongKey := authMock
	wrongKey.BaseURL, wrongKey.ClientID, wrongKey.ClientSecret, wrongKey.CSOAPIKey = "", "", "", "not-the-key"
	noKey := wrongKey
	noKey.CSOAPIKey = ""
	noKey.Auth = conformance.AuthOAuth

	tests := []struct {
		name   string
		target conformance.Target
		is     error
		want   string
	}{
		{name: "no base URL", target: conformance.Target{}, want: "no base URL"},
		{name: "relative base URL", target: conformance.Target{BaseURL: "acme.coupahost.com"}, want: "not an absolute http(s) URL"},
		{name: "base URL with a query", target: conformance.Target{CSOBaseURL: "http://127.0.0.1/?x=1"}, want: "must not have a query"},
		{name: "bad run ID", target: conformance.Target{BaseURL: "http://127.0.0.1:1", RunID: "a b"}, want: "run ID"},
		{name: "bad auth", target: conformance.Target{BaseURL: "http://127.0.0.1:1", Auth: "basic"}, want: `auth "basic"`},
		{name: "negative rate", target: conformance.Target{BaseURL: "http://127.0.0.1:1", Rate: -1}, want: "rate -1"},
		{name: "connection refused", target: conformance.Target{BaseURL: closed.URL}, is: conformance.ErrUnreachable, want: "Core API at " + closed.URL},
		{name: "Sourcing refused", target: conformance.Target{CSOBaseURL: closed.URL}, is: conformance.ErrUnreachable, want: "Sourcing API at " + closed.URL},
		{name: "credentials refused", target: conformance.Target{BaseURL: unauthorized.URL}, is: conformance.ErrAuth, want: "authentication failed: the Core API at " + unauthorized.URL + " answered 401"},
		{name: "web server", target: conformance.Target{BaseURL: web.URL, CSOBaseURL: web.URL}, is: conformance.ErrNotCoupa,
			want: web.URL + " is not a Coupa API: GET /api/integration_errors answered 200 OK (text/html; charset=utf-8) <!doctype html> <html>"},
		{name: "web server, client credentials", target: conformance.Target{BaseURL: web.URL, ClientID: "c", ClientSecret: "s"}, is: conformance.ErrNotCoupa,
			want: web.URL + " is not a Coupa API: POST /oauth2/token answered 200 OK (text/html"},
		{name: "wrong Sourcing key", target: wrongKey, is: conformance.ErrAuth, want: "with the X-CSO-API-KEY given: check --cso-api-key"},
		{name: "no Sourcing key", target: noKey, is: conformance.ErrAuth, want: "give the Sourcing API's key with --cso-api-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			webRequests.Store(0)
			_, err := conformance.Check(t.Context(), tt.target)
			if err == nil {
				t.Fatal("Check returned no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") || strings.HasPrefix(err.Error(), "conformance:") {
				t.Errorf("error %q: want one line, without a package prefix", err)
			}
			for _, sentinel := range []error{conformance.ErrUnreachable, conformance.ErrNotCoupa, conformance.ErrAuth} {
				if got := errors.Is(err, sentinel); got != (sentinel == tt.is) {
					t.Errorf("errors.Is(err, %q) = %v (%v)", sentinel, got, err)
				}
			}
			if n := webRequests.Load(); n > 1 {
				t.Errorf("the web server got %d requests; want the probe's one", n)
			}
		})
	}
}

// methodLog records the methods a handler was asked for.
type methodLog struct {
	mu      sync.Mutex
	methods map[string]int
}

func (l *methodLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.methods[r.Method]++
		l.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func TestReadOnlyChangesNothing(t *testing.T) {
	log := &methodLog{methods: map[string]int{}}
	target := serveMock(t, func(core, sourcing http.Handler) (http.Handler, http.Handler) {
		return log.wrap(core), log.wrap(sourcing)
	})
	target.ReadOnly = true
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !report.Passed() || !report.ReadOnly {
		t.Errorf("a read-only run against the mock did not pass:%s", describeFailures(report))
	}
	for m := range log.methods {
		if m != http.MethodGet {
			t.Errorf("a read-only run sent %d %s requests", log.methods[m], m)
		}
	}
	ran, skipped := 0, 0
	for _, res := range report.Results {
		switch res.Status {
		case conformance.Skip:
			skipped++
			if !strings.Contains(res.Message, "read-only") && !strings.Contains(res.Message, "not exercised") && !strings.Contains(res.Message, "no ") &&
				!strings.Contains(res.Message, "does not enforce authentication") {
				t.Errorf("%s skipped for %q", res.ID, res.Message)
			}
		default:
			ran++
		}
	}
	for _, id := range []string{"integration_errors.list", "integration_errors.list.filter", "events.list.offset", "events.show.not-found", "events.response.listEvents"} {
		if res := result(t, report, id); res.Status != conformance.Pass {
			t.Errorf("%s is %s in a read-only run: %s", id, res.Status, res.Message)
		}
	}
	for _, id := range []string{"integration_errors.create", "events.delete.one", "integration_errors.list.limit-cap"} {
		if res := result(t, report, id); res.Status != conformance.Skip {
			t.Errorf("%s is %s in a read-only run; want skip", id, res.Status)
		}
	}
	if ran == 0 || skipped == 0 {
		t.Errorf("%d checks ran and %d were skipped", ran, skipped)
	}
}

func TestOnlySelectsChecks(t *testing.T) {
	target := serveMock(t, nil)
	target.Only = regexp.MustCompile(`^events\.(list$|list\.(limit|offset|filter)$|show)`)
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if len(report.Results) == 0 {
		t.Fatal("no check ran")
	}
	for _, res := range report.Results {
		if !target.Only.MatchString(res.ID) {
			t.Errorf("%s ran, though --only does not select it", res.ID)
		}
		if res.Status != conformance.Pass {
			t.Errorf("%s: %s %s", res.ID, res.Status, res.Message)
		}
	}
	if cov := report.Coverage.Operations; slices.ContainsFunc(cov, func(oc conformance.OperationCoverage) bool {
		return oc.Operation == "createEvents" && oc.Requests > 0
	}) {
		t.Errorf("a run of the list and show checks created events")
	}
}

func TestAPIWithoutURLIsSkipped(t *testing.T) {
	m := newMock(t)
	target := serve(t, m.CoreHandler(), nil)
	target.Only = regexp.MustCompile(`^(events|integration_errors)\.(list|show|response\.listEvents)`)
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	events, core := 0, 0
	for _, res := range report.Results {
		if strings.HasPrefix(res.ID, "events.") {
			events++
			if res.Status != conformance.Skip || res.Message != "no Sourcing API base URL given" {
				t.Errorf("%s: %s %q; want skipped for want of a Sourcing URL", res.ID, res.Status, res.Message)
			}
		} else {
			core++
			if res.Status != conformance.Pass {
				t.Errorf("%s: %s %s", res.ID, res.Status, res.Message)
			}
		}
	}
	if events == 0 || core == 0 {
		t.Errorf("%d Sourcing and %d Core checks reported", events, core)
	}
}

func TestProgressReportsEachResult(t *testing.T) {
	target := serveMock(t, nil)
	target.Only = regexp.MustCompile(`^integration_errors\.(list|show)`)
	var seen []string
	target.Progress = func(r conformance.Result) { seen = append(seen, r.ID) }
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	var want []string
	for _, res := range report.Results {
		want = append(want, res.ID)
	}
	if !slices.Equal(seen, want) || len(seen) == 0 {
		t.Errorf("progress saw %v; the report has %v", seen, want)
	}
}

// TestFailureShowsRedactedCurl shows that a failure carries the request
// that showed it as a curl command, without the credentials.
func TestFailureShowsRedactedCurl(t *testing.T) {
	const secret = "s3cr3t-token"
	var sawAuth, sawKey string
	target := serveMock(t, func(core, sourcing http.Handler) (http.Handler, http.Handler) {
		mutated := onResponse(route("GET", `/api/events/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m["state"] != nil {
				m["state"] = "aktiv"
			}
			return status, body
		})(sourcing)
		coreMutated := onResponse(route("GET", `/api/integration_errors/\d+`), func(_ *http.Request, status int, body any) (int, any) {
			if m := obj(body); m["contact-alert-type"] != nil {
				m["contact-alert-type"] = "technical"
			}
			return status, body
		})(core)
		return coreMutated, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sawAuth, sawKey = r.Header.Get("Authorization"), r.Header.Get("X-Cso-Api-Key")
			mutated.ServeHTTP(w, r)
		})
	})
	target.Token = secret
	target.Header = http.Header{"X-Cso-Api-Key": {"k3y"}}
	target.Only = regexp.MustCompile(`^(events\.(show|response\.showEvent)|integration_errors\.(show|response\.showIntegrationError))$`)
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if sawAuth != "" || sawKey != "k3y" {
		t.Errorf("the Sourcing API saw Authorization %q and X-CSO-API-KEY %q; want no token and the key", sawAuth, sawKey)
	}
	res := result(t, report, "events.response.showEvent")
	if res.Status != conformance.Fail {
		t.Fatalf("events.response.showEvent is %s", res.Status)
	}
	for _, want := range []string{"/state", "aktiv", "GET /api/events/"} {
		if !strings.Contains(res.Message, want) {
			t.Errorf("message %q does not say %q", res.Message, want)
		}
	}
	for _, want := range []string{"curl -sS -X GET '" + target.CSOBaseURL + "/api/events/", `-H 'X-Cso-Api-Key: <redacted>'`, `-H 'Accept: application/json'`} {
		if !strings.Contains(res.Request, want) {
			t.Errorf("curl %q lacks %q", res.Request, want)
		}
	}
	if strings.Contains(res.Request, "Authorization") {
		t.Errorf("the Sourcing request shows an Authorization header: %s", res.Request)
	}
	coreRes := result(t, report, "integration_errors.response.showIntegrationError")
	if coreRes.Status != conformance.Fail || !strings.Contains(coreRes.Request, `-H "Authorization: Bearer $COUPAKIT_TOKEN"`) {
		t.Errorf("the Core failure: %s, curl %q", coreRes.Status, coreRes.Request)
	}
	for _, r := range []conformance.Result{res, coreRes} {
		for _, secret := range []string{secret, "k3y"} {
			if strings.Contains(r.Request, secret) || strings.Contains(r.Message, secret) {
				t.Errorf("%s shows the credential %q", r.ID, secret)
			}
		}
	}
}

// TestShouldFailsOnlyWhenStrict shows the levels: a failed should-level
// check is reported but fails the run only with Strict.
func TestShouldFailsOnlyWhenStrict(t *testing.T) {
	frozen := onResponse(route("", `/api/integration_errors.*`), func(_ *http.Request, status int, body any) (int, any) {
		if m := obj(body); m["created-at"] != nil {
			m["updated-at"] = m["created-at"]
		}
		return status, body
	})
	for _, strict := range []bool{false, true} {
		target := serveMock(t, func(core, sourcing http.Handler) (http.Handler, http.Handler) { return frozen(core), sourcing })
		target.Only = regexp.MustCompile(`^integration_errors\.update\.updated-at$`)
		var opts []conformance.Option
		if strict {
			opts = append(opts, conformance.Strict())
		}
		report, err := conformance.Check(t.Context(), target, opts...)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		res := result(t, report, "integration_errors.update.updated-at")
		if res.Status != conformance.Fail || res.Level != conformance.Should {
			t.Fatalf("updated-at check: %s %s; want a failed should-level check", res.Level, res.Status)
		}
		n := report.Counts()
		if n.ShouldFailed != 1 || n.MustFailed != 0 {
			t.Errorf("counts %+v", n)
		}
		if report.Passed() == strict || (report.Err() == nil) != !strict || len(report.Failed()) != map[bool]int{false: 0, true: 1}[strict] {
			t.Errorf("strict=%v: Passed()=%v, Err()=%v, Failed()=%d", strict, report.Passed(), report.Err(), len(report.Failed()))
		}
	}
}

// TestChecksFollowTheSpec shows that the checks are derived from the spec:
// an allowed value added to the spec is tried, and the mock, which does not
// know it, fails the check.
func TestChecksFollowTheSpec(t *testing.T) {
	doc, err := openapi.Core()
	if err != nil {
		t.Fatal(err)
	}
	cat := doc.Components.Schemas["ContactAlertType"].Value
	cat.Enum = append(cat.Enum, "Everyone")
	target := serveMock(t, nil)
	target.Only = regexp.MustCompile(`^integration_errors\.enum\.contact-alert-type$`)
	report, err := conformance.Check(t.Context(), target, conformance.WithCoreSpec(doc))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	res := result(t, report, "integration_errors.enum.contact-alert-type")
	if res.Status != conformance.Fail || !strings.Contains(res.Message, `"Everyone" was not accepted`) {
		t.Errorf("the value added to the spec was not tried: %s %s", res.Status, res.Message)
	}
	if !strings.Contains(res.Title, "(4)") || res.Source != "core.yaml#/components/schemas/ContactAlertType/enum" {
		t.Errorf("title %q, source %q", res.Title, res.Source)
	}
}

// TestCheckIDsAreStable pins the IDs of the checks, which CI pipelines and
// --only depend on: a change here is a change of the suite's interface.
func TestCheckIDsAreStable(t *testing.T) {
	target := serveMock(t, nil)
	target.ReadOnly = true
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	seen := map[string]bool{}
	for _, res := range report.Results {
		if seen[res.ID] {
			t.Errorf("two checks have the ID %s", res.ID)
		}
		seen[res.ID] = true
		if !regexp.MustCompile(`^[a-z_]+\.[a-zA-Z0-9._-]+$`).MatchString(res.ID) {
			t.Errorf("ID %q is not of the form <resource>.<aspect>", res.ID)
		}
		if res.Level != conformance.Must && res.Level != conformance.Should {
			t.Errorf("%s has level %q", res.ID, res.Level)
		}
		if res.Title == "" || res.Operation == "" || !regexp.MustCompile(`^(core|sourcing)\.yaml#/`).MatchString(res.Source) {
			t.Errorf("%s: title %q, operation %q, source %q", res.ID, res.Title, res.Operation, res.Source)
		}
	}
	for _, id := range []string{
		"integration_errors.create.required.contact-alert-type",
		"integration_history_records.create.required.document-id",
		"integration_history_records.create.required.document-type",
		"integration_errors.enum.document-type.invalid",
		"integration_history_records.readonly.integration-filename",
		"integration_errors.readonly.resolved",
		"events.readonly.event-number",
		"events.readonly.market-id",
		"events.enum.state.invalid",
		"events.update.lenient",
		"integration_history_records.acknowledge.unknown-id",
		"events.response.createEvents",
	} {
		if !seen[id] {
			t.Errorf("no check %s", id)
		}
	}
	if seen["integration_errors.create.required.integration-run"] {
		t.Errorf("integration-run is required by a check, though the spec keeps it optional")
	}
	golden(t, "CHECKS.md", append(checksTable(report), familySections("CHECKS.md")...))
}

// checksTable lists the checks for CHECKS.md.
func checksTable(report conformance.Report) []byte {
	var b strings.Builder
	b.WriteString("# Conformance checks\n\n")
	b.WriteString("Generated by `go test ./conformance -run TestCheckIDsAreStable -update` from the suite and the\n")
	b.WriteString("specs; do not edit. IDs are stable: `coupakit check --only` and CI dashboards use them.\n")
	b.WriteString("A `must` failure fails the run (exit 1); a `should` failure is reported only, unless `--strict`.\n")
	b.WriteString("Read-only checks (R) also run with `--read-only`.\n\n")
	b.WriteString("## The conformance score\n\n")
	b.WriteString("Every report (`text`, `json`, `html`, `markdown`) gives a score from 0 to 100, computed from the\n")
	b.WriteString("results alone, so two runs against the same target give the same score:\n\n")
	b.WriteString("- every operation of the specs checked counts the same (the operations of another family of\n")
	b.WriteString("  checks, such as SFTP, count like the HTTP ones);\n")
	b.WriteString("- an operation the run did not exercise (no request) counts 0;\n")
	b.WriteString("- an operation it exercised counts the share of its `must` checks that passed (skipped checks\n")
	b.WriteString("  do not count; 1 when none was judged); with `--strict`, `should` checks count as `must`;\n")
	b.WriteString("- the checks outside any operation of a spec (the token endpoint, the rate limit) count as one\n")
	b.WriteString("  more operation, when some of them were judged;\n")
	b.WriteString("- the score is the mean, times 100, rounded down, and at most 99 unless every `must` check\n")
	b.WriteString("  passed and every operation was exercised: 100 means exactly that.\n\n")
	b.WriteString("A read-only run exercises the reading operations only, so it scores well below 100 even against\n")
	b.WriteString("a conforming target; the verdict (PASS or FAIL) says whether the checks that ran passed.\n\n")
	b.WriteString("## The checks\n\n")
	b.WriteString("The input checks `<resource>.input.<element>` probe each writable top-level element;\n")
	b.WriteString("`<resource>.input.<parent>.<child>` probe the elements nested one level inside an object or an\n")
	b.WriteString("array of objects (`responses[].response-code`), sent in a parent that is otherwise valid (its\n")
	b.WriteString("required elements filled in). The elements inside a reference to another resource, which the\n")
	b.WriteString("server looks up by them (a record's `integration` by `id` or `code`, its `integration-run`), are\n")
	b.WriteString("probed with the reference as a whole only: a value there tests the lookup, not the input.\n\n")
	b.WriteString("| ID | level | R | operation | rule | spec |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, res := range report.Results {
		ro := ""
		if res.Status != conformance.Skip || !strings.HasPrefix(res.Message, "read-only run:") {
			ro = "R"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | `%s` |\n", res.ID, res.Level, ro, res.Operation,
			strings.ReplaceAll(res.Title, "|", "\\|"), res.Source)
	}
	return []byte(b.String())
}

// TestThrottledRequestsAreRetried shows that answers 429, as a
// rate-limited Coupa gives, are waited out and retried, not judged.
func TestThrottledRequestsAreRetried(t *testing.T) {
	var mu sync.Mutex
	n := 0
	throttle := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			n++
			throttled := n%3 == 0
			mu.Unlock()
			if throttled {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	target := serveMock(t, func(core, sourcing http.Handler) (http.Handler, http.Handler) {
		return throttle(core), throttle(sourcing)
	})
	target.Only = regexp.MustCompile(`^(integration_errors\.(list|create|resolve)|events\.(create|update\.lenient)|.*\.response\..*)$`)
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !report.Passed() || len(failedIDs(report)) > 0 {
		t.Errorf("throttling failed checks:%s", describeFailures(report))
	}
	if report.Throttled == 0 {
		t.Errorf("no request was throttled")
	}
	for _, oc := range report.Coverage.Operations {
		if len(oc.Undocumented) > 0 {
			t.Errorf("%s: the 429 answers were judged: %v", oc.Operation, oc.Undocumented)
		}
	}
}

// TestAuthenticatedMock runs the suite against the mock with Coupa's
// authentication on: an OAuth token for the Core API, the X-CSO-API-KEY
// header for the Sourcing API. Without them, the target cannot be checked.
func TestAuthenticatedMock(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 25, Auth: &auth.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	target := serve(t, m.CoreHandler(), m.SourcingHandler())

	resp, err := http.PostForm(target.BaseURL+"/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {auth.DefaultClientID}, "client_secret": {auth.DefaultClientSecret},
		"scope": {auth.ScopeRead + " " + auth.ScopeWrite},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("no token: %d %v", resp.StatusCode, err)
	}

	if _, err := conformance.Check(t.Context(), target); !errors.Is(err, conformance.ErrAuth) {
		t.Errorf("without credentials, Check returned %v; want ErrAuth", err)
	}
	target.Token = tok.AccessToken
	target.Header = http.Header{"X-Cso-Api-Key": {auth.DefaultCSOAPIKey}}
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !report.Passed() || len(failedIDs(report)) > 0 {
		t.Errorf("the authenticated mock fails:%s", describeFailures(report))
	}
}

// TestRatePacesRequests shows that Target.Rate spaces the requests: at 10
// a second, each request after the first waits 100 ms, and a run without a
// rate does not wait at all.
func TestRatePacesRequests(t *testing.T) {
	for _, rate := range []float64{0, 10} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			var sent atomic.Int32
			target := serveMock(t, func(core, sourcing http.Handler) (http.Handler, http.Handler) {
				return core, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					sent.Add(1)
					sourcing.ServeHTTP(w, r)
				})
			})
			target.BaseURL, target.Rate, target.ReadOnly = "", rate, true
			target.Only = regexp.MustCompile(`^events\.list(\.limit)?$`)
			// A clock that moves only by the waits: the requests take no time.
			start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			var waited time.Duration
			waits := 0
			report, err := conformance.Check(t.Context(), target,
				conformance.WithClock(func() time.Time { return start.Add(waited) }),
				conformance.WithSleep(func(_ context.Context, d time.Duration) error { waited += d; waits++; return nil }))
			if err != nil || !report.Passed() {
				t.Fatalf("Check: %v%s", err, describeFailures(report))
			}
			n := int(sent.Load())
			want := time.Duration(0)
			if rate > 0 {
				want = time.Duration(n-1) * 100 * time.Millisecond
			}
			if n < 3 || waited != want {
				t.Errorf("%d requests waited %v in %d waits; want %v", n, waited, waits, want)
			}
		})
	}
}
