package conformance_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coupakit/coupakit/conformance"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleReport has a result of every kind, with text that needs escaping.
func sampleReport() conformance.Report {
	return conformance.Report{
		RunID:      "golden",
		Date:       time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC),
		Version:    "v1.2.3",
		Specs:      []conformance.SpecVersion{{API: "core", File: "core.yaml", Title: "Coupa Core API", Version: "1.0.0"}, {API: "sourcing", File: "sourcing.yaml", Version: "1.0.0"}},
		Auth:       conformance.AuthOAuth,
		BaseURL:    "http://core.example",
		CSOBaseURL: "http://cso.example",
		Results: []conformance.Result{
			{
				ID: "integration_errors.list", Level: conformance.Must, Status: conformance.Pass, API: "core",
				Operation: "listIntegrationErrors", Source: "core.yaml#/paths/~1api~1integration_errors/get",
				Title: "The index answers 200.", Message: "25 records",
			},
			{
				ID: "integration_errors.create.required.contact-alert-type", Level: conformance.Must, Status: conformance.Fail, API: "core",
				Operation: "createIntegrationError", Element: "contact-alert-type",
				Source:  "core.yaml#/components/schemas/IntegrationError/required",
				Title:   "A create without contact-alert-type is rejected with 400 naming it, and nothing is created.",
				Message: "a create without contact-alert-type answered 201 {\"id\":7}; want 400 (and 3 more)",
				Request: `curl -sS -X POST 'http://core.example/api/integration_errors' -H 'Content-Type: application/json' --data-raw '{"external-id":"coupakit-conformance-golden-1"}'`,
				Problems: []conformance.Problem{
					{
						Message:  "a create without contact-alert-type answered 201 {\"id\":7}; want 400",
						Request:  `curl -sS -X POST 'http://core.example/api/integration_errors' -H "Authorization: Bearer $COUPAKIT_TOKEN" -H 'Content-Type: application/json' --data-raw '{"external-id":"coupakit-conformance-golden-1"}'`,
						Response: "201 Created (application/json)\n{\"id\":7,\"external-id\":\"coupakit-conformance-golden-1\"}",
					},
					{Message: "a create without contact-alert-type created records anyway (ids 7, external-id coupakit-conformance-golden-1)"},
				},
				Omitted: 2,
			},
			{
				ID: "events.error-format.createEvents", Level: conformance.Should, Status: conformance.Fail, API: "sourcing",
				Operation: "createEvents", Source: "sourcing.yaml#/components/schemas/Errors",
				Title:    "Error responses have the body the spec describes.",
				Message:  "POST /api/events answered 400: response header Content-Type has unexpected value: \"application/xml\" <errors> & co",
				Request:  `curl -sS -X POST 'http://cso.example/api/events' --data-raw '{"events":[{}]}'`,
				Problems: []conformance.Problem{{Message: "POST /api/events answered 400: response header Content-Type has unexpected value: \"application/xml\" <errors> & co", Request: `curl -sS -X POST 'http://cso.example/api/events' --data-raw '{"events":[{}]}'`}},
			},
			{
				ID: "events.list.limit-cap", Level: conformance.Must, Status: conformance.Skip, API: "sourcing",
				Operation: "listEvents", Source: "sourcing.yaml#/paths/~1api~1events/get/parameters",
				Title:   "A limit above 250 is capped.",
				Message: "fewer than 251 events, and a read-only run creates none: the cap cannot be observed",
				Enable:  "a full run, which creates the events",
			},
		},
		Coverage: conformance.Coverage{
			Operations: []conformance.OperationCoverage{
				{API: "core", Operation: "listIntegrationErrors", Method: "GET", Path: "/api/integration_errors", Requests: 3, Documented: []int{200, 400}, Exercised: []int{200}},
				{API: "core", Operation: "createIntegrationError", Method: "POST", Path: "/api/integration_errors", Requests: 2, Documented: []int{201, 400, 413, 415}, Exercised: []int{201}},
				{API: "sourcing", Operation: "createEvents", Method: "POST", Path: "/api/events", Requests: 1, Documented: []int{201, 400, 413, 415}, Exercised: []int{400}, Undocumented: []int{422}},
				{API: "sourcing", Operation: "listEvents", Method: "GET", Path: "/api/events", Requests: 1, Documented: []int{200, 400}, Exercised: []int{200}},
			},
			Enums: []conformance.EnumCoverage{
				{Resource: "events", Element: "state", Allowed: []string{"Setup", "Active", "Terminated"}, Accepted: []string{"Setup"}, Rejected: []string{"setup", "Einrichtung"}},
			},
		},
	}
}

