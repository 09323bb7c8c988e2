package mock

import (
	"strings"
	"testing"
)

// TestProvablyJSON: what the fast path proves, the token walk accepts, and
// the fast path proves the bodies clients send. Each body is tried with and
// without the number check; fast is what provablyJSON says with it, slowOK
// whether checkJSONTokens accepts it.
func TestProvablyJSON(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	deepObj := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	tests := []struct {
		name         string
		body         string
		fast, slowOK bool
	}{
		{"object", `{"contact-alert-type":"Technical","status":"error"}`, true, true},
		{"nested", `{"integration":{"code":"x"},"responses":[{"response-code":"200","response-message":"ok"}]}`, true, true},
		{"white space around", " \t\r\n{\"a\": [1, 2.5, -3e4, true, false, null]}\n ", true, true},
		{"scalar string", `"abc"`, true, true},
		{"scalar number", `42`, true, true},
		{"scalar negative", `-42`, true, true},
		{"scalar literal", `true`, true, true},
		{"empty object", `{}`, true, true},
		{"empty array", `[]`, true, true},
		{"escapes", `{"a":"\"\\\/\b\f\n\r\t\u00e9\u0041\uffff"}`, true, true},
		{"escaped quote then bracket", `{"a":"\"[[[[","b":"\\"}`, true, true},
		{"brackets in strings", `{"a":"` + deep(150) + `"}`, true, true},
		{"digits in strings", `{"a":"9223372036854775808123"}`, true, true},
		{"unicode text", `{"name":"Müller – 東京 😀"}`, true, true},
		{"18 digits", `{"a":999999999999999999}`, true, true},
		{"-18 digits", `{"a":-999999999999999999}`, true, true},
		{"18 digits at end", `999999999999999999`, true, true},
		{"19 digits fits", `{"a":9223372036854775807}`, false, true},
		{"19 digits min", `{"a":-9223372036854775808}`, false, true},
		{"19 digits beyond", `{"a":9223372036854775808}`, false, false},
		{"beyond negative", `{"a":-9223372036854775809}`, false, false},
		{"beyond at end", `92233720368547758089`, false, false},
		{"beyond in array", `[1,92233720368547758089,2]`, false, false},
		{"long fraction", `{"a":1.92233720368547758089}`, true, true},
		{"long with exponent", `{"a":92233720368547758089e2}`, true, true},
		{"long before fraction", `{"a":92233720368547758089.5}`, true, true},
		{"long with E", `{"a":92233720368547758089E-2}`, true, true},
		{"depth 100", deep(100), true, true},
		{"depth 100 objects", deepObj(100), true, true},
		{"depth 101", deep(101), false, false},
		{"depth 101 objects", deepObj(101), false, false},
		{"depth 200", deep(200), false, false},
		{"surrogate pair", `{"a":"\ud83d\ude00"}`, false, true},
		{"surrogate pair upper", `{"a":"\uD83D\uDE00"}`, false, true},
		{"lone high", `{"a":"\ud800"}`, false, false},
		{"lone low", `{"a":"x\uDC00y"}`, false, false},
		{"high then not low", `{"a":"\ud800\u0041"}`, false, false},
		{"not a surrogate d7ff", `{"a":"\ud7ff"}`, true, true},
		{"not a surrogate e000", `{"a":"\ue000"}`, true, true},
		{"escaped backslash then u", `{"a":"\\ud800"}`, true, true},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", false, false},
		{"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", false, false},
		{"encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", false, false},
		{"trailing object", `{"a":1}{"b":`, false, false},
		{"trailing value", `{"a":1} x`, false, false},
		{"trailing array", `{"a":1}[]`, false, false},
		{"two scalars", `1 2`, false, false},
		{"unclosed", `{"a":1`, false, false},
		{"unclosed string", `{"a":"x`, false, false},
		{"unclosed escape", `"\`, false, false},
		{"trailing comma", `[1,]`, false, false},
		{"object trailing comma", `{"a":1,}`, false, false},
		{"missing colon", `{"a" 1}`, false, false},
		{"leading zero", `{"a":01}`, false, false},
		{"plus sign", `{"a":+1}`, false, false},
		{"bare minus", `[-]`, false, false},
		{"bad escape", `{"a":"\x"}`, false, false},
		{"short unicode escape", `{"a":"\u12"}`, false, false},
		{"control character", "{\"a\":\"\x01\"}", false, false},
		{"single quotes", `{'a':1}`, false, false},
		{"NaN", `{"a":NaN}`, false, false},
		{"comment", `{"a":1}//`, false, false},
		{"BOM", "\xef\xbb\xbf{}", false, false},
		{"empty", ``, false, false},
		{"only space", ` `, false, false},
		{"mismatched", `{"a":[1}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			if got := provablyJSON(body, true); got != tt.fast {
				t.Errorf("provablyJSON(numbers) = %v, want %v", got, tt.fast)
			}
			slow := checkJSONTokens(body, true)
			if (slow == nil) != tt.slowOK {
				t.Errorf("checkJSONTokens = %v, want ok %v", slow, tt.slowOK)
			}
			for _, numbers := range []bool{true, false} {
				assertFastImpliesSlow(t, body, numbers)
				// checkJSON is the fast path or else the token walk: the
				// same answer, to the byte.
				if got, want := errString(checkJSON(body, numbers)), errString(checkJSONTokens(body, numbers)); got != want {
					t.Errorf("numbers %v: checkJSON %q, checkJSONTokens %q", numbers, got, want)
				}
			}
		})
	}
	// Without the number check a long integer is proved: it is only
	// checked in a bulk operation's items.
	if !provablyJSON([]byte(`{"events":[{"market-id":92233720368547758089}]}`), false) {
		t.Error("the fast path does not prove a long integer with numbers off")
	}
}

// assertFastImpliesSlow fails t when provablyJSON proves a body that the
// token walk refuses.
func assertFastImpliesSlow(t *testing.T, body []byte, numbers bool) {
	t.Helper()
	if !provablyJSON(body, numbers) {
		return
	}
	if err := checkJSONTokens(body, numbers); err != nil {
		t.Fatalf("provablyJSON(%q, %v) proves a body checkJSONTokens refuses: %v", body, numbers, err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestProvablyJSONAllocatesNothing: the fast path costs no allocation
// (json.Valid's scanner is pooled, which the race detector defeats).
func TestProvablyJSONAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	body := []byte(`{"contact-alert-type":"Technical","responses":[{"response-code":"200"}],"document-id":12,"x":"\u00e9"}`)
	if n := testing.AllocsPerRun(100, func() { provablyJSON(body, true) }); n != 0 {
		t.Errorf("provablyJSON allocates %v times per call, want 0", n)
	}
}

// FuzzJSONFastPath: a body the fast path proves is one checkJSONTokens
// accepts, with and without the number check. Seeds are in
// testdata/fuzz/FuzzJSONFastPath.
func FuzzJSONFastPath(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		assertFastImpliesSlow(t, body, true)
		assertFastImpliesSlow(t, body, false)
	})
}
