package faults

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Hooks connect the middleware to the pipeline it runs in.
type Hooks struct {
	// Describe gives a request's API name and operationId (as the
	// pipeline's routing put them in its context); it is called only for
	// rules that match on them. Nil: both empty.
	Describe func(*http.Request) (api, operation string)
	// Error answers a status fault with the API's own error body, in the
	// format the client asked for. Nil: a plain text body.
	Error func(w http.ResponseWriter, r *http.Request, status int, message string)
	// Report gives the Report of a request, for a pipeline that keeps
	// one per request already (in a value of its context) and so needs
	// no WithReport. Nil, or a nil answer: the Report WithReport put in
	// the context, if any.
	Report func(*http.Request) *Report
}

// Report is where the middleware notes what it applied to one request; see
// WithReport.
type Report struct {
	// Applied is nil when no rule fired and no latency applied.
	Applied *Applied
}

type reportKey struct{}

// WithReport returns r with a Report in its context that the middleware
// fills. A journal layer outside the middleware calls it before passing
// the request on, and reads the report once the answer is done.
func WithReport(r *http.Request) (*http.Request, *Report) {
	rep := &Report{}
	return r.WithContext(context.WithValue(r.Context(), reportKey{}, rep)), rep
}

func note(hooks Hooks, r *http.Request, a Applied) {
	if hooks.Report != nil {
		if rep := hooks.Report(r); rep != nil {
			rep.Applied = &a
			return
		}
	}
	if rep, ok := r.Context().Value(reportKey{}).(*Report); ok {
		rep.Applied = &a
	}
}

// Middleware returns the pipeline layer that applies the rules and the
// global latency to every request it passes to next.
//
// For each request the rules are tried in order; the first that fires
// applies and the rest are not tried. Its delay (plus jitter) and the
// global latency are waited first, then its status is answered through
// hooks.Error, or its fault breaks the connection, or (a delay alone) the
// request goes on to next. A client that goes away while the answer waits
// ends the wait and the request.
func (e *Engine) Middleware(hooks Hooks) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.Serve(hooks, next, w, r) })
	}
}

// Serve is what Middleware's layer does for one request, for a pipeline
// that picks the engine per request (a tenant's): it applies the rules and
// the latency, and passes the request to next unless a fault answered it.
func (e *Engine) Serve(hooks Hooks, next http.Handler, w http.ResponseWriter, r *http.Request) {
	snap := e.snap.Load()
	if len(snap.rules) == 0 && snap.settings == (Settings{}) {
		next.ServeHTTP(w, r)
		return
	}
	e.serve(snap, hooks, next, w, r)
}

func (e *Engine) serve(snap *snapshot, hooks Hooks, next http.Handler, w http.ResponseWriter, r *http.Request) {
	var api, op string
	described := false
	describe := func() (string, string) {
		if !described && hooks.Describe != nil {
			api, op = hooks.Describe(r)
		}
		described = true
		return api, op
	}
	var hit *rule
	var n uint64
	snap.index.candidates(r.URL.Path, describe, func(i int) bool {
		c := snap.rules[i]
		if !c.matches(r.Method, r.URL.Path, describe) {
			return false
		}
		ok, k := c.fire(e.opts.Seed)
		if ok {
			hit, n = c, k
		}
		return ok
	})
	delay := 0
	if s := snap.settings; s.DelayMS > 0 || s.JitterMS > 0 {
		delay = s.DelayMS + jitter(e.opts.Seed, 0, e.seq.Add(1), s.JitterMS)
	}
	if hit == nil {
		if delay > 0 {
			note(hooks, r, Applied{DelayMS: delay})
			if !wait(r.Context(), delay) {
				return
			}
		}
		next.ServeHTTP(w, r)
		return
	}
	rr := &hit.r
	own := rr.DelayMS + jitter(e.opts.Seed, hit.id, n, rr.JitterMS)
	applied := Applied{Rule: hit.id, Status: rr.Status, Fault: rr.Fault, DelayMS: delay}
	if rr.Fault == SlowBody {
		if own == 0 {
			own = DefaultSlowBodyMS
		}
	} else {
		delay += own
		applied.DelayMS = delay
	}
	note(hooks, r, applied)
	if !wait(r.Context(), delay) {
		return
	}
	switch {
	case rr.Status != 0:
		if rr.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(rr.RetryAfter))
		}
		msg := statusMessage(hit.id, rr.Status)
		if hooks.Error != nil {
			hooks.Error(w, r, rr.Status, msg)
		} else {
			http.Error(w, msg, rr.Status)
		}
	case rr.Fault == Reset || rr.Fault == Empty:
		closeConn(w, rr.Fault == Reset)
	case rr.Fault == Truncate || rr.Fault == SlowBody:
		buf := &buffered{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(buf, r)
		for k, v := range buf.header {
			w.Header()[k] = v
		}
		body := buf.body.Bytes()
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(buf.status)
		rc := http.NewResponseController(w)
		if rr.Fault == Truncate {
			_, _ = w.Write(body[:len(body)/2])
			_ = rc.Flush()
			closeConn(w, false)
			return
		}
		_ = rc.Flush()
		drip(r.Context(), w, rc, body, own)
	default:
		next.ServeHTTP(w, r)
	}
}

// wait sleeps ms milliseconds, or until ctx is done (then it reports
// false).
func wait(ctx context.Context, ms int) bool {
	if ms <= 0 {
		return true
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// drip writes body in SlowBodyParts parts spread over ms milliseconds.
func drip(ctx context.Context, w http.ResponseWriter, rc *http.ResponseController, body []byte, ms int) {
	step := time.Duration(ms) * time.Millisecond / SlowBodyParts
	size := (len(body) + SlowBodyParts - 1) / SlowBodyParts
	for i := 0; i < SlowBodyParts; i++ {
		if !wait(ctx, int(step/time.Millisecond)) {
			return
		}
		if size > 0 && len(body) > 0 {
			k := min(size, len(body))
			if _, err := w.Write(body[:k]); err != nil {
				return
			}
			body = body[k:]
		}
		_ = rc.Flush()
	}
}

// closeConn takes the connection from the server and closes it: with a TCP
// reset when rst, else a plain close. Where the connection cannot be taken
// (HTTP/2), the stream is aborted.
func closeConn(w http.ResponseWriter, rst bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if rst {
		c := conn
		if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
			c = nc.NetConn()
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	}
	_ = conn.Close()
}

// buffered keeps a handler's answer for a fault that sends it broken.
type buffered struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *buffered) Header() http.Header { return b.header }

func (b *buffered) WriteHeader(status int) {
	if !b.wrote {
		b.status, b.wrote = status, true
	}
}

func (b *buffered) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}
