package mock

import (
	"hash/maphash"
	"net/http"
	"sync"
	"sync/atomic"
)

// The answer cache: a read (GET) whose answer the handler gave as one
// piece of JSON is kept, encoded, with the generation of the state it was
// read from, and the same read is answered with those bytes for as long
// as the state has not changed. Only the handler's work (binding the
// parameters, finding the records and encoding them) is saved: every
// layer of the pipeline (the journal, faults, authentication, leniency,
// validation, XML, projection) runs on every request as before; the
// answers layer, the innermost, is the one that answers.
//
// A read's answer depends on the operation, its path (the id), its query
// (as sent: the leniency layer reads it the same way every time) and the
// state's records, nothing else: no read looks at the clock, and a
// record's answer is fixed when it is stored (tables keep records by
// value and never change one in place). The state's generation counts
// every change to any of its tables, under the table's lock, so a kept
// answer is only used while no change at all has been made since it was
// read; a reset or an import makes a new state, with an empty cache.
//
// An answer is kept the second time its read misses: a read made once
// (another page each time, a scan for another instant) costs no copy and
// no garbage.

const (
	// answerCacheBytes bounds the answers the default tenant's state
	// keeps; past it, the cache starts again empty.
	answerCacheBytes = 4 << 20
	// answerTenantBytes is the bound of a named tenant's state: a test's
	// tenant holds few records, and a mock may hold a thousand tenants
	// (at most 128 MiB of kept answers in all).
	answerTenantBytes = 128 << 10
	// answerMaxBytes is the largest answer kept. A list is kept only when
	// it went out in one write, under listFlush (64 KiB, encode.go): the
	// bound reaches only single records.
	answerMaxBytes = 256 << 10
)

// answerCache holds a state's encoded answers to reads, all of one
// generation of the state.
type answerCache struct {
	mu      sync.RWMutex
	gen     uint64
	entries map[string]cachedAnswer
	size    int
	// missed holds hashes of reads that missed once, with their
	// generation, by hash: the next miss of one of them is kept.
	missed [1024]atomic.Uint64
}

var answerSeed = maphash.MakeSeed()

// admit reports whether a read that missed at generation gen has missed
// before (at the same generation), and else notes it.
func (c *answerCache) admit(key []byte, gen uint64) bool {
	h := maphash.Bytes(answerSeed, key) ^ gen*0x9e3779b97f4a7c15
	slot := &c.missed[h%uint64(len(c.missed))]
	if slot.Load() == h {
		return true
	}
	slot.Store(h)
	return false
}

// cachedAnswer is an encoded JSON answer.
type cachedAnswer struct {
	status int
	body   []byte
}

// get returns the answer kept under key when it was read at generation
// gen.
func (c *answerCache) get(key []byte, gen uint64) (cachedAnswer, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.gen != gen {
		return cachedAnswer{}, false
	}
	a, ok := c.entries[string(key)]
	return a, ok
}

// put keeps an answer read at generation gen (body is copied) in a cache
// of at most limit bytes; an answer read before the newest generation the
// cache has seen is not kept.
func (c *answerCache) put(key []byte, gen uint64, status int, body []byte, limit int) {
	size := len(key) + len(body) + answerEntryBytes
	if len(body) > answerMaxBytes || size > limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case gen < c.gen:
		return
	case gen > c.gen || c.entries == nil || c.size+size > limit:
		c.gen, c.entries, c.size = gen, map[string]cachedAnswer{}, 0
	}
	if _, ok := c.entries[string(key)]; ok {
		return
	}
	c.entries[string(key)] = cachedAnswer{status: status, body: append([]byte(nil), body...)}
	c.size += size
}

// answerEntryBytes is what an entry costs beside its key and body: its
// slot in the map and the headers of its strings and slices.
const answerEntryBytes = 96

// answerKey is the cache key of a read: its operation, path and query.
func answerKey(b []byte, operation string, r *http.Request) []byte {
	b = append(b, operation...)
	b = append(b, 0)
	b = append(b, r.URL.Path...)
	b = append(b, '?')
	return append(b, r.URL.RawQuery...)
}

// answers is the pipeline's innermost layer: a read (GET) the state's
// cache holds is answered here, before the generated handler binds its
// parameters (which, the request being valid and the same as the one that
// was kept, binds them as it did then); on a miss it notes on the route
// how the handler's answer is to be kept (Route.keep, used by cachedRead).
func (a *api) answers(next http.Handler) http.Handler {
	m := a.m
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := RouteOf(r.Context())
		if r.Method != http.MethodGet || m.noAnswerCache || rt == nil || rt.Match == nil {
			next.ServeHTTP(w, r)
			return
		}
		kp := keyPool.Get().(*[]byte)
		key := answerKey((*kp)[:0], rt.Match.OperationID(), r)
		defer func() { // after the handler, which keep is called in
			if cap(key) <= 4<<10 { // a long query's buffer is not kept
				*kp = key
				keyPool.Put(kp)
			}
		}()
		td := m.tenantOf(r.Context())
		st, limit := td.state.Load(), answerCacheBytes
		if td != m.def {
			limit = answerTenantBytes
		}
		gen := st.gen.Load()
		if ans, ok := st.answers.get(key, gen); ok {
			m.answerHits.Add(1)
			w.Header()["Content-Type"] = jsonContentType
			w.WriteHeader(ans.status)
			_, _ = w.Write(ans.body)
			return
		}
		if st.answers.admit(key, gen) {
			k := key // only a kept read's key is moved to the heap
			rt.keep = func(status int, body []byte) { st.answers.put(k, gen, status, body, limit) }
		}
		next.ServeHTTP(w, r)
	})
}

// jsonContentType is the Content-Type header of a kept answer, shared by
// every answer: a layer that changes the header replaces the value, as
// Header.Set does, and never writes into it.
var jsonContentType = []string{"application/json"}

// cachedRead runs handle and writes its answer as the spec orders it
// (jsonOrder), handing it to the answer cache when the answers layer asked
// for it (Route.keep) and it went out in one piece. It returns what the
// strict middleware returns: nil, nil once the answer is written, else the
// handler's answer or error, which the generated code then writes.
func cachedRead(o *jsonOrder, w http.ResponseWriter, r *http.Request, handle func() (any, error)) (any, error) {
	var keep func(int, []byte)
	if rt := RouteOf(r.Context()); rt != nil {
		keep = rt.keep
	}
	resp, err := handle()
	if err == nil && o.respond(w, resp, keep) {
		return nil, nil
	}
	return resp, err
}

var keyPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}
