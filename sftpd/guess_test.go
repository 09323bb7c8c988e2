package sftpd

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/coupakit/coupakit/internal/throttle"
)

// waits plays the clock of the wrong-password throttle: a wait the server
// takes advances it at once, and is recorded.
type waits struct {
	mu  sync.Mutex
	now time.Time
	d   []time.Duration
}

func (w *waits) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *waits) sleep(_ context.Context, d time.Duration) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	w.now = w.now.Add(d)
	return true
}

// since returns the waits recorded since mark.
func (w *waits) since(mark int) []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.d[mark:])
}

func (w *waits) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.d)
}

// TestWrongPasswordsAreSlowed: past 3 free failures (this test's policy),
// each wrong password of a user from an address waits longer before it is
// checked (1 s, then doubling, on a clock the test plays); other users and
// correct logins are not slowed, and a correct login forgets the failures.
// A wait longer than half the login timeout (15 s) is not taken: the
// attempt is refused unchecked, with a banner.
func TestWrongPasswordsAreSlowed(t *testing.T) {
	w := &waits{now: fixedNow}
	ts := startServer(t, func(c *Config) {
		c.Users = []User{{Name: "alice", Password: "right"}, {Name: "bob", Password: "right"}}
		c.loginPolicy = &throttle.Policy{Free: 3, Base: time.Second, Max: time.Hour, Forget: time.Hour}
		c.sleep, c.loginNow = w.sleep, w.clock
	})
	login := func(user, password string) (string, error) {
		cfg := clientConfig(user, ssh.Password(password))
		var banner strings.Builder
		cfg.BannerCallback = func(msg string) error { banner.WriteString(msg); return nil }
		_, err := dialSFTP(t, ts.addr, cfg)
		return banner.String(), err
	}
	wrong := func(n int) {
		t.Helper()
		for i := range n {
			if _, err := login("alice", "wrong"); err == nil {
				t.Fatalf("wrong password %d accepted", i+1)
			}
		}
	}
	s := time.Second
	wrong(5)
	if diff := cmp.Diff([]time.Duration{1 * s, 2 * s}, w.since(0)); diff != "" {
		t.Fatalf("waits of 5 wrong passwords, 3 free (-want +got):\n%s", diff)
	}
	ts.logs.wait(t, "sftp: repeated failed logins", map[string]string{"user": "alice"})

	mark := w.mark()
	if _, err := login("bob", "right"); err != nil {
		t.Fatalf("bob's login: %v", err)
	}
	if got := w.since(mark); len(got) != 0 {
		t.Errorf("another user's correct login waited %v", got)
	}

	// alice's next turn is 4 s away: under 15 s, so it is waited for, and
	// the correct password then forgets the failures.
	if _, err := login("alice", "right"); err != nil {
		t.Fatalf("alice's correct password after waiting: %v", err)
	}
	wrong(7)
	if diff := cmp.Diff([]time.Duration{4 * s, 1 * s, 2 * s, 4 * s, 8 * s}, w.since(mark)); diff != "" {
		t.Fatalf("waits of a correct login then 7 wrong passwords (-want +got):\n%s", diff)
	}
	// The next turn is 16 s away, more than half the login timeout: the
	// right password is refused unchecked, and takes no turn.
	mark = w.mark()
	banner, err := login("alice", "right")
	if err == nil {
		t.Fatal("a login whose wait exceeds the limit was checked and accepted")
	}
	if !strings.Contains(banner, "too many failed logins") || !strings.Contains(banner, "retry in 16 s") {
		t.Errorf("banner = %q; want it to say too many failed logins, retry in 16 s", banner)
	}
	if got := w.since(mark); len(got) != 0 {
		t.Errorf("the refused attempt waited %v", got)
	}
}
