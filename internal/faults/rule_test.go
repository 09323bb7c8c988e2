package faults

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptrTo[T any](v T) *T { return &v }

func TestValidate(t *testing.T) {
	checker := Checker{APIs: []string{"core", "sourcing"}, Operation: func(op string) bool { return op == "listIntegrationErrors" }}
	tests := []struct {
		name string
		rule Rule
		want []string // substrings of the problems, in order; none: valid
	}{
		{"status", Rule{Status: 503}, nil},
		{"the issue's example", Rule{Match: Match{API: "core", Method: "GET", Path: "/api/integration_errors/*", Operation: "listIntegrationErrors"}, DelayMS: 300, JitterMS: 100, Fault: Reset, Times: 2, Probability: ptrTo(1.0)}, nil},
		{"delay alone", Rule{DelayMS: 1}, nil},
		{"nothing to do", Rule{Match: Match{Method: "GET"}}, []string{"needs a status, a fault or a delay_ms"}},
		{"status out of range", Rule{Status: 200}, []string{"status must be between 400 and 599, got 200"}},
		{"status and fault", Rule{Status: 503, Fault: Reset}, []string{"not both"}},
		{"unknown fault", Rule{Fault: "explode"}, []string{`fault must be one of reset, empty, truncate, slow_body, got "explode"`}},
		{"retry_after without status", Rule{Fault: Empty, RetryAfter: 2}, []string{"retry_after needs a status"}},
		{"negative retry_after", Rule{Status: 429, RetryAfter: -1}, []string{"retry_after must not be negative"}},
		{"delay too long", Rule{DelayMS: MaxDelayMS + 1}, []string{"delay_ms must be between 0 and 30000, got 30001"}},
		{"negative jitter", Rule{Status: 500, JitterMS: -1}, []string{"jitter_ms must be between"}},
		{"negative times and after", Rule{Status: 500, Times: -1, After: -2}, []string{"times must not be negative", "after must not be negative"}},
		{"probability above 1", Rule{Status: 500, Probability: ptrTo(1.5)}, []string{"probability must be between 0 and 1, got 1.5"}},
		{"lower-case method", Rule{Status: 500, Match: Match{Method: "get"}}, []string{`match.method must be an HTTP method in upper case`}},
		{"relative path", Rule{Status: 500, Match: Match{Path: "api/x"}}, []string{"match.path must start with /"}},
		{"bad glob", Rule{Status: 500, Match: Match{Path: "/api/[x"}}, []string{"is not a valid glob"}},
		{"unknown api", Rule{Status: 500, Match: Match{API: "finance"}}, []string{`match.api must be one of core, sourcing, got "finance"`}},
		{"unknown operation", Rule{Status: 500, Match: Match{Operation: "listInvoices"}}, []string{`match.operation "listInvoices" is no operation`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checker.Validate(tt.rule)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			ve, ok := err.(*ValidationError)
			if !ok {
				t.Fatalf("want a *ValidationError, got %v", err)
			}
			if len(ve.Problems) != len(tt.want) {
				t.Fatalf("problems %q, want %d like %q", ve.Problems, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(ve.Problems[i], w) {
					t.Errorf("problem %d = %q, want it to hold %q", i, ve.Problems[i], w)
				}
			}
		})
	}
	if err := (Checker{}).Validate(Rule{Status: 500, Match: Match{API: "anything", Operation: "any"}}); err != nil {
		t.Errorf("the zero Checker takes any API and operation: %v", err)
	}
}

func TestSettingsValidate(t *testing.T) {
	if err := (Settings{DelayMS: 200, JitterMS: 50}).Validate(); err != nil {
		t.Fatal(err)
	}
	err := Settings{DelayMS: -1, JitterMS: MaxDelayMS + 1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "delay_ms must be between") || !strings.Contains(err.Error(), "jitter_ms must be between") {
		t.Fatalf("got %v", err)
	}
}

func TestParseFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    Rule
		wantErr string
	}{
		{in: "GET /api/integration_errors status=503 times=2", want: Rule{Match: Match{Method: "GET", Path: "/api/integration_errors"}, Status: 503, Times: 2}},
		{in: "POST /api/integration_errors/* fault=reset after=1", want: Rule{Match: Match{Method: "POST", Path: "/api/integration_errors/*"}, Fault: Reset, After: 1}},
		{in: "/api/events delay_ms=300 jitter_ms=100", want: Rule{Match: Match{Path: "/api/events"}, DelayMS: 300, JitterMS: 100}},
		{in: "api=sourcing operation=listEvents status=429 retry_after=2 probability=0.25", want: Rule{Match: Match{API: "sourcing", Operation: "listEvents"}, Status: 429, RetryAfter: 2, Probability: ptrTo(0.25)}},
		{in: "status=500 method=PUT path=/api/x", want: Rule{Match: Match{Method: "PUT", Path: "/api/x"}, Status: 500}},
		{in: "  ", wantErr: "empty"},
		{in: "GET /api/x status", wantErr: `"status" is not key=value`},
		{in: "GET /api/x statuz=503", wantErr: `unknown key "statuz"`},
		{in: "GET /api/x status=abc", wantErr: `status="abc" is not a number`},
		{in: "GET /api/x probability=high", wantErr: `probability="high" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFlag(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to hold %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	want := File{Faults: []Rule{
		{Match: Match{Method: "GET", Path: "/api/integration_errors"}, Status: 503, Times: 2},
		{Match: Match{API: "sourcing"}, Fault: Reset, Probability: ptrTo(0.5)},
	}, Settings: &Settings{DelayMS: 200, JitterMS: 50}}
	tests := []struct {
		name, in string
		want     File
		wantErr  string
	}{
		{name: "JSON", in: `{"faults": [{"match": {"method": "GET", "path": "/api/integration_errors"}, "status": 503, "times": 2},
			{"match": {"api": "sourcing"}, "fault": "reset", "probability": 0.5}], "settings": {"delay_ms": 200, "jitter_ms": 50}}`, want: want},
		{name: "YAML", in: `
faults:
  - match: {method: GET, path: /api/integration_errors}
    status: 503
    times: 2
  - match:
      api: sourcing
    fault: reset
    probability: 0.5
settings:
  delay_ms: 200
  jitter_ms: 50
`, want: want},
		{name: "bare list", in: `[{"status": 500}]`, want: File{Faults: []Rule{{Status: 500}}}},
		{name: "unknown element", in: "faults:\n  - status: 500\n  - statuz: 503\n", wantErr: `rule 2: unknown field "statuz"`},
		{name: "wrong type", in: `{"faults": [{"status": "high"}]}`, wantErr: "rule 1: status: want int, got a JSON string"},
		{name: "unknown top element", in: `{"fault": []}`, wantErr: `unknown field "fault"`},
		{name: "not YAML", in: "faults: [", wantErr: "neither JSON nor YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFile([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to hold %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestNewRefusesABadStartUpRule(t *testing.T) {
	_, err := New(Options{Rules: []Rule{{Status: 503}, {Status: 200}}})
	if err == nil || !strings.Contains(err.Error(), "rule 2: status must be between 400 and 599") {
		t.Fatalf("got %v", err)
	}
}

func TestDrawsAreDeterministic(t *testing.T) {
	pattern := func(seed int64) string {
		e, err := New(Options{Seed: seed, Rules: []Rule{{Status: 500, Probability: ptrTo(0.5)}}})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		c := e.snap.Load().rules[0]
		for range 64 {
			if ok, _ := c.fire(seed); ok {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, other := pattern(1), pattern(1), pattern(2)
	if a != b {
		t.Fatalf("same seed, different draws:\n%s\n%s", a, b)
	}
	if a == other {
		t.Fatalf("seeds 1 and 2 draw the same: %s", a)
	}
	if n := strings.Count(a, "x"); n < 16 || n > 48 {
		t.Fatalf("probability 0.5 fired %d of 64: %s", n, a)
	}
	for i := range uint64(1000) {
		if j := jitter(3, 1, i, 100); j < 0 || j > 100 {
			t.Fatalf("jitter %d outside [0, 100]", j)
		}
	}
}
