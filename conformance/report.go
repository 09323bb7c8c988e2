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
	"time"
)

// Report is the outcome of a run. Date aside, it holds no timings, so that
// the same run against the same server gives the same report (and the same
// [Report.Score]).
//
// Another family of checks (the SFTP checks) adds its results and
// operations with [Report.Add]; every format, the verdict and the score
// then count them like the HTTP ones.
type Report struct {
	// RunID identifies the run, as in the markers of the records it created.
	RunID string `json:"run_id"`
	// Date is when the run started, in UTC to the second; zero when
	// unknown.
	Date time.Time `json:"date,omitzero"`
	// Version is coupakit's version, from the build ("(devel)" from a
	// source tree).
	Version string `json:"version,omitempty"`
	// Specs are the specs the target was judged against, with their
	// versions.
	Specs []SpecVersion `json:"specs,omitempty"`
	// BaseURL and CSOBaseURL are the target's, as given.
	BaseURL    string `json:"base_url,omitempty"`
	CSOBaseURL string `json:"cso_base_url,omitempty"`
	// Targets names the other families' targets ("sftp": "127.0.0.1:2222").
	Targets map[string]string `json:"targets,omitempty"`
	// Auth is the authentication the target was expected to enforce.
	Auth Auth `json:"auth,omitempty"`
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

// SpecVersion names a spec and its version (info.version).
type SpecVersion struct {
	// API is the family the spec describes ("core").
	API string `json:"api"`
	// File is the spec's file ("core.yaml"); Title and Version its
	// info.title and info.version.
	File    string `json:"file"`
	Title   string `json:"title,omitempty"`
	Version string `json:"version"`
}

// Add appends the results and the operations of another family of checks,
// such as the SFTP checks, to r. Their operations count in the coverage
// and the score like the HTTP ones: give every operation the family has,
// with Requests > 0 for those it exercised.
func (r *Report) Add(results []Result, ops ...OperationCoverage) {
	r.Results = append(r.Results, results...)
	r.Coverage.Operations = append(r.Coverage.Operations, ops...)
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
	// API is the family: "core", "sourcing" or another ("sftp").
	API string `json:"api"`
	// Operation is the operationId (or the family's name of the
	// operation); Method and Path locate it in the spec, where it has them.
	Operation string `json:"operation"`
	Method    string `json:"method,omitempty"`
	Path      string `json:"path,omitempty"`
	// Requests counts the requests sent to it; an operation is exercised
	// when it is above 0.
	Requests int `json:"requests"`
	// Documented lists the statuses the spec documents (none for a family
	// without statuses).
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

// WriteText writes the report for a person: each failed check with its
// problems and curl commands, the skipped checks grouped by why they were
// skipped and what would run them, a summary table by operation, the
// coverage, the score and the verdict.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("coupakit check: run %s against %s (%s)\n", r.RunID, r.targetText(), r.modeText())
	for _, res := range r.Results {
		if res.Status != Fail {
			continue
		}
		ew.printf("\nFAIL  %-6s %s  (%s", res.Level, res.ID, cmpOr(res.Operation, "-"))
		if res.Element != "" {
			ew.printf(", %s", res.Element)
		}
		ew.printf(")\n    rule: %s\n    spec: %s\n", res.Title, res.Source)
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
	if groups := r.SkipGroups(); len(groups) > 0 {
		ew.printf("\nSkipped: %s\n", plural(r.Counts().Skip, "check"))
		for _, g := range groups {
			ew.printf("  %s (%d)\n", g.Reason, len(g.IDs))
			if g.Enable != "" {
				ew.printf("    to run them: %s\n", g.Enable)
			}
			ew.printf("%s", wrap(g.list(), "    ", 100))
		}
	}
	if ew.err != nil {
		return ew.err
	}
	ew.printf("\n")
	return r.WriteSummary(ew)
}

// targetText names the target's APIs.
func (r *Report) targetText() string {
	target := r.BaseURL
	if r.CSOBaseURL != "" {
		target = strings.TrimPrefix(target+", sourcing "+r.CSOBaseURL, ", ")
	}
	for _, k := range sortedKeys(r.Targets) {
		target = strings.TrimPrefix(target+", "+k+" "+r.Targets[k], ", ")
	}
	return target
}

// modeText says how the run judged the target.
func (r *Report) modeText() string {
	mode := "full run"
	if r.ReadOnly {
		mode = "read-only run"
	}
	if r.Auth != "" {
		mode += ", auth " + string(r.Auth)
	}
	return mode
}

// SkipGroup is the skipped checks that share a reason.
type SkipGroup struct {
	// Reason is why they were skipped; Enable what would run them.
	Reason, Enable string
	// IDs are the checks, in the order they ran.
	IDs []string
}

// SkipGroups groups the skipped checks by reason (Message and Enable), in
// the order the reasons first appear.
func (r *Report) SkipGroups() []SkipGroup {
	var out []SkipGroup
	index := map[[2]string]int{}
	for _, res := range r.Results {
		if res.Status != Skip {
			continue
		}
		key := [2]string{res.Message, res.Enable}
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, SkipGroup{Reason: cmpOr(res.Message, "skipped"), Enable: res.Enable})
		}
		out[i].IDs = append(out[i].IDs, res.ID)
	}
	return out
}

