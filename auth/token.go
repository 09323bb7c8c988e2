package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coupakit/coupakit/internal/throttle"
)

const (
	// maxTokenBody bounds the body of a token request.
	maxTokenBody = 16 << 10
	// maxTokenLen bounds the length of an access token worth verifying.
	maxTokenLen = 4 << 10
	// issuer is the iss claim of every token.
	issuer = "coupakit"
	// anonymous is the client id of a token issued without credentials
	// while authentication is off.
	anonymous = "anonymous"
)

var (
	b64 = base64.RawURLEncoding.Strict()
	// jwtHeader is the encoded header of every token this package issues;
	// a token with any other header is not one of ours.
	jwtHeader = b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	// sigLen is the length of an encoded HS256 signature.
	sigLen = b64.EncodedLen(sha256.Size)
)

// Why a bearer token is refused; the messages reach the client.
var (
	errTokenMalformed = errors.New("invalid access token: not an HS256 JWT issued by this server")
	errTokenSignature = errors.New("invalid access token: signature does not verify")
	errTokenExpired   = errors.New("access token expired; request a new one from POST /oauth2/token")
	errTokenClient    = errors.New("invalid access token: unknown client")
)

// claims are the JWT claims of an access token.
type claims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"` // space-separated, as RFC 9068
	IssuedAt int64  `json:"iat"`
	Expires  int64  `json:"exp"`
	ID       string `json:"jti"`
}

// checkedClaims are the claims verify needs.
type checkedClaims struct {
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	Expires  int64  `json:"exp"`
}

// sign returns c as a signed JWT.
func (a *Authority) sign(c claims) string {
	payload, err := json.Marshal(c)
	if err != nil {
		panic("auth: cannot encode token claims: " + err.Error()) // strings and ints always encode
	}
	signing := jwtHeader + "." + b64.EncodeToString(payload)
	st := a.macs.Get().(*macState)
	defer a.macs.Put(st)
	st.mac.Reset()
	st.mac.Write([]byte(signing))
	return signing + "." + b64.EncodeToString(st.mac.Sum(st.sum[:0]))
}

// verify checks tok's signature and expiry and returns its client and
// space-separated scopes.
//
// A token that verified once is remembered (verifiedTokens), so that a
// client sending the same token again costs a map lookup, not a MAC and a
// JSON decode; its expiry is checked every time.
func (a *Authority) verify(tok string, now time.Time) (*client, string, error) {
	if v, ok := a.verified.get(tok); ok {
		if now.Unix() >= v.expires {
			return nil, "", errTokenExpired
		}
		return v.client, v.scope, nil
	}
	cl, scope, expires, err := a.verifyToken(tok, now)
	if err == nil {
		a.verified.put(tok, verifiedToken{client: cl, scope: scope, expires: expires})
	}
	return cl, scope, err
}

