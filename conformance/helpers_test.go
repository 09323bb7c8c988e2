package conformance_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/conformance"
	"github.com/coupakit/coupakit/mock"
)

// testRunID is the run ID of every test run, so reports are deterministic.
const testRunID = "test"

// newMock returns a fresh in-process mock with 25 records of each resource.
func newMock(tb testing.TB) *mock.Mock {
	tb.Helper()
	m, err := mock.New(mock.Options{Seed: 1, Records: 25})
	if err != nil {
		tb.Fatalf("mock.New: %v", err)
	}
	return m
}

// serve starts the two APIs on 127.0.0.1 and returns a target for them.
func serve(tb testing.TB, core, sourcing http.Handler) conformance.Target {
	tb.Helper()
	t := conformance.Target{RunID: testRunID}
	if core != nil {
		srv := httptest.NewServer(core)
		tb.Cleanup(srv.Close)
		t.BaseURL = srv.URL
	}
	if sourcing != nil {
		srv := httptest.NewServer(sourcing)
		tb.Cleanup(srv.Close)
		t.CSOBaseURL = srv.URL
	}
	return t
}

// serveMock serves a fresh mock, its handlers wrapped by wrap when set.
func serveMock(tb testing.TB, wrap func(core, sourcing http.Handler) (http.Handler, http.Handler)) conformance.Target {
	tb.Helper()
	m := newMock(tb)
	core, sourcing := m.CoreHandler(), m.SourcingHandler()
	if wrap != nil {
		core, sourcing = wrap(core, sourcing)
	}
	return serve(tb, core, sourcing)
}

// newAuthMock returns a fresh in-process mock with Coupa's authentication
// on (the default client and keys) and 25 records of each resource.
func newAuthMock(tb testing.TB, cfg auth.Config) *mock.Mock {
	tb.Helper()
	m, err := mock.New(mock.Options{Seed: 1, Records: 25, Auth: &cfg})
	if err != nil {
		tb.Fatalf("mock.New: %v", err)
	}
	return m
}

// serveAuthMock serves a fresh mock that enforces authentication, its
// handlers wrapped by wrap when set, and returns a target with the default
// client credentials and Sourcing key.
func serveAuthMock(tb testing.TB, wrap func(core, sourcing http.Handler) (http.Handler, http.Handler)) conformance.Target {
	tb.Helper()
	m := newAuthMock(tb, auth.Config{})
	core, sourcing := m.CoreHandler(), m.SourcingHandler()
	if wrap != nil {
		core, sourcing = wrap(core, sourcing)
	}
	return withCredentials(serve(tb, core, sourcing))
}

// withCredentials gives target the mock's default credentials.
func withCredentials(target conformance.Target) conformance.Target {
	target.ClientID, target.ClientSecret = auth.DefaultClientID, auth.DefaultClientSecret
	target.CSOAPIKey = auth.DefaultCSOAPIKey
	return target
}

// failedIDs returns the IDs of the checks that failed, whatever their level.
func failedIDs(r conformance.Report) []string {
	var out []string
	for _, res := range r.Results {
		if res.Status == conformance.Fail {
			out = append(out, res.ID)
		}
	}
	return out
}

// result returns the result of the check id.
func result(tb testing.TB, r conformance.Report, id string) conformance.Result {
	tb.Helper()
	for _, res := range r.Results {
		if res.ID == id {
			return res
		}
	}
	tb.Fatalf("no check %s in the report", id)
	return conformance.Result{}
}

// describeFailures renders every failed check for a test message.
func describeFailures(r conformance.Report) string {
	var b strings.Builder
	for _, res := range r.Results {
		if res.Status != conformance.Fail {
			continue
		}
		b.WriteString("\n" + res.ID + ": ")
		for _, p := range res.Problems {
			b.WriteString("\n  - " + p.Message)
			if p.Request != "" {
				b.WriteString("\n    " + p.Request)
			}
		}
	}
	return b.String()
}
