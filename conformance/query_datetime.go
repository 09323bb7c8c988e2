package conformance

import (
	"net/http"
	"net/url"
	"slices"
	"time"
)

// checkDatetime runs the datetime filters that incremental polling relies
// on, with the exact value of a record, offsets written several ways, no
// offset and dates alone. The universe should be one whose times spread
// over days and hours: records the run creates all have the same.
func checkDatetime(c *cctx, u *universe, fetch fetcher, els []element) {
	verifyScope(c, u, fetch)
	var f field
	var times []time.Time
	var shown []string
	for _, name := range []string{"updated-at", "created-at", ""} {
		for _, el := range els {
			if kindOfSchema(el.schema) != qTime || (name != "" && el.name != name) || el.writeOnly {
				continue
			}
			cand := field{path: []string{el.name}, kind: qTime}
			times, shown = nil, nil
			for _, rec := range u.recs {
				v, ok := cand.value(rec)
				s, _ := v.(string)
				t, err := time.Parse(time.RFC3339, s)
				if ok && err == nil {
					times, shown = append(times, t), append(shown, s)
				}
			}
			if len(times) > 0 {
				f = cand
				break
			}
		}
		if f.path != nil {
			break
		}
	}
	if f.path == nil {
		c.skipf("no datetime element has a value in the %s", u.describe())
	}
	// The pivot is the record in the middle, in time order.
	order := make([]int, len(times))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return times[a].Compare(times[b]) })
	mid := order[len(order)/2]
	p, pt := shown[mid], times[mid]
	utc := pt.UTC()
	cases := []filterCase{
		newCase(f, "gt", p),
		newCase(f, "gt_or_eq", p),
		newCase(f, "lt", p),
		newCase(f, "lt_or_eq", p),
		newCase(f, "", p),
		newCase(f, "gt_or_eq", utc.Format("2006-01-02T15:04:05")+"+00:00"),
		newCase(f, "gt", pt.In(time.FixedZone("", 5*3600+1800)).Format(time.RFC3339)),
		newCase(f, "lt", pt.In(time.FixedZone("", -7*3600)).Format(time.RFC3339)),
		newCase(f, "gt_or_eq", utc.Format("2006-01-02T15:04:05")),
	}
	// Dates alone, next to the records nearest midnight, where reading
	// them as another midnight than UTC's shows.
	late, early := order[0], order[0]
	for _, i := range order {
		if dayTime(times[i]) > dayTime(times[late]) {
			late = i
		}
		if dayTime(times[i]) < dayTime(times[early]) {
			early = i
		}
	}
	lateDay := times[late].UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	earlyDay := times[early].UTC().Format(time.DateOnly)
	cases = append(cases,
		newCase(f, "lt", lateDay), newCase(f, "gt_or_eq", lateDay),
		newCase(f, "gt_or_eq", earlyDay), newCase(f, "lt", earlyDay))
	sent := 0
	for i, fc := range cases {
		if i == 0 {
			sent += runBoth(c, u, fetch, f.path[0], fc)
			continue
		}
		runCase(c, u, fetch, fc)
		sent++
	}
	c.notef("%d filters on %s around %s (the %s of record %s) and the dates %s and %s, on %s", sent, f.key(), p, f.key(), u.ids[mid], earlyDay, lateDay, u.describe())
}

// dayTime is the time of day of t in UTC.
func dayTime(t time.Time) time.Duration {
	t = t.UTC()
	return t.Sub(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC))
}

// invalidFilters are filters the spec answers with 400: an unknown
// operator, malformed values, an unknown element of an association.
func invalidFilters(els []element) []url.Values {
	var out []url.Values
	var str, num, tim, assoc string
	for _, el := range els {
		if el.writeOnly || el.name == "id" {
			continue
		}
		switch k := kindOfSchema(el.schema); {
		case k == qString && str == "":
			str = el.name
		case (k == qInt || k == qNumber) && num == "":
			num = el.name
		case k == qTime && tim == "":
			tim = el.name
		case k == qNone && el.is("object") && len(el.schema.Properties) > 0 && assoc == "":
			assoc = el.name
		}
	}
	if str != "" {
		out = append(out, url.Values{str + "[like]": {"x"}}, url.Values{str + "[blank]": {"maybe"}})
	}
	if num != "" {
		out = append(out, url.Values{num + "[gt]": {"abc"}})
	}
	if tim != "" {
		out = append(out, url.Values{tim + "[gt]": {"yesterday"}}, url.Values{tim + "[gt]": {"2026-13-45T25:61:00Z"}})
	}
	if assoc != "" {
		out = append(out, url.Values{assoc + "[statut]": {"x"}})
	}
	return out
}

// checkInvalidFilters sends each invalid filter and wants 400.
func checkInvalidFilters(c *cctx, path string, els []element) {
	cases := invalidFilters(els)
	if len(cases) == 0 {
		c.skipf("no element to write an invalid filter on")
	}
	for _, q := range cases {
		ex := c.do(request{method: http.MethodGet, path: path, query: q})
		if ex.status != http.StatusBadRequest {
			c.errorf(ex, "the index with %s answered %s; want 400, never a silently ignored filter", q.Encode(), ex.summary())
		}
	}
	c.notef("%d invalid filters", len(cases))
}
