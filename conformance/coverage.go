package conformance

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
)

// responseChecks judge every response of every operation, at the end.
func (s *suite) responseChecks() []*check {
	var out []*check
	for _, sp := range []*spec{s.coreSpec, s.csoSpec} {
		for _, o := range sp.ops {
			o, sp := o, sp
			resource := cmpOr(o.tag, sp.api)
			out = append(out, &check{
				id:     resource + ".response." + o.id,
				title:  fmt.Sprintf("Every response of %s %s has a documented status and Content-Type, matches the schema (required elements, types, formats, lengths, enums, element names) and has no null value.", o.method, o.path),
				level:  Must,
				api:    sp.api,
				op:     o.id,
				source: sp.source(o.pointer() + "/responses"),
				run: func(c *cctx) {
					st := s.stats[sp.api+" "+o.id]
					if st == nil || st.requests == 0 {
						c.skipTo("run the checks of the operation (a full run, without --only)", "not exercised by the checks that ran")
					}
					c.problems, c.more = st.problems, st.dropped
					c.notef("%s (%s)", plural(st.requests, "response"), statusList(st.statuses))
				},
			})
			if sp.api != apiSourcing {
				continue
			}
			out = append(out, &check{
				id:     resource + ".error-format." + o.id,
				title:  "Error responses have the body the spec describes, {\"errors\": {\"event\": [...]}} (the page says XML, so this is not required).",
				level:  Should,
				api:    sp.api,
				op:     o.id,
				source: sp.source("#/components/schemas/Errors"),
				run: func(c *cctx) {
					st := s.stats[sp.api+" "+o.id]
					if st == nil {
						c.skipTo("a full run, whose checks draw error answers", "no error response seen")
					}
					n := 0
					for code, k := range st.statuses {
						if code >= 400 {
							n += k
						}
					}
					if n == 0 {
						c.skipTo("a full run, whose checks draw error answers", "no error response seen")
					}
					c.problems = st.errors
					c.notef("%s", plural(n, "error response"))
				},
			})
			if o.id != "updateEvent" && o.id != "deleteEvent" {
				continue
			}
			out = append(out, &check{
				id:     resource + ".bulk-shape." + o.id,
				title:  "The single-event answer has the bulk answer's shape, as the spec chose (the documents are uncertain).",
				level:  Should,
				api:    sp.api,
				op:     o.id,
				source: sp.source(o.pointer() + "/responses/200"),
				run: func(c *cctx) {
					st := s.stats[sp.api+" "+o.id]
					if st == nil || st.statuses[http.StatusOK] == 0 {
						c.skipTo("a full run, which changes events", "no successful response seen")
					}
					c.problems = st.shape
					c.notef("%s", plural(st.statuses[http.StatusOK], "successful response"))
				},
			})
		}
	}
	return out
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func statusList(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for code := range m {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = fmt.Sprintf("%d×%d", m[code], code)
	}
	return strings.Join(parts, ", ")
}

// report assembles what the run found.
func (s *suite) report() Report {
	var specs []SpecVersion
	for _, sp := range []*spec{s.coreSpec, s.csoSpec} {
		if s.api(sp.api) == nil {
			continue
		}
		v := SpecVersion{API: sp.api, File: sp.file}
		if sp.doc.Info != nil {
			v.Title, v.Version = sp.doc.Info.Title, sp.doc.Info.Version
		}
		specs = append(specs, v)
	}
	return Report{
		RunID:      s.runID,
		Date:       s.started,
		Version:    version(),
		Specs:      specs,
		Auth:       s.auth,
		BaseURL:    s.target.BaseURL,
		CSOBaseURL: s.target.CSOBaseURL,
		ReadOnly:   s.target.ReadOnly,
		Strict:     s.cfg.strict,
		Throttled:  s.throttled,
		Results:    slices.Clone(s.results),
		Coverage:   s.coverage(),
	}
}

// coverage says which operations, statuses and enum values the run
// exercised.
func (s *suite) coverage() Coverage {
	var cov Coverage
	for _, sp := range []*spec{s.coreSpec, s.csoSpec} {
		if s.api(sp.api) == nil {
			continue
		}
		for _, o := range sp.ops {
			oc := OperationCoverage{API: sp.api, Operation: o.id, Method: o.method, Path: o.path, Documented: o.statuses()}
			if st := s.stats[sp.api+" "+o.id]; st != nil {
				oc.Requests = st.requests
				for code := range st.statuses {
					if slices.Contains(oc.Documented, code) {
						oc.Exercised = append(oc.Exercised, code)
					} else {
						oc.Undocumented = append(oc.Undocumented, code)
					}
				}
				slices.Sort(oc.Exercised)
				slices.Sort(oc.Undocumented)
			}
			cov.Operations = append(cov.Operations, oc)
		}
	}
	for _, key := range sortedKeys(s.enums) {
		es := s.enums[key]
		ec := EnumCoverage{Resource: es.resource, Element: es.element, Allowed: es.allowed}
		for _, v := range es.allowed {
			if es.accepted[v] {
				ec.Accepted = append(ec.Accepted, v)
			}
		}
		ec.Rejected = sortedKeys(es.rejected)
		cov.Enums = append(cov.Enums, ec)
	}
	return cov
}

// version is coupakit's version, from the build information.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	const module = "github.com/coupakit/coupakit"
	if bi.Main.Path == module {
		return cmpOr(bi.Main.Version, "(devel)")
	}
	for _, d := range bi.Deps {
		if d.Path == module {
			return d.Version
		}
	}
	return "(devel)"
}
