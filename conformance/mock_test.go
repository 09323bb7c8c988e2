package conformance_test

import (
	"testing"

	"github.com/coupakit/coupakit/conformance"
)

// TestMockConforms runs the full suite against the project's mock, through
// Check: every check passes, none is skipped, and the run covers every
// operation and enum value of the specs.
func TestMockConforms(t *testing.T) {
	target := serveMock(t, nil)
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !report.Passed() || len(failedIDs(report)) > 0 {
		t.Errorf("the mock fails %d checks:%s", len(failedIDs(report)), describeFailures(report))
	}
	for _, res := range report.Results {
		if res.Status == conformance.Skip {
			t.Errorf("%s skipped: %s", res.ID, res.Message)
		}
	}
	assertFullCoverage(t, report)
}
