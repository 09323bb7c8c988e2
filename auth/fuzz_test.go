package auth_test

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/auth"
)

// FuzzBearerToken sends arbitrary bearer tokens to the Core middleware,
// under a signing secret the corpus cannot know: nothing may panic, only the
// token the authority issued passes, and every refusal is a 401 in Coupa's
// error format with a Bearer challenge. Seeds are in
// testdata/fuzz/FuzzBearerToken (forged, truncated and re-encoded tokens).
func FuzzBearerToken(f *testing.F) {
	secret := make([]byte, 32)
	rand.Read(secret)
	e := newEnv(f, auth.Config{Secret: secret})
	issued := e.token(f, auth.DefaultClientID, auth.DefaultClientSecret, "")
	f.Add(issued)
	f.Add(issued + "x")
	f.Add(strings.TrimRight(issued, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	core := e.a.Core(ok, nil)
	f.Fuzz(func(t *testing.T, tok string) {
		req := httptest.NewRequest(http.MethodGet, "/api/integration_errors", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		core.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			if strings.TrimSpace(tok) != issued {
				t.Fatalf("token %q passed; only the issued one may", tok)
			}
		case http.StatusUnauthorized:
			if c := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(c, `Bearer realm="coupa"`) {
				t.Fatalf("401 without a Bearer challenge: %q", c)
			}
			var body map[string]map[string][]string
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body["errors"]["authorization"]) != 1 {
				t.Fatalf("401 body %q is not Coupa's error format", rec.Body.String())
			}
		default:
			t.Fatalf("status %d for token %q; want 200 or 401", rec.Code, tok)
		}
	})
}
