package auth

import (
	"container/list"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	// maxLimiters bounds how many clients' buckets are kept; past it the
	// least recently used bucket goes.
	maxLimiters = 10_000
	// limiterIdle is how long a bucket must go unused before it may be
	// dropped. By then it has refilled to its burst, so dropping it changes
	// nothing the client could notice.
	limiterIdle = time.Second
)

// limiters holds one token bucket per client, created on first use, in
// least-recently-used order.
type limiters struct {
	mu    sync.Mutex
	max   int
	lru   *list.List // of *limiterEntry; front is the most recently used
	byKey map[string]*list.Element
}

type limiterEntry struct {
	key  string
	lim  *rate.Limiter
	last time.Time
}

func newLimiters(n int) *limiters {
	return &limiters{max: n, lru: list.New(), byKey: make(map[string]*list.Element)}
}

// get returns the bucket of key, creating it if need be. Before creating
// one it drops the idle buckets at the back, and the least recently used one
// if there are still too many.
func (l *limiters) get(key string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.byKey[key]; ok {
		e := el.Value.(*limiterEntry)
		if now.After(e.last) {
			e.last = now
		}
		l.lru.MoveToFront(el)
		return e.lim
	}
	for el := l.lru.Back(); el != nil; el = l.lru.Back() {
		e := el.Value.(*limiterEntry)
		if l.lru.Len() < l.max && now.Sub(e.last) < limiterIdle {
			break
		}
		l.lru.Remove(el)
		delete(l.byKey, e.key)
	}
	e := &limiterEntry{key: key, lim: rate.NewLimiter(RateLimitPerSecond, RateLimitBurst), last: now}
	l.byKey[key] = l.lru.PushFront(e)
	return e.lim
}

// size returns how many buckets are kept.
func (l *limiters) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// admit takes a token from the bucket of rateKey (of the remote IP when
// empty) and reports whether the request may go on. When it may not, it has
// answered 429 with Retry-After.
func (a *Authority) admit(w http.ResponseWriter, r *http.Request, rateKey string) bool {
	if rateKey == "" {
		rateKey = "ip:" + remoteIP(r)
	}
	now := a.now()
	lim := a.limits.get(rateKey, now)
	if lim.AllowN(now, 1) {
		return true
	}
	// The bucket refills at RateLimitPerSecond; one token is missing.
	wait := (1 - lim.TokensAt(now)) / float64(lim.Limit())
	secs := max(int64(math.Ceil(wait)), 1)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	writeErrors(w, http.StatusTooManyRequests, fmt.Sprintf(
		"rate limit exceeded: %d requests per second with a burst of %d; retry after %d s",
		RateLimitPerSecond, RateLimitBurst, secs))
	return false
}
