package coupaxml

import (
	"fmt"
	"io"
)

// charRefReader passes the body through and fails when it meets a numeric
// character reference (&#...; or &#x...;) to something that is not an XML
// character: a UTF-16 surrogate (U+D800 to U+DFFF, which encoding/xml turns
// into U+FFFD without a word), NUL or another C0 control but tab, newline
// and carriage return, U+FFFE, U+FFFF, or beyond U+10FFFF. Such a reference
// cannot stand for text, and storing U+FFFD in its place would lose data.
// References in CDATA sections and comments are checked too, which refuses
// the rare document that shows such a reference as literal text there.
type charRefReader struct {
	r     io.Reader
	state int    // 0 text, 1 after &, 2 after &#, 3 decimal digits, 4 after &#x, 5 hex digits
	value int64  // of the reference being read, capped above U+10FFFF
	ref   []byte // the reference as written, for the message
	err   error
}

// charRefError is a reference to a non-character.
type charRefError struct {
	ref   string
	value int64
}

func (e *charRefError) Error() string {
	if e.value >= 0xD800 && e.value <= 0xDFFF {
		return fmt.Sprintf("character reference %s is a lone UTF-16 surrogate, not a character; send the character itself in UTF-8", e.ref)
	}
	return fmt.Sprintf("character reference %s is not an XML character", e.ref)
}

func (c *charRefReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	for _, b := range p[:n] {
		if c.scan(b) {
			c.err = &charRefError{ref: string(c.ref), value: c.value}
			return 0, c.err
		}
	}
	return n, err
}

// scan advances over one byte and reports whether a bad reference ended.
func (c *charRefReader) scan(b byte) bool {
	if c.state != 0 && len(c.ref) < 16 {
		c.ref = append(c.ref, b)
	}
	digit := func(base int64) (int64, bool) {
		switch {
		case b >= '0' && b <= '9':
			return int64(b - '0'), true
		case base == 16 && b >= 'a' && b <= 'f':
			return int64(b-'a') + 10, true
		case base == 16 && b >= 'A' && b <= 'F':
			return int64(b-'A') + 10, true
		}
		return 0, false
	}
	add := func(base, d int64) {
		c.value = min(c.value*base+d, 0x110000)
	}
	switch c.state {
	case 1:
		if b == '#' {
			c.state = 2
			return false
		}
	case 2:
		if b == 'x' {
			c.state = 4
			return false
		}
		if d, ok := digit(10); ok {
			c.state, c.value = 3, d
			return false
		}
	case 3, 5:
		base := int64(10)
		if c.state == 5 {
			base = 16
		}
		if d, ok := digit(base); ok {
			add(base, d)
			return false
		}
		if b == ';' {
			c.state = 0
			return !xmlChar(c.value)
		}
	case 4:
		if d, ok := digit(16); ok {
			c.state, c.value = 5, d
			return false
		}
	}
	c.state = 0
	if b == '&' {
		c.state, c.ref = 1, append(c.ref[:0], '&')
	}
	return false
}

// xmlChar reports whether v is a Char of XML 1.0.
func xmlChar(v int64) bool {
	switch {
	case v == 0x9 || v == 0xA || v == 0xD:
		return true
	case v < 0x20:
		return false
	case v >= 0xD800 && v <= 0xDFFF, v == 0xFFFE, v == 0xFFFF:
		return false
	}
	return v <= 0x10FFFF
}
