package conformance_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/conformance"
)

// TestNotAcceptableIsNotAResponseViolation: a Sourcing API that answers
// 406 to Accept: application/xml (as a spec-driven mock such as Prism
// does: the spec declares JSON only) fails the check of Coupa's "JSON
// whatever the Accept" rule, but the response checks do not count the 406
// as an undocumented status: the spec does not describe that exchange.
func TestNotAcceptableIsNotAResponseViolation(t *testing.T) {
	target := serveMock(t, func(core, sourcing http.Handler) (http.Handler, http.Handler) {
		return core, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.Header.Get("Accept"), "application/xml") {
				http.Error(w, "not acceptable", http.StatusNotAcceptable)
				return
			}
			sourcing.ServeHTTP(w, r)
		})
	})
	target.Only = regexp.MustCompile(`^events\.(format\.json-only|response\.listEvents)$`)
	report, err := conformance.Check(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	failed := failedIDs(report)
	if !slices.Contains(failed, "events.format.json-only") {
		t.Errorf("events.format.json-only passed a 406; failed: %v", failed)
	}
	if slices.Contains(failed, "events.response.listEvents") {
		t.Errorf("events.response.listEvents counted the 406 as a violation%s", describeFailures(report))
	}
	ran := 0
	for _, r := range report.Results {
		if r.ID == "events.response.listEvents" && r.Status == conformance.Pass {
			ran++
		}
	}
	if ran != 1 {
		t.Errorf("events.response.listEvents did not pass: %+v", report.Results)
	}
}
