package conformance

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// OperationTally is what a run did with one operation: its checks by
// status and its coverage.
type OperationTally struct {
	// API and Operation name the operation, as the results do.
	API, Operation string
	// Checks counts the checks about it, by status.
	Checks, Pass, Fail, Skip int
	// MustPass and MustFail count the must checks (with Strict, every
	// check) that passed and failed: the score's share of the operation.
	MustPass, MustFail int
	// Coverage is the operation's coverage; zero for checks outside any
	// operation of a spec (the token endpoint, "-").
	Coverage OperationCoverage
	// Known says the operation is one of Coverage.Operations.
	Known bool
}

// Exercised reports whether the run sent the operation anything.
func (t OperationTally) Exercised() bool { return t.Coverage.Requests > 0 }

// Operations tallies the results by operation: the operations of the
// results in the order they ran, then those of the coverage no check was
// about.
func (r *Report) Operations() []OperationTally {
	var out []OperationTally
	index := map[string]int{}
	get := func(api, op string) *OperationTally {
		i, ok := index[op]
		if !ok {
			i = len(out)
			index[op] = i
			out = append(out, OperationTally{API: api, Operation: op})
		}
		return &out[i]
	}
	for _, res := range r.Results {
		t := get(res.API, cmpOr(res.Operation, "-"))
		t.Checks++
		counts := res.Level == Must || r.Strict
		switch res.Status {
		case Pass:
			t.Pass++
			if counts {
				t.MustPass++
			}
		case Fail:
			t.Fail++
			if counts {
				t.MustFail++
			}
		case Skip:
			t.Skip++
		}
	}
	for _, oc := range r.Coverage.Operations {
		t := get(oc.API, oc.Operation)
		t.Coverage, t.Known = oc, true
	}
	return out
}

// Score is the conformance score, from 0 to 100, as CHECKS.md defines it:
// each operation of the specs counts the same; an operation the run did
// not exercise counts 0, one it exercised counts the share of its must
// checks that passed (1 when none was judged); the checks outside any
// operation (the token endpoint, the rate limit) count as one more
// operation when some of them were judged. The score is the mean, times
// 100, rounded down; it is 100 only when every must check passed and every
// operation was exercised. With Strict, should checks count as must checks.
func (r *Report) Score() int {
	var sum float64
	n := 0
	perfect := true
	var otherPass, otherFail int
	for _, t := range r.Operations() {
		if !t.Known {
			otherPass += t.MustPass
			otherFail += t.MustFail
			continue
		}
		n++
		switch {
		case !t.Exercised():
			perfect = false
		case t.MustFail > 0:
			perfect = false
			sum += float64(t.MustPass) / float64(t.MustPass+t.MustFail)
		default:
			sum++
		}
	}
	if otherPass+otherFail > 0 {
		n++
		sum += float64(otherPass) / float64(otherPass+otherFail)
		perfect = perfect && otherFail == 0
	}
	if n == 0 {
		return 0
	}
	score := int(math.Floor(100 * sum / float64(n)))
	if !perfect {
		score = min(score, 99)
	}
	return score
}

// CoverageSummary is the coverage of a run in numbers.
type CoverageSummary struct {
	// Operations and Exercised count the operations, and those the run
	// sent anything; Idle names the others.
	Operations, Exercised int
	Idle                  []string
	// StatusesDocumented and StatusesAnswered count the documented
	// statuses of the operations exercised, and those the target answered.
	StatusesDocumented, StatusesAnswered int
	// Unanswered maps each documented status never answered to the
	// operations exercised that document it.
	Unanswered map[int][]string
}

// CoverageSummary sums up r's coverage.
func (r *Report) CoverageSummary() CoverageSummary {
	cs := CoverageSummary{Operations: len(r.Coverage.Operations), Unanswered: map[int][]string{}}
	for _, oc := range r.Coverage.Operations {
		if oc.Requests == 0 {
			cs.Idle = append(cs.Idle, oc.Operation)
			continue
		}
		cs.Exercised++
		cs.StatusesDocumented += len(oc.Documented)
		cs.StatusesAnswered += len(oc.Exercised)
		for _, code := range oc.Documented {
			if !slices.Contains(oc.Exercised, code) {
				cs.Unanswered[code] = append(cs.Unanswered[code], oc.Operation)
			}
		}
	}
	return cs
}

// Paragraph says in a few sentences what the run did not exercise; empty
// when it exercised everything.
func (cs CoverageSummary) Paragraph() string {
	var parts []string
	if len(cs.Idle) > 0 {
		parts = append(parts, fmt.Sprintf("Not exercised: %d of %d operations (%s).", len(cs.Idle), cs.Operations, strings.Join(cs.Idle, ", ")))
	}
	if len(cs.Unanswered) > 0 {
		codes := sortedKeys(cs.Unanswered)
		var by []string
		for _, code := range codes {
			by = append(by, fmt.Sprintf("%d (%s)", code, plural(len(cs.Unanswered[code]), "operation")))
		}
		parts = append(parts, fmt.Sprintf("Documented statuses the target never answered: %s.", strings.Join(by, ", ")))
	}
	return strings.Join(parts, " ")
}
