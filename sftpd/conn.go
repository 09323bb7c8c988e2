package sftpd

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// acquire takes one of user's session slots. A logged-in connection holds
// one slot, which its first session channel uses; each further concurrent
// session channel takes one more. So a user's slots are the sum, over their
// connections, of max(1, open sessions).
func (s *Server) acquire(user string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit := s.cfg.MaxSessionsPerUser; limit > 0 && s.sessions[user] >= limit {
		return s.sessions[user], false
	}
	s.sessions[user]++
	return s.sessions[user], true
}

// slots returns how many session slots user holds.
func (s *Server) slots(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[user]
}

func (s *Server) release(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions[user]--; s.sessions[user] <= 0 {
		delete(s.sessions, user)
	}
}

// limitMessage is what a client over the session limit is told.
func (s *Server) limitMessage(user string) string {
	return fmt.Sprintf("coupakit sftp: user %q already has %d concurrent sessions, the most allowed (Coupa allows at most %d per user); close one and retry",
		user, s.cfg.MaxSessionsPerUser, DefaultMaxSessionsPerUser)
}

// deadlineConn is a connection whose reads and writes each must make
// progress within idle, once idle is set (after login); before that the
// login deadline set on the connection holds.
type deadlineConn struct {
	net.Conn
	idle     atomic.Int64 // a time.Duration; 0 while logging in or when off
	timedOut atomic.Bool
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	if d := time.Duration(c.idle.Load()); d > 0 {
		c.Conn.SetReadDeadline(time.Now().Add(d))
	}
	n, err := c.Conn.Read(b)
	c.noteTimeout(err)
	return n, err
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if d := time.Duration(c.idle.Load()); d > 0 {
		c.Conn.SetWriteDeadline(time.Now().Add(d))
	}
	n, err := c.Conn.Write(b)
	c.noteTimeout(err)
	return n, err
}

func (c *deadlineConn) noteTimeout(err error) {
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		c.timedOut.Store(true)
	}
}

// handleConn runs one SSH connection: the login within LoginTimeout, then
// its session channels, each counted against the user's limit, until the
// client leaves or the connection is idle for IdleTimeout.
func (s *Server) handleConn(c net.Conn) {
	defer s.untrack(c)
	defer c.Close()
	remote := c.RemoteAddr().String()

	dc := &deadlineConn{Conn: c}
	c.SetDeadline(time.Now().Add(s.cfg.LoginTimeout))
	sconn, chans, reqs, err := ssh.NewServerConn(dc, s.sshConfig)
	s.loggedIn()
	if err != nil {
		if dc.timedOut.Load() {
			s.log.Info("sftp: connection closed: no login within the login timeout", "remote", remote, "login_timeout", s.cfg.LoginTimeout.String())
		} else {
			s.log.Debug("sftp: handshake ended", "remote", remote, "err", err)
		}
		return
	}
	if idle := s.cfg.IdleTimeout; idle > 0 {
		dc.idle.Store(int64(idle))
		c.SetReadDeadline(time.Now().Add(idle))
		c.SetWriteDeadline(time.Time{})
	} else {
		c.SetDeadline(time.Time{})
	}
	defer sconn.Close()
	go ssh.DiscardRequests(reqs)
	user := sconn.User()
	a, tenant := s.account(user)
	tree := s.treeOf(a, tenant)

	n, ok := s.acquire(user)
	if !ok {
		s.refuseConn(sconn, chans, user, remote)
		return
	}
	defer s.release(user)
	s.log.Info("sftp: connection opened", "user", user, "remote", remote, "sessions", n)

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		open int // session channels open on this connection
	)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		mu.Lock()
		n, ok := s.slots(user), true
		if open > 0 {
			n, ok = s.acquire(user)
		}
		if ok {
			open++
		}
		mu.Unlock()
		if !ok {
			s.log.Warn("sftp: session refused: too many concurrent sessions", "user", user, "remote", remote, "limit", s.cfg.MaxSessionsPerUser)
			nc.Reject(ssh.ResourceShortage, s.limitMessage(user))
			continue
		}
		closed := func() {
			mu.Lock()
			defer mu.Unlock()
			if open--; open > 0 {
				s.release(user)
			}
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			closed()
			continue
		}
		s.log.Info("sftp: session started", "user", user, "remote", remote, "sessions", n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveChannel(ch, creqs, &handler{srv: s, fs: tree, user: user, remote: remote})
			closed()
			s.log.Info("sftp: session ended", "user", user, "remote", remote)
		}()
	}
	wg.Wait()
	if dc.timedOut.Load() {
		s.log.Info("sftp: connection closed: idle for the idle timeout", "user", user, "remote", remote, "idle_timeout", s.cfg.IdleTimeout.String())
		return
	}
	s.log.Info("sftp: connection closed", "user", user, "remote", remote)
}

// refuseConn turns away a connection whose user has every session slot
// taken: its channels are rejected with a message naming the limit.
func (s *Server) refuseConn(sconn *ssh.ServerConn, chans <-chan ssh.NewChannel, user, remote string) {
	s.log.Warn("sftp: session refused: too many concurrent sessions", "user", user, "remote", remote, "limit", s.cfg.MaxSessionsPerUser)
	t := time.AfterFunc(refusedGrace, func() { sconn.Close() })
	defer t.Stop()
	msg := s.limitMessage(user)
	for nc := range chans {
		nc.Reject(ssh.ResourceShortage, msg)
	}
}

// serveChannel answers a session channel's requests: the sftp subsystem is
// the only thing offered.
func (s *Server) serveChannel(ch ssh.Channel, reqs <-chan *ssh.Request, h *handler) {
	var wg sync.WaitGroup
	started := false
	for req := range reqs {
		ok := false
		if req.Type == "subsystem" && !started {
			var p struct{ Name string }
			ok = ssh.Unmarshal(req.Payload, &p) == nil && p.Name == "sftp"
		}
		if req.WantReply {
			req.Reply(ok, nil)
		}
		if !ok {
			continue
		}
		started = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer ch.Close()
			rs := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
			if err := rs.Serve(); err != nil && !errors.Is(err, io.EOF) {
				s.log.Debug("sftp: subsystem ended", "user", h.user, "remote", h.remote, "err", err)
			}
		}()
	}
	wg.Wait()
}
