package proxy

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/coupakit/coupakit/conformance"
)

// store keeps the violations and what the exchanges exercised.
type store struct {
	mu     sync.Mutex
	max    int
	nextID int64
	kept   []stored
	total  int
	// dropped counts, per check, the violations found beyond max.
	dropped map[checkKey]int
	// ops counts requests and statuses per API and operation ("" for the
	// requests no operation matched).
	ops map[opKey]*opStats
}

type stored struct {
	seq int64
	v   Violation
}

type opKey struct{ api, op string }

// checkKey names the report's check of one side of one operation.
type checkKey struct{ api, op, side string }

type opStats struct {
	requests int
	statuses map[int]int
}

// add keeps v, numbered, unless the store is full.
func (s *store) add(seq int64, v Violation) Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	v.ID = s.nextID
	s.total++
	if len(s.kept) >= s.max {
		if s.dropped == nil {
			s.dropped = map[checkKey]int{}
		}
		s.dropped[checkKey{v.API, v.Operation, v.Side}]++
		return v
	}
	s.kept = append(s.kept, stored{seq: seq, v: v})
	return v
}

// countExchange notes an exchange's operation and the status the client
// got (0: none).
func (s *store) countExchange(ex *exchange, status int) {
	key := opKey{api: ex.spec.api}
	if ex.route != nil {
		key.op = ex.route.operation().OperationID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ops == nil {
		s.ops = map[opKey]*opStats{}
	}
	st := s.ops[key]
	if st == nil {
		st = &opStats{statuses: map[int]int{}}
		s.ops[key] = st
	}
	st.requests++
	if status != 0 {
		st.statuses[status]++
	}
}

// list returns the violations kept, in the order their exchanges arrived.
func (s *store) list() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := slices.Clone(s.kept)
	slices.SortStableFunc(cp, func(a, b stored) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]Violation, len(cp))
	for i, st := range cp {
		out[i] = st.v
	}
	return out
}

func (s *store) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// clear forgets the violations and the counts.
func (s *store) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kept, s.total, s.dropped, s.ops = nil, 0, nil, nil
}

// maxProblems bounds the problems listed per check in a report.
const maxProblems = 20

// Report returns what the proxy saw as a report of coupakit check: per
// operation exercised, a check "<resource>.request.<operationId>" that
// passes when every request to it kept the contract, and one
// "<resource>.response.<operationId>" for its answers; a check
// "<api>.request.operation" for requests no operation matches. The
// coverage counts the requests and the statuses answered. The report can
// then be written in any format conformance writes.
func (p *Proxy) Report() conformance.Report {
	p.Flush()
	violations := p.store.list()
	p.store.mu.Lock()
	ops := make(map[opKey]opStats, len(p.store.ops))
	for k, v := range p.store.ops {
		ops[k] = opStats{requests: v.requests, statuses: maps.Clone(v.statuses)}
	}
	dropped := maps.Clone(p.store.dropped)
	p.store.mu.Unlock()

	rep := conformance.Report{RunID: "proxy", BaseURL: p.coreURL.String()}
	if p.csoURL != nil {
		rep.CSOBaseURL = p.csoURL.String()
	}
	byCheck := map[checkKey][]Violation{}
	for _, v := range violations {
		k := checkKey{v.API, v.Operation, v.Side}
		byCheck[k] = append(byCheck[k], v)
	}
	for _, sp := range []*spec{p.core, p.cso} {
		if sp == p.cso && p.csoURL == nil {
			continue
		}
		if st, ok := ops[opKey{api: sp.api}]; ok && st.requests > 0 {
			vs := byCheck[checkKey{sp.api, "", SideRequest}]
			rep.Results = append(rep.Results, result(sp.api+".request.operation", sp.api, "", sp.file+"#/paths",
				"every request names an operation of the spec", vs, dropped[checkKey{sp.api, "", SideRequest}], st.requests))
		}
		for _, o := range operations(sp) {
			st := ops[opKey{api: sp.api, op: o.id}]
			cov := conformance.OperationCoverage{API: sp.api, Operation: o.id, Method: o.method, Path: o.path, Requests: st.requests, Documented: o.statuses}
			for code := range st.statuses {
				if slices.Contains(o.statuses, code) {
					cov.Exercised = append(cov.Exercised, code)
				} else {
					cov.Undocumented = append(cov.Undocumented, code)
				}
			}
			slices.Sort(cov.Exercised)
			slices.Sort(cov.Undocumented)
			rep.Coverage.Operations = append(rep.Coverage.Operations, cov)
			if st.requests == 0 {
				continue
			}
			for _, side := range []string{SideRequest, SideResponse} {
				title := "the requests to " + o.id + " keep the contract"
				if side == SideResponse {
					title = "the answers of " + o.id + " keep the contract"
				}
				key := checkKey{sp.api, o.id, side}
				rep.Results = append(rep.Results, result(o.resource+"."+side+"."+o.id, sp.api, o.id, sp.file+o.pointer,
					title, byCheck[key], dropped[key], st.requests))
			}
		}
	}
	return rep
}

