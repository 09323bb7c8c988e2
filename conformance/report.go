package conformance

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Report is the outcome of a run. It holds no timings, so that the same
// run against the same server gives the same report.
type Report struct {
	// RunID identifies the run, as in the markers of the records it created.
	RunID string `json:"run_id"`
	// BaseURL and CSOBaseURL are the target's, as given.
	BaseURL    string `json:"base_url,omitempty"`
	CSOBaseURL string `json:"cso_base_url,omitempty"`
	// SFTPURL is the SFTP endpoint's, as given, when the run checked one
	// (package conformance/sftpcheck adds its results to the report).
	SFTPURL string `json:"sftp_url,omitempty"`
	// ReadOnly says that only the checks that change nothing ran.
	ReadOnly bool `json:"read_only"`
	// Strict says that failed should-level checks fail the run.
	Strict bool `json:"strict"`
	// Throttled counts the answers 429 Too Many Requests that the run
	// waited out and retried; they are not judged.
	Throttled int `json:"throttled"`
	// Results has one entry per check, in the order they ran.
	Results []Result `json:"checks"`
	// Coverage says what the run exercised.
	Coverage Coverage `json:"coverage"`
}

// Coverage says which operations, documented statuses and enum values a run
// exercised.
type Coverage struct {
	// Operations lists every operation of the specs of the APIs checked.
	Operations []OperationCoverage `json:"operations"`
	// Enums lists every enum element the run derived checks from.
	Enums []EnumCoverage `json:"enums"`
}

