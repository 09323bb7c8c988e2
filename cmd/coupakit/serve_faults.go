package main

import (
	"strings"

	"github.com/coupakit/coupakit/mock"
)

// faultFlag collects repeated --fault rules, each read when given so that
// a malformed one is a flag error naming it.
type faultFlag struct{ rules []mock.FaultRule }

func (f *faultFlag) String() string { return "" }

func (f *faultFlag) Set(s string) error {
	r, err := mock.ParseFault(s)
	if err != nil {
		return err
	}
	f.rules = append(f.rules, r)
	return nil
}

// faultUsage is the help of --fault.
const faultUsage = "a fault `rule`, repeatable: an optional method and path (exact or glob), then key=value " +
	"(status, retry_after, delay_ms, jitter_ms, fault=reset|empty|truncate|slow_body, times, after, probability, api, operation), " +
	"for example 'GET /api/integration_errors status=503 times=2'"

// faultOptions gives the start-up rules and latency: those of --faults
// FILE first, then the --fault flags.
func (cfg *serveConfig) faultOptions() ([]mock.FaultRule, mock.Latency, error) {
	var rules []mock.FaultRule
	var latency mock.Latency
	if name := strings.TrimSpace(cfg.faultsFile); name != "" {
		r, l, err := mock.LoadFaults(name)
		if err != nil {
			return nil, latency, err
		}
		rules = append(rules, r...)
		if l != nil {
			latency = *l
		}
	}
	return append(rules, cfg.faults.rules...), latency, nil
}
