package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Scopes of the Core API's integration resources, as the spec's oauth2
// security scheme names them; the checks read the scope of each operation
// from its security requirements, and fall back on these.
const (
	scopeRead  = "core.integration.read"
	scopeWrite = "core.integration.write"
)

// scopeOf returns the OAuth scope the operation opID needs, from its
// security requirements (or the document's): reading needs scopeRead and
// everything else scopeWrite when the spec does not say.
func (s *suite) scopeOf(opID string) string {
	o, ok := s.coreSpec.op(opID)
	if !ok {
		return scopeWrite
	}
	reqs := s.coreSpec.doc.Security
	if o.op.Security != nil {
		reqs = *o.op.Security
	}
	for _, req := range reqs {
		if scopes := req["oauth2"]; len(scopes) > 0 {
			return scopes[0]
		}
	}
	if o.method == http.MethodGet {
		return scopeRead
	}
	return scopeWrite
}

// defaultTokenPath is where the token endpoint is when the spec does not
// say.
const defaultTokenPath = "/oauth2/token"

// tokenSource fetches the suite's OAuth access token with the target's
// client credentials, and fetches a new one shortly before it expires, or
// when the target refuses it (see suite.send).
type tokenSource struct {
	s         *suite
	url       string
	token     string
	refreshAt time.Time
}

// tokenAnswer is the body of a token endpoint's answer.
type tokenAnswer struct {
	AccessToken any `json:"access_token"`
	TokenType   any `json:"token_type"`
	ExpiresIn   any `json:"expires_in"`
	Scope       any `json:"scope"`
}

// tokenExchange is a request to the token endpoint and its answer. The
// endpoint is not an operation of the spec, so it is neither validated nor
// counted in the coverage.
type tokenExchange struct {
	status int
	header http.Header
	body   []byte
	answer tokenAnswer
	curl   string
}

func (tx *tokenExchange) summary() string {
	return (&exchange{status: tx.status, body: tx.body}).summary()
}

// exchange returns tx as an exchange, for the messages of a check.
func (tx *tokenExchange) exchange() *exchange {
	return &exchange{status: tx.status, header: tx.header, body: tx.body, curl: tx.curl}
}

// tokenURL is the token endpoint of the Core API: the tokenUrl of the
// spec's client-credentials flow, below the base URL when it is relative.
func (s *suite) tokenURL() string {
	path := defaultTokenPath
	if sch := s.coreSpec.doc.Components.SecuritySchemes["oauth2"]; sch != nil && sch.Value != nil && sch.Value.Flows != nil &&
		sch.Value.Flows.ClientCredentials != nil && sch.Value.Flows.ClientCredentials.TokenURL != "" {
		path = sch.Value.Flows.ClientCredentials.TokenURL
	}
	if u, err := url.Parse(path); err == nil && u.IsAbs() {
		return path
	}
	return s.core.base + "/" + strings.TrimPrefix(path, "/")
}

// postToken asks the token endpoint for a token of the client credentials
// grant, with scope (none: the client's default) and secret. A 429 is
// waited out like any other.
func (s *suite) postToken(scope, secret string) (*tokenExchange, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {s.target.ClientID}, "client_secret": {secret}}
	if scope != "" {
		form.Set("scope", scope)
	}
	endpoint := s.tokenURL()
	build := func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, fmt.Errorf("internal: build token request: %w", err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "coupakit-conformance")
		return req, nil
	}
	req, err := build()
	if err != nil {
		return nil, err
	}
	tx := &tokenExchange{curl: tokenCurl(endpoint, s.target.ClientID, scope, secret == s.target.ClientSecret, secret)}
	resp, err := s.do(req, build)
	if err != nil {
		return tx, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return tx, fmt.Errorf("read token response: %w", err)
	}
	tx.status, tx.header, tx.body = resp.StatusCode, resp.Header, data
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	_ = dec.Decode(&tx.answer)
	return tx, nil
}

