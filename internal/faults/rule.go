// Package faults injects faults and latency into the mock's API answers, as
// a CI pipeline needs to test how an integration copes with Coupa being
// slow, throttled or down.
//
// An Engine holds ordered fault rules and a global latency. Its Middleware
// is one layer of the mock's request pipeline: for every API request it
// tries the rules in order and applies the first that fires (a delay, an
// error status answered in the API's own format, or a broken connection),
// then the global latency. Register mounts the admin routes that manage the
// rules (/_mock/faults, /_mock/settings, as openapi/admin.yaml describes).
// ParseFlag and LoadFile read rules from `serve --fault` and `--faults`.
//
// Probabilities and jitter are drawn from the engine's seed, the rule's id
// and how many times the rule matched, so that a run with the same seed and
// the same requests applies the same faults.
package faults

import (
	"fmt"
	"net/http"
	"path"
	"strings"
)

// Kind is a fault that breaks the answer instead of giving a status.
type Kind string

// The faults a rule may inject.
const (
	// Reset closes the connection at once, with a TCP reset: the client
	// sees "connection reset by peer".
	Reset Kind = "reset"
	// Empty closes the connection without writing an answer: the client
	// sees an EOF before any response.
	Empty Kind = "empty"
	// Truncate sends the headers, with the full Content-Length, and half of
	// the body, then closes the connection.
	Truncate Kind = "truncate"
	// SlowBody sends the headers at once and drips the body in
	// SlowBodyParts parts spread over the rule's delay.
	SlowBody Kind = "slow_body"
)

// Kinds lists every Kind, in the order the spec lists them.
var Kinds = []Kind{Reset, Empty, Truncate, SlowBody}

// Bounds of a rule's and the settings' numbers.
const (
	// MaxDelayMS bounds delay_ms and jitter_ms, well inside the server's
	// write timeout.
	MaxDelayMS = 30_000
	// SlowBodyParts is how many parts a slow_body fault drips the body in.
	SlowBodyParts = 10
	// DefaultSlowBodyMS is how long a slow_body fault takes when the rule
	// has no delay_ms.
	DefaultSlowBodyMS = 1000
)

// Match says which API requests a rule applies to. Every field is optional;
// the zero Match takes every request.
type Match struct {
	// API is the API's name as the pipeline describes it ("core",
	// "sourcing").
	API string `json:"api,omitempty"`
	// Method is an HTTP method, upper case.
	Method string `json:"method,omitempty"`
	// Path is the request's path, exact, or a glob (path.Match syntax: `*`
	// stays within one segment) when it holds `*`, `?` or `[`.
	Path string `json:"path,omitempty"`
	// Operation is an operationId of the API's spec.
	Operation string `json:"operation,omitempty"`
}

// Rule is a fault rule, as POST /_mock/faults takes it.
type Rule struct {
	// Match chooses the requests.
	Match Match `json:"match"`
	// Status, when set (400-599), answers with the API's own error body.
	Status int `json:"status,omitempty"`
	// RetryAfter, in seconds, adds a Retry-After header to Status's answer.
	RetryAfter int `json:"retry_after,omitempty"`
	// DelayMS waits before answering (for SlowBody: how long the body
	// drips).
	DelayMS int `json:"delay_ms,omitempty"`
	// JitterMS adds a draw in [0, JitterMS] to DelayMS.
	JitterMS int `json:"jitter_ms,omitempty"`
	// Fault breaks the answer; it excludes Status.
	Fault Kind `json:"fault,omitempty"`
	// Times retires the rule after it fired that many times; 0 never does.
	Times int `json:"times,omitempty"`
	// After skips the rule's first After matches.
	After int `json:"after,omitempty"`
	// Probability is the chance that a match past After fires; nil is 1.
	Probability *float64 `json:"probability,omitempty"`
}

// View is a rule as GET /_mock/faults lists it: with its id, its
// probability spelt out, and its counts.
type View struct {
	ID int64 `json:"id"`
	Rule
	// Matched counts the requests that passed Match.
	Matched int64 `json:"matched"`
	// Fired counts how many times the rule applied.
	Fired int64 `json:"fired"`
	// Retired is true once the rule fired Times times.
	Retired bool `json:"retired"`
}

// Settings is the global latency: every API answer waits DelayMS plus a draw
// in [0, JitterMS] milliseconds, on top of any rule's delay.
type Settings struct {
	DelayMS  int `json:"delay_ms"`
	JitterMS int `json:"jitter_ms"`
}

