package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/coupakit/coupakit/query"
)

// What the mock refuses that a lenient reader would half-read: a query it
// cannot read completely, an id that is not written as ids are, a JSON body
// that is more or less than one JSON value. Each is answered 400 before the
// validator sees the request, so that a request is either read whole or
// refused, never read in part (which would widen a list or store part of a
// body).

// maxJSONDepth is how deeply a JSON body may nest: Rails' JSON parser
// (max_nesting) refuses deeper documents, and no Coupa resource nests
// more than a few levels.
const maxJSONDepth = 100

// checkQuery refuses a query the server cannot read completely (a
// semicolon, a bad percent-escape, more than query.MaxParams parameters):
// read in part, it would drop a filter and answer wider.
func checkQuery(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	_, err := query.ParseValues(r.URL.RawQuery)
	return err
}

// checkID refuses a path id that is a number but not written the one way
// ids are written: canonical decimal, no sign, no leading zero. Rails'
// find("01") and find("+1") find record 1; the mock takes only the id as
// Coupa writes it, so that one record has one address. Ids that are not
// numbers at all are left to the validator, which names the type it wants.
func checkID(id string) error {
	if id == "" || canonicalID(id) {
		return nil
	}
	digits := strings.TrimPrefix(strings.TrimPrefix(id, "+"), "-")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return nil // not a number: the validator says so
	}
	if id[0] == '-' && strings.Trim(digits, "0") != "" {
		return nil // negative: the validator's minimum says so
	}
	return fmt.Errorf("id: %q is not an id: ids are written in canonical decimal (1, 42), without a sign or leading zeros", id)
}

// canonicalID reports whether s is a decimal number written canonically.
func canonicalID(s string) bool {
	if s == "0" {
		return true
	}
	if s == "" || s[0] < '1' || s[0] > '9' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkJSON refuses a body that is not exactly one JSON value (data after
// the first value, as in `{"a":1}{"b":`), that holds a string which is not
// Unicode (invalid UTF-8, a lone surrogate escape such as \ud800, which
// encoding/json would store as U+FFFD), that nests deeper than
// maxJSONDepth, or that holds an integer beyond 64 bits. Messages quote
// numbers exactly as sent.
//
// With numbers false, integers are not checked: a lenient bulk operation
// checks them in each item (validateItem), so that one item's number
// refuses only that item.
//
// Most bodies pass, and provablyJSON proves it without allocating; only a
// body it cannot prove is walked token by token (checkJSONTokens), which
// finds and words the refusal.
func checkJSON(body []byte, numbers bool) error {
	if provablyJSON(body, numbers) {
		return nil
	}
	return checkJSONTokens(body, numbers)
}

// checkJSONTokens makes checkJSON's checks by walking body token by token,
// naming what it refuses.
func checkJSONTokens(body []byte, numbers bool) error {
	if err := checkStrings(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var path []string // element names and [i] of the open containers
	var index []int   // per open container: -1 for an object, else the next item
	key := ""         // the object key whose value comes next
	expectKey := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) { // values end before EOF: the body ended early
			return errors.New("request body is not valid JSON: unexpected end of JSON input")
		}
		if err != nil {
			return fmt.Errorf("request body is not valid JSON: %v", err)
		}
		if expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				path, index = pop(path, index)
				expectKey = len(index) > 0 && index[len(index)-1] < 0
				if len(index) == 0 {
					return trailing(dec)
				}
				continue
			}
			key, expectKey = tok.(string), false
			continue
		}
		where := valuePath(path, index, key)
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(index) >= maxJSONDepth {
					return fmt.Errorf("request body nests deeper than %d levels", maxJSONDepth)
				}
				advance(index)
				path = append(path, where)
				if t == '{' {
					index, expectKey = append(index, -1), true
				} else {
					index = append(index, 0)
				}
				continue
			case ']':
				path, index = pop(path, index)
			}
		case json.Number:
			advance(index)
			if !numbers {
				break
			}
			if err := checkInteger(where, t); err != nil {
				return err
			}
		default:
			advance(index)
		}
		if len(index) == 0 {
			return trailing(dec)
		}
		expectKey = index[len(index)-1] < 0
	}
}

