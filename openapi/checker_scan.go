package openapi

import (
	"encoding/json"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// The scan of a document's bytes against a compiled Checker (checker.go):
// one pass over the bytes, without decoding them.

// strPlain marks the bytes a string holds as they are: not the quote, the
// backslash, a control character or the start of a multi-byte character.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// maxCheckDepth bounds the nesting of the documents checked.
const maxCheckDepth = 512

// Check judges a JSON document. member names the root object's array
// whose items CheckResult.Items counts ("events"); for a root array they
// are counted whatever member is.
func (c *Checker) Check(data []byte, member string) CheckResult {
	s := scan{data: data, member: member, items: -1}
	s.space()
	ok := s.value(c.root, 0)
	s.space()
	if !ok || s.i != len(s.data) {
		return CheckResult{Items: -1}
	}
	return CheckResult{Valid: true, Nulls: s.nulls, Items: s.items, Undeclared: s.undeclared}
}

// scan walks a document's bytes.
type scan struct {
	data   []byte
	i      int
	nulls  bool
	member string
	items  int
	// undeclared: an object held an element its schema does not declare.
	undeclared bool
	// countNext says the value about to be read is the member counted.
	countNext bool
}

func (s *scan) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value checks the value at s.i against n (nil: any value) and moves past
// it.
func (s *scan) value(n *cnode, depth int) bool {
	if depth > maxCheckDepth || s.i >= len(s.data) {
		return false
	}
	start := s.i
	counted := s.countNext
	s.countNext = false
	if n != nil && len(n.allOf) > 0 {
		for _, sub := range n.allOf {
			s.i = start
			s.countNext = counted
			if !s.value(sub, depth+1) {
				return false
			}
		}
		if n.pureAllOf && s.data[start] != 'n' {
			return true // past the value, as the last part left it
		}
		s.i = start
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object(n, depth)
	case c == '[':
		s.countNext = counted
		return s.array(n, depth)
	case c == '"':
		return s.str(n)
	case c == 't' || c == 'f':
		word := "true"
		if c == 'f' {
			word = "false"
		}
		if !s.literal(word) {
			return false
		}
		return n == nil || (n.types&tBoolean != 0 && n.enum == nil)
	case c == 'n':
		if !s.literal("null") {
			return false
		}
		s.nulls = true
		return n == nil || n.nullable
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(n)
	}
	return false
}

func (s *scan) literal(word string) bool {
	if len(s.data)-s.i < len(word) || string(s.data[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

// number checks a number. One with a fraction or an exponent is valid only
// for a number type; an integer is read exactly.
func (s *scan) number(n *cnode) bool {
	start := s.i
	if s.data[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.data) {
		return false
	}
	if s.data[s.i] == '0' {
		s.i++
	} else if !s.digits() {
		return false
	}
	integer := true
	if s.i < len(s.data) && s.data[s.i] == '.' {
		integer = false
		s.i++
		if !s.digits() {
			return false
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		integer = false
		s.i++
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	if n == nil {
		return true
	}
	if n.enum != nil {
		return false
	}
	if integer && n.types&tInteger == 0 || !integer && n.types&tNumber == 0 {
		return false
	}
	raw := s.data[start:s.i]
	if n.intBits != 0 && !fitsInt(raw, n.intBits) {
		return false
	}
	if n.min == nil && n.max == nil {
		return true
	}
	var v float64
	if integer && len(raw) <= 16 {
		v = float64(smallInt(raw)) // exact: below 2^53
	} else {
		var err error
		if v, err = strconv.ParseFloat(string(raw), 64); err != nil {
			return false
		}
	}
	if n.min != nil && (v < *n.min || n.exclMin && v == *n.min) {
		return false
	}
	if n.max != nil && (v > *n.max || n.exclMax && v == *n.max) {
		return false
	}
	return true
}

// fitsInt reports whether the integer literal raw fits in a signed integer
// of size bits (32 or 64).
func fitsInt(raw []byte, size int) bool {
	limit := "9223372036854775807"
	if size == 32 {
		limit = "2147483647"
	}
	digits := raw
	if raw[0] == '-' {
		digits = raw[1:]
		limit = limit[:len(limit)-1] + string(limit[len(limit)-1]+1)
	}
	switch {
	case len(digits) < len(limit):
		return true
	case len(digits) > len(limit):
		return false
	}
	return string(digits) <= limit
}

// smallInt reads an integer literal of at most 16 characters.
func smallInt(raw []byte) int64 {
	neg := raw[0] == '-'
	if neg {
		raw = raw[1:]
	}
	var v int64
	for _, c := range raw {
		v = v*10 + int64(c-'0')
	}
	if neg {
		return -v
	}
	return v
}

func (s *scan) digits() bool {
	start := s.i
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// stringBytes reads a string and returns its content, unescaped. ok is
// false for a string that is not valid JSON or not valid UTF-8.
func (s *scan) stringBytes() ([]byte, bool) {
	s.i++ // the quote
	start := s.i
	data := s.data
	ascii := true
plain:
	for i := start; i < len(data); i++ {
		c := data[i]
		if strPlain[c] {
			continue
		}
		switch {
		case c == '"':
			raw := data[start:i]
			s.i = i + 1
			return raw, ascii || utf8.Valid(raw)
		case c >= 0x80:
			ascii = false
			continue
		}
		break plain // an escape or a control character
	}
	// Escapes: find the closing quote, then let encoding/json unescape.
	for s.i < len(s.data) {
		switch c := s.data[s.i]; {
		case c == '"':
			s.i++
			var out string
			if err := json.Unmarshal(s.data[start-1:s.i], &out); err != nil || !utf8.ValidString(out) {
				return nil, false
			}
			return []byte(out), true
		case c == '\\':
			s.i += 2
		case c < 0x20:
			return nil, false
		default:
			s.i++
		}
	}
	return nil, false
}

func (s *scan) str(n *cnode) bool {
	b, ok := s.stringBytes()
	if !ok {
		return false
	}
	if n == nil || n.empty {
		return true
	}
	if n.types&tString == 0 {
		return false
	}
	if n.enum != nil {
		if _, ok := n.enum[string(b)]; !ok {
			return false
		}
	}
	if n.minLen > 0 || n.maxLen >= 0 {
		l := utf8.RuneCount(b)
		if l < n.minLen || n.maxLen >= 0 && l > n.maxLen {
			return false
		}
	}
	if n.pattern != nil && n.pattern.VisitJSONString(string(b)) != nil {
		return false
	}
	if n.dateTime && !secondsDatetimeBytes(b) {
		return false
	}
	return true
}

func (s *scan) array(n *cnode, depth int) bool {
	if n != nil && !n.empty && n.types&tArray == 0 || n != nil && n.enum != nil {
		return false
	}
	s.i++ // [
	counted := depth == 0 || s.countNext
	s.countNext = false
	var items *cnode
	if n != nil {
		items = n.items
	}
	count := 0
	s.space()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
	} else {
		for {
			s.space()
			if !s.value(items, depth+1) {
				return false
			}
			count++
			s.space()
			if s.i >= len(s.data) {
				return false
			}
			if s.data[s.i] == ']' {
				s.i++
				break
			}
			if s.data[s.i] != ',' {
				return false
			}
			s.i++
		}
	}
	if counted {
		s.items = count
	}
	if n == nil {
		return true
	}
	return count >= n.minItems && (n.maxItems < 0 || count <= n.maxItems)
}

func (s *scan) object(n *cnode, depth int) bool {
	if n != nil && !n.empty && n.types&tObject == 0 || n != nil && n.enum != nil {
		return false
	}
	s.i++ // {
	var seen uint64
	count := 0
	var extra map[string]bool // additional keys, when their number matters
	s.space()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
	} else {
		for {
			s.space()
			if s.i >= len(s.data) || s.data[s.i] != '"' {
				return false
			}
			key, ok := s.stringBytes()
			if !ok {
				return false
			}
			s.space()
			if s.i >= len(s.data) || s.data[s.i] != ':' {
				return false
			}
			s.i++
			s.space()
			count++
			var sub *cnode
			if n != nil {
				if _, declared := n.known[string(key)]; !declared {
					s.undeclared = true
				}
				if idx, isProp := n.props[string(key)]; isProp {
					if seen&(1<<idx) != 0 || n.writeOnly[idx] {
						return false // a duplicated key or a writeOnly element
					}
					if n.defaults&(1<<idx) != 0 && s.i < len(s.data) && s.data[s.i] == 'n' {
						return false // null: VisitJSON would write the default in
					}
					seen |= 1 << idx
					sub = n.propNode[idx]
				} else if n.noAddl {
					return false
				} else {
					sub = n.addl
					if n.minProps > 0 {
						if extra == nil {
							extra = map[string]bool{}
						}
						if extra[string(key)] {
							return false
						}
						extra[string(key)] = true
					}
				}
			}
			s.countNext = depth == 0 && s.member != "" && string(key) == s.member
			if !s.value(sub, depth+1) {
				return false
			}
			s.countNext = false
			s.space()
			if s.i >= len(s.data) {
				return false
			}
			if s.data[s.i] == '}' {
				s.i++
				break
			}
			if s.data[s.i] != ',' {
				return false
			}
			s.i++
		}
	}
	if n == nil {
		return true
	}
	if n.missing || seen&n.required != n.required || seen&n.defaults != n.defaults {
		return false
	}
	if count < n.minProps || n.maxProps >= 0 && count > n.maxProps {
		return false
	}
	return bits.OnesCount64(seen)+len(extra) >= n.minProps
}

// secondsDatetimeBytes is SecondsDateTime's check on bytes, without
// time.Parse: the layout, then each field's range (the day within its
// month). It accepts no text time.Parse refuses.
func secondsDatetimeBytes(b []byte) bool {
	if !secondsShape(string(b)) {
		return false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return false
	}
	if num(11, 2) > 23 || num(14, 2) > 59 || num(17, 2) > 59 {
		return false
	}
	if len(b) > 20 && (num(20, 2) > 23 || num(23, 2) > 59) {
		return false
	}
	return true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
