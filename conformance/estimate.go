package conformance

import (
	"context"
	"time"
)

// Requests per check, on average, measured on the project's mock (1,971
// requests for 254 checks in a full run, 641 for 115 read-only): a full
// run sends more (it creates, changes and reads back records) than a
// read-only one. The response checks send none.
const (
	requestsPerCheckFull     = 8
	requestsPerCheckReadOnly = 6
)

// Estimation is how much a run will send.
type Estimation struct {
	// Checks counts the checks the run selects.
	Checks int
	// Requests is about how many requests they send.
	Requests int
}

// Duration is about how long the run takes at rate requests a second.
func (e Estimation) Duration(rate float64) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(float64(e.Requests) / rate * float64(time.Second))
}

// Estimate says, without sending anything, how many checks a run of
// target selects and about how many requests they send, so that a paced
// run can say how long it will take.
func Estimate(target Target, opts ...Option) (Estimation, error) {
	s, err := newSuite(context.Background(), target, opts)
	if err != nil {
		return Estimation{}, err
	}
	var e Estimation
	for _, chk := range s.planChecks() {
		if !s.selected(chk) {
			continue
		}
		e.Checks++
		switch {
		case s.api(chk.api) == nil, target.ReadOnly && chk.mutates:
		case target.ReadOnly:
			e.Requests += requestsPerCheckReadOnly
		default:
			e.Requests += requestsPerCheckFull
		}
	}
	e.Checks += len(s.finalPlan())
	return e, nil
}