// tokenCurl renders a token request as a curl command, the client secret
// as $COUPAKIT_CLIENT_SECRET unless it is a made-up one.
func tokenCurl(endpoint, clientID, scope string, realSecret bool, secret string) string {
	var b strings.Builder
	b.WriteString("curl -sS -X POST " + shellQuote(endpoint))
	b.WriteString(" --data-urlencode 'grant_type=client_credentials' --data-urlencode " + shellQuote("client_id="+clientID))
	if realSecret {
		b.WriteString(` --data-urlencode "client_secret=$COUPAKIT_CLIENT_SECRET"`)
	} else {
		b.WriteString(" --data-urlencode " + shellQuote("client_secret="+secret))
	}
	if scope != "" {
		b.WriteString(" --data-urlencode " + shellQuote("scope="+scope))
	}
	return b.String()
}

// accessToken returns the token of a successful answer.
func (tx *tokenExchange) accessToken() (string, bool) {
	tok, ok := tx.answer.AccessToken.(string)
	return tok, ok && tok != "" && tx.status == http.StatusOK
}

// get returns the current token, fetching a new one when there is none or
// it is about to expire.
func (ts *tokenSource) get() (string, error) {
	if ts.token == "" || !ts.s.now().Before(ts.refreshAt) {
		if err := ts.renew(); err != nil {
			return "", err
		}
	}
	return ts.token, nil
}

// renew fetches a new token. The token is renewed a tenth of its lifetime
// before it expires, and at most a minute before.
func (ts *tokenSource) renew() error {
	ts.token = ""
	tx, err := ts.s.postToken(ts.s.target.Scope, ts.s.target.ClientSecret)
	if err != nil {
		if transportError(err) {
			return fmt.Errorf("the token endpoint %s: %w: %w", ts.url, ErrUnreachable, err)
		}
		return fmt.Errorf("the token endpoint %s: %w", ts.url, err)
	}
	tok, ok := tx.accessToken()
	if !ok {
		if mt := strings.ToLower(tx.header.Get("Content-Type")); !strings.HasPrefix(mt, "application/json") {
			return fmt.Errorf("%s is %w: POST %s answered %s", ts.s.core.base, ErrNotCoupa, strings.TrimPrefix(ts.url, ts.s.core.base), oneLine(tx.exchange().excerpt(120)))
		}
		code := fmt.Sprint(tx.status)
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(tx.body, &e) == nil && e.Error != "" {
			code += " " + e.Error
		}
		return fmt.Errorf("%w: %s: the token endpoint %s refused the client credentials of %q (--client-id, --client-secret): %s",
			ErrAuth, code, ts.url, ts.s.target.ClientID, oneLine(ts.s.redact(tx.summary())))
	}
	ttl := time.Hour
	if n, ok := tx.answer.ExpiresIn.(json.Number); ok {
		if secs, err := n.Int64(); err == nil && secs > 0 {
			ttl = time.Duration(secs) * time.Second
		}
	}
	ts.token, ts.refreshAt = tok, ts.s.now().Add(ttl-min(time.Minute, ttl/10))
	return nil
}

// bearer returns the token the Core API requests carry: the one the suite
// fetched with the client credentials, or the target's Token.
func (s *suite) bearer() (string, error) {
	if s.tokens == nil {
		return s.target.Token, nil
	}
	return s.tokens.get()
}

// throttleNote is what the run saw of one answer 429.
type throttleNote struct {
	api, method, path, retryAfter string
	ok                            bool
}

// noteThrottle keeps what an answer 429 said about when to retry.
func (s *suite) noteThrottle(req *http.Request, retryAfter string, ok bool) {
	s.throttles = append(s.throttles, throttleNote{api: s.apiOf(req.URL.String()), method: req.Method, path: req.URL.Path, retryAfter: retryAfter, ok: ok})
}

// apiOf says which API a URL is of: the one whose base URL is its longest
// prefix (the token endpoint is the Core API's).
func (s *suite) apiOf(u string) string {
	api, best := apiCore, -1
	for _, c := range []*apiClient{s.core, s.cso} {
		if c != nil && strings.HasPrefix(u, c.base) && len(c.base) > best {
			api, best = c.spec.api, len(c.base)
		}
	}
	return api
}

