package conformance

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// The query checks prove that filters return exactly the matching records:
// they take a universe of records whose values they know, send each filter
// together with the scope that selects exactly the universe, and compare
// the ids answered with the ids of the records that match, computed here
// from the spec's rules.

// maxUniverse bounds the records a universe sampled from the index holds.
const maxUniverse = 100

// fetchAll returns the fetcher of k's index: every record the index
// answers to q, page after page of the kind's largest page, within a bound
// of a little more than maxUniverse records, and the last page's exchange.
// A page that is not 200 or holds an item that is not a record with an id
// ends the check.
func fetchAll(k kind) fetcher {
	size := k.facts().maxPage
	return func(c *cctx, q url.Values) ([]map[string]any, *exchange) {
		var out []map[string]any
		var last *exchange
		for offset := 0; offset <= maxUniverse; offset += size {
			pq := url.Values{}
			for name, vals := range q {
				pq[name] = slices.Clone(vals)
			}
			pq.Set("limit", strconv.Itoa(size))
			pq.Set("offset", strconv.Itoa(offset))
			p := k.page(c, pq)
			last = p.ex
			out = append(out, p.recs...)
			if len(p.recs) < size {
				break
			}
		}
		return out, last
	}
}

// universe is a set of records whose values the query checks know: the
// records the run created with chosen values (a full run, on a resource
// with a marker), or the first records of the index.
type universe struct {
	recs []map[string]any // ordered by id
	ids  []string
	// scope is the filter that selects exactly recs (empty: the whole
	// index).
	scope url.Values
	// created says the run made the records.
	created bool
}

func newUniverse(recs []map[string]any, scope url.Values, created bool) *universe {
	u := &universe{scope: scope, created: created}
	u.recs = slices.Clone(recs)
	slices.SortFunc(u.recs, func(a, b map[string]any) int { return compareIDs(idString(a["id"]), idString(b["id"])) })
	for _, rec := range u.recs {
		u.ids = append(u.ids, idString(rec["id"]))
	}
	return u
}

func (u *universe) describe() string {
	if u.created {
		return fmt.Sprintf("%d records created with known values", len(u.recs))
	}
	return fmt.Sprintf("the first %d records of the index", len(u.recs))
}

// fetcher returns every record a query selects (all its pages, within a
// bound), and the exchange of the last page.
type fetcher func(c *cctx, q url.Values) ([]map[string]any, *exchange)

// filterCase is one filter and what it must select.
type filterCase struct {
	key, value string
	match      func(rec map[string]any) bool
	// either, when set, names the records that may come back or not: a
	// datetime shown to the second that the operand names, which a server
	// keeping fractions of a second (Rails does) may hold a little later.
	either func(rec map[string]any) bool
}

// expected returns the ids of the records of u that match fc.
func (u *universe) expected(fc filterCase) []string {
	var out []string
	for i, rec := range u.recs {
		if fc.match(rec) {
			out = append(out, u.ids[i])
		}
	}
	return out
}

// discriminates reports whether fc selects some records of u but not all.
func (u *universe) discriminates(fc filterCase) bool {
	n := len(u.expected(fc))
	return n > 0 && n < len(u.recs)
}

// with returns the scope with one more filter.
func (u *universe) with(key, value string) url.Values {
	q := url.Values{}
	for k, v := range u.scope {
		q[k] = slices.Clone(v)
	}
	q.Add(key, value)
	return q
}

// verifyScope fails the check unless the scope selects exactly the
// universe: every other case depends on it.
func verifyScope(c *cctx, u *universe, fetch fetcher) {
	if len(u.scope) == 0 {
		return
	}
	recs, ex := fetch(c, u.scope)
	got := recIDs(recs)
	if !slices.Equal(got, u.ids) {
		c.fatalf(ex, "%s selected ids [%s]; want exactly the universe of the query checks, [%s]%s", u.scope.Encode(),
			strings.Join(got, ", "), strings.Join(u.ids, ", "), scopeHint(u))
	}
}

func scopeHint(u *universe) string {
	for k := range u.scope {
		if strings.Contains(k, "[starts_with]") {
			return " ([starts_with] is not applied as the spec says)"
		}
	}
	return ""
}

func recIDs(recs []map[string]any) []string {
	out := make([]string, len(recs))
	for i, rec := range recs {
		out[i] = idString(rec["id"])
	}
	slices.SortFunc(out, compareIDs)
	return out
}

