package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// queryChecks adds the checks of the query language and of ordering.
func (r *coreRes) queryChecks(out *[]*check) {
	n := r.name
	src := r.sp.source("#/info/description")
	r.kf.add(out, &check{id: n + ".list.operators", op: r.list, source: src,
		title: "[not_eq], [in], [not_in], [contains], [starts_with], [ends_with], [gt], [lt], [gt_or_eq], [lt_or_eq] and [blank] return exactly the matching records (an absent element matches only [blank]=true), with hyphens or underscores in element names.",
		run: func(c *cctx) {
			checkOperators(c, r.universe(c), fetchAll(r), fields(r.listItems, false))
		}})
	r.kf.add(out, &check{id: n + ".list.filter-datetime", op: r.list, source: src,
		title: "Datetime filters compare instants exactly: [gt] with a record's own updated-at leaves it out and [gt_or_eq] keeps it; offsets (+00:00 sent as %2B00%3A00, +05:30, -07:00), no offset (UTC) and a date alone (midnight UTC) are understood (on the first records of the index, whose times spread).",
		run: func(c *cctx) {
			checkDatetime(c, r.sampled(c), fetchAll(r), r.listItems)
		}})
	if r.marker != "" && slices.ContainsFunc(r.listItems, func(e element) bool { return e.name == "updated-at" }) {
		r.kf.add(out, &check{id: n + ".list.filter-datetime-offsets", op: r.list, source: src, mutates: true,
			title: "updated-at[gt], [gt_or_eq], [lt] and [lt_or_eq] with boundaries in +05:30 and -07:00, an hour before, at and an hour after the records the run made, return exactly the matching records: an offset read as UTC fails.",
			run:   r.checkDatetimeOffsets})
	}
	r.kf.add(out, &check{id: n + ".list.filter-nested", op: r.list, source: src,
		title: "Filters on the elements of associations (integration[code], integration[code][in], created-by[login], [blank]) return exactly the matching records, with hyphens or underscores.",
		run: func(c *cctx) {
			checkNested(c, r.universe(c), fetchAll(r), fields(r.listItems, true))
		}})
	r.kf.add(out, &check{id: n + ".list.operator-invalid", op: r.list, source: src,
		title: "An unknown operator ([like]), a malformed value ([gt]=abc, [gt]=yesterday, [blank]=maybe) or an unknown element of an association is answered 400, never a silent list.",
		run:   func(c *cctx) { checkInvalidFilters(c, r.path(r.list, ""), r.listItems) }})
	if r.hasParam(r.list, "order_by") {
		r.kf.add(out, &check{id: n + ".list.order", op: r.list, source: r.sp.source("#/components/parameters/order_by"),
			title: "order_by orders by an element (hyphens or underscores), records without it first and equal values in id order; dir=desc reverses; an unknown element or direction is 400.",
			run:   r.checkOrder})
	}
}

// hasParam reports whether the operation takes the query parameter name.
func (r *coreRes) hasParam(opID, name string) bool {
	for _, p := range r.op(opID).op.Parameters {
		if p.Value != nil && p.Value.In == "query" && p.Value.Name == name {
			return true
		}
	}
	return false
}

// universe returns the records of the query checks, made once: in a full
// run on a resource with a marker, records the run creates with chosen
// values; else the first records of the index.
func (r *coreRes) universe(c *cctx) *universe {
	if r.qu == nil {
		if r.marker != "" && !r.s.target.ReadOnly {
			r.qu = r.design(c)
		} else {
			r.qu = r.sample(c)
		}
	}
	if len(r.qu.recs) == 0 {
		c.skipTo("a full run, which creates records", "no records to filter")
	}
	return r.qu
}

// sampled returns the first records of the index as a universe, taken
// once: their times spread, as the datetime filters need.
func (r *coreRes) sampled(c *cctx) *universe {
	if r.su == nil {
		r.su = r.sample(c)
	}
	if len(r.su.recs) == 0 {
		c.skipTo("a full run, which creates records", "no records to filter")
	}
	return r.su
}

// sample takes the first records of the index; when there are more than
// maxUniverse, the scope id[lt_or_eq] selects them.
func (r *coreRes) sample(c *cctx) *universe {
	recs, _ := fetchAll(r)(c, nil)
	var scope url.Values
	if len(recs) > maxUniverse {
		recs = recs[:maxUniverse]
		scope = url.Values{"id[lt_or_eq]": {idString(recs[len(recs)-1]["id"])}}
	}
	return newUniverse(recs, scope, false)
}

// Values of the designed records, by record: strings repeat and are left
// out once, integers are out of id order and left out once, so that every
// operator and order can tell right from wrong.
var (
	designWords   = []string{"alpha", "beta", "gamma", "alpha", "delta", "beta"}
	designStrings = []string{"red", "green", "red", "", "blue", "teal-green"}
	designInts    = []int{3, 0, 1, 6, 2, 5}
)