// authProbe sends an unauthenticated list request to an API and reports
// whether the API refused it with 401, which is how the suite tells that a
// target enforces authentication.
func (s *suite) authProbe(api *apiClient, path string) (bool, *exchange, error) {
	ex, err := s.send(api, request{method: http.MethodGet, path: path, query: url.Values{"limit": {"1"}}, auth: authNone, valid: true})
	if err != nil {
		return false, ex, err
	}
	return ex.status == http.StatusUnauthorized, ex, nil
}

// authChecks are the checks of the Core API's authentication (resource
// "auth") and of the rate limit.
func (s *suite) authChecks() []*check {
	src := s.coreSpec.source("#/components/securitySchemes/oauth2")
	var out []*check
	add := func(chk *check) {
		chk.api = apiCore
		if chk.level == "" {
			chk.level = Must
		}
		out = append(out, chk)
	}
	add(&check{id: "auth.token", op: "oauth2Token", source: src + "/description",
		title: "POST /oauth2/token with client credentials (form) answers 200 with access_token, token_type bearer, a positive expires_in and scope; where authentication is enforced, a wrong client_secret gets no token.",
		run:   s.checkToken})
	add(&check{id: "auth.required", op: "listIntegrationErrors", source: s.coreSpec.source("#/components/responses/Unauthorized"),
		title: "A request without credentials is answered 401 on every operation: authentication is never ignored (writes only when the run may write, with an unknown id or an empty body).",
		run:   s.checkAuthRequired})
	add(&check{id: "auth.invalid-token", op: "listIntegrationErrors", source: s.coreSpec.source("#/components/responses/Unauthorized"),
		title: "A malformed, forged (alg none) or tampered bearer token is answered 401.",
		run:   s.checkInvalidToken})
	add(&check{id: "auth.api-key", op: "listIntegrationErrors", source: s.coreSpec.source("#/components/securitySchemes/legacyApiKey"),
		title: "A request with a made-up X-COUPA-API-KEY and no token is answered 401.",
		run:   s.checkAPIKey})
	read, write := s.scopeOf("listIntegrationErrors"), s.scopeOf("createIntegrationError")
	add(&check{id: "auth.scope.read", op: "listIntegrationErrors", source: s.coreSpec.source("#/components/responses/Forbidden"),
		title: fmt.Sprintf("A token with %s only is answered 403 on index and show, naming %s, the scope their security requirement lists.", write, read),
		run:   func(c *cctx) { s.checkScope(c, write, read) }})
	add(&check{id: "auth.scope.write", op: "createIntegrationError", source: s.coreSpec.source("#/components/responses/Forbidden"), mutates: true,
		title: fmt.Sprintf("A token with %s only reads (not 401 or 403) but is answered 403 on create and update, naming %s, the scope their security requirement lists.", read, write),
		run:   func(c *cctx) { s.checkScope(c, read, write) }})
	return out
}

// rateLimitCheck judges the answers 429 that an API gave during the run.
func (s *suite) rateLimitCheck(api, id, source string) *check {
	return &check{id: id, api: api, op: "-", level: Must, source: source,
		title: "Every answer 429 carries Retry-After, in seconds or as an HTTP date.",
		run: func(c *cctx) {
			n := 0
			for _, t := range s.throttles {
				if t.api != api {
					continue
				}
				n++
				if !t.ok {
					c.errorf(nil, "%s %s answered 429 with Retry-After %q; want a number of seconds or an HTTP date", t.method, t.path, t.retryAfter)
				}
			}
			if n == 0 {
				c.skipTo("a target that throttles: start the mock with --rate-limit", "no answer 429 seen")
			}
			c.notef("%s", plural(n, "answer 429"))
		}}
}

// needAuth ends the check as skipped unless the target enforces the Core
// API's authentication.
func (s *suite) needAuth(c *cctx) {
	if !s.coreAuth {
		c.skipTo("--auth oauth (the default), with the target's credentials", "--auth none: the certifier states that the target has no authentication")
	}
}