// runCase sends the scope and fc, and fails the check unless the answer is
// exactly the records of the universe that match.
func runCase(c *cctx, u *universe, fetch fetcher, fc filterCase) {
	want := u.expected(fc)
	recs, ex := fetch(c, u.with(fc.key, fc.value))
	got := recIDs(recs)
	if slices.Equal(got, want) {
		return
	}
	undecided := map[string]bool{}
	if fc.either != nil {
		for i, rec := range u.recs {
			undecided[u.ids[i]] = fc.either(rec)
		}
	}
	var extra, missing []string
	for _, id := range got {
		if !slices.Contains(want, id) && !undecided[id] {
			extra = append(extra, id)
		}
	}
	for _, id := range want {
		if !slices.Contains(got, id) && !undecided[id] {
			missing = append(missing, id)
		}
	}
	if len(extra) == 0 && len(missing) == 0 {
		c.notef("%s=%s: records shown at that very second came back or not (the server keeps fractions of a second)", fc.key, fc.value)
		return
	}
	msg := fmt.Sprintf("%s=%s returned ids [%s]; want [%s]", fc.key, fc.value, strings.Join(got, ", "), strings.Join(want, ", "))
	if len(extra) > 0 {
		msg += fmt.Sprintf("; %s do not match", strings.Join(extra, ", "))
	}
	if len(missing) > 0 {
		msg += fmt.Sprintf("; %s match but are missing", strings.Join(missing, ", "))
	}
	c.errorf(ex, "%s", msg)
}

// underscored returns name with underscores for hyphens.
func underscored(name string) string { return strings.ReplaceAll(name, "-", "_") }

// runBoth runs fc with the element's name hyphenated, and again with
// underscores when the name has a hyphen; elem is the name as it starts
// fc.key.
func runBoth(c *cctx, u *universe, fetch fetcher, elem string, fc filterCase) int {
	runCase(c, u, fetch, fc)
	if !strings.Contains(elem, "-") {
		return 1
	}
	alt := fc
	alt.key = underscored(elem) + strings.TrimPrefix(fc.key, elem)
	runCase(c, u, fetch, alt)
	return 2
}

// qkind is how the query language compares an element's values.
type qkind int

const (
	qNone qkind = iota
	qString
	qInt
	qNumber
	qBool
	qTime
)

// kindOfSchema says how an element of schema s is filtered.
func kindOfSchema(s *openapi3.Schema) qkind {
	if s == nil || s.Type == nil {
		return qNone
	}
	switch {
	case s.Type.Is("string") && s.Format == "date-time":
		return qTime
	case s.Type.Is("string"):
		return qString
	case s.Type.Is("integer"):
		return qInt
	case s.Type.Is("number"):
		return qNumber
	case s.Type.Is("boolean"):
		return qBool
	}
	return qNone
}

// field is a filterable element: top-level, or an element of an
// association (integration[code]).
type field struct {
	path []string // ["integration", "code"]
	kind qkind
	enum bool
}

// key is the field's name in a filter: integration[code].
func (f field) key() string {
	k := f.path[0]
	for _, p := range f.path[1:] {
		k += "[" + p + "]"
	}
	return k
}

// value returns the field's value in rec; ok is false when it is absent.
func (f field) value(rec map[string]any) (any, bool) {
	var v any = rec
	for _, p := range f.path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[p]; !ok || v == nil {
			return nil, false
		}
	}
	return v, true
}

// fields lists the scalar elements of a record schema and, with nested,
// the scalar elements of its associations.
func fields(els []element, nested bool) []field {
	var out []field
	for _, el := range els {
		if el.writeOnly {
			continue
		}
		if k := kindOfSchema(el.schema); k != qNone {
			if !nested {
				out = append(out, field{path: []string{el.name}, kind: k, enum: len(el.enum()) > 0})
			}
			continue
		}
		if !nested || !el.is("object") {
			continue
		}
		names := sortedKeys(el.schema.Properties)
		// The spec's examples first: integration[code], created-by[login].
		slices.SortStableFunc(names, func(a, b string) int {
			pri := func(s string) int {
				if s == "code" || s == "login" {
					return 0
				}
				return 1
			}
			return cmp.Compare(pri(a), pri(b))
		})
		for _, name := range names {
			p := el.schema.Properties[name]
			if p == nil || p.Value == nil || p.Value.WriteOnly {
				continue
			}
			if k := kindOfSchema(p.Value); k != qNone && k != qTime {
				out = append(out, field{path: []string{el.name, name}, kind: k, enum: len(enumStrings(p.Value)) > 0})
			}
		}
	}
	return out
}

// present returns the distinct values of f in u, as the query language
// writes them, in order of first appearance, with how often each occurs.
func present(u *universe, f field) ([]string, map[string]int) {
	var vals []string
	count := map[string]int{}
	for _, rec := range u.recs {
		v, ok := f.value(rec)
		if !ok {
			continue
		}
		s, ok := operand(v)
		if !ok {
			continue
		}
		if count[s] == 0 {
			vals = append(vals, s)
		}
		count[s]++
	}
	return vals, count
}

