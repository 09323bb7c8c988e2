package proxy_test

import (
	"testing"

	"github.com/coupakit/coupakit/conformance"
	"github.com/coupakit/coupakit/proxy"
)

// TestConformanceThroughProxy runs the whole conformance suite against the
// mock through the proxy: it still passes, the suite's deliberately bad
// requests are request violations, and no answer is a response violation.
func TestConformanceThroughProxy(t *testing.T) {
	st := newMockStack(t, proxy.Options{})
	report, err := conformance.Check(t.Context(), st.target())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !report.Passed() {
		t.Errorf("the suite fails through the proxy:\n%v", report.Err())
	}
	var requests int
	for _, v := range st.proxy.Violations() {
		switch v.Side {
		case proxy.SideRequest:
			requests++
			// A deliberately bad request: the mock refused it, or, for the
			// lenient bulk events, applied only the good items.
			lenient := v.Operation == "createEvents" || v.Operation == "updateEvents" || v.Operation == "deleteEvents"
			if v.Response == nil || (v.Response.Status < 400 && !lenient) {
				t.Errorf("request violation %s on a request the mock accepted: %s %s?%s: %s", v.Rule, v.Request.Method, v.Request.Path, v.Request.Query, v.Message)
			}
		default:
			t.Errorf("response violation %s %s %s?%s (%d): %s [%s]", v.Rule, v.Request.Method, v.Request.Path, v.Request.Query, v.Response.Status, v.Message, v.Spec)
		}
	}
	if requests == 0 {
		t.Error("the suite's bad requests were not reported as request violations")
	}
	t.Logf("%d request violations", requests)
}
