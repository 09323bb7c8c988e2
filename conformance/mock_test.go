package conformance_test

import (
	"strings"
	"testing"

	"github.com/coupakit/coupakit/conformance"
)

// TestMockConforms runs the full suite against the project's mock with
// Coupa's authentication on, through Check, with client credentials and the
// Sourcing key: every check passes, none is skipped (but the rate-limit
// checks, which need a 429 to judge), and the run covers every operation
// and enum value of the specs.
func TestMockConforms(t *testing.T) {
	target := serveAuthMock(t, nil)
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !report.Passed() || len(failedIDs(report)) > 0 {
		t.Errorf("the mock fails %d checks:%s", len(failedIDs(report)), describeFailures(report))
	}
	for _, res := range report.Results {
		if res.Status == conformance.Skip && !strings.HasSuffix(res.ID, ".rate-limit") {
			t.Errorf("%s skipped: %s", res.ID, res.Message)
		}
	}
	assertFullCoverage(t, report)
}
