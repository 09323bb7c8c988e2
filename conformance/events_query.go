package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// universe returns the events of the query checks, made once: in a full
// run, six events the run creates with chosen values; else the first
// events of the index.
func (r *eventsRes) universe(c *cctx) *universe {
	if r.qu == nil {
		if r.s.target.ReadOnly {
			r.qu = r.sample(c)
		} else {
			r.qu = r.design(c)
		}
	}
	if len(r.qu.recs) == 0 {
		c.skipTo("a full run, which creates events", "no events to filter")
	}
	return r.qu
}

// sample takes the first events of the index; when there are more than
// maxUniverse, the scope id[in] selects them.
func (r *eventsRes) sample(c *cctx) *universe {
	recs, _ := fetchAll(r)(c, url.Values{})
	var scope url.Values
	if len(recs) > maxUniverse {
		recs = recs[:maxUniverse]
		ids := make([]string, len(recs))
		for i, ev := range recs {
			ids[i] = idString(ev["id"])
		}
		scope = url.Values{"id[in]": {strings.Join(ids, ",")}}
	}
	return newUniverse(recs, scope, false)
}

// design creates six events with chosen values in one request, marked
// P-<word>-<i> with a new marker P, and reads them back.
func (r *eventsRes) design(c *cctx) *universe {
	p := r.s.marker()
	items := make([]map[string]any, len(designWords))
	for i := range items {
		it := r.minimal(c, fmt.Sprintf("%s-%s-%d", p, designWords[i], i))
		if s := designStrings[i]; s != "" {
			it["name"], it["description"] = "coupakit "+s, s+" event"
			it["time-zone"] = timeZones[i%len(timeZones)]
			it["settings"] = map[string]any{"currency": currencies[i%len(currencies)]}
		}
		if i != 3 {
			it["state"] = []string{"Setup", "Active", "Terminated"}[i%3]
		}
		items[i] = it
	}
	ids, _ := r.create(c, items...)
	var recs []map[string]any
	for _, id := range ids {
		ev, _ := r.show(c, id)
		recs = append(recs, ev)
	}
	return newUniverse(recs, url.Values{eventMarker + "[starts_with]": {p}}, true)
}

func (r *eventsRes) checkJSONOnly(c *cctx) {
	for _, rq := range []request{
		{method: http.MethodGet, path: r.path(""), query: url.Values{"limit": {"1"}}, accept: "application/xml", valid: true},
		{method: http.MethodGet, path: r.path(""), query: url.Values{"limit": {"1"}}, accept: "*/*", valid: true},
		{method: http.MethodGet, path: r.path(""), query: url.Values{"limit": {"1"}}, noAccept: true, valid: true},
	} {
		// Error answers are left to the should-level error-format checks:
		// the vendor's page says they are XML.
		ex := c.do(rq)
		accept := cmpOr(rq.accept, "none")
		mt := strings.ToLower(ex.header.Get("Content-Type"))
		if !strings.HasPrefix(mt, "application/json") || ex.value == nil {
			c.errorf(ex, "%s %s with Accept %s answered %d %q: %s; want JSON", rq.method, rq.path, accept, ex.status, ex.header.Get("Content-Type"), ex.summary())
		}
	}
}

func (r *eventsRes) checkAuth(c *cctx) {
	if !r.s.csoAuth {
		c.skipTo("--auth oauth (the default), with the Sourcing API's key", "--auth none: the certifier states that the target has no authentication")
	}
	var rqs []request
	for _, rq := range opTargets(r.sp, unknownEventID, unknownEventID, r.s.target.ReadOnly) {
		rq.auth = authNone
		rqs = append(rqs, rq)
		rq.auth, rq.token = authKey, "coupakit-conformance-made-up-key"
		rqs = append(rqs, rq)
	}
	for _, rq := range rqs {
		ex := c.do(rq)
		what := "without X-CSO-API-KEY"
		if rq.auth == authKey {
			what = "with a made-up X-CSO-API-KEY"
		}
		if ex.status != http.StatusUnauthorized {
			c.errorf(ex, "%s %s %s answered %s; want 401", rq.method, rq.path, what, ex.summary())
		}
	}
}
