package proxy

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coupakit/coupakit/internal/wire"
)

// Sides of an exchange: who broke the contract.
const (
	// SideRequest marks a client's request that breaks the contract.
	SideRequest = "request"
	// SideResponse marks a server's answer that breaks the contract.
	SideResponse = "response"
)

// Violation is one way in which an exchange broke the contract.
type Violation struct {
	// ID numbers the violations, from 1, in the order they were found,
	// which is not always the order their exchanges arrived: exchanges
	// are judged concurrently, and under Enforce before the others, so a
	// later exchange's violation can have the smaller ID (lists and
	// reports give the violations in arrival order). It is the ID
	// OnViolation saw; violations dropped beyond MaxViolations are
	// numbered too.
	ID int64 `json:"id"`
	// Time is when the exchange's request arrived.
	Time time.Time `json:"time"`
	// API is "core" or "sourcing".
	API string `json:"api"`
	// Side says who broke the contract: "request" (the client) or
	// "response" (the server).
	Side string `json:"side"`
	// Rule names the rule broken, side first: "request.filter",
	// "response.enum". The package documentation lists them.
	Rule string `json:"rule"`
	// Operation is the operationId of the operation the request was
	// matched to; empty when none matched.
	Operation string `json:"operation,omitempty"`
	// Spec is the spec element the rule comes from, as a file and JSON
	// pointer ("core.yaml#/components/schemas/ContactAlertType/enum").
	Spec string `json:"spec"`
	// Message says what was wrong, naming the element.
	Message string `json:"message"`
	// Enforced says that the proxy answered in place of the exchange
	// (400 for a request, 502 for a response), as --enforce asks.
	Enforced bool `json:"enforced,omitempty"`
	// Request is the request, credentials redacted.
	Request Request `json:"request"`
	// Response is an excerpt of the answer, when there was one.
	Response *Response `json:"response,omitempty"`
}

// Request is a request as a violation shows it.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Query is the query string as sent (secrets redacted).
	Query  string            `json:"query,omitempty"`
	Header map[string]string `json:"header,omitempty"`
	// Body is the first bytes of the body.
	Body string `json:"body,omitempty"`
}

// Response is an excerpt of an answer.
type Response struct {
	Status int               `json:"status"`
	Header map[string]string `json:"header,omitempty"`
	// Body is the first bytes of the body (decoded when it came gzipped).
	Body string `json:"body,omitempty"`
}

// finding is a violation before it is tied to its exchange.
type finding struct {
	rule    string // without the side: "enum"
	pointer string
	message string
}

// excerptBytes bounds the bodies a violation shows.
const excerptBytes = 2048

// redacted replaces the values of credentials.
const redacted = "[redacted]"

// credentialHeaders carry credentials: never shown.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "X-Coupa-Api-Key", "X-Cso-Api-Key", "Cookie", "Set-Cookie"}

// secretParams are query parameters that carry credentials.
var secretParams = []string{"client_secret", "access_token", "token", "api_key", "apikey", "password"}

// redactHeader flattens h with the credentials' values redacted.
func redactHeader(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for name, vals := range h {
		if slices.Contains(credentialHeaders, http.CanonicalHeaderKey(name)) {
			out[name] = redacted
			continue
		}
		out[name] = strings.Join(vals, ", ")
	}
	return out
}

// redactQuery redacts the values of secret parameters, keeping the rest of
// the query as sent.
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, part := range parts {
		name, _, ok := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil && ok && slices.Contains(secretParams, strings.ToLower(n)) {
			parts[i] = name + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

// excerpt returns the first bytes of body as text, cut at a rune.
func excerpt(body []byte) string {
	if len(body) <= excerptBytes {
		return string(body)
	}
	cut := body[:excerptBytes]
	for len(cut) > 0 && !utf8.Valid(cut) {
		cut = cut[:len(cut)-1]
	}
	return string(cut) + fmt.Sprintf("… (%d bytes)", len(body))
}

// short renders a value for a message, a long string cut.
func short(v any) string {
	if x, ok := v.(string); ok && len(x) > 60 {
		v = x[:60] + "…"
	}
	return wire.Quote(v)
}

func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, ok := strings.Cut(rest, end)
	if !ok {
		return ""
	}
	return v
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// resourceOf names the resource of an API path as the fixtures do:
// /api/integration_errors/7 gives integration_errors.
func resourceOf(path string) string {
	rest, ok := strings.CutPrefix(path, "/api/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}
