// Package auth is Coupa's authentication and authorisation for the mock
// servers.
//
// An Authority, built once from a Config, provides:
//
//   - the OAuth 2.0 client-credentials token endpoint, POST /oauth2/token
//     (TokenHandler), which accepts the client credentials in the form body
//     or with HTTP Basic and answers RFC 6749 errors;
//   - middleware for the Core API (Core) that demands a bearer token carrying
//     the scope an operation needs, refuses the legacy X-COUPA-API-KEY header
//     the way Coupa does since R35 unless told otherwise, and answers in
//     Coupa's error format;
//   - middleware for the Sourcing API (Sourcing), which checks the
//     X-CSO-API-KEY header;
//   - Coupa's documented rate limit (25 requests per second, burst 20, per
//     client), off unless asked for.
//
// Access tokens are HS256 JWTs signed with Config.Secret. Only an Authority
// holding the same secret accepts them; with the default random secret, the
// tokens of one process mean nothing to the next.
//
// An Authority is safe for concurrent use.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"

	"github.com/coupakit/coupakit/internal/throttle"
)

// Scopes of Coupa's integration resources.
const (
	// ScopeRead lets a client list and show integration resources.
	ScopeRead = "core.integration.read"
	// ScopeWrite lets a client do every other action on integration
	// resources: create, update, create_alert, resolve, run, success, ...
	ScopeWrite = "core.integration.write"
)

// Defaults that New fills in for the zero parts of a Config.
const (
	// DefaultTokenTTL is how long an access token lasts, as Coupa's
	// expires_in says: one second short of a day.
	DefaultTokenTTL = 86399 * time.Second
	// DefaultClientID is the id of DefaultClient.
	DefaultClientID = "coupakit"
	// DefaultClientSecret is the secret of DefaultClient.
	DefaultClientSecret = "coupakit-secret"
	// DefaultCSOAPIKey is the Sourcing API key (X-CSO-API-KEY) accepted when
	// Config.CSOAPIKeys is empty.
	DefaultCSOAPIKey = "coupakit-cso-key"
	// DefaultAPIKey is the legacy Core API key (X-COUPA-API-KEY) accepted
	// when Config.AllowAPIKey is set and Config.APIKeys is empty.
	DefaultAPIKey = "coupakit-api-key"
)

// Coupa's documented rate limit, applied per client when Config.RateLimit is
// set.
const (
	// RateLimitPerSecond is the sustained number of requests per second.
	RateLimitPerSecond = 25
	// RateLimitBurst is how many requests may come at once.
	RateLimitBurst = 20
)

// Client is an OAuth 2.0 client allowed to ask POST /oauth2/token for
// tokens.
type Client struct {
	// ID is the client_id; it must be unique among a Config's clients.
	ID string
	// Secret is the client_secret.
	Secret string
	// Scopes are the scopes the client may ask for; a token request without
	// a scope parameter gets all of them. Empty means ScopeRead and
	// ScopeWrite.
	Scopes []string
}

// DefaultClient returns the client a Config without clients gets: id
// DefaultClientID, secret DefaultClientSecret, scopes ScopeRead and
// ScopeWrite.
func DefaultClient() Client {
	return Client{ID: DefaultClientID, Secret: DefaultClientSecret, Scopes: []string{ScopeRead, ScopeWrite}}
}

// Config says who may call the mock servers. The zero value is usable: one
// client (DefaultClient), tokens lasting DefaultTokenTTL, API keys refused,
// the Sourcing key DefaultCSOAPIKey, no rate limit, a random signing secret.
type Config struct {
	// Disabled turns authentication off (the CLI's --auth=none): Core and
	// Sourcing let every request through, and the token endpoint issues a
	// token to any client for any scope. The rate limit still applies when
	// RateLimit is set.
	Disabled bool
	// Clients are the OAuth clients (when empty: DefaultClient).
	Clients []Client
	// TokenTTL is how long access tokens last, in whole seconds (when zero:
	// DefaultTokenTTL).
	TokenTTL time.Duration
	// AllowAPIKey accepts the legacy X-COUPA-API-KEY header (for old
	// integrations; the CLI's --allow-api-key). A configured key grants
	// every scope. When false, the header is refused with 401, as Coupa has
	// done since R35.
	AllowAPIKey bool
	// APIKeys are the legacy keys accepted when AllowAPIKey is set (when
	// empty: DefaultAPIKey).
	APIKeys []string
	// CSOAPIKeys are the Sourcing API keys (when empty: DefaultCSOAPIKey).
	CSOAPIKeys []string
	// RateLimit turns on Coupa's rate limit: RateLimitPerSecond requests per
	// second with a burst of RateLimitBurst, per client. The client is the
	// token's client, the API key, or the remote IP of a request that does
	// not authenticate; refused requests get 429 with Retry-After.
	RateLimit bool
	// Now is the clock for issuing and checking tokens and for the rate
	// limit (time.Now when nil).
	Now func() time.Time
	// Secret is the HMAC key that signs tokens (32 random bytes when empty).
	Secret []byte
}

