// Package proxy is a validating proxy for the Coupa APIs: it sits between an
// integration and a Coupa instance (a sandbox, a customer's instance, or
// coupakit's mock), forwards every request and answer unchanged, and judges
// both against the specs in package openapi with Coupa's conventions.
//
// Forwarding is faithful: the method, the path and the query bytes as sent,
// the headers (but the hop-by-hop ones, as any HTTP proxy) and the body go
// upstream; the status, headers and body come back, streamed. A gzipped
// answer is passed through gzipped and decoded only for judging. The OAuth
// token endpoint (/oauth2/token) and any path outside /api/ pass through
// unjudged, so the proxy never needs the client's credentials.
//
// Every request under /api/ and its answer are judged. Each [Violation]
// says which side broke the contract and the rule, one of:
//
//	request.operation     no operation of the spec has this method and path
//	request.parameter     a path or query parameter breaks its schema (limit=0, dir=up, fields)
//	request.filter        a filter of the query language is invalid (unknown element or operator, bad value, order_by)
//	request.content-type  a body in a media type the operation does not take
//	request.xml           an XML body that is not Coupa's XML
//	request.body, request.enum, request.required, request.type, request.format,
//	request.element, request.constraint, request.schema
//	                      the body breaks its schema (the keyword names the rule)
//	response.status       a status the operation does not document
//	response.content-type not the API's media type, or not the one the client asked for
//	response.content-encoding an encoding the proxy cannot decode to judge (gzip is decoded)
//	response.json         a JSON answer that does not parse
//	response.xml          XML that is not Coupa's shape (root element, type="array")
//	response.error-format an error answer not in Coupa's format {"errors": {"<resource>": [...]}}
//	response.enum, response.required, response.type, response.format (datetimes to the
//	second with an offset), response.element, response.write-only, response.constraint,
//	response.schema       the body breaks its schema
//	response.null         a null value (Coupa leaves them out)
//	response.limit        a page with more records than the limit asked for or the cap (50, 250)
//
// Read-only elements sent in a request are not violations: the specs say
// they are accepted and ignored. Answers to return_object and fields are
// judged without the required lists, as the specs say. Where the specs call
// the documents uncertain (the Sourcing API's error bodies, the answers of
// the single-event PUT and DELETE), only the status is judged. A 429 is
// passed through and not judged further.
//
// All validation goes through one file, validate.go, which uses the
// validator setup of package openapi that the mock uses too; an answer's
// body is judged on its bytes by a compiled checker, and decoded for
// kin-openapi only when the checker does not pass it.
//
// Without [Options.Enforce], judging happens off the request's path, so it
// adds little latency; under sustained traffic faster than the judges (one
// per two CPUs), the queue of 256 exchanges fills and requests wait for a
// judge, so that nothing goes unjudged. The admin routes wait for the
// judges to catch up. With Enforce, a
// request that breaks the contract is answered 400 in Coupa's format without
// being forwarded, and an answer that breaks it is replaced by 502 naming
// the violation.
//
// The admin routes, on both ports, are GET /_proxy/violations (JSON),
// DELETE /_proxy/violations and GET /_proxy/report?format=text|json|junit|html|markdown,
// the report in the formats of coupakit check ([conformance.Report]),
// described with the mock's routes in openapi/admin.yaml.
package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	// DefaultTimeout bounds the wait for an upstream's answer headers.
	DefaultTimeout = 30 * time.Second
	// DefaultDialTimeout bounds the connection to an upstream.
	DefaultDialTimeout = 10 * time.Second
	// DefaultMaxBodyBytes bounds the bodies kept for judging; larger ones
	// are forwarded but not judged (with Enforce: refused with 413).
	DefaultMaxBodyBytes = 10 << 20
	// DefaultMaxViolations bounds the violations kept; beyond it they are
	// counted, logged and reported in the totals only.
	DefaultMaxViolations = 10000
)

