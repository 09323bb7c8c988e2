package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// listFamily returns the checks of an index and its paging, written once
// for every kind: list, limit, limit-cap, offset, past-end, filter and
// bad-parameter.
func listFamily(k kind) []*check {
	f := k.facts()
	n, op := f.name, f.listOp
	var out []*check
	shape, totalRule := "a JSON array of", ""
	if f.total {
		shape, totalRule = "total and", "; total is at least the page's length"
	}
	f.add(&out, &check{id: n + ".list", op: op, source: f.listSource,
		title: fmt.Sprintf("The index answers 200 with %s at most %d %s, ordered by id, without duplicates%s.", shape, f.maxPage, f.nouns, totalRule),
		run:   func(c *cctx) { checkList(c, k) }})
	limitRule := ""
	if f.total {
		limitRule = ", and total still counts every " + f.noun
	}
	f.add(&out, &check{id: n + ".list.limit", op: op, source: f.limitSource,
		title: fmt.Sprintf("limit=2 returns the first 2 %s of the list%s.", f.nouns, limitRule), run: func(c *cctx) { checkLimit(c, k) }})
	f.add(&out, &check{id: n + ".list.limit-cap", op: op, source: f.limitSource,
		title: fmt.Sprintf("A limit above %d, or none, returns %d %s when more exist: limit is capped at %d.", f.maxPage, f.maxPage, f.nouns, f.maxPage),
		run:   func(c *cctx) { checkLimitCap(c, k) }})
	f.add(&out, &check{id: n + ".list.offset", op: op, source: f.offsetSource,
		title: fmt.Sprintf("offset skips %s, 0-based: consecutive pages do not overlap and together are the longer page.", f.nouns),
		run:   func(c *cctx) { checkOffset(c, k) }})
	pastEnd := "A page past the end is 200 []."
	if f.total {
		pastEnd = fmt.Sprintf("A page past the end has no %s and the same total.", f.nouns)
	}
	f.add(&out, &check{id: n + ".list.past-end", op: op, source: f.pastEndSource, title: pastEnd, run: func(c *cctx) { checkPastEnd(c, k) }})
	filterRule := "Filters on top-level scalar elements match exactly, with hyphens or underscores in the name."
	if f.total {
		filterRule = fmt.Sprintf("Filters on the scalar elements match exactly, and total counts the matching %s.", f.nouns)
	}
	f.add(&out, &check{id: n + ".list.filter", op: op, source: f.filterSource, title: filterRule, run: func(c *cctx) { checkFilter(c, k) }})
	f.add(&out, &check{id: n + ".list.bad-parameter", op: op, source: f.badParamSource,
		title: "A limit or offset outside its schema (limit=0, limit=abc, offset=-1) answers 400.", run: func(c *cctx) { checkBadParameter(c, k) }})
	return out
}

func checkList(c *cctx, k kind) {
	f := k.facts()
	p := k.page(c, nil)
	if len(p.ids) > f.maxPage {
		c.errorf(p.ex, "the index returned %d %s without a limit; the default and maximum page is %d", len(p.ids), f.nouns, f.maxPage)
	}
	if f.total && p.total < int64(len(p.ids)) {
		c.errorf(p.ex, "total is %d, fewer than the %d %s of the page", p.total, len(p.ids), f.nouns)
	}
	for i := 1; i < len(p.ids); i++ {
		if compareIDs(p.ids[i], p.ids[i-1]) <= 0 {
			c.errorf(p.ex, "the index is not ordered by id without duplicates: id %s follows id %s", p.ids[i], p.ids[i-1])
			break
		}
	}
	if f.total {
		c.notef("%d %s, total %d", len(p.ids), f.nouns, p.total)
	} else {
		c.notef("%d %s", len(p.ids), f.nouns)
	}
}

func checkLimit(c *cctx, k kind) {
	f := k.facts()
	k.ensure(c, 3)
	all := k.page(c, nil)
	p := k.page(c, url.Values{"limit": {"2"}})
	want := all.ids[:min(2, len(all.ids))]
	if !slices.Equal(p.ids, want) {
		c.errorf(p.ex, "limit=2 returned ids [%s]; want the first 2 of the index, [%s]", strings.Join(p.ids, ", "), strings.Join(want, ", "))
	}
	if f.total && p.total != all.total {
		c.errorf(p.ex, "total is %d with limit=2 and %d without: total counts every matching %s", p.total, all.total, f.noun)
	}
	if len(all.ids) < 3 {
		c.notef("only %d %s: limit could not be seen cutting the list", len(all.ids), f.nouns)
	}
}

