package query_test

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/query"
)

func TestParseValues(t *testing.T) {
	many := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("p%d=1", i)
		}
		return strings.Join(parts, "&")
	}
	good := []struct {
		raw  string
		want url.Values
	}{
		{"", url.Values{}},
		{"contact-alert-type=Both", url.Values{"contact-alert-type": {"Both"}}},
		{"status=a&status=b&&x", url.Values{"status": {"a", "b"}, "x": {""}}},
		{"name[contains]=a%3Bb+c%25", url.Values{"name[contains]": {"a;b c%"}}},
		{"updated-at%5Bgt%5D=2026-11-23T10:00:00%2B01:00", url.Values{"updated-at[gt]": {"2026-11-23T10:00:00+01:00"}}},
		{"k=%C3%A9t%C3%A9", url.Values{"k": {"été"}}},
		{many(query.MaxParams), nil},
		{many(query.MaxParams) + strings.Repeat("&", 5000), nil},
	}
	for _, tt := range good {
		name := tt.raw
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		t.Run("ok "+name, func(t *testing.T) {
			got, err := query.ParseValues(tt.raw)
			if err != nil {
				t.Fatalf("ParseValues: %v", err)
			}
			std, stdErr := url.ParseQuery(tt.raw)
			if stdErr != nil {
				t.Fatalf("url.ParseQuery: %v", stdErr)
			}
			if diff := cmp.Diff(std, got); diff != "" {
				t.Errorf("differs from url.ParseQuery (-std +got):\n%s", diff)
			}
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}

	bad := []struct {
		name, raw string
		param     string // the *Error's Param
		reason    string // part of its Reason
	}{
		{"semicolon in the value", "contact-alert-type=Both;x=1", "contact-alert-type", "semicolon"},
		{"semicolon alone", "a=1&;&b=2", ";", "semicolon"},
		{"semicolon in the name", "a;b=1", "a;b", "semicolon"},
		{"bad escape in the value", "status=error&nope=%zz", "nope", `"%zz" is not an escape`},
		{"lone percent", "status=100%", "status", `"%" is not an escape`},
		{"bad escape in the name", "st%ZZatus=x", "st%ZZatus", "bad percent-escape"},
		{"value not UTF-8", "name=%ff%fe", "name", "not valid UTF-8"},
		{"name not UTF-8", "%C3=1", "\uFFFD", "not valid UTF-8"},
		{"too many parameters", many(query.MaxParams + 1), "", fmt.Sprintf("%d parameters; at most %d", query.MaxParams+1, query.MaxParams)},
		{"10,000 parameters", many(10_000), "", "10000 parameters"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			got, err := query.ParseValues(tt.raw)
			var qe *query.Error
			if !errors.As(err, &qe) {
				t.Fatalf("ParseValues = %v, %v; want an *query.Error", got, err)
			}
			if qe.Param != tt.param || !strings.Contains(qe.Reason, tt.reason) {
				t.Errorf("error = %q (param %q); want param %q and a reason with %q", err, qe.Param, tt.param, tt.reason)
			}
			// What the standard library does with the same query: it
			// drops what it cannot read and keeps the rest, or everything.
			std, stdErr := url.ParseQuery(tt.raw)
			t.Logf("url.ParseQuery keeps %d of the parameters (error %v)", len(std), stdErr != nil)
		})
	}
}