// Options configure a Proxy.
type Options struct {
	// Upstream is the Core API's base URL (https://acme.coupahost.com).
	Upstream string
	// CSOUpstream is the Sourcing API's base URL
	// (https://acme.cso.coupahost.com); empty when not proxied.
	CSOUpstream string
	// Enforce answers a request that breaks the contract with 400 without
	// forwarding it, and replaces an answer that breaks it with 502.
	Enforce bool
	// Timeout bounds the wait for the upstream's answer headers
	// (DefaultTimeout when 0); past it the client gets 504.
	Timeout time.Duration
	// DialTimeout bounds the connection to the upstream (DefaultDialTimeout
	// when 0); a refused or timed out connection gives 502.
	DialTimeout time.Duration
	// MaxBodyBytes bounds the bodies kept for judging (DefaultMaxBodyBytes
	// when 0).
	MaxBodyBytes int64
	// MaxViolations bounds the violations kept (DefaultMaxViolations when 0).
	MaxViolations int
	// Transport sends the requests upstream; nil means one made from the
	// timeouts, which never asks for compression itself.
	Transport http.RoundTripper
	// OnViolation, when set, is called once for each violation, as soon as
	// it is found (for a log line). It must not block for long.
	OnViolation func(Violation)
	// Record keeps the records seen in the answers, for [Proxy.WriteFixtures].
	Record bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Proxy forwards and judges the traffic of the Core and Sourcing APIs.
type Proxy struct {
	opts      Options
	core, cso *spec
	coreURL   *url.URL
	csoURL    *url.URL
	coreH     http.Handler
	csoH      http.Handler
	store     store
	recorder  *recorder
	seq       atomic.Int64
	queue     chan *exchange
	pending   inFlight
	workers   sync.WaitGroup
	closeOnce sync.Once
	// closing guards the queue: once closed is set, exchanges are judged
	// in their own handler, so that none is sent on a closed queue.
	closing sync.RWMutex
	closed  bool
}

// New builds a Proxy from opts and starts its judges; Close stops them.
func New(opts Options) (*Proxy, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxViolations <= 0 {
		opts.MaxViolations = DefaultMaxViolations
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &Proxy{opts: opts}
	var err error
	if p.coreURL, err = upstreamURL("--upstream", opts.Upstream); err != nil {
		return nil, err
	}
	if opts.CSOUpstream != "" {
		if p.csoURL, err = upstreamURL("--cso-upstream", opts.CSOUpstream); err != nil {
			return nil, err
		}
	}
	if p.core, p.cso, err = loadSpecs(); err != nil {
		return nil, err
	}
	if opts.Transport == nil {
		dialer := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
		opts.Transport = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   32,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   opts.DialTimeout,
			ResponseHeaderTimeout: opts.Timeout,
			ExpectContinueTimeout: time.Second,
			// Pass the client's Accept-Encoding through and never add one:
			// the answer goes back as the upstream encoded it.
			DisableCompression: true,
		}
		p.opts.Transport = opts.Transport
	}
	p.store.max = opts.MaxViolations
	if opts.Record {
		p.recorder = newRecorder()
	}
	p.coreH = p.handler(p.core, p.coreURL)
	if p.csoURL != nil {
		p.csoH = p.handler(p.cso, p.csoURL)
	}
	n := max(1, runtime.GOMAXPROCS(0)/2)
	p.queue = make(chan *exchange, 256)
	for range n {
		p.workers.Add(1)
		go p.judgeLoop()
	}
	return p, nil
}

func upstreamURL(flag, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("proxy: %s %q is not an absolute http(s) URL", flag, raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("proxy: %s %q must not have a query or fragment", flag, raw)
	}
	return u, nil
}

// CoreHandler proxies the Core API (and its token endpoint) to Upstream,
// with the admin routes under /_proxy/.
func (p *Proxy) CoreHandler() http.Handler { return p.coreH }

// SourcingHandler proxies the Sourcing API to CSOUpstream, with the admin
// routes under /_proxy/; nil when CSOUpstream is empty.
func (p *Proxy) SourcingHandler() http.Handler { return p.csoH }

// Flush waits until every exchange that arrived so far has been answered
// and judged.
func (p *Proxy) Flush() { p.pending.wait(p.seq.Load()) }

// Close judges what is left and stops the judges. Exchanges that arrive
// after it are judged in their own handlers.
func (p *Proxy) Close() {
	p.closeOnce.Do(func() {
		p.closing.Lock()
		p.closed = true
		p.closing.Unlock()
		p.Flush()
		close(p.queue)
		p.workers.Wait()
	})
}

// Violations returns the violations kept so far, in the order their
// exchanges arrived, once every exchange answered has been judged.
func (p *Proxy) Violations() []Violation {
	p.Flush()
	return p.store.list()
}

// Count returns how many violations were found, kept or not.
func (p *Proxy) Count() int {
	p.Flush()
	return p.store.count()
}

// exchange is one request and its answer, as the proxy saw them.
type exchange struct {
	seq     int64
	spec    *spec
	at      time.Time
	req     *http.Request // the request as received (its body is gone)
	reqBody capture
	route   *route
	// judgedReq and judgedResp say the request and the answer were judged
	// already (with Enforce).
	judgedReq, judgedResp bool
	status                int
	header                http.Header
	respBody              capture
	reqUnread             bool // the transport was still reading the request body
	answered              bool // the upstream answered
	enforced              bool // the proxy answered in place of the exchange
}

type exchangeKey struct{}

// handler proxies one API to target.
func (p *Proxy) handler(s *spec, target *url.URL) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// Forward the client's own forwarding headers, as received.
			for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded"} {
				if v, ok := pr.In.Header[h]; ok {
					pr.Out.Header[h] = v
				}
			}
		},
		Transport:      p.opts.Transport,
		FlushInterval:  -1,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.upstreamError(s),
	}
	mux := http.NewServeMux()
	p.admin(mux)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !judged(r.URL.Path) {
			rp.ServeHTTP(w, r)
			return
		}
		ex := &exchange{seq: p.pending.start(&p.seq), spec: s, at: p.opts.Now(), req: r.Clone(context.WithoutCancel(r.Context()))}
		queued := false
		defer func() {
			if !queued {
				p.pending.done(ex.seq)
			}
		}()
		ex.reqBody.max, ex.respBody.max = p.opts.MaxBodyBytes, p.opts.MaxBodyBytes
		if p.opts.Enforce && !p.enforceRequest(w, r, ex) {
			return
		}
		if r.Body != nil && r.Body != http.NoBody && !ex.judgedReq {
			ex.reqBody.done = make(chan struct{})
			r.Body = &teeBody{rc: r.Body, c: &ex.reqBody}
		}
		r = r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex))
		rp.ServeHTTP(w, r)
		if ex.enforced {
			return // judged and kept already
		}
		p.closing.RLock()
		defer p.closing.RUnlock()
		if p.closed {
			p.judge(ex)
			return
		}
		queued = true
		p.queue <- ex
	}))
	return mux
}

