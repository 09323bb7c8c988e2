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
// lists it, so that a CI pipeline can assert on what an integration sent.
type Request struct {
	ID        int64     `json:"id"`
	Time      time.Time `json:"time"`
	API       string    `json:"api"` // core or sourcing
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Query     string    `json:"query,omitempty"`
	Status    int       `json:"status"`
	Body      string    `json:"body,omitempty"` // the first 16 KiB of the request body
	Truncated bool      `json:"truncated,omitempty"`
}

// journal keeps the newest requests, safe for concurrent use.
type journal struct {
	mu      sync.Mutex
	entries []Request // oldest first, at most journalSize
	next    int64
}

func (j *journal) add(r Request) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.next++
	r.ID = j.next
	if len(j.entries) == journalSize {
		j.entries = append(j.entries[:0], j.entries[1:]...)
	}
	j.entries = append(j.entries, r)
}

func (j *journal) all() []Request {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Request{}, j.entries...)
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = nil
}

// Requests returns the journal: the newest requests the APIs answered (at
// most 1000), oldest first. Reset empties it.
func (m *Mock) Requests() []Request { return m.journal.all() }

// journalLayer journals every request the API answers.
func (m *Mock) journalLayer(a *api) layer {
	return func(next http.Handler) http.Handler { return m.record(a.name, next) }
}

// record wraps an API handler so that every request it answers is journaled.
func (m *Mock) record(api string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := &bodyTap{r: r.Body}
		if r.Body != nil {
			r.Body = body
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		start := m.now()
		next.ServeHTTP(sw, r)
		m.journal.add(Request{
			Time: start.UTC(), API: api, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Status: sw.status, Body: body.kept.String(), Truncated: body.truncated,
		})
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

// bodyTap keeps the first bytes of a request body as the handler reads it.
type bodyTap struct {
	r         io.ReadCloser
	kept      bytes.Buffer
	truncated bool
}

func (b *bodyTap) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if room := journalBodySize - b.kept.Len(); room > 0 {
		b.kept.Write(p[:min(n, room)])
		b.truncated = b.truncated || n > room
	} else if n > 0 {
		b.truncated = true
	}
	return n, err
}

func (b *bodyTap) Close() error { return b.r.Close() }

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
