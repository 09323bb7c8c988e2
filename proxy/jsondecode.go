package proxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of the answers judged.
const maxJSONDepth = 512

// decodeJSON decodes one JSON document into the values kin-openapi
// validates (map[string]any, []any, json.Number, string, bool, nil), as
// encoding/json with UseNumber does, in one pass over the bytes: judging
// every answer is the proxy's hot path, and encoding/json scans a document
// three times. Invalid UTF-8 in strings becomes U+FFFD, as encoding/json
// does; a duplicated key keeps its last value.
func decodeJSON(data []byte) (any, error) {
	d := jsonDecoder{data: data}
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.i != len(d.data) {
		return nil, d.errorf("unexpected data after the document")
	}
	return v, nil
}

type jsonDecoder struct {
	data []byte
	i    int
}

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", d.i, fmt.Sprintf(format, args...))
}

func (d *jsonDecoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, d.errorf("nested deeper than %d", maxJSONDepth)
	}
	if d.i >= len(d.data) {
		return nil, d.errorf("unexpected end of the document")
	}
	switch c := d.data[d.i]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.string()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	default:
		return nil, d.errorf("invalid character %q looking for a value", c)
	}
}

func (d *jsonDecoder) literal(word string) error {
	if !strings.HasPrefix(string(d.data[d.i:min(d.i+len(word), len(d.data))]), word) {
		return d.errorf("invalid literal, want %s", word)
	}
	d.i += len(word)
	return nil
}

func (d *jsonDecoder) object(depth int) (any, error) {
	d.i++ // {
	m := make(map[string]any, 8)
	d.space()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return m, nil
	}
	for {
		d.space()
		if d.i >= len(d.data) || d.data[d.i] != '"' {
			return nil, d.errorf("want a string for an object key")
		}
		key, err := d.string()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.i >= len(d.data) || d.data[d.i] != ':' {
			return nil, d.errorf("want ':' after an object key")
		}
		d.i++
		d.space()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m[key] = v
		d.space()
		if d.i >= len(d.data) {
			return nil, d.errorf("unexpected end of an object")
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return m, nil
		default:
			return nil, d.errorf("want ',' or '}' in an object")
		}
	}
}

func (d *jsonDecoder) array(depth int) (any, error) {
	d.i++ // [
	out := make([]any, 0, 4)
	d.space()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		return out, nil
	}
	for {
		d.space()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		d.space()
		if d.i >= len(d.data) {
			return nil, d.errorf("unexpected end of an array")
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return out, nil
		default:
			return nil, d.errorf("want ',' or ']' in an array")
		}
	}
}

// string decodes a string; the common case, no escapes and ASCII or valid
// UTF-8, is one slice.
func (d *jsonDecoder) string() (string, error) {
	d.i++ // "
	start := d.i
	ascii := true
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			raw := d.data[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(raw) {
				return validUTF8(string(raw)), nil
			}
			return string(raw), nil
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return "", d.errorf("control character in a string")
		case c >= 0x80:
			ascii = false
		}
		d.i++
	}
	return "", d.errorf("unterminated string")
}

// escaped decodes the rest of a string that holds escapes.
func (d *jsonDecoder) escaped(start int) (string, error) {
	var b strings.Builder
	b.Write(d.data[start:d.i])
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			return validUTF8(b.String()), nil
		case c < 0x20:
			return "", d.errorf("control character in a string")
		case c != '\\':
			b.WriteByte(c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.data) {
			return "", d.errorf("unterminated escape")
		}
		d.i++
		switch e := d.data[d.i]; e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, err := d.hex4(d.i + 1)
			if err != nil {
				return "", err
			}
			d.i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if d.i+6 < len(d.data) && d.data[d.i+1] == '\\' && d.data[d.i+2] == 'u' {
					if v, err := d.hex4(d.i + 3); err == nil {
						r2 = v
					}
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					d.i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b.WriteRune(r)
		default:
			return "", d.errorf("invalid escape \\%c", e)
		}
		d.i++
	}
	return "", d.errorf("unterminated string")
}

func (d *jsonDecoder) hex4(at int) (rune, error) {
	if at+4 > len(d.data) {
		return 0, d.errorf("short \\u escape")
	}
	v, err := strconv.ParseUint(string(d.data[at:at+4]), 16, 32)
	if err != nil {
		return 0, d.errorf("invalid \\u escape")
	}
	return rune(v), nil
}

var errNumber = errors.New("invalid number")

// number checks JSON's number grammar and keeps the text, as
// json.Number.
func (d *jsonDecoder) number() (any, error) {
	start := d.i
	p := d.data
	if d.i < len(p) && p[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(p) && p[d.i] == '0':
		d.i++
	case d.i < len(p) && p[d.i] >= '1' && p[d.i] <= '9':
		for d.i < len(p) && p[d.i] >= '0' && p[d.i] <= '9' {
			d.i++
		}
	default:
		return nil, d.errorf("%v", errNumber)
	}
	if d.i < len(p) && p[d.i] == '.' {
		d.i++
		if d.i >= len(p) || p[d.i] < '0' || p[d.i] > '9' {
			return nil, d.errorf("%v", errNumber)
		}
		for d.i < len(p) && p[d.i] >= '0' && p[d.i] <= '9' {
			d.i++
		}
	}
	if d.i < len(p) && (p[d.i] == 'e' || p[d.i] == 'E') {
		d.i++
		if d.i < len(p) && (p[d.i] == '+' || p[d.i] == '-') {
			d.i++
		}
		if d.i >= len(p) || p[d.i] < '0' || p[d.i] > '9' {
			return nil, d.errorf("%v", errNumber)
		}
		for d.i < len(p) && p[d.i] >= '0' && p[d.i] <= '9' {
			d.i++
		}
	}
	return json.Number(p[start:d.i]), nil
}

// validUTF8 replaces each byte of s that is not UTF-8 with U+FFFD, as
// encoding/json does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += size
	}
	return b.String()
}