// enforceRequest reads and judges the request before it is forwarded, and
// answers it itself when it breaks the contract. It reports whether to
// forward the request.
func (p *Proxy) enforceRequest(w http.ResponseWriter, r *http.Request, ex *exchange) bool {
	if r.Body != nil && r.Body != http.NoBody {
		data, err := io.ReadAll(io.LimitReader(r.Body, p.opts.MaxBodyBytes+1))
		if err != nil {
			writeCoupaError(w, r, ex.spec, http.StatusBadRequest, "cannot read the request body: "+err.Error())
			return false
		}
		if int64(len(data)) > p.opts.MaxBodyBytes {
			writeCoupaError(w, r, ex.spec, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes, which the proxy judges at most", p.opts.MaxBodyBytes))
			return false
		}
		ex.reqBody.buf.Write(data)
		r.Body = io.NopCloser(bytes.NewReader(data))
		r.ContentLength = int64(len(data))
	}
	ex.judgedReq = true
	rt, findings := ex.spec.judgeRequest(r.Context(), ex.req, ex.reqBody.bytes())
	ex.route = rt
	if len(findings) == 0 {
		return true
	}
	ex.enforced = true
	vs := p.keep(ex, SideRequest, findings)
	msgs := make([]string, len(vs))
	for i, v := range vs {
		msgs[i] = v.Message
	}
	writeCoupaError(w, r, ex.spec, http.StatusBadRequest, msgs...)
	p.store.countExchange(ex, http.StatusBadRequest)
	return false
}

// verdictError is an answer that breaks the contract, under Enforce.
type verdictError struct{ violations []Violation }

func (e *verdictError) Error() string { return "the answer breaks the contract" }

// modifyResponse notes the answer and takes a copy of its body for the
// judges; under Enforce it reads the whole answer and judges it first.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	ex, _ := resp.Request.Context().Value(exchangeKey{}).(*exchange)
	if ex == nil {
		return nil
	}
	ex.answered, ex.status, ex.header = true, resp.StatusCode, resp.Header.Clone()
	if resp.ContentLength > 0 && resp.ContentLength <= p.opts.MaxBodyBytes {
		ex.respBody.buf.Grow(int(resp.ContentLength))
	}
	if !p.opts.Enforce {
		resp.Body = &teeBody{rc: resp.Body, c: &ex.respBody}
		return nil
	}
	_, err := ex.respBody.buf.ReadFrom(io.LimitReader(resp.Body, p.opts.MaxBodyBytes+1))
	data := ex.respBody.buf.Bytes()
	if err != nil {
		_ = resp.Body.Close()
		return err
	}
	if int64(len(data)) > p.opts.MaxBodyBytes {
		// Too large to judge: forwarded as it is, not judged.
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(data), resp.Body), resp.Body}
		ex.respBody.truncated = true
		return nil
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	ex.judgedResp = true
	findings := p.judgeAnswer(ex)
	if len(findings) == 0 {
		return nil
	}
	ex.enforced = true
	p.store.countExchange(ex, ex.status)
	return &verdictError{violations: p.keep(ex, SideResponse, findings)}
}

