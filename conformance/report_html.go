package conformance

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

//go:embed report.html.tmpl
var htmlTemplateText string

// htmlTemplate renders the HTML report: one page with its CSS and SVG
// inline, no script and nothing to fetch, laid out to print on A4.
var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"add":      func(a, b int) int { return a + b },
	"plural":   plural,
	"skipList": func(g SkipGroup) string { return g.list() },
	"pct": func(part, whole int) string {
		if whole == 0 {
			return "0"
		}
		return fmt.Sprintf("%.2f", 100*float64(part)/float64(whole))
	},
}).Parse(htmlTemplateText))

// htmlView is what the HTML template shows.
type htmlView struct {
	R          *Report
	Verdict    string
	Passed     bool
	Score      int
	Counts     Counts
	Target     []htmlTarget
	Mode       string
	Date       string
	Ops        []OperationTally
	MaxChecks  int
	Cov        CoverageSummary
	CovOps     []htmlStatusRow
	Enums      []EnumCoverage
	Failures   []htmlFailure
	Skips      []SkipGroup
	Gauge      htmlGauge
	Paragraph  string
	Unanswered []string
}

type htmlTarget struct{ Name, URL string }

// htmlGauge is the score's ring: its circumference and the dash of the
// score.
type htmlGauge struct {
	Dash, Gap string
}

type htmlStatusRow struct {
	Operation             string
	Documented, Answered  int
	Missing, Undocumented string
	Exercised             bool
}

type htmlFailure struct {
	Result
	Fatal bool
}

// WriteHTML writes the report as one self-contained HTML page for a
// customer: the target, the date, coupakit's and the specs' versions, the
// verdict and the score; per operation a bar of passed, failed and skipped
// checks; the coverage of operations, documented statuses and enum values
// as charts; each failure with its rule, the spec pointer, the requests as
// curl commands and the response excerpts (credentials redacted); the
// skipped checks by reason. Its CSS and SVG are inline, it needs no script
// and fetches nothing, and it prints on A4.
func (r *Report) WriteHTML(w io.Writer) error {
	v := htmlView{R: r, Verdict: r.Verdict(), Passed: r.Passed(), Score: r.Score(), Counts: r.Counts(), Mode: r.modeText()}
	if r.BaseURL != "" {
		v.Target = append(v.Target, htmlTarget{"Core API", r.BaseURL})
	}
	if r.CSOBaseURL != "" {
		v.Target = append(v.Target, htmlTarget{"Sourcing API", r.CSOBaseURL})
	}
	for _, k := range sortedKeys(r.Targets) {
		v.Target = append(v.Target, htmlTarget{k, r.Targets[k]})
	}
	if !r.Date.IsZero() {
		v.Date = r.Date.UTC().Format("2 January 2006, 15:04 UTC")
	}
	for _, t := range r.Operations() {
		if t.Checks == 0 {
			continue
		}
		v.Ops = append(v.Ops, t)
		v.MaxChecks = max(v.MaxChecks, t.Checks)
	}
	v.Cov = r.CoverageSummary()
	v.Paragraph = v.Cov.Paragraph()
	for _, oc := range r.Coverage.Operations {
		row := htmlStatusRow{Operation: oc.Operation, Documented: len(oc.Documented), Answered: len(oc.Exercised), Exercised: oc.Requests > 0}
		var missing []int
		for _, code := range oc.Documented {
			if !containsInt(oc.Exercised, code) {
				missing = append(missing, code)
			}
		}
		row.Missing = joinInts(missing)
		row.Undocumented = joinInts(append([]int(nil), oc.Undocumented...))
		v.CovOps = append(v.CovOps, row)
	}
	v.Enums = r.Coverage.Enums
	for _, res := range r.Results {
		if res.Status == Fail {
			v.Failures = append(v.Failures, htmlFailure{Result: res, Fatal: res.Failed(r.Strict)})
		}
	}
	v.Skips = r.SkipGroups()
	const circumference = 2 * math.Pi * 52
	dash := circumference * float64(v.Score) / 100
	v.Gauge = htmlGauge{Dash: fmt.Sprintf("%.2f", dash), Gap: fmt.Sprintf("%.2f", circumference-dash)}
	return htmlTemplate.Execute(w, v)
}

func containsInt(list []int, n int) bool {
	for _, v := range list {
		if v == n {
			return true
		}
	}
	return false
}

// WriteMarkdown writes a short summary fit for a pull-request comment: the
// verdict and the score, the counts, the failures grouped by operation (at
// most 20, then how many more), the skips by reason and what was not
// exercised.
func (r *Report) WriteMarkdown(w io.Writer) error {
	ew := &errWriter{w: w}
	n := r.Counts()
	ew.printf("## coupakit check: %s, score %d/100\n\n", r.Verdict(), r.Score())
	ew.printf("Target %s (%s); run `%s`", mdText(r.targetText()), r.modeText(), r.RunID)
	if !r.Date.IsZero() {
		ew.printf(", %s", r.Date.UTC().Format("2006-01-02 15:04 UTC"))
	}
	ew.printf("; coupakit %s", mdText(cmpOr(r.Version, "(unknown)")))
	for _, sv := range r.Specs {
		ew.printf(", %s %s", sv.File, sv.Version)
	}
	ew.printf(".\n\n")
	ew.printf("**%d passed, %d failed (%d must, %d should), %d skipped.**", n.Pass, n.Fail, n.MustFailed, n.ShouldFailed, n.Skip)
	cov := r.CoverageSummary()
	ew.printf(" Operations exercised: %d of %d; documented statuses answered: %d of %d.\n", cov.Exercised, cov.Operations, cov.StatusesAnswered, cov.StatusesDocumented)

	const maxListed = 20
	if n.Fail > 0 {
		ew.printf("\n### Failures\n")
		listed := 0
		for _, t := range r.Operations() {
			if t.Fail == 0 || listed >= maxListed {
				continue
			}
			ew.printf("\n**%s**\n\n", mdText(t.Operation))
			for _, res := range r.Results {
				if res.Status != Fail || cmpOr(res.Operation, "-") != t.Operation || listed >= maxListed {
					continue
				}
				listed++
				ew.printf("- `%s` (%s): %s  \n  %s\n", res.ID, res.Level, mdText(res.Title), mdText(cut(firstLineOf(res.Message), 240)))
			}
		}
		if more := n.Fail - listed; more > 0 {
			ew.printf("\nand %d more failures: see the full report (`--format html` or `--format text`).\n", more)
		}
	}
	if groups := r.SkipGroups(); len(groups) > 0 {
		ew.printf("\n<details><summary>%s skipped</summary>\n\n", plural(n.Skip, "check"))
		for _, g := range groups {
			ew.printf("- %s (%d)", mdText(g.Reason), len(g.IDs))
			if g.Enable != "" {
				ew.printf(": to run them, %s", mdText(g.Enable))
			}
			ew.printf("\n")
		}
		ew.printf("\n</details>\n")
	}
	if p := cov.Paragraph(); p != "" {
		ew.printf("\n%s\n", mdText(p))
	}
	return ew.err
}

// mdText escapes the characters Markdown would read as markup.
func mdText(s string) string {
	return strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "|", `\|`, "[", `\[`, "]", `\]`).Replace(s)
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// cut shortens s to at most n bytes, on a rune boundary, with an ellipsis.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
