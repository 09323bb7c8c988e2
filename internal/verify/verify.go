// Package verify answers what a test asks about the requests a mock
// answered: how many match a pattern, which ones, and, when none does, which
// came closest and how each differs (near misses).
//
// The mock's journal gives its entries as Records; a Match, compiled once,
// is tried against each. Register mounts POST /_mock/requests/count and
// POST /_mock/requests/find over any source of records.
package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Record is one request as a journal keeps it.
type Record struct {
	ID     int64       `json:"id,omitempty"`
	Time   time.Time   `json:"time,omitzero"`
	API    string      `json:"api"`
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Query  string      `json:"query,omitempty"` // the raw query, as sent
	Header http.Header `json:"headers,omitempty"`
	Body   string      `json:"body,omitempty"`
	Status int         `json:"status,omitempty"`
}

// Match is what a request must have. Every field is optional: the zero
// Match matches every request.
type Match struct {
	// API is the API's name, exact.
	API string `json:"api,omitempty"`
	// Method is compared without case.
	Method string `json:"method,omitempty"`
	// Path is exact, or a glob (path.Match: `*` stays within one segment)
	// when it holds `*`, `?` or `[`.
	Path string `json:"path,omitempty"`
	// Query: each parameter must have this value among its values.
	Query map[string]string `json:"query,omitempty"`
	// Headers: each header (names without case) must have this value among
	// its values.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is a JSON object that must be a subset of the request's JSON
	// body: every element it names is there with an equal value, objects
	// compared so at every depth, arrays element by element with the same
	// length, numbers by value.
	Body json.RawMessage `json:"body,omitempty"`
}

// Difference is one way a request differs from a Match.
type Difference struct {
	// Field is api, method, path, query.<name>, headers.<Name>, body, or
	// body.<element>... (array elements as [i]).
	Field string `json:"field"`
	// Expected is what the match asked for.
	Expected any `json:"expected"`
	// Actual is what the request had; nil when it had nothing there.
	Actual any `json:"actual,omitempty"`
}

// NearMiss is a request close to a match, with how it differs.
type NearMiss struct {
	Request     Record       `json:"request"`
	Differences []Difference `json:"differences"`
}

// Matcher is a compiled Match, safe for concurrent use.
type Matcher struct {
	m       Match
	glob    bool
	headers map[string]string // canonical names
	body    map[string]any
}

