package auth

import (
	"strconv"
	"testing"
	"time"
)

// TestVerifiedTokens holds the memory of verified tokens to verify's own
// answers: a remembered token still expires, a changed one is judged on its
// own, and past maxVerified tokens the memory starts again without
// refusing any.
func TestVerifiedTokens(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 17, 20, 0, time.UTC)
	a, err := New(Config{Secret: []byte("verified-tokens-test-secret-0123"), Now: func() time.Time { return now },
		Clients: []Client{{ID: "erp", Secret: "s", Scopes: []string{ScopeRead}}}})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(jti string, exp int64) string {
		return a.sign(claims{Issuer: issuer, Subject: "erp", ClientID: "erp", Scope: ScopeRead, IssuedAt: now.Unix(), Expires: exp, ID: jti})
	}
	tok := issue("1", now.Unix()+60)
	for i := range 2 { // first verified, then remembered
		cl, scope, err := a.verify(tok, now)
		if err != nil || cl == nil || cl.id != "erp" || scope != ScopeRead {
			t.Fatalf("verify #%d = %v, %q, %v; want erp, %q, nil", i+1, cl, scope, err, ScopeRead)
		}
	}
	if _, ok := a.verified.get(tok); !ok {
		t.Fatal("a verified token is not remembered")
	}

	tampered := tok[:len(tok)-2] + map[bool]string{true: "AA", false: "BB"}[tok[len(tok)-2:] != "AA"]
	if _, _, err := a.verify(tampered, now); err != errTokenSignature {
		t.Errorf("a changed signature after its token verified: %v, want %v", err, errTokenSignature)
	}
	if _, ok := a.verified.get(tampered); ok {
		t.Error("a refused token is remembered")
	}

	if _, _, err := a.verify(tok, now.Add(60*time.Second)); err != errTokenExpired {
		t.Errorf("a remembered token at its expiry: %v, want %v", err, errTokenExpired)
	}
	if _, _, err := a.verify(tok, now.Add(59*time.Second)); err != nil {
		t.Errorf("a remembered token a second before its expiry: %v", err)
	}

	for i := range maxVerified + 10 {
		if _, _, err := a.verify(issue(strconv.Itoa(i+2), now.Unix()+60), now); err != nil {
			t.Fatalf("token %d: %v", i+2, err)
		}
	}
	if n := a.verified.n.Load(); n > maxVerified {
		t.Errorf("%d tokens remembered, want at most %d", n, maxVerified)
	}
	if _, _, err := a.verify(tok, now); err != nil {
		t.Errorf("the first token, after the memory started again: %v", err)
	}
}