// Authority authenticates and authorises requests to the mock servers as
// its Config says. Build it with New.
type Authority struct {
	disabled bool
	clients  map[string]*client
	order    []*client // clients in Config order, for Describe
	ttl      time.Duration

	allowAPIKey bool
	apiKeys     keySet
	csoKeys     keySet

	now    func() time.Time
	macs   sync.Pool          // of *macState
	limits *limiters          // nil when the rate limit is off
	guard  *throttle.Throttle // wrong client secrets, by client id and address
	// verified remembers the tokens whose signature verified (verify.go).
	verified verifiedTokens
}

// client is a Client ready for checks.
type client struct {
	id        string
	secret    string
	secretSum [sha256.Size]byte
	scopes    []string
	scopeSet  map[string]bool
	rateKey   string
}

// keySet holds API keys as SHA-256 sums, so that comparing them takes the
// same time whatever their length and content.
type keySet struct {
	plain    []string
	sums     [][sha256.Size]byte
	rateKeys []string
}

func newKeySet(prefix string, keys []string) keySet {
	ks := keySet{plain: append([]string(nil), keys...)}
	for i, k := range keys {
		ks.sums = append(ks.sums, sha256.Sum256([]byte(k)))
		ks.rateKeys = append(ks.rateKeys, fmt.Sprintf("%s:%d", prefix, i))
	}
	return ks
}

// find returns the index of key in ks, or -1. It compares against every key
// in constant time.
func (ks keySet) find(key string) int {
	sum := sha256.Sum256([]byte(key))
	found := -1
	for i := range ks.sums {
		if subtle.ConstantTimeCompare(ks.sums[i][:], sum[:]) == 1 && found < 0 {
			found = i
		}
	}
	return found
}

// macState is a pooled HMAC and the buffers verifying a token needs.
type macState struct {
	mac hash.Hash
	src []byte // the signed part of a token
	dst []byte // its decoded payload
	sum [sha256.Size]byte
}

// New builds an Authority from cfg, filling in the defaults documented on
// Config. It reports every problem it finds in cfg.
func New(cfg Config) (*Authority, error) {
	cfg = withDefaults(cfg)
	if err := validate(cfg); err != nil {
		return nil, fmt.Errorf("auth: invalid config: %w", err)
	}
	a := &Authority{
		disabled:    cfg.Disabled,
		clients:     make(map[string]*client, len(cfg.Clients)),
		ttl:         cfg.TokenTTL.Truncate(time.Second),
		allowAPIKey: cfg.AllowAPIKey,
		apiKeys:     newKeySet("api-key", cfg.APIKeys),
		csoKeys:     newKeySet("cso-key", cfg.CSOAPIKeys),
		now:         cfg.Now,
	}
	for _, c := range cfg.Clients {
		cl := &client{
			id:        c.ID,
			secret:    c.Secret,
			secretSum: sha256.Sum256([]byte(c.Secret)),
			scopes:    append([]string(nil), c.Scopes...),
			scopeSet:  make(map[string]bool, len(c.Scopes)),
			rateKey:   "client:" + c.ID,
		}
		for _, s := range c.Scopes {
			cl.scopeSet[s] = true
		}
		a.clients[c.ID] = cl
		a.order = append(a.order, cl)
	}
	secret := append([]byte(nil), cfg.Secret...)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret) // never fails; see crypto/rand.Read
	}
	a.macs.New = func() any { return &macState{mac: hmac.New(sha256.New, secret)} }
	if cfg.RateLimit {
		a.limits = newLimiters(maxLimiters)
	}
	a.guard = throttle.New(throttle.Default, cfg.Now)
	return a, nil
}

