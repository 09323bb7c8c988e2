package sftpd

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/coupakit/coupakit/internal/throttle"
)

// waits records the waits the server takes before checking a password.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) bool {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// slowed returns the waits longer than zero recorded since mark.
func (w *waits) since(mark int) []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []time.Duration
	for _, d := range w.d[mark:] {
		if d > 0 {
			out = append(out, d)
		}
	}
	return out
}

func (w *waits) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.d)
}

// TestWrongPasswordsAreSlowed: past 3 free failures (this test's policy),
// each wrong password of a user from an address waits longer before it is
// checked; other users and correct logins are not slowed, and a correct
// login forgets the failures. A wait longer than half the login timeout is
// not taken: the attempt is refused unchecked, with a banner.
func TestWrongPasswordsAreSlowed(t *testing.T) {
	w := &waits{}
	ts := startServer(t, func(c *Config) {
		c.Users = []User{{Name: "alice", Password: "right"}, {Name: "bob", Password: "right"}}
		c.LoginTimeout = 2 * time.Second
		c.loginPolicy = &throttle.Policy{Free: 3, Base: 100 * time.Millisecond, Max: 5 * time.Second, Forget: time.Minute}
		c.sleep = w.sleep
	})
	login := func(user, password string) (string, error) {
		cfg := clientConfig(user, ssh.Password(password))
		var banner strings.Builder
		cfg.BannerCallback = func(msg string) error { banner.WriteString(msg); return nil }
		_, err := dialSFTP(t, ts.addr, cfg)
		return banner.String(), err
	}
	for i := range 3 {
		if _, err := login("alice", "wrong"); err == nil {
			t.Fatalf("wrong password %d accepted", i+1)
		}
	}
	if got := w.since(0); len(got) != 0 {
		t.Fatalf("the free failures waited %v; want no wait", got)
	}
	mark := w.mark()
	if _, err := login("alice", "wrong"); err == nil {
		t.Fatal("wrong password accepted")
	}
	if _, err := login("alice", "wrong"); err == nil {
		t.Fatal("wrong password accepted")
	}
	if got := w.since(mark); len(got) != 2 || got[0] <= 0 || got[1] <= got[0] {
		t.Fatalf("waits of the 4th and 5th wrong password = %v; want two, growing", got)
	}
	ts.logs.wait(t, "sftp: repeated failed logins", map[string]string{"user": "alice"})

	mark = w.mark()
	if _, err := login("bob", "right"); err != nil {
		t.Fatalf("bob's login: %v", err)
	}
	if got := w.since(mark); len(got) != 0 {
		t.Errorf("another user's correct login waited %v", got)
	}

	// alice's next attempt would wait 400 ms: under half the login timeout,
	// so it is taken, and the correct password then forgets the failures.
	mark = w.mark()
	if _, err := login("alice", "right"); err != nil {
		t.Fatalf("alice's correct password after waiting: %v", err)
	}
	for i := range 5 {
		if _, err := login("alice", "wrong"); err == nil {
			t.Fatalf("wrong password %d accepted", i+1)
		}
	}
	// 3 free, then 100 ms and 200 ms: the failures started afresh.
	if got := w.since(mark); len(got) != 3 || got[1] > 250*time.Millisecond {
		t.Fatalf("waits after a correct login then 5 wrong passwords = %v; want the correct one's wait, then 100ms and 200ms", got)
	}
	// Next waits: 400 ms, 800 ms, then 1.6 s, over half the login
	// timeout: refused unchecked, even with the right password.
	login("alice", "wrong")
	login("alice", "wrong")
	banner, err := login("alice", "right")
	if err == nil {
		t.Fatal("a login whose wait exceeds the limit was checked and accepted")
	}
	if !strings.Contains(banner, "too many failed logins") {
		t.Errorf("banner = %q; want it to say too many failed logins", banner)
	}
}