// verifyToken checks tok's signature and expiry, and returns its client,
// scopes and expiry (Unix seconds).
func (a *Authority) verifyToken(tok string, now time.Time) (*client, string, int64, error) {
	if len(tok) > maxTokenLen {
		return nil, "", 0, errTokenMalformed
	}
	header, rest, ok := strings.Cut(tok, ".")
	if !ok || header != jwtHeader {
		return nil, "", 0, errTokenMalformed
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || payload == "" || strings.Contains(sig, ".") {
		return nil, "", 0, errTokenMalformed
	}
	var given [sha256.Size]byte
	var enc [64]byte // room for sigLen
	if len(sig) != sigLen {
		return nil, "", 0, errTokenSignature
	}
	copy(enc[:], sig)
	if n, err := b64.Decode(given[:], enc[:sigLen]); err != nil || n != len(given) {
		return nil, "", 0, errTokenSignature
	}

	st := a.macs.Get().(*macState)
	defer a.macs.Put(st)
	signing := tok[:len(header)+1+len(payload)]
	st.src = append(st.src[:0], signing...)
	st.mac.Reset()
	st.mac.Write(st.src)
	if subtle.ConstantTimeCompare(st.mac.Sum(st.sum[:0]), given[:]) != 1 {
		return nil, "", 0, errTokenSignature
	}

	src := st.src[len(header)+1:]
	st.dst = slices.Grow(st.dst[:0], b64.DecodedLen(len(src)))[:b64.DecodedLen(len(src))]
	n, err := b64.Decode(st.dst, src)
	if err != nil {
		return nil, "", 0, errTokenMalformed
	}
	var c checkedClaims
	if err := json.Unmarshal(st.dst[:n], &c); err != nil || c.Expires == 0 {
		return nil, "", 0, errTokenMalformed
	}
	if now.Unix() >= c.Expires {
		return nil, "", 0, errTokenExpired
	}
	cl := a.clients[c.ClientID]
	if cl == nil {
		return nil, "", 0, errTokenClient
	}
	return cl, c.Scope, c.Expires, nil
}

// TokenHandler returns the OAuth 2.0 token endpoint, POST /oauth2/token, for
// the client-credentials grant. The caller mounts it at that path.
//
// The body is form-encoded: grant_type=client_credentials, client_id,
// client_secret and an optional space-separated scope; the client id and
// secret may come with HTTP Basic instead. The requested scopes must all be
// the client's; without a scope parameter the token carries all of them.
// It answers 200 with access_token, token_type "bearer", expires_in and
// scope, and errors as RFC 6749 §5.2 says: 400 invalid_request,
// unsupported_grant_type or invalid_scope, 401 invalid_client (with
// WWW-Authenticate: Basic when Basic was used); 405 for other methods and
// 413 for a body over 16 KiB. No answer may be cached. The endpoint is not
// rate limited, but repeated wrong secrets are slowed down per client id
// and source address: past 5 failures, attempts out of their turn are
// answered 429 slow_down with Retry-After, unchecked (see
// authenticateClient).
//
// While authentication is off (Config.Disabled) it issues a token to any
// client for any scope, and ScopeRead and ScopeWrite when none is asked for.
func (a *Authority) TokenHandler() http.Handler {
	return http.HandlerFunc(a.serveToken)
}

// tokenResponse is the body of a successful token request.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

func (a *Authority) serveToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint only accepts POST")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "send the parameters form-encoded (Content-Type: application/x-www-form-urlencoded)")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenBody)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			oauthError(w, http.StatusRequestEntityTooLarge, "invalid_request", fmt.Sprintf("the request body is larger than %d bytes", maxTokenBody))
			return
		}
		oauthError(w, http.StatusBadRequest, "invalid_request", "cannot parse the form body: "+err.Error())
		return
	}
	form := r.PostForm
	for _, name := range []string{"grant_type", "client_id", "client_secret", "scope"} {
		if len(form[name]) > 1 {
			oauthError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("parameter %s is repeated", name))
			return
		}
	}

	cl, status, code, desc := a.authenticateClient(w, r, form)
	if code != "" {
		if status == http.StatusUnauthorized && usedBasic(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="coupa"`)
		}
		oauthError(w, status, code, desc)
		return
	}

	switch grant := form.Get("grant_type"); grant {
	case "client_credentials":
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is missing; send grant_type=client_credentials")
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported; use client_credentials", grant))
		return
	}

	scopes, desc := a.grantScopes(cl, form.Get("scope"))
	if desc != "" {
		oauthError(w, http.StatusBadRequest, "invalid_scope", desc)
		return
	}

	now := a.now()
	id := anonymous
	if cl != nil {
		id = cl.id
	} else if fid := clientID(r, form); fid != "" {
		id = fid
	}
	scope := strings.Join(scopes, " ")
	tok := a.sign(claims{
		Issuer:   issuer,
		Subject:  id,
		ClientID: id,
		Scope:    scope,
		IssuedAt: now.Unix(),
		Expires:  now.Unix() + int64(a.ttl/time.Second),
		ID:       rand.Text(),
	})
	writeJSON(w, http.StatusOK, "application/json;charset=UTF-8", tokenResponse{
		AccessToken: tok,
		TokenType:   "bearer",
		ExpiresIn:   int64(a.ttl / time.Second),
		Scope:       scope,
	})
}

// authenticateClient finds the client a token request authenticates as. On
// failure it returns the status, OAuth error code and description to answer
// (and has set Retry-After on w for a slowed attempt). While authentication
// is off it returns a nil client and no error.
//
// Wrong secrets are slowed down per client id and source address (see
// package throttle): past 5 failures, one attempt per step (1 s, doubling to
// 1 min) is checked, and the others are answered 429 slow_down with
// Retry-After, their secret unchecked. A client with no recent failures,
// and other clients and addresses, are never slowed.
func (a *Authority) authenticateClient(w http.ResponseWriter, r *http.Request, form url.Values) (cl *client, status int, code, desc string) {
	id, secret, basic := r.BasicAuth()
	if basic {
		if form.Has("client_secret") {
			return nil, http.StatusBadRequest, "invalid_request", "send the client credentials either with HTTP Basic or in the form, not both"
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			if uid, err := url.QueryUnescape(id); err != nil || uid != fid {
				return nil, http.StatusBadRequest, "invalid_request", "client_id in the form differs from the one in HTTP Basic"
			}
		}
	} else if usedBasic(r) {
		return nil, http.StatusUnauthorized, "invalid_client", "malformed HTTP Basic credentials"
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if a.disabled {
		return nil, 0, "", ""
	}
	if id == "" {
		return nil, http.StatusUnauthorized, "invalid_client", "client authentication required: send client_id and client_secret in the form or with HTTP Basic"
	}
	key := throttle.Key(id, remoteIP(r))
	if wait, ok := a.guard.Reserve(key, 0); !ok {
		secs := max(int64(math.Ceil(wait.Seconds())), 1)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		return nil, http.StatusTooManyRequests, "slow_down", fmt.Sprintf(
			"too many failed authentications of client_id %q from this address; the credentials were not checked; retry after %d s", id, secs)
	}
	if cl := a.checkBoth(id, secret, basic); cl != nil {
		a.guard.Succeed(key)
		return cl, 0, "", ""
	}
	a.guard.Fail(key)
	return nil, http.StatusUnauthorized, "invalid_client", "client authentication failed: unknown client_id or wrong client_secret"
}

// checkBoth returns the client with id and secret, or nil. With HTTP Basic
// it tries them form-decoded too: RFC 6749 §2.3.1 has clients form-encode
// the id and secret before Basic-encoding them, and most do not.
func (a *Authority) checkBoth(id, secret string, basic bool) *client {
	if cl := a.checkSecret(id, secret); cl != nil || !basic {
		return cl
	}
	uid, err1 := url.QueryUnescape(id)
	usecret, err2 := url.QueryUnescape(secret)
	if err1 == nil && err2 == nil && (uid != id || usecret != secret) {
		return a.checkSecret(uid, usecret)
	}
	return nil
}

// dummySum stands in for the secret of an unknown client, so that an unknown
// client takes as long to refuse as a wrong secret.
var dummySum = sha256.Sum256([]byte("no such client"))

// checkSecret returns the client with id and secret, or nil.
func (a *Authority) checkSecret(id, secret string) *client {
	cl := a.clients[id]
	want := &dummySum
	if cl != nil {
		want = &cl.secretSum
	}
	got := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 || cl == nil {
		return nil
	}
	return cl
}

// clientID returns the client id a request names, authenticated or not.
func clientID(r *http.Request, form url.Values) string {
	if id, _, ok := r.BasicAuth(); ok {
		return id
	}
	return form.Get("client_id")
}

// usedBasic reports whether r tried HTTP Basic authentication.
func usedBasic(r *http.Request) bool {
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.EqualFold(scheme, "Basic")
}

// grantScopes returns the scopes a token for cl gets when it asks for
// requested (space-separated; empty means all of cl's), or a description of
// why it cannot have them. A nil cl (authentication off) may have any scope,
// and all of ScopeRead and ScopeWrite by default.
func (a *Authority) grantScopes(cl *client, requested string) ([]string, string) {
	asked := strings.Fields(requested)
	if len(asked) == 0 {
		if cl == nil {
			return []string{ScopeRead, ScopeWrite}, ""
		}
		return cl.scopes, ""
	}
	granted := make([]string, 0, len(asked))
	seen := make(map[string]bool, len(asked))
	for _, s := range asked {
		switch {
		case !validScope(s):
			return nil, fmt.Sprintf("scope %q is malformed", s)
		case cl != nil && !cl.scopeSet[s]:
			return nil, fmt.Sprintf("scope %s is not granted to client %q; it may ask for: %s", s, cl.id, strings.Join(cl.scopes, " "))
		case !seen[s]:
			seen[s] = true
			granted = append(granted, s)
		}
	}
	return granted, ""
}

// oauthError answers with an RFC 6749 §5.2 error.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, "application/json;charset=UTF-8", struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, desc})
}

// writeJSON answers status with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"errors":{"server":["cannot encode the response"]}}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}
