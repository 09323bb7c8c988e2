package main

import (
	"errors"
	"math/bits"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	out := []byte(`Running 10s test @ http://127.0.0.1:8080/api/integration_errors/1
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.07us    1.12ms  40.23ms   93.41%
    Req/Sec    22.51k     2.01k   27.85k    71.50%
  Latency Distribution
     50%  553.00us
     75%  827.00us
     90%    1.45ms
     99%    5.92ms
  448012 requests in 10.00s, 402.36MB read
  Non-2xx or 3xx responses: 12
Requests/sec:  44790.35
Transfer/sec:     40.23MB
`)
	r := parseWrk(out)
	if r.rps != 44790.35 || r.requests != 448012 || r.non2xx != 12 || r.p99 != 5920*time.Microsecond {
		t.Errorf("parsed %+v", r)
	}
	if r := parseWrk([]byte("\n     99%  120.00us\nRequests/sec: 1.5\n")); r.p99 != 120*time.Microsecond || r.rps != 1.5 {
		t.Errorf("parsed %+v", r)
	}
	if r := parseWrk([]byte("unable to connect")); r.rps != 0 {
		t.Errorf("parsed %+v from nothing", r)
	}
}

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		line string
		want time.Duration
		ok   bool
	}{
		{"4242 (coupakit) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 56 0 0 20 0 9 0 100 0 0\n", 12900 * time.Millisecond, true},
		// A command with spaces and parentheses of its own.
		{"7 (a b) (c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 0 0\n", 70 * time.Millisecond, true},
		{"7 (x) R 1 2 3\n", 0, false},
		{"no command", 0, false},
		{"7 (x) R 1 7 7 0 -1 0 0 0 0 0 -3 4 0\n", 0, false},
	} {
		got, err := parseStat([]byte(tc.line))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseStat(%q) = %v, %v; want %v, ok %v", tc.line, got, err, tc.want, tc.ok)
		}
	}
	if _, err := cpuTime("self"); err != nil {
		t.Errorf("cpuTime(self): %v", err)
	}
}

func TestPerRequest(t *testing.T) {
	if got := perRequest(time.Second, 3*time.Second, 1000); got != 2*time.Millisecond {
		t.Errorf("perRequest = %v, want 2ms", got)
	}
	if got := perRequest(time.Second, 3*time.Second, 0); got != 0 {
		t.Errorf("perRequest with no requests = %v, want 0", got)
	}
	if got := perRequest(3*time.Second, time.Second, 10); got != 0 {
		t.Errorf("perRequest going back = %v, want 0", got)
	}
}

func TestBurner(t *testing.T) {
	b := &burner{}
	b.calibrate()
	if b.unit <= 0 || b.unit > time.Millisecond {
		t.Fatalf("calibrated unit %v", b.unit)
	}
	if n := b.burn(); n != 0 {
		t.Errorf("burn with no time set ran %d units", n)
	}
	b.d.Store(int64(100 * b.unit))
	if n := b.burn(); n != 100 {
		t.Errorf("burn of 100 units' time ran %d", n)
	}
	b.d.Store(-1)
	if n := b.burn(); n != 0 {
		t.Errorf("burn of a negative time ran %d units", n)
	}
}

func TestCountBySearch(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 8, 9, 1000, 333340} {
		asked := 0
		got, err := countBySearch(func(offset int) (bool, error) {
			asked++
			if offset < 0 {
				t.Fatalf("offset %d", offset)
			}
			return offset < n, nil
		})
		if err != nil || got != n {
			t.Errorf("count of %d: %d, %v", n, got, err)
		}
		if limit := 2*bits.Len(uint(n)) + 2; asked > limit {
			t.Errorf("count of %d asked %d pages, more than %d", n, asked, limit)
		}
	}
	want := errors.New("down")
	if _, err := countBySearch(func(int) (bool, error) { return false, want }); err != want {
		t.Errorf("error %v, want %v", err, want)
	}
}