func TestReportFormats(t *testing.T) {
	report := sampleReport()
	tests := []struct {
		golden string
		write  func(*conformance.Report, io.Writer) error
		parse  func(t *testing.T, data []byte)
	}{
		{"report.txt", (*conformance.Report).WriteText, nil},
		{"report.html", (*conformance.Report).WriteHTML, func(t *testing.T, data []byte) {
			page := string(data)
			for _, banned := range []string{"<script", "src=", "<link", "@import", "url(", "http-equiv"} {
				if strings.Contains(strings.ToLower(page), banned) {
					t.Errorf("the HTML report is not self-contained: it has %q", banned)
				}
			}
			for _, want := range []string{
				`id="verdict">FAIL<`, "Conformance score 75/100", "http://core.example", "30 November 2026, 14:05 UTC", "v1.2.3", "core.yaml 1.0.0", "sourcing.yaml 1.0.0",
				"<svg", "@page { size: A4",
				"A create without contact-alert-type is rejected with 400 naming it, and nothing is created.",
				"core.yaml#/components/schemas/IntegrationError/required",
				"curl -sS -X POST &#39;http://core.example/api/integration_errors&#39; -H &#34;Authorization: Bearer $COUPAKIT_TOKEN&#34;",
				"201 Created (application/json)", "and 2 more problems",
				"To run them: a full run, which creates the events.",
				"&lt;errors&gt; &amp; co",
			} {
				if !strings.Contains(page, want) {
					t.Errorf("the HTML report does not show %q", want)
				}
			}
		}},
		{"report.md", (*conformance.Report).WriteMarkdown, func(t *testing.T, data []byte) {
			md := string(data)
			for _, want := range []string{"## coupakit check: FAIL, score 75/100", "**createIntegrationError**", "`integration_errors.create.required.contact-alert-type` (must)", "to run them, a full run"} {
				if !strings.Contains(md, want) {
					t.Errorf("the Markdown report does not say %q:\n%s", want, md)
				}
			}
			if strings.Contains(md, "curl") || strings.Count(md, "\n") > 40 {
				t.Errorf("the Markdown summary is not short:\n%s", md)
			}
		}},
		{"report.json", (*conformance.Report).WriteJSON, func(t *testing.T, data []byte) {
			var got struct {
				Passed bool
				Counts conformance.Counts
				Checks []conformance.Result
			}
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("the JSON report does not parse: %v", err)
			}
			if got.Passed || got.Counts != (conformance.Counts{Pass: 1, Fail: 2, Skip: 1, MustFailed: 1, ShouldFailed: 1}) {
				t.Errorf("passed %v, counts %+v", got.Passed, got.Counts)
			}
			if diff := cmp.Diff(report.Results, got.Checks); diff != "" {
				t.Errorf("the JSON report's checks mismatch (-want +got):\n%s", diff)
			}
		}},
		{"report.xml", (*conformance.Report).WriteJUnit, func(t *testing.T, data []byte) {
			var got struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
				Skipped  int `xml:"skipped,attr"`
				Suites   []struct {
					Name  string `xml:"name,attr"`
					Cases []struct {
						Name    string `xml:"name,attr"`
						Failure *struct {
							Message string `xml:"message,attr"`
						} `xml:"failure"`
						SystemOut string `xml:"system-out"`
					} `xml:"testcase"`
				} `xml:"testsuite"`
			}
			if err := xml.Unmarshal(data, &got); err != nil {
				t.Fatalf("the JUnit report does not parse: %v", err)
			}
			// The should-level failure does not fail the run: it is not a
			// JUnit failure, but shows in system-out.
			if got.Tests != 4 || got.Failures != 1 || got.Skipped != 1 || len(got.Suites) != 2 {
				t.Errorf("tests %d, failures %d, skipped %d, suites %d", got.Tests, got.Failures, got.Skipped, len(got.Suites))
			}
			if c := got.Suites[1].Cases[0]; c.Failure != nil || !strings.Contains(c.SystemOut, "<errors> & co") {
				t.Errorf("the should-level failure is %+v", c)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(&report, &buf); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", tt.golden), buf.Bytes())
			if tt.parse != nil {
				tt.parse(t, buf.Bytes())
			}
		})
	}
}

