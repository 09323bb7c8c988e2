package query_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/query"
)

// FuzzParseValues feeds arbitrary raw queries through ParseValues, Parse,
// Match and Order: nothing may panic; every refusal is an *query.Error; what
// ParseValues reads, url.ParseQuery reads the same, without an error (so
// nothing was dropped). Seeds are in testdata/fuzz/FuzzParseValues.
func FuzzParseValues(f *testing.F) {
	f.Add("code=x&count[gt]=3&owner[team][code][in]=a,b&order_by=name")
	f.Fuzz(func(t *testing.T, raw string) {
		values, err := query.ParseValues(raw)
		if err != nil {
			var qe *query.Error
			if !errors.As(err, &qe) {
				t.Fatalf("error %T is not a *query.Error: %v", err, err)
			}
			return
		}
		std, stdErr := url.ParseQuery(raw)
		if stdErr != nil {
			t.Fatalf("ParseValues read %q, url.ParseQuery fails: %v", raw, stdErr)
		}
		if diff := cmp.Diff(std, values); diff != "" {
			t.Fatalf("ParseValues and url.ParseQuery differ (-std +ParseValues):\n%s", diff)
		}
		filter, err := recSchema.Parse(values, "limit", "offset", "order_by", "dir")
		if err != nil {
			var qe *query.Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse error %T is not a *query.Error: %v", err, err)
			}
		} else {
			filter.Match(full())
			filter.Match(&rec{})
		}
		if name := values.Get("order_by"); name != "" {
			if cmpFn, err := recSchema.Order(name, values.Get("dir") == "desc"); err == nil {
				if a, b := full(), (&rec{}); cmpFn(a, b) != -cmpFn(b, a) {
					t.Fatalf("order by %q is not antisymmetric", name)
				}
			}
		}
	})
}
