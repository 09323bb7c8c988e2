package mock

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
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
	Headers   map[string][]string `json:"headers,omitempty"`
	Status    int                 `json:"status"`
	Body      string              `json:"body,omitempty"` // the first 16 KiB of the request body
	Truncated bool                `json:"truncated,omitempty"`
}

// redacted replaces the value of a credential header in the journal.
const redacted = "[redacted]"

// credentialHeaders are the headers the journal never shows, canonical.
var credentialHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true,
	"X-Coupa-Api-Key": true, "X-Cso-Api-Key": true,
}

// journalHeaders copies h with the credentials redacted.
func journalHeaders(h http.Header) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	n := 0
	for _, v := range h {
		n += len(v)
	}
	// Every value in one backing array: one allocation, not one a header.
	vals := make([]string, 0, n)
	out := make(map[string][]string, len(h))
	for k, v := range h {
		if v == nil {
			out[k] = nil
			continue
		}
		start := len(vals)
		if credentialHeaders[http.CanonicalHeaderKey(k)] {
			for range v {
				vals = append(vals, redacted)
			}
		} else {
			vals = append(vals, v...)
		}
		out[k] = vals[start:len(vals):len(vals)]
	}
	return out
}

// journal keeps the newest journalSize requests in a ring, safe for
// concurrent use.
type journal struct {
	mu    sync.Mutex
	ring  []Request // allocated on first use, journalSize long
	start int       // index of the oldest entry
	n     int       // entries held
	next  int64
}

func (j *journal) add(r Request) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.ring == nil {
		j.ring = make([]Request, journalSize)
	}
	j.next++
	r.ID = j.next
	if j.n < journalSize {
		j.ring[(j.start+j.n)%journalSize] = r
		j.n++
		return
	}
	j.ring[j.start] = r // the oldest goes
	j.start = (j.start + 1) % journalSize
}

func (j *journal) all() []Request {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Request, j.n)
	for i := range out {
		out[i] = j.ring[(j.start+i)%journalSize]
	}
	return out
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.ring)
	j.start, j.n = 0, 0
}

// Requests returns the journal: the newest requests the APIs answered (at
// most 1000), oldest first. Reset empties it.
func (m *Mock) Requests() []Request { return m.journal.all() }

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
		entry := Request{Time: m.now().UTC(), API: api, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Headers: journalHeaders(r.Header)}
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
			r.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(full), rest), Closer: r.Body}
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		entry.Status = sw.status
		m.journal.add(entry)
	})
}

// listRequests answers GET /_mock/requests, optionally filtered by exact
// method, path and status.
func (m *Mock) listRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	out := []Request{}
	for _, e := range m.Requests() {
		if (q.Has("method") && q.Get("method") != e.Method) || (q.Has("path") && q.Get("path") != e.Path) ||
			(q.Has("api") && q.Get("api") != e.API) || (q.Has("status") && q.Get("status") != strconv.Itoa(e.Status)) {
			continue
		}
		out = append(out, e)
	}
	writeJSON(w, http.StatusOK, out)
}

// readCloser reads the journaled head of a body, then the rest.
type readCloser struct {
	io.Reader
	io.Closer
}

// errorReader fails every read with err.
type errorReader struct{ err error }

func (e errorReader) Read([]byte) (int, error) { return 0, e.err }

// statusWriter notes the status a handler answers with.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(status int) {
	if !s.wrote {
		s.status, s.wrote = status, true
	}
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the client's writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