// needClient ends the check as skipped unless the run has client
// credentials.
func (s *suite) needClient(c *cctx) {
	if s.target.ClientID == "" {
		c.skipTo("give client credentials (--client-id, --client-secret)", "no client credentials given")
	}
}

func (s *suite) checkToken(c *cctx) {
	s.needClient(c)
	tx, err := s.postToken(s.target.Scope, s.target.ClientSecret)
	if err != nil {
		c.fatalf(nil, "POST %s: %v", s.tokenURL(), err)
	}
	ex := tx.exchange()
	if tx.status != http.StatusOK {
		c.fatalf(ex, "the token request answered %s; want 200", tx.summary())
	}
	if mt := ex.header.Get("Content-Type"); !strings.HasPrefix(strings.TrimSpace(strings.ToLower(mt)), "application/json") {
		c.errorf(ex, "the token answer's Content-Type is %q; want application/json", mt)
	}
	if _, ok := tx.accessToken(); !ok {
		c.errorf(ex, "the token answer has no access_token string: %s", tx.summary())
	}
	if tt, _ := tx.answer.TokenType.(string); !strings.EqualFold(tt, "bearer") {
		c.errorf(ex, "token_type is %s; want bearer", short(tx.answer.TokenType))
	}
	if n, ok := tx.answer.ExpiresIn.(json.Number); !ok {
		c.errorf(ex, "expires_in is %s; want a number of seconds", short(tx.answer.ExpiresIn))
	} else if secs, err := n.Int64(); err != nil || secs <= 0 {
		c.errorf(ex, "expires_in is %s; want a positive number of seconds", n)
	}
	granted, ok := tx.answer.Scope.(string)
	if !ok {
		c.errorf(ex, "scope is %s; want the space-separated scopes granted", short(tx.answer.Scope))
	}
	for _, want := range strings.Fields(s.target.Scope) {
		if !strings.Contains(" "+granted+" ", " "+want+" ") {
			c.errorf(ex, "scope %q does not grant %s, which was asked for", granted, want)
		}
	}
	c.notef("token_type %s, expires_in %s, scope %q", short(tx.answer.TokenType), short(tx.answer.ExpiresIn), granted)
	if !s.coreAuth {
		c.notef("--auth none: a wrong secret was not tried")
		return
	}
	wrong, err := s.postToken(s.target.Scope, "coupakit-conformance-wrong-secret")
	if err != nil {
		c.fatalf(nil, "POST %s: %v", s.tokenURL(), err)
	}
	if _, ok := wrong.accessToken(); ok || wrong.status < 400 || wrong.status >= 500 {
		c.errorf(wrong.exchange(), "a token request with a wrong client_secret answered %s; want 400 or 401 without a token", wrong.summary())
	}
}

// authTargets are requests of every Core operation that need credentials:
// the indexes and shows first (reads), then, unless reads is set, harmless
// writes that a server without the rule would answer 404 or 400 (an
// unknown id, an empty body), never change anything with.
func (s *suite) authTargets(reads bool) []request {
	return opTargets(s.coreSpec, unknownCoreID, "1", reads)
}

// opTargets are a request of every operation of sp, the GETs first: the
// index with limit=1, a show of showID, and (unless reads is set) each
// write with an empty body, of unknownID where the path has an id.
func opTargets(sp *spec, unknownID, showID string, reads bool) []request {
	var gets, writes []request
	for _, o := range sp.ops {
		if o.method == http.MethodGet {
			rq := request{method: o.method, path: sp.pathOf(o.id, showID)}
			if !strings.Contains(o.path, "{id}") {
				rq.query = url.Values{"limit": {"1"}}
			}
			gets = append(gets, rq)
			continue
		}
		rq := request{method: o.method, path: sp.pathOf(o.id, unknownID)}
		if o.method != http.MethodDelete || !strings.Contains(o.path, "{id}") {
			rq.body = map[string]any{}
		}
		writes = append(writes, rq)
	}
	if reads {
		return gets
	}
	return append(gets, writes...)
}

