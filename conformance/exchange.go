package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// short renders a JSON value for a message, cut to a readable length.
func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

// curl renders the exchange's request as a curl command. The credentials
// are not shown: the token as $COUPAKIT_TOKEN, the Sourcing key as
// $COUPAKIT_CSO_API_KEY, the extra headers as <redacted>; made-up
// credentials, which a check sends on purpose, are.
func (s *suite) curl(ex *exchange) string {
	var b strings.Builder
	b.WriteString("curl -sS -X " + ex.method + " " + shellQuote(ex.url))
	for _, name := range sortedKeys(ex.reqHead) {
		if name == "User-Agent" {
			continue
		}
		for _, v := range ex.reqHead[name] {
			switch {
			case credentialHeader(name) && ex.showAuth:
			case name == headerAuthorization:
				b.WriteString(` -H "Authorization: Bearer $COUPAKIT_TOKEN"`)
				continue
			case name == headerCSOKey && v == s.target.CSOAPIKey:
				b.WriteString(` -H "X-CSO-API-KEY: $COUPAKIT_CSO_API_KEY"`)
				continue
			case s.target.Header.Get(name) != "" || credentialHeader(name):
				v = "<redacted>"
			}
			b.WriteString(" -H " + shellQuote(name+": "+v))
		}
	}
	if len(ex.reqBody) > 0 {
		data := string(ex.reqBody)
		if len(data) > 4096 {
			data = data[:4096] + fmt.Sprintf("...(%d bytes in all)", len(ex.reqBody))
		}
		b.WriteString(" --data-raw " + shellQuote(data))
	}
	return b.String()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// summary words the response for a message: status and a cut body.
func (ex *exchange) summary() string {
	body := strings.TrimSpace(string(ex.body))
	if len(body) > 300 {
		body = body[:297] + "..."
	}
	if body == "" {
		return fmt.Sprintf("%d with an empty body", ex.status)
	}
	return fmt.Sprintf("%d %s", ex.status, body)
}

// object returns the body as a JSON object.
func (ex *exchange) object() (map[string]any, bool) {
	m, ok := ex.value.(map[string]any)
	return m, ok
}

// array returns the body as a JSON array.
func (ex *exchange) array() ([]any, bool) {
	a, ok := ex.value.([]any)
	return a, ok
}

// mentions reports whether the body names the element, with hyphens or
// with underscores.
func (ex *exchange) mentions(element string) bool {
	body := string(ex.body)
	return strings.Contains(body, element) || strings.Contains(body, strings.ReplaceAll(element, "-", "_"))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// jsonEqual reports whether two JSON values are equal, numbers compared by
// value.
func jsonEqual(a, b any) bool {
	return canonical(a) == canonical(b)
}

// canonical renders a JSON value with sorted keys and normalised numbers.
func canonical(v any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			b.WriteByte('{')
			for i, k := range sortedKeys(x) {
				if i > 0 {
					b.WriteByte(',')
				}
				kb, _ := json.Marshal(k)
				b.Write(kb)
				b.WriteByte(':')
				walk(x[k])
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteByte(',')
				}
				walk(e)
			}
			b.WriteByte(']')
		case json.Number:
			b.WriteString(normNumber(string(x)))
		case int:
			b.WriteString(fmt.Sprint(x))
		case int64:
			b.WriteString(fmt.Sprint(x))
		case float64:
			b.WriteString(normNumber(fmt.Sprint(x)))
		default:
			vb, _ := json.Marshal(x)
			b.Write(vb)
		}
	}
	walk(v)
	return b.String()
}

// normNumber writes integral numbers without a fraction ("4711.0" is
// "4711").
func normNumber(s string) string {
	if i := strings.IndexAny(s, ".eE"); i < 0 {
		return s
	}
	var f float64
	if _, err := fmt.Sscan(s, &f); err == nil && f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return s
}

// idString renders a record id (a JSON number or a string) for a URL.
func idString(v any) string {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// transportError reports whether err is about reaching the target rather
// than a bug of the suite.
func transportError(err error) bool {
	return err != nil && !strings.HasPrefix(err.Error(), "internal: ") && !errors.Is(err, context.Canceled)
}

// excerpt words the answer for a report: the status, the Content-Type and
// the start of the body, at most n bytes of it.
func (ex *exchange) excerpt(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", ex.status)
	if t := http.StatusText(ex.status); t != "" {
		b.WriteString(" " + t)
	}
	if ct := ex.header.Get("Content-Type"); ct != "" {
		b.WriteString(" (" + ct + ")")
	}
	body := strings.TrimSpace(string(ex.body))
	if len(body) > n {
		body = body[:n] + fmt.Sprintf("... (%d bytes in all)", len(ex.body))
	}
	if body != "" {
		b.WriteString("\n" + body)
	}
	return b.String()
}

// accessTokenPattern finds the tokens a token endpoint answers.
var accessTokenPattern = regexp.MustCompile(`("(?:access|refresh)_token"\s*:\s*)"[^"]*"`)

// redact hides the run's credentials in a text for a report: the client
// secret, the tokens and the keys, by the names the curl commands give
// them, and any access token a token endpoint answered.
func (s *suite) redact(text string) string {
	secrets := [][2]string{
		{s.target.ClientSecret, "$COUPAKIT_CLIENT_SECRET"},
		{s.target.Token, "$COUPAKIT_TOKEN"},
		{s.target.CSOAPIKey, "$COUPAKIT_CSO_API_KEY"},
	}
	if s.tokens != nil {
		secrets = append(secrets, [2]string{s.tokens.token, "$COUPAKIT_TOKEN"})
	}
	for name, values := range s.target.Header {
		if credentialHeader(name) {
			for _, v := range values {
				secrets = append(secrets, [2]string{strings.TrimPrefix(v, "Bearer "), "<redacted>"})
			}
		}
	}
	for _, sec := range secrets {
		if len(sec[0]) >= 4 {
			text = strings.ReplaceAll(text, sec[0], sec[1])
		}
	}
	return accessTokenPattern.ReplaceAllString(text, `$1"<redacted>"`)
}