// list names the group's checks; past ten, it counts them by resource.
func (g SkipGroup) list() string {
	if len(g.IDs) <= 10 {
		return strings.Join(g.IDs, ", ")
	}
	var order []string
	n := map[string]int{}
	for _, id := range g.IDs {
		res, _, _ := strings.Cut(id, ".")
		if n[res] == 0 {
			order = append(order, res)
		}
		n[res]++
	}
	parts := make([]string, len(order))
	for i, res := range order {
		parts[i] = fmt.Sprintf("%s.* (%d)", res, n[res])
	}
	return strings.Join(parts, ", ")
}

// wrap breaks text at spaces into lines of at most width, each with prefix.
func wrap(text, prefix string, width int) string {
	var b strings.Builder
	line := prefix
	for _, word := range strings.Fields(text) {
		if len(line) > len(prefix) && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = prefix
		}
		if len(line) > len(prefix) {
			line += " "
		}
		line += word
	}
	if len(line) > len(prefix) {
		b.WriteString(line + "\n")
	}
	return b.String()
}

// WriteSummary writes the end of the text report: a table of the checks and
// requests by operation, the coverage, the score and the verdict.
func (r *Report) WriteSummary(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("Summary by operation\n")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "OPERATION\tCHECKS\tPASS\tFAIL\tSKIP\tREQUESTS\tSTATUSES\t\n")
	var total OperationTally
	for _, t := range r.Operations() {
		if t.Checks == 0 && t.Coverage.Requests == 0 {
			continue
		}
		oc := t.Coverage
		statuses := joinInts(append(slices.Clone(oc.Exercised), oc.Undocumented...))
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t\n", t.Operation, t.Checks, t.Pass, t.Fail, t.Skip, oc.Requests, cmpOr(statuses, "-"))
		total.Checks += t.Checks
		total.Pass += t.Pass
		total.Fail += t.Fail
		total.Skip += t.Skip
		total.Coverage.Requests += oc.Requests
	}
	fmt.Fprintf(tw, "TOTAL\t%d\t%d\t%d\t%d\t%d\t\t\n", total.Checks, total.Pass, total.Fail, total.Skip, total.Coverage.Requests)
	if err := tw.Flush(); err != nil {
		return err
	}

	cov := r.CoverageSummary()
	ew.printf("\nCoverage\n")
	ew.printf("  operations exercised: %d of %d\n", cov.Exercised, cov.Operations)
	ew.printf("  documented statuses answered by the operations exercised: %d of %d\n", cov.StatusesAnswered, cov.StatusesDocumented)
	for _, ec := range r.Coverage.Enums {
		ew.printf("  %s %s: %d of %d allowed values accepted, %d values outside the set rejected\n",
			ec.Resource, ec.Element, len(ec.Accepted), len(ec.Allowed), len(ec.Rejected))
	}
	if r.Throttled > 0 {
		ew.printf("  requests throttled (429) and retried: %d\n", r.Throttled)
	}
	if p := cov.Paragraph(); p != "" {
		ew.printf("\n%s", wrap(p, "", 100))
	}

	n := r.Counts()
	ew.printf("\nScore: %d/100 (see CHECKS.md)\n", r.Score())
	ew.printf("%s: %d passed, %d failed (%d must, %d should), %d skipped\n", r.Verdict(), n.Pass, n.Fail, n.MustFailed, n.ShouldFailed, n.Skip)
	return ew.err
}

// Verdict is "PASS" when the run passed, else "FAIL".
func (r *Report) Verdict() string {
	if r.Passed() {
		return "PASS"
	}
	return "FAIL"
}

// WriteJSON writes the report as indented JSON: every check with its id,
// level, status, operation, element, source, message and the request that
// showed a failure as a curl command, then the coverage.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		Passed bool   `json:"passed"`
		Score  int    `json:"score"`
		Counts Counts `json:"counts"`
		*Report
	}{r.Passed(), r.Score(), r.Counts(), r}
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