func (s *suite) checkAuthRequired(c *cctx) {
	s.needAuth(c)
	reads := s.target.ReadOnly
	for _, rq := range s.authTargets(reads) {
		rq.auth = authNone
		ex := c.do(rq)
		if ex.status != http.StatusUnauthorized {
			c.errorf(ex, "%s %s without credentials answered %s; want 401", rq.method, rq.path, ex.summary())
		}
	}
	if reads {
		c.notef("read-only run: writes were not tried")
	}
}

// forgedToken is a JWT that claims every scope and is signed with alg
// none.
const forgedToken = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJjb3VwYWtpdCIsInN1YiI6ImNvdXBha2l0IiwiY2xpZW50X2lkIjoiY291cGFraXQiLCJzY29wZSI6ImNvcmUuaW50ZWdyYXRpb24ucmVhZCBjb3JlLmludGVncmF0aW9uLndyaXRlIiwiZXhwIjo0MTAyNDQ0ODAwfQ."

func (s *suite) checkInvalidToken(c *cctx) {
	s.needAuth(c)
	tokens := []string{"coupakit-conformance-not-a-token", forgedToken}
	if tok, err := s.bearer(); err == nil && tok != "" {
		tokens = append(tokens, tamper(tok))
	}
	for _, tok := range tokens {
		for _, rq := range s.authTargets(true)[:2] {
			rq.auth, rq.token = authBearer, tok
			ex := c.do(rq)
			if ex.status != http.StatusUnauthorized {
				c.errorf(ex, "%s %s with the bearer token %s answered %s; want 401", rq.method, rq.path, shortToken(tok), ex.summary())
			}
		}
	}
}

// tamper changes a character in the middle of the token's last part (its
// signature, for a JWT), so that it no longer verifies.
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 1
	if i >= len(tok) {
		return tok + "x"
	}
	j := i + (len(tok)-i)/2
	b := []byte(tok)
	if b[j] == 'A' {
		b[j] = 'B'
	} else {
		b[j] = 'A'
	}
	return string(b)
}

func shortToken(tok string) string {
	if len(tok) > 24 {
		return strconv.Quote(tok[:12] + "..." + tok[len(tok)-8:])
	}
	return strconv.Quote(tok)
}

func (s *suite) checkAPIKey(c *cctx) {
	s.needAuth(c)
	for _, rq := range s.authTargets(true)[:2] {
		rq.auth, rq.token = authKey, "coupakit-conformance-made-up-key"
		ex := c.do(rq)
		if ex.status != http.StatusUnauthorized {
			c.errorf(ex, "%s %s with a made-up X-COUPA-API-KEY answered %s; want 401", rq.method, rq.path, ex.summary())
		}
	}
}

// checkScope gets a token with the scope has only, and shows that the
// operations that need the scope lacks are refused with 403 naming it,
// while those has allows are not.
func (s *suite) checkScope(c *cctx, has, lacks string) {
	s.needAuth(c)
	s.needClient(c)
	tx, err := s.postToken(has, s.target.ClientSecret)
	if err != nil {
		c.fatalf(nil, "POST %s: %v", s.tokenURL(), err)
	}
	tok, ok := tx.accessToken()
	if !ok {
		c.skipf("the client may not ask for %s alone: the token endpoint answered %s", has, tx.summary())
	}
	for _, rq := range s.authTargets(lacks == s.scopeOf("listIntegrationErrors")) {
		rq.auth, rq.token, rq.secret = authBearer, tok, true
		ex := c.do(rq)
		needs := s.scopeOf(ex.op)
		switch {
		case needs == has && (ex.status == http.StatusUnauthorized || ex.status == http.StatusForbidden):
			c.errorf(ex, "%s %s with a token of scope %s answered %s; the scope allows it", rq.method, rq.path, has, ex.summary())
		case needs != lacks:
		case ex.status != http.StatusForbidden:
			c.errorf(ex, "%s %s with a token of scope %s only answered %s; want 403 naming %s", rq.method, rq.path, has, ex.summary(), lacks)
		case !strings.Contains(string(ex.body), lacks):
			c.errorf(ex, "the 403 to %s %s does not name the scope %s it needs: %s", rq.method, rq.path, lacks, ex.summary())
		}
	}
}