// upstreamError answers when the upstream cannot: 504 when it is too slow,
// 502 when it cannot be reached, 502 naming the violation under Enforce.
func (p *Proxy) upstreamError(s *spec) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		var verdict *verdictError
		if errors.As(err, &verdict) {
			msgs := make([]string, len(verdict.violations))
			for i, v := range verdict.violations {
				msgs[i] = fmt.Sprintf("the upstream's answer (%d) breaks the contract: %s: %s (%s)", v.Response.Status, v.Rule, v.Message, v.Spec)
			}
			writeCoupaError(w, r, s, http.StatusBadGateway, msgs...)
			return
		}
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return // the client went away
		}
		status, msg := http.StatusBadGateway, fmt.Sprintf("the upstream %s cannot be reached: %v", hostOf(s, p), err)
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout() && !isDial(err)) {
			status, msg = http.StatusGatewayTimeout, fmt.Sprintf("the upstream %s did not answer within %s", hostOf(s, p), p.opts.Timeout)
		}
		writeCoupaError(w, r, s, status, msg)
	}
}

func isDial(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// hostOf names the upstream host that s's requests are forwarded to.
func hostOf(s *spec, p *Proxy) string {
	if s == p.cso && p.csoURL != nil {
		return p.csoURL.Host
	}
	return p.coreURL.Host
}

// judgeLoop judges the exchanges queued, off the requests' path.
func (p *Proxy) judgeLoop() {
	defer p.workers.Done()
	for ex := range p.queue {
		p.judge(ex)
		p.pending.done(ex.seq)
	}
}

// judge judges an exchange that was forwarded and keeps its violations.
func (p *Proxy) judge(ex *exchange) {
	if !ex.judgedReq {
		read := ex.reqBody.wait(p.opts.Timeout)
		ex.reqUnread = !read
		if !read || ex.reqBody.truncated {
			ex.route, _ = ex.spec.find(ex.req)
		} else {
			rt, findings := ex.spec.judgeRequest(context.Background(), ex.req, ex.reqBody.bytes())
			ex.route = rt
			p.keep(ex, SideRequest, findings)
		}
	}
	if ex.answered && !ex.enforced && !ex.judgedResp {
		p.keep(ex, SideResponse, p.judgeAnswer(ex))
	}
	status := 0
	if ex.answered {
		status = ex.status
	}
	p.store.countExchange(ex, status)
}

// judgeAnswer judges the upstream's answer to a matched request, and notes
// its records for the recording.
func (p *Proxy) judgeAnswer(ex *exchange) []finding {
	if ex.route == nil || ex.respBody.truncated {
		return nil
	}
	body, err := decodeBody(ex.header, ex.respBody.bytes(), p.opts.MaxBodyBytes)
	if err != nil {
		return []finding{{rule: "content-encoding", pointer: ex.spec.file + "#/info/description", message: "the body cannot be decoded: " + err.Error()}}
	}
	a := answer{status: ex.status, header: ex.header, body: body}
	findings := ex.spec.judgeResponse(context.Background(), ex.route, ex.req, a)
	if p.recorder != nil && len(findings) == 0 {
		var reqBody []byte
		if !ex.reqUnread {
			reqBody = ex.reqBody.bytes()
		}
		p.recorder.note(ex.spec, ex.route, ex.req, reqBody, a)
	}
	return findings
}

// keep turns findings into violations, keeps and announces them.
func (p *Proxy) keep(ex *exchange, side string, findings []finding) []Violation {
	if len(findings) == 0 {
		return nil
	}
	out := make([]Violation, 0, len(findings))
	for _, f := range findings {
		v := Violation{
			Time: ex.at, API: ex.spec.api, Side: side, Rule: side + "." + f.rule,
			Spec: f.pointer, Message: f.message, Enforced: ex.enforced,
			Request: Request{
				Method: ex.req.Method, Path: ex.req.URL.EscapedPath(), Query: redactQuery(ex.req.URL.RawQuery),
				Header: redactHeader(ex.req.Header),
			},
		}
		if !ex.reqUnread {
			v.Request.Body = excerpt(ex.reqBody.bytes())
		}
		if ex.route != nil {
			v.Operation = ex.route.operation().OperationID
		}
		if ex.answered {
			body, err := decodeBody(ex.header, ex.respBody.bytes(), p.opts.MaxBodyBytes)
			if err != nil {
				body = ex.respBody.bytes()
			}
			v.Response = &Response{Status: ex.status, Header: redactHeader(ex.header), Body: excerpt(body)}
		}
		v = p.store.add(ex.seq, v)
		if p.opts.OnViolation != nil {
			p.opts.OnViolation(v)
		}
		out = append(out, v)
	}
	return out
}

// inFlight tracks the exchanges not yet judged, by sequence number.
type inFlight struct {
	mu   sync.Mutex
	cond *sync.Cond
	seqs map[int64]struct{}
}

// start numbers a new exchange and marks it in flight.
func (f *inFlight) start(seq *atomic.Int64) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := seq.Add(1)
	if f.seqs == nil {
		f.seqs = map[int64]struct{}{}
		f.cond = sync.NewCond(&f.mu)
	}
	f.seqs[n] = struct{}{}
	return n
}