// design creates six records with chosen values, marked P-<word>-<i> with
// a new marker P, and scoped by <marker>[starts_with]=P.
func (r *coreRes) design(c *cctx) *universe {
	r.s.discover()
	p := r.s.marker()
	var recs []map[string]any
	for i := range designWords {
		body := map[string]any{r.marker: fmt.Sprintf("%s-%s-%d", p, designWords[i], i)}
		for k, el := range r.els {
			if el.readOnly || el.writeOnly || el.name == r.marker {
				continue
			}
			if v, ok := r.designValue(el, k, i, p); ok {
				body[el.name] = v
			} else if el.required {
				c.fatalf(nil, "internal: cannot make a value for the required element %s (is there an integration to refer to?)", el.name)
			}
		}
		rec, _ := r.post(c, r.create, body)
		recs = append(recs, rec)
	}
	return newUniverse(recs, url.Values{r.marker + "[starts_with]": {p}}, true)
}

// designValue is the value of element el (the k-th) of designed record i.
func (r *coreRes) designValue(el element, k, i int, p string) (any, bool) {
	var v any
	switch {
	case slices.Contains(r.unique, el.name):
		v = fmt.Sprintf("coupakit %s-%d", p, i)
	case el.name == "integration":
		if r.s.integration == nil || (i%2 == 1 && !el.required) {
			return nil, false
		}
		v = r.s.integration
	case el.name == "integration-run-id":
		if r.s.runRef == nil || (i%3 != 0 && !el.required) {
			return nil, false
		}
		v = r.s.runRef
	case len(el.enum()) > 0:
		if i == 3 && !el.required {
			return nil, false
		}
		v = el.enum()[(i+k)%len(el.enum())]
	case el.is("string") && el.schema.Format == "" && el.schema.Pattern == "":
		s := designStrings[i]
		if s == "" {
			if !el.required {
				return nil, false
			}
			s = "purple"
		}
		if el.schema.MaxLength != nil && uint64(len(s)) > *el.schema.MaxLength {
			s = s[:*el.schema.MaxLength]
		}
		v = s
	case el.is("integer"):
		n := designInts[i]
		if n == 0 {
			if !el.required {
				return nil, false
			}
			n = 4
		}
		v = n*100 + k
	case el.is("boolean"):
		v = i%2 == 0
	case el.required:
		return sampler{}.value(el.name, el.schema, i)
	default:
		return nil, false
	}
	return v, valid(el.schema, v)
}

// orderField is a field the order check sorts by, and the name it sends.
type orderField struct {
	f    field
	name string
}

func (r *coreRes) checkOrder(c *cctx) {
	u := r.universe(c)
	fetch := fetchAll(r)
	verifyScope(c, u, fetch)
	sent := 0
	with := func(extra url.Values) url.Values {
		q := url.Values{}
		for k, v := range u.scope {
			q[k] = slices.Clone(v)
		}
		for k, v := range extra {
			q[k] = v
		}
		return q
	}
	ids := func(recs []map[string]any) []string {
		out := make([]string, len(recs))
		for i, rec := range recs {
			out[i] = idString(rec["id"])
		}
		return out
	}

	// dir alone reverses the id order.
	recs, ex := fetch(c, with(url.Values{"dir": {"desc"}}))
	sent++
	reversed := slices.Clone(u.ids)
	slices.Reverse(reversed)
	if got := ids(recs); !slices.Equal(got, reversed) {
		c.errorf(ex, "dir=desc returned ids [%s]; want the id order reversed, [%s]", strings.Join(got, ", "), strings.Join(reversed, ", "))
	}

	for _, of := range r.orderFields(u) {
		q := with(url.Values{"order_by": {of.name}})
		recs, ex := fetch(c, q)
		sent++
		got := ids(recs)
		want := sortedBy(u, of.f, false)
		if of.f.kind == qString && !slices.Equal(got, want) && slices.Equal(got, sortedBy(u, of.f, true)) {
			want = got
		}
		if !slices.Equal(got, want) {
			c.errorf(ex, "order_by=%s returned ids [%s]; want [%s] (records without %s first, then ascending, equal values in id order)",
				of.name, strings.Join(got, ", "), strings.Join(want, ", "), of.f.key())
		}
		q.Set("dir", "desc")
		recs, ex = fetch(c, q)
		sent++
		if got := recIDs(recs); !slices.Equal(got, u.ids) {
			c.errorf(ex, "order_by=%s&dir=desc returned ids [%s]; want the same records, [%s]", of.name, strings.Join(got, ", "), strings.Join(u.ids, ", "))
			continue
		}
		if at, ok := descending(recs, of.f, false); !ok {
			if _, folded := descending(recs, of.f, true); of.f.kind != qString || !folded {
				c.errorf(ex, "order_by=%s&dir=desc is not in descending order of %s: record %s follows a record with a smaller value", of.name, of.f.key(), idString(recs[at]["id"]))
			}
		}
	}
	for _, q := range []url.Values{{"order_by": {"statut"}}, {"dir": {"sideways"}}} {
		ex := c.do(request{method: http.MethodGet, path: r.path(r.list, ""), query: q})
		sent++
		if ex.status != http.StatusBadRequest {
			c.errorf(ex, "the index with %s answered %s; want 400", q.Encode(), ex.summary())
		}
	}
	c.notef("%d orders of %s", sent, u.describe())
}