func checkLimitCap(c *cctx, k kind) {
	f := k.facts()
	if !k.ensure(c, f.maxPage+1) {
		c.skipTo("a full run, which creates the "+f.nouns, "fewer than %d %s, and a read-only run creates none: the cap cannot be observed", f.maxPage+1, f.nouns)
	}
	for _, q := range []url.Values{nil, {"limit": {strconv.Itoa(f.maxPage + 1)}}, {"limit": {"1000"}}} {
		p := k.page(c, q)
		if len(p.ids) != f.maxPage {
			c.errorf(p.ex, "the index with %s returned %d %s; want %d (limit defaults to %d and is capped at %d)",
				cmpOr(q.Encode(), "no limit"), len(p.ids), f.nouns, f.maxPage, f.maxPage, f.maxPage)
		}
	}
}

func checkOffset(c *cctx, k kind) {
	f := k.facts()
	k.ensure(c, 6)
	page := func(limit, offset int) listPage {
		return k.page(c, url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset)}})
	}
	all, p1, p2 := page(6, 0), page(3, 0), page(3, 3)
	for _, id := range p2.ids {
		if slices.Contains(p1.ids, id) {
			c.errorf(p2.ex, "offset=3 repeats id %s of offset=0: pages overlap", id)
			break
		}
	}
	if got := append(slices.Clone(p1.ids), p2.ids...); !slices.Equal(got, all.ids) {
		c.errorf(p2.ex, "limit=3 at offset 0 and 3 gave [%s]; limit=6 gave [%s]", strings.Join(got, ", "), strings.Join(all.ids, ", "))
	}
	if len(all.ids) >= 2 {
		one := page(1, 1)
		if !slices.Equal(one.ids, all.ids[1:2]) {
			c.errorf(one.ex, "offset=1 returned [%s]; want the second %s, [%s] (offset is 0-based)", strings.Join(one.ids, ", "), f.noun, all.ids[1])
		}
	}
}

func checkPastEnd(c *cctx, k kind) {
	f := k.facts()
	p := k.page(c, url.Values{"offset": {pastTheEnd}})
	if len(p.ids) != 0 {
		c.errorf(p.ex, "offset=%s returned %d %s; want none", pastTheEnd, len(p.ids), f.nouns)
	}
	if f.total {
		if all := k.page(c, url.Values{"limit": {"1"}}); p.total != all.total {
			c.errorf(p.ex, "total is %d past the end and %d on the first page", p.total, all.total)
		}
	}
}

func checkFilter(c *cctx, k kind) {
	f := k.facts()
	rec, ok := first(c, k)
	if !ok {
		c.skipTo("a full run, which creates "+f.nouns, "no %s to filter", f.nouns)
	}
	id := idString(rec["id"])
	tried := 0
	if f.filterID {
		tried++
		if p := k.page(c, url.Values{"id": {id}}); !slices.Equal(p.ids, []string{id}) {
			c.errorf(p.ex, "id=%s returned ids [%s]; want exactly [%s]", id, strings.Join(p.ids, ", "), id)
		}
	}
	for _, el := range f.filterEls {
		if el.name == "id" || !el.scalar() || el.schema.Format == "date-time" || el.writeOnly {
			continue
		}
		qv, ok := queryValue(rec[el.name])
		if !ok {
			continue
		}
		for _, name := range hyphenAliases(el.name, f.underscores) {
			tried++
			p := k.page(c, url.Values{name: {qv}})
			if len(p.recs) == 0 {
				c.errorf(p.ex, "%s=%s returned no %s; %s %s has that value", name, qv, f.noun, f.noun, id)
				continue
			}
			for _, got := range p.recs {
				if !jsonEqual(got[el.name], rec[el.name]) {
					c.errorf(p.ex, "%s=%s returned %s %s whose %s is %s", name, qv, f.noun, idString(got["id"]), el.name, short(got[el.name]))
					break
				}
			}
			if p.ids[0] != id {
				c.errorf(p.ex, "%s=%s did not return %s %s first, though it has that value and the smallest id", name, qv, f.noun, id)
			}
			if f.total && p.total < int64(f.maxPage) && p.total != int64(len(p.recs)) {
				c.errorf(p.ex, "%s=%s answered total %d with %d %s: total counts the matching %s", name, qv, p.total, len(p.recs), f.nouns, f.nouns)
			}
		}
	}
	c.notef("%d filters on %s %s", tried, f.noun, id)
}

// badParameters are list queries outside the schemas of limit and offset.
var badParameters = []url.Values{{"limit": {"0"}}, {"limit": {"abc"}}, {"offset": {"-1"}}}

func checkBadParameter(c *cctx, k kind) {
	f := k.facts()
	path := f.sp.pathOf(f.listOp, "")
	for _, q := range badParameters {
		ex := c.do(request{method: http.MethodGet, path: path, query: q})
		if ex.status != http.StatusBadRequest {
			c.errorf(ex, "the index with %s answered %s; want 400", q.Encode(), ex.summary())
		}
	}
}
