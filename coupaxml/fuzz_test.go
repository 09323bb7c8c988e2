package coupaxml_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coupakit/coupakit/coupaxml"
)

// FuzzDecode feeds Decode arbitrary bodies: it must never panic, must
// return an *Error when it fails, and what it accepts must survive an
// Encode and a second Decode unchanged.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`<integration-error><id type="integer">1</id><status>x</status></integration-error>`,
		`<integration-error><responses type="array"><response><id>2</id></response></responses></integration-error>`,
		`<integration-error><integration><code>C</code></integration><foo><bar/></foo></integration-error>`,
		`<integration-error><resolved>true</resolved><document-id nil="true"/></integration-error>`,
		`<!DOCTYPE x [<!ENTITY a "b">]><integration-error/>`,
		`<integration-error>&amp;<![CDATA[x]]></integration-error>`,
	} {
		f.Add(seed)
	}
	schema := coreSchema(f, "IntegrationError")
	roots := []string{"integration-error"}
	f.Fuzz(func(t *testing.T, body string) {
		_, v, err := coupaxml.Decode(strings.NewReader(body), roots, schema, coupaxml.WithMaxBytes(1<<16))
		if err != nil {
			var xe *coupaxml.Error
			if !errors.As(err, &xe) {
				t.Fatalf("error %T is not a *coupaxml.Error: %v", err, err)
			}
			return
		}
		var b bytes.Buffer
		if err := coupaxml.Encode(&b, "integration-error", v, schema); err != nil {
			// Undeclared element names may not be XML names the encoder
			// writes (a namespace prefix was dropped, say); nothing else
			// may fail.
			return
		}
		_, again, err := coupaxml.Decode(&b, roots, schema)
		if err != nil {
			t.Fatalf("re-decoding our own output: %v\n%s", err, b.String())
		}
		if diff := cmp.Diff(normalize(v), normalize(again)); diff != "" {
			t.Fatalf("round trip changed the value (-first +second):\n%s\n%s", diff, b.String())
		}
	})
}

// normalize drops what XML cannot carry back: null values (nil elements
// are left out).
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if x != nil {
				out[k] = normalize(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalize(x)
		}
		return out
	}
	return v
}