// Compile checks m and prepares it; its error lists every problem.
func Compile(m Match) (*Matcher, error) {
	var errs []string
	c := &Matcher{m: m}
	if m.Method != "" && strings.ContainsAny(m.Method, " \t/") {
		errs = append(errs, fmt.Sprintf("method must be an HTTP method, got %q", m.Method))
	}
	if m.Path != "" {
		c.glob = strings.ContainsAny(m.Path, `*?[\`)
		if !strings.HasPrefix(m.Path, "/") {
			errs = append(errs, fmt.Sprintf("path must start with /, got %q", m.Path))
		} else if _, err := path.Match(m.Path, ""); c.glob && err != nil {
			errs = append(errs, fmt.Sprintf("path %q is not a valid glob: %v", m.Path, err))
		}
	}
	if len(m.Headers) > 0 {
		c.headers = make(map[string]string, len(m.Headers))
		for k, v := range m.Headers {
			c.headers[textproto.CanonicalMIMEHeaderKey(k)] = v
		}
	}
	if len(m.Body) > 0 && string(m.Body) != "null" {
		v, err := decode([]byte(m.Body))
		obj, ok := v.(map[string]any)
		if err != nil || !ok {
			errs = append(errs, "body must be a JSON object")
		}
		c.body = obj
	}
	if len(errs) > 0 {
		return nil, &Error{Problems: errs}
	}
	return c, nil
}

// Error lists every problem of a Match.
type Error struct {
	Problems []string
}

func (e *Error) Error() string { return "verify: " + strings.Join(e.Problems, "; ") }

// Matches reports whether r matches.
func (c *Matcher) Matches(r Record) bool { return len(c.diff(r, true)) == 0 }

// Diff lists how r differs from the match; none when it matches.
func (c *Matcher) Diff(r Record) []Difference { return c.diff(r, false) }

// Find returns the records that match, in their order.
func (c *Matcher) Find(records []Record) []Record {
	out := []Record{}
	for _, r := range records {
		if c.Matches(r) {
			out = append(out, r)
		}
	}
	return out
}

// Count returns how many records match.
func (c *Matcher) Count(records []Record) int {
	n := 0
	for _, r := range records {
		if c.Matches(r) {
			n++
		}
	}
	return n
}

// NearMisses returns at most n records that do not match, closest first:
// fewest differences, then the newest (the last in records).
func (c *Matcher) NearMisses(records []Record, n int) []NearMiss {
	out := []NearMiss{}
	for i := len(records) - 1; i >= 0; i-- {
		if d := c.Diff(records[i]); len(d) > 0 {
			out = append(out, NearMiss{Request: records[i], Differences: d})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Differences) < len(out[j].Differences) })
	return out[:min(n, len(out))]
}

// diff lists the differences; with quick, it stops at the first.
func (c *Matcher) diff(r Record, quick bool) []Difference {
	var d []Difference
	add := func(field string, want, got any) bool {
		d = append(d, Difference{Field: field, Expected: want, Actual: got})
		return quick
	}
	m := &c.m
	if m.API != "" && m.API != r.API && add("api", m.API, orNil(r.API)) {
		return d
	}
	if m.Method != "" && !strings.EqualFold(m.Method, r.Method) && add("method", m.Method, orNil(r.Method)) {
		return d
	}
	if m.Path != "" && !c.pathMatches(r.Path) && add("path", m.Path, orNil(r.Path)) {
		return d
	}
	if len(m.Query) > 0 {
		q, _ := url.ParseQuery(r.Query)
		for _, k := range sortedKeys(m.Query) {
			if vs := q[k]; !contains(vs, m.Query[k]) && add("query."+k, m.Query[k], values(vs)) {
				return d
			}
		}
	}
	for _, k := range sortedKeys(c.headers) {
		if vs := r.Header[k]; !contains(vs, c.headers[k]) && add("headers."+k, c.headers[k], values(vs)) {
			return d
		}
	}
	if c.body != nil {
		got, err := decode([]byte(r.Body))
		if err != nil {
			add("body", c.body, notJSON(r.Body))
			return d
		}
		subset("body", c.body, got, &d, quick)
	}
	return d
}

func (c *Matcher) pathMatches(p string) bool {
	if !c.glob {
		return c.m.Path == p
	}
	ok, _ := path.Match(c.m.Path, p)
	return ok
}

// subset notes where got is not a superset of want.
func subset(field string, want, got any, d *[]Difference, quick bool) {
	if quick && len(*d) > 0 {
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*d = append(*d, Difference{Field: field, Expected: want, Actual: actual(got)})
			return
		}
		for _, k := range sortedKeys(w) {
			gv, ok := g[k]
			if !ok {
				*d = append(*d, Difference{Field: field + "." + k, Expected: w[k]})
				if quick {
					return
				}
				continue
			}
			subset(field+"."+k, w[k], gv, d, quick)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*d = append(*d, Difference{Field: field, Expected: want, Actual: actual(got)})
			return
		}
		for i := range w {
			subset(field+"["+strconv.Itoa(i)+"]", w[i], g[i], d, quick)
		}
	default:
		if !scalarEqual(want, got) {
			*d = append(*d, Difference{Field: field, Expected: want, Actual: actual(got)})
		}
	}
}

func scalarEqual(a, b any) bool {
	an, aok := a.(json.Number)
	bn, bok := b.(json.Number)
	if aok && bok {
		x, ok1 := new(big.Rat).SetString(an.String())
		y, ok2 := new(big.Rat).SetString(bn.String())
		return ok1 && ok2 && x.Cmp(y) == 0
	}
	return a == b
}

// decode reads one JSON value with its numbers kept exact.
func decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// actual shows a JSON value that is there: null as null, not as absent.
func actual(v any) any {
	if v == nil {
		return json.RawMessage("null")
	}
	return v
}

func notJSON(body string) any {
	if body == "" {
		return nil
	}
	const max = 200
	if len(body) > max {
		body = body[:max] + "..."
	}
	return "not JSON: " + body
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// values shows a parameter's values: nil when absent, one value alone.
func values(vs []string) any {
	switch len(vs) {
	case 0:
		return nil
	case 1:
		return vs[0]
	}
	return vs
}

func contains(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
