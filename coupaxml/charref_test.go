package coupaxml_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/coupaxml"
)

// TestDecodeCharacterReferences: a reference to a lone surrogate or another
// non-character is refused (encoding/xml would store U+FFFD in its place);
// references to characters decode to them, split across reads or not.
func TestDecodeCharacterReferences(t *testing.T) {
	schema := coreSchema(t, "IntegrationError")
	body := func(status string) string {
		return `<integration-error><status>` + status + `</status></integration-error>`
	}
	bad := []struct{ name, status, want string }{
		{"lone high surrogate", "&#xD800;", "&#xD800; is a lone UTF-16 surrogate"},
		{"lone low surrogate, decimal", "a&#57343;b", "&#57343; is a lone UTF-16 surrogate"},
		{"surrogate pair as two references", "&#xD83D;&#xDE00;", "&#xD83D; is a lone UTF-16 surrogate"},
		{"NUL", "&#0;", "&#0; is not an XML character"},
		{"control", "&#x1b;", "&#x1b; is not an XML character"},
		{"U+FFFE", "&#xFFFE;", "&#xFFFE; is not an XML character"},
		{"beyond U+10FFFF", "&#x110000;", "is not an XML character"},
		{"huge", "&#99999999999999999999999;", "is not an XML character"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, v, err := coupaxml.Decode(strings.NewReader(body(tt.status)), nil, schema)
			if !errors.Is(err, coupaxml.ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode = %v, %v; want ErrMalformed saying %q", v, err, tt.want)
			}
		})
	}
	good := []struct{ name, status, want string }{
		{"BMP", "caf&#xE9; &#233;", "café é"},
		{"astral", "&#x1F600;", "\U0001F600"},
		{"U+FFFD itself", "&#xFFFD;", "\uFFFD"},
		{"tab and newline", "a&#9;b&#xA;", "a\tb\n"},
		{"entities and a lone ampersand-hash in CDATA", "&amp;#xD800; &lt;", "&#xD800; <"},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			// One byte per read, so that references straddle reads.
			_, v, err := coupaxml.Decode(&oneByte{s: body(tt.status)}, nil, schema)
			if err != nil || v["status"] != tt.want {
				t.Fatalf("Decode = %q, %v; want %q", v["status"], err, tt.want)
			}
		})
	}
}

// oneByte reads a string a byte at a time.
type oneByte struct {
	s string
	i int
}

func (o *oneByte) Read(p []byte) (int, error) {
	if o.i >= len(o.s) {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = o.s[o.i]
	o.i++
	return 1, nil
}