// OperationCoverage is what a run exercised of one operation.
type OperationCoverage struct {
	// API is "core" or "sourcing".
	API string `json:"api"`
	// Operation is the operationId; Method and Path locate it in the spec.
	Operation string `json:"operation"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	// Requests counts the requests sent to it.
	Requests int `json:"requests"`
	// Documented lists the statuses the spec documents.
	Documented []int `json:"documented"`
	// Exercised lists the documented statuses the target answered.
	Exercised []int `json:"exercised"`
	// Undocumented lists the statuses the target answered that the spec
	// does not document.
	Undocumented []int `json:"undocumented,omitempty"`
}

// EnumCoverage is what a run did with one enum element.
type EnumCoverage struct {
	// Resource and Element name the enum element ("events", "state").
	Resource string `json:"resource"`
	Element  string `json:"element"`
	// Allowed lists the values the spec allows.
	Allowed []string `json:"allowed"`
	// Accepted lists the allowed values the target accepted and read back.
	Accepted []string `json:"accepted"`
	// Rejected lists the values outside the set that the target rejected.
	Rejected []string `json:"rejected"`
}

// Counts tallies the results of a run: by status, and the failures by
// level.
type Counts struct {
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Skip         int `json:"skip"`
	MustFailed   int `json:"must_failed"`
	ShouldFailed int `json:"should_failed"`
}

// Counts tallies r's results.
func (r *Report) Counts() Counts {
	var n Counts
	for _, res := range r.Results {
		switch res.Status {
		case Pass:
			n.Pass++
		case Skip:
			n.Skip++
		case Fail:
			n.Fail++
			if res.Level == Must {
				n.MustFailed++
			} else {
				n.ShouldFailed++
			}
		}
	}
	return n
}

// Passed reports whether every required check passed: every [Must] check,
// and with [Strict] every [Should] check too.
func (r *Report) Passed() bool {
	return !slices.ContainsFunc(r.Results, func(res Result) bool { return res.Failed(r.Strict) })
}

// Err joins a description of every check that fails the run, like
// testing/slogtest.TestHandler; it is nil when the run passed.
func (r *Report) Err() error {
	var errs []error
	for _, res := range r.Results {
		if res.Failed(r.Strict) {
			errs = append(errs, errors.New(resultText(res)))
		}
	}
	return errors.Join(errs...)
}

// Failed returns the checks that fail the run.
func (r *Report) Failed() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Failed(r.Strict) {
			out = append(out, res)
		}
	}
	return out
}

// WriteText writes the report for a person: each failed and skipped check
// with its problems and curl commands, a summary table by operation, the
// coverage and the verdict.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	target := r.BaseURL
	if r.CSOBaseURL != "" {
		target = strings.TrimPrefix(target+", sourcing "+r.CSOBaseURL, ", ")
	}
	if r.SFTPURL != "" {
		target = strings.TrimPrefix(target+", "+r.SFTPURL, ", ")
	}
	mode := "full run"
	if r.ReadOnly {
		mode = "read-only run"
	}
	ew.printf("coupakit check: run %s against %s (%s)\n", r.RunID, target, mode)
	for _, st := range []Status{Fail, Skip} {
		for _, res := range r.Results {
			if res.Status != st {
				continue
			}
			ew.printf("\n%s  %-6s %s  (%s", strings.ToUpper(string(res.Status)), res.Level, res.ID, cmpOr(res.Operation, "-"))
			if res.Element != "" {
				ew.printf(", %s", res.Element)
			}
			ew.printf(")\n")
			if st == Skip {
				ew.printf("    %s\n", res.Message)
				continue
			}
			ew.printf("    rule: %s\n    spec: %s\n", res.Title, res.Source)
			for _, p := range res.Problems {
				ew.printf("    - %s\n", indent(p.Message, "      "))
				if p.Request != "" {
					ew.printf("      %s\n", p.Request)
				}
			}
			if res.Omitted > 0 {
				ew.printf("    (and %d more problems)\n", res.Omitted)
			}
		}
	}

	if ew.err != nil {
		return ew.err
	}
	ew.printf("\n")
	return r.WriteSummary(ew)
}

// WriteSummary writes the end of the text report: a table of the checks and
// requests by operation, the coverage and the verdict.
func (r *Report) WriteSummary(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("Summary by operation\n")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "OPERATION\tCHECKS\tPASS\tFAIL\tSKIP\tREQUESTS\tSTATUSES\t\n")
	type row struct{ checks, pass, fail, skip int }
	rows := map[string]*row{}
	var order []string
	for _, res := range r.Results {
		key := cmpOr(res.Operation, "-")
		if rows[key] == nil {
			rows[key] = &row{}
			order = append(order, key)
		}
		rw := rows[key]
		rw.checks++
		switch res.Status {
		case Pass:
			rw.pass++
		case Fail:
			rw.fail++
		case Skip:
			rw.skip++
		}
	}
	ops := map[string]OperationCoverage{}
	for _, oc := range r.Coverage.Operations {
		ops[oc.Operation] = oc
		if rows[oc.Operation] == nil {
			rows[oc.Operation] = &row{}
			order = append(order, oc.Operation)
		}
	}
	var total row
	for _, key := range order {
		rw := rows[key]
		oc := ops[key]
		if rw.checks == 0 && oc.Requests == 0 {
			continue
		}
		statuses := joinInts(append(slices.Clone(oc.Exercised), oc.Undocumented...))
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t\n", key, rw.checks, rw.pass, rw.fail, rw.skip, oc.Requests, cmpOr(statuses, "-"))
		total.checks += rw.checks
		total.pass += rw.pass
		total.fail += rw.fail
		total.skip += rw.skip
	}
	requests := 0
	for _, oc := range r.Coverage.Operations {
		requests += oc.Requests
	}
	fmt.Fprintf(tw, "TOTAL\t%d\t%d\t%d\t%d\t%d\t\t\n", total.checks, total.pass, total.fail, total.skip, requests)
	if err := tw.Flush(); err != nil {
		return err
	}

	ew.printf("\nCoverage\n")
	exOps, docStatuses, exStatuses := 0, 0, 0
	var missing, idle []string
	for _, oc := range r.Coverage.Operations {
		if oc.Requests == 0 {
			idle = append(idle, oc.Operation)
			continue
		}
		exOps++
		docStatuses += len(oc.Documented)
		exStatuses += len(oc.Exercised)
		var not []int
		for _, code := range oc.Documented {
			if !slices.Contains(oc.Exercised, code) {
				not = append(not, code)
			}
		}
		if len(not) > 0 {
			missing = append(missing, oc.Operation+" "+joinInts(not))
		}
	}
	ew.printf("  operations exercised: %d of %d\n", exOps, len(r.Coverage.Operations))
	if len(idle) > 0 {
		ew.printf("  not exercised: %s\n", strings.Join(idle, ", "))
	}
	ew.printf("  documented statuses answered by the operations exercised: %d of %d\n", exStatuses, docStatuses)
	if len(missing) > 0 {
		ew.printf("  not answered: %s\n", strings.Join(missing, "; "))
	}
	for _, ec := range r.Coverage.Enums {
		ew.printf("  %s %s: %d of %d allowed values accepted, %d values outside the set rejected\n",
			ec.Resource, ec.Element, len(ec.Accepted), len(ec.Allowed), len(ec.Rejected))
	}

	if r.Throttled > 0 {
		ew.printf("  requests throttled (429) and retried: %d\n", r.Throttled)
	}

	n := r.Counts()
	verdict := "PASS"
	if !r.Passed() {
		verdict = "FAIL"
	}
	ew.printf("\n%s: %d passed, %d failed (%d must, %d should), %d skipped\n", verdict, n.Pass, n.Fail, n.MustFailed, n.ShouldFailed, n.Skip)
	return ew.err
}

// WriteJSON writes the report as indented JSON: every check with its id,
// level, status, operation, element, source, message and the request that
// showed a failure as a curl command, then the coverage.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		Passed bool   `json:"passed"`
		Counts Counts `json:"counts"`
		*Report
	}{r.Passed(), r.Counts(), r}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// WriteJUnit writes the report as JUnit XML: one testsuite per resource,
// one testcase per check. A check that fails the run is a failure; a failed
// should-level check, which does not, passes with the problems in
// system-out.
func (r *Report) WriteJUnit(w io.Writer) error {
	root := junitSuites{Name: "coupakit check " + r.RunID}
	index := map[string]int{}
	for _, res := range r.Results {
		resource, _, _ := strings.Cut(res.ID, ".")
		i, ok := index[resource]
		if !ok {
			i = len(root.Suites)
			index[resource] = i
			root.Suites = append(root.Suites, junitSuite{Name: resource})
		}
		s := &root.Suites[i]
		tc := junitCase{Name: res.ID, Classname: resource + "." + cmpOr(res.Operation, "-")}
		details := fmt.Sprintf("level: %s\nrule: %s\nspec: %s\n", res.Level, res.Title, res.Source)
		for _, p := range res.Problems {
			details += "- " + p.Message + "\n"
			if p.Request != "" {
				details += "  " + p.Request + "\n"
			}
		}
		if res.Omitted > 0 {
			details += fmt.Sprintf("(and %d more problems)\n", res.Omitted)
		}
		switch {
		case res.Status == Skip:
			tc.Skipped = &junitMessage{Message: res.Message}
			s.Skipped++
			root.Skipped++
		case res.Failed(r.Strict):
			tc.Failure = &junitMessage{Message: res.Message, Type: string(res.Level), Text: details}
			s.Failures++
			root.Failures++
		case res.Status == Fail:
			tc.SystemOut = &junitText{Text: "should-level check failed (not required):\n" + details}
		}
		s.Tests++
		root.Tests++
		s.Cases = append(s.Cases, tc)
	}
	for i := range root.Suites {
		root.Suites[i].Properties = []junitProperty{
			{Name: "run_id", Value: r.RunID},
			{Name: "base_url", Value: r.BaseURL},
			{Name: "cso_base_url", Value: r.CSOBaseURL},
			{Name: "read_only", Value: fmt.Sprint(r.ReadOnly)},
		}
	}
	ew := &errWriter{w: w}
	ew.printf("%s", xml.Header)
	enc := xml.NewEncoder(ew)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	ew.printf("\n")
	return ew.err
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

func joinInts(v []int) string {
	slices.Sort(v)
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ",")
}

func indent(s, prefix string) string { return strings.ReplaceAll(s, "\n", "\n"+prefix) }
