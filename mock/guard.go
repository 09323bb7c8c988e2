package mock

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Bounds on request bodies, when Options leave them 0.
const (
	// DefaultBodyTimeout is how long a client has to send a request body
	// once its headers are in. Coupa's clients (ERP connectors, iPaaS
	// jobs, curl) send a body in one go: 30 s lets the largest body the
	// mock takes (10 MiB) through at 350 KB/s, and stops a client that
	// drips a body a byte at a time from holding a connection for long.
	DefaultBodyTimeout = 30 * time.Second
	// DefaultMaxBodyReaders is how many request bodies are read at once;
	// the next request with a body is answered 503 with Retry-After until
	// one is done. Bodies that arrive at network speed are read in
	// microseconds, so only slow bodies ever fill the slots.
	DefaultMaxBodyReaders = 64
)

// bodyGuard bounds every request body (admin routes included) in time and
// in number: the body must be in within Options.BodyTimeout, or the
// request is answered 408 (the layers reading the body see the deadline
// and say so); past Options.MaxBodyReaders bodies being read at once, a
// request with a body is answered 503 with Retry-After: 1 before any of it
// is read.
func (m *Mock) bodyGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		// A full house is waited on for a moment, so that a burst of quick
		// clients (200 parallel tests) is queued, not refused; only bodies
		// that keep the slots past bodySlotWait turn the next ones away.
		if !m.takeBodySlot(r.Context()) {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Connection", "close")
			writeErrors(w, http.StatusServiceUnavailable, "request", fmt.Sprintf("more than %d request bodies are being received at once; retry later", cap(m.bodySlots)))
			return
		}
		gb := &guardedBody{ReadCloser: r.Body, slots: m.bodySlots}
		defer gb.release()
		if m.opts.BodyTimeout > 0 {
			rc := http.NewResponseController(w)
			if rc.SetReadDeadline(time.Now().Add(m.opts.BodyTimeout)) == nil {
				defer func() { _ = rc.SetReadDeadline(time.Time{}) }()
			}
		}
		r.Body = gb
		// The route layer, outside this one, made the request's Route:
		// the guarded body rides on it, without another copy of the
		// request for a context value.
		if rt := RouteOf(r.Context()); rt != nil {
			rt.body = gb
		}
		next.ServeHTTP(w, r)
	})
}

// guardedBody gives its slot back once the body is read to its end or
// fails, and notes a failure by the read deadline.
type guardedBody struct {
	io.ReadCloser
	slots              chan struct{}
	released, timedOut atomic.Bool
}

// release gives the body's slot back, once.
func (b *guardedBody) release() {
	if b.released.CompareAndSwap(false, true) {
		<-b.slots
	}
}

func (b *guardedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		var ne net.Error
		if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			b.timedOut.Store(true)
		}
		b.release()
	}
	return n, err
}

// bodyTimedOut reports whether the request's body failed by the body
// timeout: the reader then answers 408, not 400.
func bodyTimedOut(r *http.Request) bool {
	rt := RouteOf(r.Context())
	return rt != nil && rt.body != nil && rt.body.timedOut.Load()
}

// writeBodyTimeout answers 408 for a body that did not arrive in time, and
// closes the connection (the rest of the body is never read).
func (m *Mock) writeBodyTimeout(w http.ResponseWriter, resource string) {
	w.Header().Set("Connection", "close")
	writeErrors(w, http.StatusRequestTimeout, resource, fmt.Sprintf("the request body did not arrive within %s; send it in one go", m.opts.BodyTimeout))
}

// adminGuard asks every /_mock/ route but GET /_mock/health for the admin
// token, when Options.AdminToken is set: `Authorization: Bearer <token>`.
// A request without it is answered 401 before the route sees it.
func (m *Mock) adminGuard(next http.Handler) http.Handler {
	if m.opts.AdminToken == "" {
		return next
	}
	want := []byte("Bearer " + m.opts.AdminToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAdminPath(r.URL.Path) || (r.Method == http.MethodGet && r.URL.Path == "/_mock/health") {
			next.ServeHTTP(w, r)
			return
		}
		got := []byte(r.Header.Get("Authorization"))
		if len(got) > len("Bearer ") && strings.EqualFold(string(got[:7]), "Bearer ") {
			got = append([]byte("Bearer "), got[7:]...)
		}
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="coupakit-admin"`)
			msg := "the admin routes want the admin token: send Authorization: Bearer <token> (coupakit serve prints it at start)"
			if len(got) > 0 {
				msg = "the admin token is wrong: send the one coupakit serve was given or printed at start"
			}
			writeErrors(w, http.StatusUnauthorized, "request", msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bodySlotWait is how long a request waits for a body slot before 503.
const bodySlotWait = 2 * time.Second

// takeBodySlot takes a body slot, waiting at most bodySlotWait (or until
// ctx ends) when all are taken; it reports whether it got one.
func (m *Mock) takeBodySlot(ctx context.Context) bool {
	select {
	case m.bodySlots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(bodySlotWait)
	defer t.Stop()
	select {
	case m.bodySlots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}
