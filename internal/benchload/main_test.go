package main

import (
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
