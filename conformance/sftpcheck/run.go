package sftpcheck

import (
	"fmt"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/conformance"
)

// Run runs the SFTP checks against target and reports each as a subtest of
// t, in the manner of [conformance.Run]: a failed must-level check fails
// its subtest with the problems and the sftp commands that show them, a
// failed should-level check is logged, a skipped check is skipped. Run
// stops t when the target cannot be judged.
func Run(t *testing.T, target Target) {
	t.Helper()
	report, err := Check(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range report.Results {
		t.Run(res.ID, func(t *testing.T) {
			switch {
			case res.Status == conformance.Skip:
				t.Skip(res.Message)
			case res.Failed(false):
				t.Error(describe(res))
			case res.Status == conformance.Fail:
				t.Logf("should-level check failed (not fatal):\n%s", describe(res))
			}
		})
	}
}

// describe words a failed result for a test log.
func describe(r conformance.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s] %s\n  rule: %s\n  source: %s", r.ID, r.Level, r.Operation, r.Title, r.Source)
	for _, p := range r.Problems {
		b.WriteString("\n  - " + p.Message)
		if p.Request != "" {
			b.WriteString("\n    " + p.Request)
		}
	}
	if r.Omitted > 0 {
		fmt.Fprintf(&b, "\n  (and %d more problems)", r.Omitted)
	}
	return b.String()
}
