package query

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxParams is the most parameters ParseValues reads from one query. No list
// request needs more than a few dozen; a query with more is refused whole
// rather than read in part.
const MaxParams = 1000

// ParseValues reads a raw query string (the part of the URL after "?") into
// url.Values, completely or not at all: where url.ParseQuery, and so
// http.Request.URL.Query, silently drop what they cannot read and return the
// rest, which makes a filter disappear and the answer wider, ParseValues
// returns an *Error naming the first parameter it cannot read:
//
//   - a semicolon (`status=error;x=1`): not a separator since Go 1.17, and a
//     literal semicolon must be sent as %3B;
//   - a bad percent-escape (`%zz`, a lone `%`), in a name or a value;
//   - a name or value that is not UTF-8 once decoded;
//   - more than MaxParams parameters (empty pieces, as in `a=1&&b=2`, do
//     not count, and are skipped as url.ParseQuery skips them).
//
// A "+" is a space, as in url.ParseQuery. What ParseValues accepts,
// url.ParseQuery reads the same.
func ParseValues(raw string) (url.Values, error) {
	if n := strings.Count(raw, "&") + 1; n > MaxParams {
		// Count only non-empty pieces before refusing.
		count := 0
		for piece := range strings.SplitSeq(raw, "&") {
			if piece != "" {
				count++
			}
		}
		if count > MaxParams {
			return nil, &Error{Whole: true, Reason: fmt.Sprintf("the query has %d parameters; at most %d are read", count, MaxParams)}
		}
	}
	values := url.Values{}
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(piece, "=")
		if strings.Contains(piece, ";") {
			return nil, &Error{Param: shortName(rawKey), Reason: "a semicolon is not a parameter separator (use &), and a literal semicolon must be sent as %3B"}
		}
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, &Error{Param: shortName(rawKey), Reason: fmt.Sprintf("the name has a bad percent-escape (%v); a literal %% is sent as %%25", escapeErr(err))}
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, &Error{Param: shortName(key), Reason: fmt.Sprintf("the value has a bad percent-escape (%v); a literal %% is sent as %%25", escapeErr(err))}
		}
		switch {
		case !utf8.ValidString(key):
			return nil, &Error{Param: shortName(strings.ToValidUTF8(key, "\uFFFD")), Reason: "the name is not valid UTF-8"}
		case !utf8.ValidString(value):
			return nil, &Error{Param: shortName(key), Reason: "the value is not valid UTF-8"}
		}
		values[key] = append(values[key], value)
	}
	return values, nil
}

// escapeErr describes a url.EscapeError as "%zz is not an escape".
func escapeErr(err error) string {
	if e, ok := err.(url.EscapeError); ok {
		return fmt.Sprintf("%q is not an escape", string(e))
	}
	return err.Error()
}

// shortName cuts a parameter name for an error message.
func shortName(s string) string {
	const maxBytes = 128
	if len(s) <= maxBytes {
		return s
	}
	cut := maxBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
