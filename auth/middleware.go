package auth

import (
	"net"
	"net/http"
	"strings"
)

// Messages of refused API requests.
const (
	msgNoCredentials   = "authentication required: send Authorization: Bearer <access token> from POST /oauth2/token"
	msgAPIKeyRefused   = "API keys are no longer supported: Coupa stopped issuing them in R34 and ended support in R35; use OAuth 2.0 client credentials (POST /oauth2/token)"
	msgAPIKeyUnknown   = "invalid X-COUPA-API-KEY"
	msgNoCSOKey        = "authentication required: send the X-CSO-API-KEY header"
	msgCSOKeyUnknown   = "invalid X-CSO-API-KEY"
	headerAPIKey       = "X-Coupa-Api-Key"
	headerCSOAPIKey    = "X-Cso-Api-Key"
	errorsResourceAuth = "authorization"
)

// principal is who a request authenticates as.
type principal struct {
	rateKey string // the rate-limit bucket; "" means the remote IP's
	all     bool   // every scope (a legacy API key)
	scope   string // space-separated scopes of a token
}

// has reports whether p may use scope.
func (p principal) has(scope string) bool {
	if p.all {
		return true
	}
	for rest := p.scope; rest != ""; {
		var s string
		s, rest, _ = strings.Cut(rest, " ")
		if s == scope {
			return true
		}
	}
	return false
}

// authError is why a request could not authenticate.
type authError struct {
	msg          string
	invalidToken bool // a bearer token was given but is bad or expired
}

// MethodScope is the scopeFor that Core uses when given nil: ScopeRead for
// GET and HEAD (index and show), ScopeWrite for every other method.
func MethodScope(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return ScopeRead
	}
	return ScopeWrite
}

// Core wraps the Core API handler next with authentication and
// authorisation. scopeFor names the scope a request needs (MethodScope when
// nil); "" lets the request through untouched, without authentication or
// rate limit (the mock's admin and health routes).
//
// A request authenticates with a bearer token from TokenHandler or, when
// Config.AllowAPIKey is set, with X-COUPA-API-KEY. A missing, malformed,
// badly signed or expired token, or a refused API key, gets 401 with
// WWW-Authenticate: Bearer realm="coupa"; a token without the scope gets 403
// naming it; a client over the rate limit gets 429 with Retry-After. Bodies
// are Coupa's {"errors": {"authorization": ["..."]}}.
func (a *Authority) Core(next http.Handler, scopeFor func(*http.Request) string) http.Handler {
	if scopeFor == nil {
		scopeFor = MethodScope
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scope := scopeFor(r)
		if scope == "" {
			next.ServeHTTP(w, r)
			return
		}
		if a.disabled {
			if a.limits != nil {
				p, _ := a.coreIdentity(r)
				if !a.admit(w, r, p.rateKey) {
					return
				}
			}
			next.ServeHTTP(w, r)
			return
		}
		p, aerr := a.coreIdentity(r)
		if a.limits != nil && !a.admit(w, r, p.rateKey) {
			return
		}
		if aerr != nil {
			challenge := `Bearer realm="coupa"`
			if aerr.invalidToken {
				challenge += `, error="invalid_token", error_description="` + aerr.msg + `"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			writeErrors(w, http.StatusUnauthorized, aerr.msg)
			return
		}
		if !p.has(scope) {
			challenge := `Bearer realm="coupa", error="insufficient_scope"`
			if validScope(scope) { // safe inside the quotes
				challenge += `, scope="` + scope + `"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			writeErrors(w, http.StatusForbidden, "token lacks scope "+scope)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// coreIdentity authenticates a Core API request.
func (a *Authority) coreIdentity(r *http.Request) (principal, *authError) {
	if authz := r.Header.Get("Authorization"); authz != "" {
		scheme, tok, _ := strings.Cut(authz, " ")
		if strings.EqualFold(scheme, "Bearer") {
			cl, scope, err := a.verify(strings.TrimSpace(tok), a.now())
			if err != nil {
				return principal{}, &authError{msg: err.Error(), invalidToken: true}
			}
			return principal{rateKey: cl.rateKey, scope: scope}, nil
		}
	}
	if key := r.Header.Get(headerAPIKey); key != "" {
		if !a.allowAPIKey {
			return principal{}, &authError{msg: msgAPIKeyRefused}
		}
		i := a.apiKeys.find(key)
		if i < 0 {
			return principal{}, &authError{msg: msgAPIKeyUnknown}
		}
		return principal{rateKey: a.apiKeys.rateKeys[i], all: true}, nil
	}
	return principal{}, &authError{msg: msgNoCredentials}
}

// Sourcing wraps the Sourcing API handler next: a request needs a known
// X-CSO-API-KEY header, or gets 401 in Coupa's error format. A client over
// the rate limit gets 429 with Retry-After.
func (a *Authority) Sourcing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rateKey, msg string
		switch key := r.Header.Get(headerCSOAPIKey); {
		case key == "":
			msg = msgNoCSOKey
		default:
			if i := a.csoKeys.find(key); i >= 0 {
				rateKey = a.csoKeys.rateKeys[i]
			} else {
				msg = msgCSOKeyUnknown
			}
		}
		if a.limits != nil && !a.admit(w, r, rateKey) {
			return
		}
		if msg != "" && !a.disabled {
			writeErrors(w, http.StatusUnauthorized, msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// remoteIP returns the IP address r came from.
func remoteIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// writeErrors answers in Coupa's error format:
// {"errors": {"authorization": ["<message>"]}}.
func writeErrors(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, "application/json", map[string]map[string][]string{
		"errors": {errorsResourceAuth: {msg}},
	})
}
