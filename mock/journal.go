package mock

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coupakit/coupakit/internal/faults"
)

// Journal bounds: the newest entries kept, and the bytes of each request
// body kept with its entry.
const (
	journalSize     = 1000
	journalBodySize = 16 << 10
)

// Request is one request the mock's APIs answered, as GET /_mock/requests
// lists it, so that a CI pipeline can assert on what an integration sent:
// the request as the client sent it, before any layer changed it.
type Request struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	API    string    `json:"api"` // core or sourcing
	Method string    `json:"method"`
	Path   string    `json:"path"`
	// Query is the raw query string, in the order sent.
	Query string `json:"query,omitempty"`
	// Headers are the request's headers, credentials (Authorization,
	// X-COUPA-API-KEY, X-CSO-API-KEY, cookies) as "[redacted]".
	Headers map[string][]string `json:"headers,omitempty"`
	// Status is the status answered; 0 when a reset or empty fault broke
	// the connection before any answer.
	Status    int    `json:"status"`
	Body      string `json:"body,omitempty"` // the first 16 KiB of the request body
	Truncated bool   `json:"truncated,omitempty"`
	// Fault is the fault rule or global latency applied to the request,
	// nil when none was.
	Fault *AppliedFault `json:"fault,omitempty"`
	// Warnings are the leniencies the mock allowed the request, as its
	// Coupakit-Warning headers said them.
	Warnings []string `json:"warnings,omitempty"`
}

// redacted replaces the value of a credential header in the journal.
const redacted = "[redacted]"

// credentialHeaders are the headers the journal never shows, canonical.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "X-Coupa-Api-Key", "X-Cso-Api-Key"}

// isCredentialHeader reports whether the header named k, in any case, is
// one of credentialHeaders.
func isCredentialHeader(k string) bool {
	for _, c := range credentialHeaders {
		if len(c) == len(k) && strings.EqualFold(c, k) {
			return true
		}
	}
	return false
}

// headerValue is one value of a journaled header, or a header that has
// none.
type headerValue struct {
	key, value string
	// none: the header has no value, its slice nil (null) or empty.
	none, null bool
}

// journalHeaders lists h's values, credentials redacted, in one
// allocation as a rule: the journal is written on every request and read rarely,
// so it keeps a list and makes the map a Request shows only when read
// (BenchmarkGetByID: 353 B and 2 allocations a request less than the map
// it made before). The strings are h's, not copies.
func journalHeaders(h http.Header) []headerValue {
	if len(h) == 0 {
		return nil
	}
	out := make([]headerValue, 0, len(h)) // a header of several values grows it, rarely
	for k, v := range h {
		if len(v) == 0 {
			out = append(out, headerValue{key: k, none: true, null: v == nil})
			continue
		}
		secret := isCredentialHeader(k)
		for _, val := range v {
			if secret {
				val = redacted
			}
			out = append(out, headerValue{key: k, value: val})
		}
	}
	return out
}

// headerMap makes the map of a journaled header list, each header's
// values in order (a header's values are together in the list).
func headerMap(hv []headerValue) map[string][]string {
	if hv == nil {
		return nil
	}
	out := make(map[string][]string)
	vals := make([]string, 0, len(hv))
	for i := 0; i < len(hv); {
		k := hv[i].key
		if hv[i].none {
			if hv[i].null {
				out[k] = nil
			} else {
				out[k] = []string{}
			}
			i++
			continue
		}
		start := len(vals)
		for ; i < len(hv) && hv[i].key == k && !hv[i].none; i++ {
			vals = append(vals, hv[i].value)
		}
		out[k] = vals[start:len(vals):len(vals)]
	}
	return out
}

// journalEntry is a Request as the journal keeps it: Headers is nil and
// headers holds them.
type journalEntry struct {
	Request
	headers []headerValue
}

// request is the entry as GET /_mock/requests shows it.
func (e *journalEntry) request() Request {
	r := e.Request
	r.Headers = headerMap(e.headers)
	return r
}

// journal keeps the newest journalSize requests in a ring, safe for
// concurrent use. The ring grows as entries come, so that the journals of
// many little-used tenants stay small.
type journal struct {
	mu    sync.Mutex
	ring  []journalEntry // the entries, at most journalSize
	start int            // index of the oldest entry once the ring is full
	next  int64
}

func (j *journal) add(r journalEntry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.next++
	r.ID = j.next
	if len(j.ring) < journalSize {
		j.ring = append(j.ring, r) // start is 0 until the ring is full
		return
	}
	j.ring[j.start] = r // the oldest goes
	j.start = (j.start + 1) % journalSize
}

func (j *journal) all() []Request {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Request, len(j.ring))
	for i := range out {
		out[i] = j.ring[(j.start+i)%len(j.ring)].request()
	}
	return out
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ring = nil
	j.start = 0
}

func (j *journal) len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.ring)
}

// Requests returns the journal: the newest requests the APIs answered (at
// most 1000), oldest first, of the default tenant (see TenantRequests).
// Reset empties it.
func (m *Mock) Requests() []Request { return m.def.journal.all() }

// journalLayer journals every request the API answers.
func (m *Mock) journalLayer(a *api) layer {
	return func(next http.Handler) http.Handler { return m.record(a.name, next) }
}