// advance counts an item of the innermost open array.
func advance(index []int) {
	if n := len(index); n > 0 && index[n-1] >= 0 {
		index[n-1]++
	}
}

func pop(path []string, index []int) ([]string, []int) {
	return path[:len(path)-1], index[:len(index)-1]
}

// valuePath names the value about to be read, as the validator's
// messages do: responses[0].response-code.
func valuePath(path []string, index []int, key string) string {
	if len(index) == 0 {
		return ""
	}
	parent := path[len(path)-1]
	if i := index[len(index)-1]; i >= 0 {
		return parent + "[" + strconv.Itoa(i) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// trailing refuses anything but white space after the first value.
func trailing(dec *json.Decoder) error {
	offset := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("request body is not valid JSON: data after the first JSON value, at byte %d; send one JSON value", offset)
	}
	return nil
}

var (
	minInt64 = big.NewInt(-1 << 63)
	maxInt64 = big.NewInt(1<<63 - 1)
)

// checkInteger refuses an integer that does not fit in 64 bits, naming it
// as sent (a float64 would show 9223372036854775808 as
// 9223372036854776000).
func checkInteger(where string, n json.Number) error {
	s := n.String()
	if strings.ContainsAny(s, ".eE") {
		return nil
	}
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return nil
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || (v.Cmp(minInt64) >= 0 && v.Cmp(maxInt64) <= 0) {
		return nil
	}
	if where == "" {
		where = "request body"
	}
	return fmt.Errorf("%s: %s is out of range: integers are from %d to %d", where, s, minInt64, maxInt64)
}

// checkStrings scans the JSON text's strings for what is not Unicode: bytes
// that are not UTF-8 and \u escapes of lone surrogates. Outside strings it
// only follows the quotes; the decoder judges the syntax.
func checkStrings(body []byte) error {
	if !utf8.Valid(body) {
		i := 0
		for i < len(body) {
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		return fmt.Errorf("request body is not valid UTF-8 (at byte %d); send UTF-8", i)
	}
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 < len(body) && body[i+1] == 'u' {
				r, ok := hex4(body, i+2)
				switch {
				case ok && r >= 0xD800 && r <= 0xDBFF:
					low, lowOK := rune(0), false
					if i+7 < len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
						low, lowOK = hex4(body, i+8)
					}
					if !lowOK || low < 0xDC00 || low > 0xDFFF {
						return loneSurrogate(body, i)
					}
					i += 11
					continue
				case ok && r >= 0xDC00 && r <= 0xDFFF:
					return loneSurrogate(body, i)
				}
			}
			i++ // skip the escaped character
		}
	}
	return nil
}

func loneSurrogate(body []byte, i int) error {
	return fmt.Errorf("request body: %s at byte %d is a lone surrogate, not a character; send the character, or a surrogate pair", body[i:i+6], i)
}

// hex4 reads the four hex digits at body[i:].
func hex4(body []byte, i int) (rune, bool) {
	if i+4 > len(body) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(body[i:i+4]), 16, 32)
	return rune(v), err == nil
}

// checkRequest refuses, before validation, a query the mock cannot read
// whole and an id not written canonically.
func checkRequest(r *http.Request, rt *Route) error {
	if err := checkQuery(r); err != nil {
		return err
	}
	id, _ := rt.Match.PathParam("id")
	return checkID(id)
}

// checkBody refuses a JSON body that is not one whole JSON value of
// Unicode strings (checkJSON); an empty body is left to the validator.
// lenient marks a bulk operation, whose items check their own numbers.
func checkBody(body []byte, lenient bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return checkJSON(body, !lenient)
}