// done marks an exchange judged.
func (f *inFlight) done(seq int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.seqs, seq)
	f.cond.Broadcast()
}

// wait waits until no exchange numbered up to last is in flight.
func (f *inFlight) wait(last int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.busy(last) {
		f.cond.Wait()
	}
}

func (f *inFlight) busy(last int64) bool {
	for n := range f.seqs {
		if n <= last {
			return true
		}
	}
	return false
}

// capture keeps the first max bytes of a body.
type capture struct {
	max       int64
	buf       bytes.Buffer
	truncated bool
	// done, when not nil, is closed once the body has been read to its
	// end or closed: the transport may still read a request body after
	// the answer came.
	done chan struct{}
	once sync.Once
}

// finish marks the body as read.
func (c *capture) finish() {
	if c.done != nil {
		c.once.Do(func() { close(c.done) })
	}
}

// wait waits until the body was read, at most d, and reports whether it
// was: a body still being read then cannot be judged.
func (c *capture) wait(d time.Duration) bool {
	if c.done == nil {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.done:
		return true
	case <-t.C:
		return false
	}
}

func (c *capture) write(p []byte) {
	if c.truncated {
		return
	}
	if int64(c.buf.Len()+len(p)) > c.max {
		c.truncated = true
		return
	}
	c.buf.Write(p)
}

// bytes returns the body kept, nil when there was none.
func (c *capture) bytes() []byte {
	if c.buf.Len() == 0 {
		return nil
	}
	return c.buf.Bytes()
}

// teeBody passes a body on and keeps a copy of it.
type teeBody struct {
	rc io.ReadCloser
	c  *capture
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if n > 0 {
		t.c.write(p[:n])
	}
	if err != nil {
		t.c.finish()
	}
	return n, err
}

func (t *teeBody) Close() error {
	err := t.rc.Close()
	t.c.finish()
	return err
}