// record wraps an API handler so that every request it answers is
// journaled as the client sent it: the query and headers before any layer
// changes them, and the first bytes of the body, read up front (the rest
// streams on to the handler).
func (m *Mock) record(api string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entry := journalEntry{Request: Request{Time: m.now().UTC(), API: api, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}, headers: journalHeaders(r.Header)}
		if r.Body != nil && r.Body != http.NoBody {
			full, err := io.ReadAll(io.LimitReader(r.Body, journalBodySize+1))
			kept := full
			if len(kept) > journalBodySize {
				entry.Truncated, kept = true, kept[:journalBodySize]
			}
			entry.Body = string(kept)
			var rest io.Reader = r.Body
			if err != nil { // the handler meets the read error as it would have
				rest = errorReader{err}
			}
			r.Body = &sentBody{head: full, rest: rest, Closer: r.Body, whole: err == nil && len(full) <= journalBodySize}
		}
		// What the faults layer applied: noted in the route, which every
		// request of the pipeline has (WithReport for one without).
		jw := &journalWriter{m: m, entry: entry}
		if rt := RouteOf(r.Context()); rt != nil {
			jw.rep = &rt.faults
		} else {
			r, jw.rep = faults.WithReport(r)
		}
		jw.r = r
		// The entry is added as the answer's header goes out, before the
		// client can see the answer and ask the journal, or at the end when
		// no answer went out (a reset or empty fault, with status 0; also
		// when a fault aborts the handler).
		jw.statusWriter = statusWriter{ResponseWriter: w, onHeader: jw.add}
		defer jw.add(0)
		next.ServeHTTP(jw, r)
	})
}

// journalWriter is the journal layer's writer for one request: it adds the
// request's entry to the journal once, with the status, as the answer's
// header goes out (one allocation for the whole request).
type journalWriter struct {
	statusWriter
	m     *Mock
	r     *http.Request
	rep   *faults.Report
	entry journalEntry
	added bool
}

// add adds the entry with status, the first time only.
func (jw *journalWriter) add(status int) {
	if jw.added {
		return
	}
	jw.added = true
	jw.entry.Status, jw.entry.Fault = status, jw.rep.Applied
	jw.entry.Warnings = slices.Clone(jw.Header().Values(WarningHeader))
	jw.m.tenantOf(jw.r.Context()).journal.add(jw.entry)
}

// listRequests answers GET /_mock/requests, optionally filtered by exact
// method, path and status, and by whether the request drew warnings.
func (m *Mock) listRequests(w http.ResponseWriter, r *http.Request) {
	td, ok := m.adminLookup(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var warned *bool
	if q.Has("warnings") {
		b, err := strconv.ParseBool(q.Get("warnings"))
		if err != nil {
			writeErrors(w, http.StatusBadRequest, "request", fmt.Sprintf("warnings: %q is not true or false", q.Get("warnings")))
			return
		}
		warned = &b
	}
	out := []Request{}
	for _, e := range td.journal.all() {
		if (q.Has("method") && q.Get("method") != e.Method) || (q.Has("path") && q.Get("path") != e.Path) ||
			(q.Has("api") && q.Get("api") != e.API) || (q.Has("status") && q.Get("status") != strconv.Itoa(e.Status)) ||
			(warned != nil && *warned != (len(e.Warnings) > 0)) {
			continue
		}
		out = append(out, e)
	}
	writeJSON(w, http.StatusOK, out)
}

// sentBody is a request body as the journal layer passes it on: the bytes
// it read (head), then the rest. whole says head is all of it (the journal
// read to the end), which the leniency layer then takes as it is (take)
// rather than reading a copy.
type sentBody struct {
	head []byte
	off  int // of head, read
	rest io.Reader
	io.Closer
	whole bool
}

func (b *sentBody) Read(p []byte) (int, error) {
	if b.off < len(b.head) {
		n := copy(p, b.head[b.off:])
		b.off += n
		return n, nil
	}
	return b.rest.Read(p)
}

// take returns the whole body, and marks it read, when it is whole and
// nothing of it has been read; else nil and false.
func (b *sentBody) take() ([]byte, bool) {
	if !b.whole || b.off != 0 {
		return nil, false
	}
	b.off = len(b.head)
	return b.head, true
}

// readCloser reads the head of a body, then the rest.
type readCloser struct {
	io.Reader
	io.Closer
}

// errorReader fails every read with err.
type errorReader struct{ err error }

func (e errorReader) Read([]byte) (int, error) { return 0, e.err }

// statusWriter calls onHeader with the status once, just before the
// answer's header is written.
type statusWriter struct {
	http.ResponseWriter
	onHeader func(status int)
	wrote    bool
}

// WriteHeader passes the first status on and drops any later one: a later
// one (an error answered after a write to a client that left) could not
// reach the client, and net/http would log it as superfluous.
func (s *statusWriter) WriteHeader(status int) {
	if s.wrote {
		return
	}
	s.wrote = true
	s.onHeader(status)
	s.ResponseWriter.WriteHeader(status)
}

// answered reports whether the answer has begun (responseError then
// writes nothing).
func (s *statusWriter) answered() bool { return s.wrote }

func (s *statusWriter) Write(p []byte) (int, error) {
	if !s.wrote {
		s.wrote = true
		s.onHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the client's writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