// operand writes a scalar JSON value as a filter value.
func operand(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// compareValues compares a record's value with an operand of kind k: -1,
// 0 or 1, and false when they cannot be compared.
func compareValues(k qkind, v any, op string) (int, bool) {
	s, ok := operand(v)
	if !ok {
		return 0, false
	}
	switch k {
	case qInt, qNumber:
		a, ok1 := new(big.Rat).SetString(s)
		b, ok2 := new(big.Rat).SetString(op)
		if !ok1 || !ok2 {
			return 0, false
		}
		return a.Cmp(b), true
	case qTime:
		a, err1 := time.Parse(time.RFC3339, s)
		b, ok2 := parseOperandTime(op)
		if err1 != nil || !ok2 {
			return 0, false
		}
		return a.Compare(b), true
	case qBool:
		if s == op {
			return 0, true
		}
		return 1, true
	}
	return cmp.Compare(s, op), true
}

// parseOperandTime reads the datetimes the checks send: RFC 3339, a time
// without an offset (UTC) or a date alone (midnight UTC).
func parseOperandTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// matcher returns the spec's rule for operator op on field f with value
// operand: an absent element matches only [blank]=true.
func matcher(f field, op, value string) func(map[string]any) bool {
	return func(rec map[string]any) bool {
		v, ok := f.value(rec)
		s, _ := operand(v)
		if op == "blank" {
			blank := !ok || s == ""
			return blank == (value == "true")
		}
		if !ok {
			return false
		}
		switch op {
		case "", "not_eq", "gt", "lt", "gt_or_eq", "lt_or_eq":
			d, ok := compareValues(f.kind, v, value)
			if !ok {
				return false
			}
			switch op {
			case "":
				return d == 0
			case "not_eq":
				return d != 0
			case "gt":
				return d > 0
			case "lt":
				return d < 0
			case "gt_or_eq":
				return d >= 0
			}
			return d <= 0
		case "in", "not_in":
			in := false
			for _, item := range strings.Split(value, ",") {
				if d, ok := compareValues(f.kind, v, item); ok && d == 0 {
					in = true
				}
			}
			return in == (op == "in")
		case "contains":
			return strings.Contains(s, value)
		case "starts_with":
			return strings.HasPrefix(s, value)
		case "ends_with":
			return strings.HasSuffix(s, value)
		}
		return false
	}
}

// newCase is the filter f[op]=value (f=value without an operator).
func newCase(f field, op, value string) filterCase {
	key := f.key()
	if op != "" {
		key += "[" + op + "]"
	}
	fc := filterCase{key: key, value: value, match: matcher(f, op, value)}
	// A record shown at the operand's second may be held up to a second
	// later: [gt_or_eq] must take it and [lt] must not, the others may
	// go either way.
	if f.kind == qTime && op != "gt_or_eq" && op != "lt" && op != "blank" {
		fc.either = func(rec map[string]any) bool {
			v, ok := f.value(rec)
			if !ok {
				return false
			}
			for _, item := range strings.Split(value, ",") {
				if d, ok := compareValues(f.kind, v, item); ok && d == 0 {
					return true
				}
			}
			return false
		}
	}
	return fc
}

// usable reports whether a value can be an operand: no comma (it would
// split an [in] list) and no surrounding space.
func usable(s string) bool {
	return s != "" && !strings.Contains(s, ",") && strings.TrimSpace(s) == s
}

// operandsFor proposes operands for op on f, from the values in u.
func operandsFor(u *universe, f field, op string) []string {
	vals, count := present(u, f)
	vals = slices.DeleteFunc(vals, func(s string) bool { return !usable(s) })
	if op == "blank" {
		return []string{"true", "false"}
	}
	if len(vals) == 0 {
		return nil
	}
	switch op {
	case "", "not_eq", "not_in":
		// Values nearest to half the universe first.
		out := slices.Clone(vals)
		half := len(u.recs) / 2
		slices.SortStableFunc(out, func(a, b string) int {
			return cmp.Compare(abs(count[a]-half), abs(count[b]-half))
		})
		return out
	case "in":
		if len(vals) == 1 {
			return []string{vals[0]}
		}
		var out []string
		for i := 1; i < len(vals); i++ {
			out = append(out, vals[0]+","+vals[i])
		}
		return out
	case "contains", "starts_with", "ends_with":
		var out []string
		for _, v := range vals {
			r := []rune(v)
			if len(r) < 3 {
				continue
			}
			n := max(2, len(r)/2)
			var part string
			switch op {
			case "contains":
				part = string(r[1 : 1+min(n, len(r)-2)])
			case "starts_with":
				part = string(r[:n])
			default:
				part = string(r[len(r)-n:])
			}
			if usable(part) {
				out = append(out, part)
			}
		}
		return out
	case "gt", "lt", "gt_or_eq", "lt_or_eq":
		sorted := slices.Clone(vals)
		slices.SortFunc(sorted, func(a, b string) int {
			d, _ := compareValues(f.kind, json.Number(a), b)
			return d
		})
		return []string{sorted[len(sorted)/2]}
	}
	return nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// operatorApplies says which kinds an operator works on, as the spec lists
// them.
func operatorApplies(op string, f field) bool {
	switch op {
	case "contains", "starts_with", "ends_with":
		return f.kind == qString
	case "gt", "lt", "gt_or_eq", "lt_or_eq":
		return f.kind == qInt || f.kind == qNumber
	case "":
		return f.kind != qTime
	case "blank":
		return true
	}
	return f.kind != qTime && f.kind != qBool
}

// pickCase chooses, for op, the first field and operand whose filter
// selects some records of u but not all; failing that, the first filter it
// could make. fields whose keys the scope uses are left out.
func pickCase(u *universe, fs []field, op string) (filterCase, field, bool) {
	var fallback *filterCase
	var fallbackField field
	for _, f := range fs {
		if !operatorApplies(op, f) || u.scope.Has(f.key()+"["+op+"]") || (op == "" && u.scope.Has(f.key())) {
			continue
		}
		for _, v := range operandsFor(u, f, op) {
			fc := newCase(f, op, v)
			if u.discriminates(fc) {
				return fc, f, true
			}
			if fallback == nil {
				fallback, fallbackField = &fc, f
			}
		}
	}
	if fallback != nil {
		return *fallback, fallbackField, true
	}
	return filterCase{}, field{}, false
}

// operators lists the operators of the query language, in the order the
// checks try them ("" is the exact match).
var operators = []string{"", "not_eq", "in", "not_in", "contains", "starts_with", "ends_with", "gt", "lt", "gt_or_eq", "lt_or_eq", "blank"}

// checkOperators runs every operator on the fields of a universe.
func checkOperators(c *cctx, u *universe, fetch fetcher, fs []field) {
	verifyScope(c, u, fetch)
	fs = slices.DeleteFunc(slices.Clone(fs), func(f field) bool { return f.path[0] == "id" })
	sent, tried := 0, []string{}
	for _, op := range operators {
		values := []string{""}
		if op == "blank" {
			values = []string{"true", "false"}
		}
		for _, bv := range values {
			var fc filterCase
			var f field
			var ok bool
			if op == "blank" {
				fc, f, ok = pickBlank(u, fs, bv)
			} else {
				fc, f, ok = pickCase(u, fs, op)
			}
			if !ok {
				continue
			}
			sent += runBoth(c, u, fetch, f.path[0], fc)
			tried = append(tried, fc.key)
		}
	}
	if len(tried) == 0 {
		c.skipf("no element of the %s can be filtered", u.describe())
	}
	c.notef("%d filters (%s) on %s", sent, strings.Join(tried, ", "), u.describe())
}

// pickBlank chooses the field whose [blank] filter best splits u.
func pickBlank(u *universe, fs []field, value string) (filterCase, field, bool) {
	for _, f := range fs {
		fc := newCase(f, "blank", value)
		if u.discriminates(fc) {
			return fc, f, true
		}
	}
	if len(fs) == 0 {
		return filterCase{}, field{}, false
	}
	return newCase(fs[0], "blank", value), fs[0], true
}

// checkNested runs filters on the elements of associations.
func checkNested(c *cctx, u *universe, fetch fetcher, fs []field) {
	verifyScope(c, u, fetch)
	sent := 0
	var tried []string
	seen := map[string]bool{}
	for _, f := range fs {
		assoc := f.path[0]
		if seen[assoc] || f.kind == qBool {
			continue
		}
		vals, _ := present(u, f)
		if len(vals) == 0 {
			continue
		}
		fc, _, ok := pickCase(u, []field{f}, "")
		if !ok {
			continue
		}
		seen[assoc] = true
		cases := []filterCase{fc}
		if in := operandsFor(u, f, "in"); len(in) > 0 {
			cases = append(cases, newCase(f, "in", in[0]))
		} else {
			cases = append(cases, newCase(f, "in", vals[0]))
		}
		cases = append(cases, newCase(f, "blank", "true"))
		for _, fc := range cases {
			sent += runBoth(c, u, fetch, assoc, fc)
			tried = append(tried, fc.key)
		}
	}
	if len(tried) == 0 {
		c.skipf("no association of the %s has a value to filter on", u.describe())
	}
	c.notef("%d filters (%s) on %s", sent, strings.Join(tried, ", "), u.describe())
}
