package auth_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coupakit/coupakit/auth"
)

// fromAddr returns a client of e whose connections come from ip (an
// address of the loopback network, such as 127.0.0.2).
func (e *env) fromAddr(ip string) *env {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	c := *e
	c.http = &http.Client{Transport: tr}
	return &c
}

// TestWrongSecretsAreSlowed: past 5 wrong secrets of a client from an
// address, the token endpoint checks one attempt per step (1 s, doubling)
// and answers the others 429 slow_down with Retry-After, unchecked; other
// clients and addresses are not slowed, with the rate limit on or off.
func TestWrongSecretsAreSlowed(t *testing.T) {
	for _, rateLimit := range []bool{false, true} {
		t.Run(map[bool]string{false: "rate limit off", true: "rate limit on"}[rateLimit], func(t *testing.T) {
			e := newEnv(t, auth.Config{RateLimit: rateLimit, Clients: []auth.Client{
				{ID: "erp", Secret: "right"}, {ID: "bank", Secret: "right"},
			}})
			form := func(id, secret string) url.Values {
				return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
			}
			for i := range 5 {
				if res := e.tokenReq(t, form("erp", "wrong"), nil); res.status != http.StatusUnauthorized {
					t.Fatalf("wrong secret %d: status %d; want 401", i+1, res.status)
				}
			}
			slowed := func(res result, wantRetry string) {
				t.Helper()
				var body oauthErr
				_ = json.Unmarshal(res.body, &body)
				if res.status != http.StatusTooManyRequests || body.Error != "slow_down" || res.header.Get("Retry-After") != wantRetry {
					t.Fatalf("status %d, Retry-After %q, body %s; want 429 slow_down, Retry-After %s", res.status, res.header.Get("Retry-After"), res.body, wantRetry)
				}
			}
			// The right secret too is refused unchecked until the turn.
			slowed(e.tokenReq(t, form("erp", "right"), nil), "1")
			slowed(e.tokenReq(t, nil, &[2]string{"erp", "wrong"}), "1")

			// Not slowed: another client from the same address, the same
			// client from another address.
			e.token(t, "bank", "right", "")
			e.fromAddr("127.0.0.2").token(t, "erp", "right", "")

			// At its turn an attempt is checked: a wrong one makes the
			// next turn 2 s away.
			e.clock.Advance(time.Second)
			if res := e.tokenReq(t, form("erp", "wrong"), nil); res.status != http.StatusUnauthorized {
				t.Fatalf("attempt at its turn: status %d; want 401", res.status)
			}
			slowed(e.tokenReq(t, form("erp", "right"), nil), "2")
			e.clock.Advance(2 * time.Second)
			e.token(t, "erp", "right", "")
			// A correct login forgets the failures.
			if res := e.tokenReq(t, form("erp", "wrong"), nil); res.status != http.StatusUnauthorized {
				t.Fatalf("wrong secret after a correct one: status %d; want 401", res.status)
			}
		})
	}
}
