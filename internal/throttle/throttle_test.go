package throttle_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coupakit/coupakit/internal/throttle"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var policy = throttle.Policy{Free: 3, Base: time.Second, Max: 8 * time.Second, Forget: time.Minute, MaxKeys: 4}

func TestSequentialFailuresWaitLonger(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	th := throttle.New(policy, clk.now)
	const key = "erp\x00192.0.2.1"
	// Each attempt waits what it is told, then fails.
	var waits []time.Duration
	for range 8 {
		w, ok := th.Reserve(key, time.Hour)
		if !ok {
			t.Fatalf("Reserve refused with an hour's limit")
		}
		waits = append(waits, w)
		clk.advance(w)
		th.Fail(key)
	}
	want := []time.Duration{0, 0, 0, 1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits = %v; want %v", waits, want)
	}
	// Another key is not slowed.
	if w, ok := th.Reserve("erp\x00192.0.2.2", 0); w != 0 || !ok {
		t.Errorf("another address: wait %v, %v; want 0, true", w, ok)
	}
	// With no room to wait, the attempt is refused and takes no turn.
	w, ok := th.Reserve(key, 0)
	if ok || w != 8*time.Second {
		t.Errorf("Reserve(limit 0) = %v, %v; want 8s, false", w, ok)
	}
	if w2, _ := th.Reserve(key, 0); w2 != w {
		t.Errorf("a refused attempt took a turn: wait %v then %v", w, w2)
	}
	// A correct login forgets the failures.
	clk.advance(w)
	if _, ok := th.Reserve(key, 0); !ok {
		t.Fatalf("turn not given after waiting")
	}
	th.Succeed(key)
	if w, ok := th.Reserve(key, 0); w != 0 || !ok {
		t.Errorf("after a success: wait %v, %v; want 0, true", w, ok)
	}
}

func TestConcurrentAttemptsQueue(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	th := throttle.New(policy, clk.now)
	for range 3 {
		th.Fail("k")
	}
	// Three attempts at once: they queue one step (1 s) apart.
	var waits []time.Duration
	for range 3 {
		w, _ := th.Reserve("k", time.Hour)
		waits = append(waits, w)
	}
	if fmt.Sprint(waits) != fmt.Sprint([]time.Duration{time.Second, 2 * time.Second, 3 * time.Second}) {
		t.Errorf("waits = %v; want 1s 2s 3s", waits)
	}
}

func TestForgetAndBound(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	th := throttle.New(policy, clk.now)
	for range 5 {
		th.Fail("k")
	}
	clk.advance(policy.Forget + time.Second)
	if w, ok := th.Reserve("k", 0); w != 0 || !ok {
		t.Errorf("after Forget: wait %v, %v; want 0, true", w, ok)
	}
	for i := range 10 {
		th.Fail(fmt.Sprint("key", i))
		clk.advance(time.Millisecond)
	}
	if n := th.Len(); n > policy.MaxKeys {
		t.Errorf("%d keys kept; want at most %d", n, policy.MaxKeys)
	}
}

func TestKey(t *testing.T) {
	long := string(make([]byte, 1000))
	if k := throttle.Key(long, "a"); len(k) != 256+1+1 {
		t.Errorf("len(Key(1000 bytes, a)) = %d; want 258", len(k))
	}
	if throttle.Key("erp", "192.0.2.1") == throttle.Key("erp1", "92.0.2.1") {
		t.Errorf("keys of different parts are equal")
	}
}
