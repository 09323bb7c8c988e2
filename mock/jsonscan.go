package mock

import (
	"encoding/json"
	"unicode/utf8"
)

// maxFastDigits is how many digits an integer literal may have for the
// fast path to know, without parsing it, that it fits in 64 bits:
// 999999999999999999 (18 nines) does, 19 digits may not.
const maxFastDigits = 18

// provablyJSON reports whether body certainly passes every check
// checkJSON makes, proved cheaply: the bytes are UTF-8, one scan finds no
// \u escape of a surrogate, no nesting deeper than maxJSONDepth and (with
// numbers) no integer literal of more than maxFastDigits digits, and
// json.Valid finds one valid JSON value with only white space around it.
// It allocates nothing.
//
// It is a one-way proof: true means checkJSON(body, numbers) is nil;
// false means only that the fast path cannot tell (a surrogate pair, a
// 19-digit integer that fits, a body that is not JSON), and checkJSON's
// token walk decides and words the refusal. The scan follows strings as
// checkStrings does; outside them it counts brackets and digits, which is
// exact on a body json.Valid accepts (a body it refuses is not proved).
func provablyJSON(body []byte, numbers bool) bool {
	if !utf8.Valid(body) {
		return false
	}
	depth := 0
	inString, inNumber, fraction := false, false, false
	digits := 0
	for i := 0; i < len(body); i++ {
		c := body[i]
		if inString {
			switch c {
			case '"':
				inString = false
			case '\\':
				if i+3 < len(body) && body[i+1] == 'u' && isSurrogateLead(body[i+2], body[i+3]) {
					return false // lone or paired: checkStrings decides
				}
				i++ // skip the escaped character
			}
			continue
		}
		if inNumber {
			switch {
			case c >= '0' && c <= '9':
				if !fraction {
					digits++
				}
				continue
			case c == '.' || c == 'e' || c == 'E':
				fraction = true
				continue
			case c == '+' || c == '-':
				continue
			}
			if numbers && !fraction && digits > maxFastDigits {
				return false
			}
			inNumber = false
		}
		switch {
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > maxJSONDepth {
				return false
			}
		case c == '}' || c == ']':
			depth--
		case c == '-' || (c >= '0' && c <= '9'):
			inNumber, fraction, digits = true, false, 0
			if c != '-' {
				digits = 1
			}
		}
	}
	if inNumber && numbers && !fraction && digits > maxFastDigits {
		return false
	}
	return json.Valid(body)
}

// isSurrogateLead reports whether the first two hex digits of a \u escape
// are those of a surrogate, U+D800 to U+DFFF: d or D, then 8 to f.
func isSurrogateLead(a, b byte) bool {
	if a != 'd' && a != 'D' {
		return false
	}
	return b >= '8' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}
