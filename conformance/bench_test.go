package conformance_test

import (
	"testing"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/conformance"
)

// BenchmarkFullSuite runs every check against the in-process mock with
// authentication on (so that the checks of authentication run too), reset
// before each run. It reports the requests of a run and their rate.
func BenchmarkFullSuite(b *testing.B) {
	m := newAuthMock(b, auth.Config{})
	target := withCredentials(serve(b, m.CoreHandler(), m.SourcingHandler()))
	requests := 0
	for b.Loop() {
		m.Reset()
		report, err := conformance.Check(b.Context(), target)
		if err != nil {
			b.Fatal(err)
		}
		if !report.Passed() {
			b.Fatalf("the mock fails the suite:%s", describeFailures(report))
		}
		requests = 0
		for _, oc := range report.Coverage.Operations {
			requests += oc.Requests
		}
	}
	b.ReportMetric(float64(requests), "requests/run")
	b.ReportMetric(float64(requests)*float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}
