// Package throttle slows down the guessing of passwords and secrets. It
// counts failed logins per key (a user or client, and the address the
// attempts come from) and, past a few free failures, gives the key one
// checked attempt per step, the step doubling with every further failure.
// A key that has not failed beyond the free ones is never slowed, and a
// correct login forgets the key's failures.
//
// A Throttle is safe for concurrent use.
package throttle

import (
	"sync"
	"time"
)

// Policy says how failures are slowed down.
type Policy struct {
	// Free is how many failures a key may have before it is slowed.
	Free int
	// Base is the wait after the Free-th failure; it doubles with every
	// further failure, up to Max.
	Base, Max time.Duration
	// Forget is how long after its last failure a key starts afresh.
	Forget time.Duration
	// MaxKeys bounds the keys remembered; past it the stalest goes.
	MaxKeys int
}

// Default is the policy of coupakit's SFTP logins and OAuth token endpoint:
// 5 free failures, then a wait of 1 s doubling to at most 1 min, forgotten
// 15 min after the last failure; 10,000 keys.
var Default = Policy{Free: 5, Base: time.Second, Max: time.Minute, Forget: 15 * time.Minute, MaxKeys: 10_000}

// Throttle counts failures per key. Build it with New.
type Throttle struct {
	p   Policy
	now func() time.Time

	mu   sync.Mutex
	keys map[string]*entry
}

type entry struct {
	fails int
	last  time.Time // of the last failure
	next  time.Time // when the next attempt may be checked
}

// New returns a Throttle with policy p and the clock now (time.Now when nil).
func New(p Policy, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	if p.MaxKeys <= 0 {
		p.MaxKeys = Default.MaxKeys
	}
	return &Throttle{p: p, now: now, keys: make(map[string]*entry)}
}

// Key joins the parts of a key (a user name and an address, say). Each part
// is cut to 256 bytes, so that a long name cannot make keys large.
func Key(parts ...string) string {
	var b []byte
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p[:min(len(p), 256)]...)
	}
	return string(b)
}

// step is the wait after fails failures.
func (t *Throttle) step(fails int) time.Duration {
	n := fails - t.p.Free
	if n < 0 {
		return 0
	}
	if n > 30 {
		return t.p.Max
	}
	return min(t.p.Base<<n, t.p.Max)
}

// live returns key's entry, or nil when it has none or it is forgotten.
func (t *Throttle) live(key string, now time.Time) *entry {
	e := t.keys[key]
	if e != nil && now.Sub(e.last) > t.p.Forget {
		delete(t.keys, key)
		return nil
	}
	return e
}

// Reserve is called before an attempt's credentials are checked. It returns
// how long the attempt must wait first (0 when key is not slowed) and takes
// that turn for it, so that concurrent attempts queue one step apart. When
// the wait would be longer than limit, it takes nothing and returns false:
// the caller refuses the attempt unchecked, saying to retry after wait.
func (t *Throttle) Reserve(key string, limit time.Duration) (wait time.Duration, ok bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.live(key, now)
	if e == nil || e.fails < t.p.Free {
		return 0, true
	}
	slot := e.next
	if slot.Before(now) {
		slot = now
	}
	wait = slot.Sub(now)
	if wait > limit {
		return wait, false
	}
	e.next = slot.Add(t.step(e.fails))
	return wait, true
}

// Fail records a failed attempt of key and reports whether key is now
// slowed down for the first time (for a log line).
func (t *Throttle) Fail(key string) (started bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.live(key, now)
	if e == nil {
		t.makeRoom(now)
		e = &entry{}
		t.keys[key] = e
	}
	e.fails++
	e.last = now
	if e.fails >= t.p.Free {
		if next := now.Add(t.step(e.fails)); next.After(e.next) {
			e.next = next
		}
	}
	return e.fails == t.p.Free
}

// Succeed forgets key's failures after a correct login.
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, key)
}

// makeRoom drops forgotten keys when the map is full, and the stalest key
// if none is.
func (t *Throttle) makeRoom(now time.Time) {
	if len(t.keys) < t.p.MaxKeys {
		return
	}
	var stalest string
	var at time.Time
	for k, e := range t.keys {
		if now.Sub(e.last) > t.p.Forget {
			delete(t.keys, k)
			continue
		}
		if stalest == "" || e.last.Before(at) {
			stalest, at = k, e.last
		}
	}
	if len(t.keys) >= t.p.MaxKeys {
		delete(t.keys, stalest)
	}
}

// Len returns how many keys are remembered.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.keys)
}
