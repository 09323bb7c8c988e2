package proxy_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/conformance"
	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/proxy"
)

// stack is a proxy in front of upstreams, all on 127.0.0.1.
type stack struct {
	proxy           *proxy.Proxy
	coreURL, csoURL string // the proxy's
	upCore, upSrc   string // the upstreams'
	mock            *mock.Mock
}

// newMockStack serves a fresh mock (Coupa's authentication on, 25 records
// per resource) behind a proxy built with opts.
func newMockStack(tb testing.TB, opts proxy.Options) *stack {
	tb.Helper()
	// Strict: the proxy judges requests by the contract, as a strict mock
	// does; a lenient one accepts (with warnings) what the proxy reports.
	m, err := mock.New(mock.Options{Seed: 1, Records: 25, Auth: &auth.Config{}, Strict: true})
	if err != nil {
		tb.Fatalf("mock.New: %v", err)
	}
	st := newStack(tb, opts, m.CoreHandler(), m.SourcingHandler())
	st.mock = m
	return st
}

// newStack serves core and sourcing as upstreams behind a proxy built with
// opts.
func newStack(tb testing.TB, opts proxy.Options, core, sourcing http.Handler) *stack {
	tb.Helper()
	upCore := httptest.NewServer(core)
	tb.Cleanup(upCore.Close)
	opts.Upstream = upCore.URL
	st := &stack{upCore: upCore.URL}
	if sourcing != nil {
		upSrc := httptest.NewServer(sourcing)
		tb.Cleanup(upSrc.Close)
		opts.CSOUpstream = upSrc.URL
		st.upSrc = upSrc.URL
	}
	p, err := proxy.New(opts)
	if err != nil {
		tb.Fatalf("proxy.New: %v", err)
	}
	tb.Cleanup(p.Close)
	st.proxy = p
	ps := httptest.NewServer(p.CoreHandler())
	tb.Cleanup(ps.Close)
	st.coreURL = ps.URL
	if h := p.SourcingHandler(); h != nil {
		pss := httptest.NewServer(h)
		tb.Cleanup(pss.Close)
		st.csoURL = pss.URL
	}
	return st
}

// target is the conformance target of the stack's proxy, with the mock's
// default credentials.
func (st *stack) target() conformance.Target {
	return conformance.Target{
		BaseURL: st.coreURL, CSOBaseURL: st.csoURL, RunID: "test",
		ClientID: auth.DefaultClientID, ClientSecret: auth.DefaultClientSecret, CSOAPIKey: auth.DefaultCSOAPIKey,
	}
}

// clearViolations empties the proxy's violations through its admin route.
func (st *stack) clearViolations(tb testing.TB) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodDelete, st.coreURL+"/_proxy/violations", nil)
	if err != nil {
		tb.Fatal(err)
	}
	if g := do(tb, req); g.status != http.StatusNoContent {
		tb.Fatalf("DELETE /_proxy/violations: %d %s", g.status, g.body)
	}
}