// withDefaults fills in the zero parts of cfg.
func withDefaults(cfg Config) Config {
	if len(cfg.Clients) == 0 {
		cfg.Clients = []Client{DefaultClient()}
	}
	clients := make([]Client, len(cfg.Clients))
	for i, c := range cfg.Clients {
		if len(c.Scopes) == 0 {
			c.Scopes = []string{ScopeRead, ScopeWrite}
		}
		clients[i] = c
	}
	cfg.Clients = clients
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if len(cfg.APIKeys) == 0 && cfg.AllowAPIKey {
		cfg.APIKeys = []string{DefaultAPIKey}
	}
	if len(cfg.CSOAPIKeys) == 0 {
		cfg.CSOAPIKeys = []string{DefaultCSOAPIKey}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// validate reports every problem in cfg, joined. Zero values that New fills
// in are not problems.
func validate(cfg Config) error {
	var errs []error
	seen := make(map[string]bool, len(cfg.Clients))
	for i, c := range cfg.Clients {
		switch {
		case c.ID == "":
			errs = append(errs, fmt.Errorf("clients[%d]: id is empty", i))
		case seen[c.ID]:
			errs = append(errs, fmt.Errorf("clients[%d]: id %q is used twice", i, c.ID))
		case strings.Contains(c.ID, ":"):
			// HTTP Basic cannot carry a user id with a colon.
			errs = append(errs, fmt.Errorf("clients[%d]: id %q must not contain a colon", i, c.ID))
		}
		seen[c.ID] = true
		if c.Secret == "" {
			errs = append(errs, fmt.Errorf("clients[%d]: secret is empty", i))
		}
		for _, s := range c.Scopes {
			if !validScope(s) {
				errs = append(errs, fmt.Errorf("clients[%d]: scope %q is not a scope token (printable ASCII without space, quote or backslash)", i, s))
			}
		}
	}
	switch {
	case cfg.TokenTTL < 0:
		errs = append(errs, fmt.Errorf("token TTL %v is negative", cfg.TokenTTL))
	case cfg.TokenTTL > 0 && cfg.TokenTTL < time.Second:
		errs = append(errs, fmt.Errorf("token TTL %v is shorter than a second", cfg.TokenTTL))
	}
	for i, k := range cfg.APIKeys {
		if k == "" {
			errs = append(errs, fmt.Errorf("api_keys[%d]: key is empty", i))
		}
	}
	for i, k := range cfg.CSOAPIKeys {
		if k == "" {
			errs = append(errs, fmt.Errorf("cso_api_keys[%d]: key is empty", i))
		}
	}
	return errors.Join(errs...)
}

// validScope reports whether s is a scope token as RFC 6749 §3.3 defines it.
func validScope(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Describe returns, in a few lines of text, who may call the servers: the
// clients with their secrets and scopes, the Sourcing keys, whether legacy
// API keys and the rate limit are on. The CLI prints it at start.
func (a *Authority) Describe() string {
	var b strings.Builder
	rate := fmt.Sprintf("%d requests/s, burst %d, per client", RateLimitPerSecond, RateLimitBurst)
	if a.disabled {
		b.WriteString("auth: off (--auth=none): every request passes; POST /oauth2/token issues a token to anyone\n")
	} else {
		fmt.Fprintf(&b, "auth: OAuth 2.0 client credentials at POST /oauth2/token (form or HTTP Basic); tokens last %ds\n", int64(a.ttl/time.Second))
		for _, c := range a.order {
			fmt.Fprintf(&b, "  client_id %q client_secret %q scopes %s\n", c.id, c.secret, strings.Join(c.scopes, " "))
		}
		fmt.Fprintf(&b, "  Sourcing API (X-CSO-API-KEY): %s\n", quoteAll(a.csoKeys.plain))
		if a.allowAPIKey {
			fmt.Fprintf(&b, "  legacy X-COUPA-API-KEY: accepted, grants every scope: %s\n", quoteAll(a.apiKeys.plain))
		} else {
			b.WriteString("  legacy X-COUPA-API-KEY: refused, as Coupa since R35 (--allow-api-key to accept)\n")
		}
	}
	if a.limits != nil {
		fmt.Fprintf(&b, "  rate limit: on, %s\n", rate)
	} else {
		fmt.Fprintf(&b, "  rate limit: off (--rate-limit for %s)\n", rate)
	}
	return b.String()
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
