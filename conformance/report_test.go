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

	"github.com/coupakit/coupakit/conformance"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleReport has a result of every kind, with text that needs escaping.
func sampleReport() conformance.Report {
	return conformance.Report{
		RunID:      "golden",
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
						Message: "a create without contact-alert-type answered 201 {\"id\":7}; want 400",
						Request: `curl -sS -X POST 'http://core.example/api/integration_errors' -H 'Content-Type: application/json' --data-raw '{"external-id":"coupakit-conformance-golden-1"}'`,
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
