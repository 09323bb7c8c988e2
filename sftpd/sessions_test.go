package sftpd

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// dialSSH logs in as erp with password pw; cleanup closes the connection.
func dialSSH(t *testing.T, addr string) *ssh.Client {
	t.Helper()
	conn, err := ssh.Dial("tcp", addr, clientConfig("erp", ssh.Password("pw")))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// openSession opens one more SFTP session on conn.
func openSession(t *testing.T, conn *ssh.Client) (*sftp.Client, error) {
	t.Helper()
	c, err := sftp.NewClient(conn)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// wantShortage checks that err is the refusal of a session over the limit.
func wantShortage(t *testing.T, err error) {
	t.Helper()
	var oce *ssh.OpenChannelError
	if !errors.As(err, &oce) || oce.Reason != ssh.ResourceShortage || !strings.Contains(oce.Message, "already has 5 concurrent sessions") {
		t.Fatalf("session over the limit: %v; want a resource shortage naming the limit of 5", err)
	}
}

// TestSessionLimitCountsSessions is the limit of 5 applied to SFTP sessions,
// whatever the connections carrying them: one connection may not open 6,
// and sessions and idle connections add up.
func TestSessionLimitCountsSessions(t *testing.T) {
	t.Run("six sessions on one connection", func(t *testing.T) {
		ts := startServer(t, func(c *Config) { c.Users = []User{{Name: "erp", Password: "pw"}} })
		conn := dialSSH(t, ts.addr)
		var sessions []*sftp.Client
		for i := range DefaultMaxSessionsPerUser {
			c, err := openSession(t, conn)
			if err != nil {
				t.Fatalf("session %d: %v", i+1, err)
			}
			sessions = append(sessions, c)
		}
		_, err := openSession(t, conn)
		wantShortage(t, err)
		ts.logs.wait(t, "sftp: session refused: too many concurrent sessions", map[string]string{"user": "erp", "limit": "5"})
		// The refusal leaves the five sessions working, and ending one
		// frees its slot.
		if _, err := sessions[4].ReadDir("/Incoming"); err != nil {
			t.Fatalf("fifth session after the refusal: %v", err)
		}
		sessions[0].Close()
		ts.logs.wait(t, "sftp: session ended", map[string]string{"user": "erp"})
		if _, err := openSession(t, conn); err != nil {
			t.Fatalf("a session after one ended: %v", err)
		}
	})

	t.Run("sessions and connections add up", func(t *testing.T) {
		ts := startServer(t, func(c *Config) { c.Users = []User{{Name: "erp", Password: "pw"}} })
		busy := dialSSH(t, ts.addr)
		for i := range 3 {
			if _, err := openSession(t, busy); err != nil {
				t.Fatalf("session %d: %v", i+1, err)
			}
		}
		idle1, idle2 := dialSSH(t, ts.addr), dialSSH(t, ts.addr) // no session yet: each holds a slot
		ts.logs.waitN(t, 3, "sftp: connection opened", map[string]string{"user": "erp"})
		_, err := openSession(t, busy)
		wantShortage(t, err)
		_, err = openSession(t, idle1) // its own slot
		if err != nil {
			t.Fatalf("first session of a connection holding a slot: %v", err)
		}
		_, err = openSession(t, idle2)
		if err != nil {
			t.Fatalf("first session of a connection holding a slot: %v", err)
		}
		if _, err := dialSFTP(t, ts.addr, clientConfig("erp", ssh.Password("pw"))); err == nil {
			t.Fatalf("a sixth session on a new connection was accepted")
		} else {
			wantShortage(t, err)
		}
	})
}

// TestIdleSessionIsClosed: a logged-in connection that sends nothing for
// Config.IdleTimeout is closed, and its slot freed.
func TestIdleSessionIsClosed(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.Users = []User{{Name: "erp", Password: "pw"}}
		c.IdleTimeout = 2 * time.Second
	})
	conn := dialSSH(t, ts.addr)
	c, err := openSession(t, conn)
	if err != nil {
		t.Fatal(err)
	}
	// Activity keeps it open past the timeout.
	for range 5 {
		time.Sleep(600 * time.Millisecond)
		if _, err := c.Stat("/Incoming"); err != nil {
			t.Fatalf("active session: %v", err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- conn.Wait() }()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatalf("idle connection still open after %s", waitTimeout)
	}
	ts.logs.wait(t, "sftp: connection closed: idle", map[string]string{"user": "erp", "idle_timeout": "2s"})
}

// TestPendingLoginsAreBounded: connections that do not log in are bounded
// in number (further ones are closed at once) and in time.
func TestPendingLoginsAreBounded(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.MaxPendingLogins = 3
		c.LoginTimeout = 3 * time.Second
	})
	var pending []net.Conn
	for range 3 {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		pending = append(pending, nc)
	}
	// Each pending connection has been sent the server's version line.
	for _, nc := range pending {
		line := make([]byte, 8)
		if _, err := io.ReadFull(nc, line); err != nil || string(line) != "SSH-2.0-" {
			t.Fatalf("pending connection: %q, %v; want the server's version", line, err)
		}
	}
	extra, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	extra.SetReadDeadline(time.Now().Add(waitTimeout))
	if n, err := io.ReadAll(extra); err != nil || len(n) != 0 {
		t.Fatalf("connection over the bound: read %q, %v; want it closed at once, unanswered", n, err)
	}
	ts.logs.wait(t, "sftp: connection refused: too many pending logins", map[string]string{"limit": "3"})

	// Each pending connection is closed once LoginTimeout has passed.
	for _, nc := range pending {
		nc.SetReadDeadline(time.Now().Add(waitTimeout))
		if _, err := io.Copy(io.Discard, nc); err != nil {
			t.Fatalf("pending connection: %v; want it closed by the server", err)
		}
	}
	// With the pending ones gone, a login works.
	if _, err := dialSFTP(t, ts.addr, clientConfig(DefaultUser, ssh.Password(DefaultPassword))); err != nil {
		t.Fatalf("login after the pending connections were closed: %v", err)
	}
}