// descending reports whether the values of f in recs never increase,
// records without it aside, and where they first do.
func descending(recs []map[string]any, f field, fold bool) (int, bool) {
	var prev string
	seen := false
	for i, rec := range recs {
		v, ok := f.value(rec)
		if !ok {
			continue
		}
		cur := mustOperand(v)
		if fold {
			cur = strings.ToLower(cur)
		}
		if seen {
			if d, ok := compareValues(f.kind, cur, prev); ok && d > 0 {
				return i, false
			}
		}
		prev, seen = cur, true
	}
	return 0, true
}

func mustOperand(v any) string {
	s, _ := operand(v)
	return s
}

// orderFields chooses what the order check sorts by: an integer element, a
// datetime element (with underscores) and a string element, each with
// values that differ in the universe.
func (r *coreRes) orderFields(u *universe) []orderField {
	var out []orderField
	taken := map[qkind]bool{}
	for _, f := range fields(r.listItems, false) {
		if f.path[0] == "id" || taken[f.kind] || f.kind == qBool || f.kind == qNumber {
			continue
		}
		vals, _ := present(u, f)
		if len(vals) < 2 {
			continue
		}
		if f.kind == qTime && f.path[0] != "updated-at" && slices.ContainsFunc(r.listItems, func(e element) bool { return e.name == "updated-at" }) {
			continue
		}
		taken[f.kind] = true
		name := f.key()
		if f.kind == qTime {
			name = underscored(name)
		}
		out = append(out, orderField{f: f, name: name})
	}
	return out
}

// sortedBy returns the ids of u ordered by f: records without it first,
// then ascending, equal values in id order. fold compares strings without
// regard to case, as a database collation may.
func sortedBy(u *universe, f field, fold bool) []string {
	idx := make([]int, len(u.recs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		va, oka := f.value(u.recs[a])
		vb, okb := f.value(u.recs[b])
		switch {
		case !oka && !okb:
			return 0
		case !oka:
			return -1
		case !okb:
			return 1
		}
		sa, sb := mustOperand(va), mustOperand(vb)
		if fold && f.kind == qString {
			sa, sb = strings.ToLower(sa), strings.ToLower(sb)
		}
		d, _ := compareValues(f.kind, sa, sb)
		return d
	})
	out := make([]string, len(idx))
	for i, k := range idx {
		out[i] = u.ids[k]
	}
	return out
}

// offsetZones are the offsets the datetime filters are sent in: a server
// that reads one as UTC puts the boundary hours off.
var offsetZones = []*time.Location{time.FixedZone("+05:30", 5*3600+1800), time.FixedZone("-07:00", -7*3600)}

// checkDatetimeOffsets filters the records the run made (never the
// target's own) by updated-at, with boundaries in +05:30 and -07:00 an hour
// before, at and an hour after their latest updated-at: each offset's
// window holds the records on one side and not on the other, so that a
// server which reads the offset as UTC answers the wrong records.
func (r *coreRes) checkDatetimeOffsets(c *cctx) {
	u := r.universe(c)
	if !u.created {
		c.skipTo("a full run on a resource with a marker", "the run made no records to filter")
	}
	verifyScope(c, u, fetchAll(r))
	f := field{path: []string{"updated-at"}, kind: qTime}
	var latest time.Time
	for _, rec := range u.recs {
		t, err := time.Parse(time.RFC3339, fmt.Sprint(rec["updated-at"]))
		if err != nil {
			c.fatalf(nil, "record %s has no RFC 3339 updated-at: %s", idString(rec["id"]), short(rec["updated-at"]))
		}
		latest = later(latest, t)
	}
	sent := 0
	for _, zone := range offsetZones {
		for _, at := range []time.Duration{-time.Hour, 0, time.Hour} {
			b := latest.Add(at).In(zone).Format(time.RFC3339)
			for _, op := range []string{"gt", "gt_or_eq", "lt", "lt_or_eq"} {
				runCase(c, u, fetchAll(r), newCase(f, op, b))
				sent++
			}
		}
	}
	c.notef("%d filters on updated-at around %s, in %s and %s, on %s", sent, latest.UTC().Format(time.RFC3339), offsetZones[0], offsetZones[1], u.describe())
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