func TestStrictReportFailsShouldInJUnit(t *testing.T) {
	report := sampleReport()
	report.Strict = true
	var buf bytes.Buffer
	if err := report.WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<failure message="POST /api/events answered 400`) || !strings.Contains(buf.String(), `failures="2"`) {
		t.Errorf("a strict report does not fail the should-level check:\n%s", buf.String())
	}
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		tb.Errorf("%s mismatch (-want +got), run go test -update if the change is right:\n%s", path, diff)
	}
}

// TestScore pins the score CHECKS.md defines: 100 only when every must
// check passes and every operation is exercised, less for each gap.
func TestScore(t *testing.T) {
	res := func(op string, level conformance.Level, st conformance.Status) conformance.Result {
		return conformance.Result{ID: "x." + op, Operation: op, Level: level, Status: st, API: "core"}
	}
	ops := func(requests ...int) []conformance.OperationCoverage {
		out := make([]conformance.OperationCoverage, len(requests))
		for i, n := range requests {
			out[i] = conformance.OperationCoverage{API: "core", Operation: string(rune('a' + i)), Requests: n}
		}
		return out
	}
	M, S := conformance.Must, conformance.Should
	P, F, K := conformance.Pass, conformance.Fail, conformance.Skip
	for _, tt := range []struct {
		name    string
		results []conformance.Result
		ops     []conformance.OperationCoverage
		strict  bool
		want    int
	}{
		{"everything passes", []conformance.Result{res("a", M, P), res("b", M, P), res("-", M, P)}, ops(1, 1), false, 100},
		{"a should failure does not count", []conformance.Result{res("a", M, P), res("a", S, F), res("b", M, P)}, ops(1, 1), false, 100},
		{"unless strict", []conformance.Result{res("a", M, P), res("a", S, F), res("b", M, P)}, ops(1, 1), true, 75},
		{"skips do not count", []conformance.Result{res("a", M, P), res("a", M, K), res("b", M, P)}, ops(1, 1), false, 100},
		{"half of an operation's must checks", []conformance.Result{res("a", M, P), res("a", M, F), res("b", M, P)}, ops(1, 1), false, 75},
		{"an operation not exercised", []conformance.Result{res("a", M, P), res("b", M, K)}, ops(1, 0), false, 50},
		{"exercised without a judged check", []conformance.Result{res("a", M, P)}, ops(1, 3), false, 100},
		{"a failure outside any operation", []conformance.Result{res("a", M, P), res("b", M, P), res("-", M, F)}, ops(1, 1), false, 66},
		{"one failure in many never rounds up to 100", append(repeat(res("a", M, P), 999), res("a", M, F)), ops(1), false, 99},
		{"no operation", nil, nil, false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := conformance.Report{Results: tt.results, Strict: tt.strict}
			r.Coverage.Operations = tt.ops
			if got := r.Score(); got != tt.want {
				t.Errorf("score %d; want %d", got, tt.want)
			}
		})
	}
}

func repeat(r conformance.Result, n int) []conformance.Result {
	out := make([]conformance.Result, n)
	for i := range out {
		out[i] = r
	}
	return out
}

// TestReportAdd shows that another family's results and operations count
// in the verdict, the score and the reports.
func TestReportAdd(t *testing.T) {
	r := conformance.Report{RunID: "add", Targets: map[string]string{"sftp": "127.0.0.1:2222"}}
	r.Add([]conformance.Result{{ID: "sftp.upload.archive", API: "sftp", Operation: "upload", Level: conformance.Must, Status: conformance.Fail,
		Title: "An uploaded file is archived.", Source: "sftpd", Message: "not archived", Problems: []conformance.Problem{{Message: "not archived"}}}},
		conformance.OperationCoverage{API: "sftp", Operation: "upload", Requests: 2}, conformance.OperationCoverage{API: "sftp", Operation: "download"})
	if r.Passed() || r.Score() != 0 {
		t.Errorf("passed %v, score %d; want a failed run scoring 0", r.Passed(), r.Score())
	}
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"against sftp 127.0.0.1:2222", "FAIL  must   sftp.upload.archive  (upload)", "operations exercised: 1 of 2", "Not exercised: 1 of 2 operations (download)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text report does not say %q:\n%s", want, text.String())
		}
	}
}