// Validate reports what is wrong with the settings, or nil.
func (s Settings) Validate() error {
	var errs []string
	errs = checkMS(errs, "delay_ms", s.DelayMS)
	errs = checkMS(errs, "jitter_ms", s.JitterMS)
	return joinErrs(errs)
}

// Checker validates rules: the zero Checker takes any API name and
// operation; set its fields to refuse the ones a mock does not have.
type Checker struct {
	// APIs, when not empty, are the only API names a match may name.
	APIs []string
	// Operation, when set, reports whether an operationId exists.
	Operation func(operationID string) bool
}

// Validate reports everything wrong with r, one message per problem, or nil.
func (c Checker) Validate(r Rule) error {
	var errs []string
	m := r.Match
	if m.API != "" && len(c.APIs) > 0 && !contains(c.APIs, m.API) {
		errs = append(errs, fmt.Sprintf("match.api must be one of %s, got %q", strings.Join(c.APIs, ", "), m.API))
	}
	if m.Method != "" && !isMethod(m.Method) {
		errs = append(errs, fmt.Sprintf("match.method must be an HTTP method in upper case (GET, POST, ...), got %q", m.Method))
	}
	if m.Path != "" {
		if !strings.HasPrefix(m.Path, "/") {
			errs = append(errs, fmt.Sprintf("match.path must start with /, got %q", m.Path))
		} else if _, err := path.Match(m.Path, ""); err != nil {
			errs = append(errs, fmt.Sprintf("match.path %q is not a valid glob: %v", m.Path, err))
		}
	}
	if m.Operation != "" && c.Operation != nil && !c.Operation(m.Operation) {
		errs = append(errs, fmt.Sprintf("match.operation %q is no operation of the APIs' specs", m.Operation))
	}
	if r.Status != 0 && (r.Status < 400 || r.Status > 599) {
		errs = append(errs, fmt.Sprintf("status must be between 400 and 599, got %d", r.Status))
	}
	if r.RetryAfter < 0 {
		errs = append(errs, fmt.Sprintf("retry_after must not be negative, got %d", r.RetryAfter))
	} else if r.RetryAfter > 0 && r.Status == 0 {
		errs = append(errs, "retry_after needs a status")
	}
	errs = checkMS(errs, "delay_ms", r.DelayMS)
	errs = checkMS(errs, "jitter_ms", r.JitterMS)
	if r.Fault != "" && !contains(Kinds, r.Fault) {
		errs = append(errs, fmt.Sprintf("fault must be one of reset, empty, truncate, slow_body, got %q", r.Fault))
	}
	if r.Fault != "" && r.Status != 0 {
		errs = append(errs, "give status or fault, not both")
	}
	if r.Status == 0 && r.Fault == "" && r.DelayMS == 0 && r.JitterMS == 0 {
		errs = append(errs, "a rule needs a status, a fault or a delay_ms")
	}
	if r.Times < 0 {
		errs = append(errs, fmt.Sprintf("times must not be negative, got %d", r.Times))
	}
	if r.After < 0 {
		errs = append(errs, fmt.Sprintf("after must not be negative, got %d", r.After))
	}
	if p := r.Probability; p != nil && !(*p >= 0 && *p <= 1) {
		errs = append(errs, fmt.Sprintf("probability must be between 0 and 1, got %v", *p))
	}
	return joinErrs(errs)
}

// ValidationError lists every problem of a rule or of settings.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string { return strings.Join(e.Problems, "; ") }

func joinErrs(errs []string) error {
	if len(errs) == 0 {
		return nil
	}
	return &ValidationError{Problems: errs}
}

func checkMS(errs []string, name string, v int) []string {
	if v < 0 || v > MaxDelayMS {
		return append(errs, fmt.Sprintf("%s must be between 0 and %d, got %d", name, MaxDelayMS, v))
	}
	return errs
}

func isMethod(s string) bool {
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return s != ""
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Applied is what the middleware did to one request, for its journal entry.
type Applied struct {
	// Rule is the id of the rule that fired; 0 when only the global latency
	// applied.
	Rule int64 `json:"rule,omitempty"`
	// Status is the status the rule answered with.
	Status int `json:"status,omitempty"`
	// Fault is the fault the rule injected.
	Fault Kind `json:"fault,omitempty"`
	// DelayMS is how long the answer waited (rule and global latency), or
	// how long a slow body dripped.
	DelayMS int `json:"delay_ms,omitempty"`
}

// statusMessage is the message a status fault gives the error callback.
func statusMessage(id int64, status int) string {
	return fmt.Sprintf("%s (injected by fault rule %d)", http.StatusText(status), id)
}