// result is the check of one side of one operation; dropped counts its
// violations beyond those kept.
func result(id, api, op, source, title string, vs []Violation, dropped, requests int) conformance.Result {
	r := conformance.Result{ID: id, Level: conformance.Must, Status: conformance.Pass, API: api, Operation: op, Source: source, Title: title}
	if len(vs) == 0 && dropped > 0 {
		r.Status, r.Omitted = conformance.Fail, dropped
		r.Message = fmt.Sprintf("%d violations beyond those kept", dropped)
		return r
	}
	if len(vs) == 0 {
		r.Message = fmt.Sprintf("%d requests, no violation", requests)
		return r
	}
	r.Status = conformance.Fail
	for i, v := range vs {
		if i == maxProblems {
			r.Omitted = len(vs) - maxProblems
			break
		}
		msg := fmt.Sprintf("%s: %s (spec: %s)", v.Rule, v.Message, v.Spec)
		if v.Response != nil {
			msg = fmt.Sprintf("%s: %s (status %d; spec: %s)", v.Rule, v.Message, v.Response.Status, v.Spec)
		}
		r.Problems = append(r.Problems, conformance.Problem{Message: msg, Request: v.Request.curl()})
	}
	r.Omitted += dropped
	r.Message, r.Request = r.Problems[0].Message, r.Problems[0].Request
	return r
}

// curl renders the request as a command line, credentials redacted, on the
// proxy's own paths.
func (r Request) curl() string {
	var b strings.Builder
	b.WriteString("curl -X " + r.Method)
	target := r.Path
	if r.Query != "" {
		target += "?" + r.Query
	}
	b.WriteString(" " + shellQuote(target))
	for _, name := range sortedKeys(r.Header) {
		switch http.CanonicalHeaderKey(name) {
		case "Accept", "Content-Type", "Authorization", "X-Cso-Api-Key", "X-Coupa-Api-Key":
			b.WriteString(" -H " + shellQuote(name+": "+r.Header[name]))
		}
	}
	if r.Body != "" {
		b.WriteString(" --data " + shellQuote(r.Body))
	}
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// op is one operation of a spec, for the report.
type op struct {
	id, method, path, resource, pointer string
	statuses                            []int
}

// operations lists a spec's operations, ordered by path and method.
func operations(s *spec) []op {
	var out []op
	for path, item := range s.doc.Paths.Map() {
		for method, o := range item.Operations() {
			var codes []int
			for code := range o.Responses.Map() {
				if n, err := strconv.Atoi(code); err == nil {
					codes = append(codes, n)
				}
			}
			slices.Sort(codes)
			out = append(out, op{id: o.OperationID, method: method, path: path, resource: resourceOf(path), statuses: codes,
				pointer: "#/paths/" + escapePointer(path) + "/" + strings.ToLower(method)})
		}
	}
	order := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	slices.SortFunc(out, func(a, b op) int {
		return cmp.Or(cmp.Compare(a.path, b.path), cmp.Compare(slices.Index(order, a.method), slices.Index(order, b.method)))
	})
	return out
}
