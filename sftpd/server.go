package sftpd

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/coupakit/coupakit/internal/throttle"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Close or
// Shutdown.
var ErrServerClosed = errors.New("sftpd: server closed")

// refusedGrace is how long a connection over the session limit may stay to
// read the refusal before it is closed.
const refusedGrace = 10 * time.Second

// Server is an SFTP server playing Coupa's. Create it with New; it is safe
// for concurrent use.
type Server struct {
	cfg       Config
	log       *slog.Logger
	sshConfig *ssh.ServerConfig
	hostKeys  []ssh.Signer
	users     map[string]*account
	order     []string // user names, in Config order
	proc      *processor
	guard     *throttle.Throttle // wrong passwords, by user and address
	sleep     func(ctx context.Context, d time.Duration) bool

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	draining  bool // Shutdown: no new connections
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	sessions  map[string]int // slots taken, by user (see acquire)
	pending   int            // connections logging in
	shedding  bool           // refusing connections over MaxPendingLogins
	connWG    sync.WaitGroup

	drop outgoingGen
	// tenants holds the trees of <user>+<tenant> logins (tenants.go).
	tenants tenantTrees
}

// account is a user with its filesystem.
type account struct {
	User
	keys map[string]bool // authorized keys, by wire encoding
	fs   *userFS
}

// New validates cfg, loads or creates the host keys in cfg.StateDir, builds
// every user's tree with the seeded export files, and starts the processing
// worker. Call Close or Shutdown to release it.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if len(cfg.Users) == 0 {
		cfg.Users = []User{{Name: DefaultUser, Password: DefaultPassword}}
	}
	if cfg.StateDir == "" {
		cfg.StateDir = DefaultStateDir()
	}
	if cfg.ProcessDelay < 0 {
		cfg.ProcessDelay = 0
	}
	if cfg.MaxSessionsPerUser == 0 {
		cfg.MaxSessionsPerUser = DefaultMaxSessionsPerUser
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.LoginTimeout <= 0 {
		cfg.LoginTimeout = DefaultLoginTimeout
	}
	if cfg.MaxPendingLogins == 0 {
		cfg.MaxPendingLogins = DefaultMaxPendingLogins
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := validateUsers(cfg.Users); err != nil {
		return nil, fmt.Errorf("sftpd: %w", err)
	}
	hostKeys, err := loadHostKeys(cfg.StateDir)
	if err != nil {
		return nil, err
	}

	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		hostKeys:  hostKeys,
		users:     make(map[string]*account, len(cfg.Users)),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[net.Conn]struct{}),
		sessions:  make(map[string]int),
		drop:      newOutgoingGen(cfg.Seed),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	policy := throttle.Default
	if cfg.loginPolicy != nil {
		policy = *cfg.loginPolicy
	}
	s.guard = throttle.New(policy, cfg.loginNow)
	s.sleep = cfg.sleep
	if s.sleep == nil {
		s.sleep = sleepCtx
	}
	now := s.now()
	seeded := seedOutgoing(cfg.Seed)
	for _, u := range cfg.Users {
		a := &account{User: u, keys: make(map[string]bool, len(u.AuthorizedKeys)), fs: newUserFS(u.Name, now)}
		for _, k := range u.AuthorizedKeys {
			if bits, ok := rsaBits(k); ok && bits < MinRSABits {
				s.log.Warn("sftp: authorized RSA key is too short and will be refused at login",
					"user", u.Name, "fingerprint", ssh.FingerprintSHA256(k), "bits", bits, "min_bits", MinRSABits)
			} else if why := keyProblem(k); why != "" {
				s.log.Warn("sftp: authorized key will be refused at login",
					"user", u.Name, "fingerprint", ssh.FingerprintSHA256(k), "type", k.Type(), "reason", why)
			}
			a.keys[string(k.Marshal())] = true
		}
		for _, f := range seeded {
			a.fs.addExport(f)
		}
		s.users[u.Name] = a
		s.order = append(s.order, u.Name)
	}

	s.sshConfig = &ssh.ServerConfig{
		ServerVersion:               "SSH-2.0-coupakit",
		PasswordCallback:            s.checkPassword,
		KeyboardInteractiveCallback: s.checkKeyboardInteractive,
		PublicKeyCallback:           s.checkPublicKey,
		AuthLogCallback:             s.logAuth,
	}
	for _, k := range hostKeys {
		s.sshConfig.AddHostKey(k)
	}
	s.proc = newProcessor(s.runPickup)
	return s, nil
}

// now is the configured clock.
func (s *Server) now() time.Time { return s.cfg.Now() }

// HostKeyFingerprint returns the SHA256 fingerprint of the Ed25519 host key,
// the one modern clients pick, as "SHA256:...".
func (s *Server) HostKeyFingerprint() string {
	return ssh.FingerprintSHA256(s.hostKeys[0].PublicKey())
}

// HostKeys returns the public host keys, Ed25519 first then RSA, for
// known_hosts lines (ssh.MarshalAuthorizedKey).
func (s *Server) HostKeys() []ssh.PublicKey {
	keys := make([]ssh.PublicKey, len(s.hostKeys))
	for i, k := range s.hostKeys {
		keys[i] = k.PublicKey()
	}
	return keys
}

// ListenAndServe listens on Config.Addr and serves until Close or Shutdown,
// then returns ErrServerClosed.
func (s *Server) ListenAndServe() error {
	l, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("sftpd: %w", err)
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Close or Shutdown, then returns
// ErrServerClosed; it closes l when it returns. Any other accept error is
// returned as is.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed || s.draining {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()

	s.log.Info("sftp: listening", "addr", l.Addr().String(), "users", s.order, "host_key", s.HostKeyFingerprint())
	var backoff time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("sftp: accept failed; retrying", "err", err, "backoff", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		switch s.track(c) {
		case trackClosed:
			c.Close()
			return ErrServerClosed
		case trackShed:
			c.Close()
			continue
		}
		go s.handleConn(c)
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed || s.draining
}

// Outcomes of track.
const (
	trackOK     = iota // tracked, and counted as logging in
	trackClosed        // the server is closed
	trackShed          // too many connections are logging in
)

// track registers a connection as logging in, unless the server is closed
// or MaxPendingLogins connections are logging in already.
func (s *Server) track(c net.Conn) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.draining {
		return trackClosed
	}
	if limit := s.cfg.MaxPendingLogins; limit > 0 && s.pending >= limit {
		if !s.shedding {
			s.shedding = true
			s.log.Warn("sftp: connection refused: too many pending logins; refusing further ones until one ends",
				"remote", c.RemoteAddr().String(), "limit", limit)
		}
		return trackShed
	}
	s.pending++
	s.conns[c] = struct{}{}
	s.connWG.Add(1)
	return trackOK
}

// loggedIn counts a tracked connection's login as over, done or failed.
func (s *Server) loggedIn() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending--
	s.shedding = false
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.connWG.Done()
}

// Close stops the server at once: listeners and connections are closed
// (open uploads count as interrupted), pending pickups are dropped, and
// Close waits for the connection and processing goroutines to end. It is
// safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for l := range s.listeners {
			l.Close()
		}
		for c := range s.conns {
			c.Close()
		}
	}
	s.mu.Unlock()
	s.connWG.Wait()
	s.cancel()
	s.proc.close()
	return nil
}

// Shutdown stops accepting connections, then waits until every session has
// ended and processing is idle, or ctx is done, and closes the server. It
// returns ctx's error if ctx ended the wait.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	for l := range s.listeners {
		l.Close()
	}
	s.mu.Unlock()

	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !s.drained() {
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-tick.C:
		}
	}
	return s.Close()
}

// drained reports whether no connection is open and processing is idle.
func (s *Server) drained() bool {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	return n == 0 && s.proc.idle()
}

// WaitIdle waits until no incoming file is waiting for a pickup or being
// processed, or ctx is done. A write handle closed (or a rename completed)
// before WaitIdle is called is covered: its pickup is scheduled before the
// client sees the reply. With a ProcessDelay, WaitIdle waits for it.
func (s *Server) WaitIdle(ctx context.Context) error {
	return s.proc.wait(ctx)
}

// checkPassword is the password callback. Past a few wrong passwords for a
// user from an address, each further attempt from there waits its turn
// before it is checked (see package throttle); a turn further away than
// half the login timeout is not waited for: the attempt is refused
// unchecked, with a banner saying why. Correct logins that follow no
// failures never wait.
func (s *Server) checkPassword(md ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
	host := md.RemoteAddr().String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	key := throttle.Key(md.User(), host)
	wait, ok := s.guard.Reserve(key, s.cfg.LoginTimeout/2)
	if !ok {
		secs := int64(math.Ceil(wait.Seconds()))
		s.log.Info("sftp: login refused unchecked: too many failed logins", "user", md.User(), "remote", md.RemoteAddr().String(), "retry_after_s", secs)
		return nil, &ssh.BannerError{
			Err:     fmt.Errorf("too many failed logins; retry in %d s", secs),
			Message: fmt.Sprintf("coupakit sftp: too many failed logins for user %q from %s; retry in %d s.\n", md.User(), host, secs),
		}
	}
	if wait > 0 && !s.sleep(s.ctx, wait) {
		return nil, errors.New("server closing")
	}
	a, tenant := s.account(md.User())
	if a == nil || a.Password == "" || subtle.ConstantTimeCompare([]byte(a.Password), password) != 1 {
		if s.guard.Fail(key) {
			s.log.Warn("sftp: repeated failed logins: further attempts of this user from this address are slowed down",
				"user", md.User(), "remote", md.RemoteAddr().String())
		}
		return nil, errors.New("wrong user name or password")
	}
	s.guard.Succeed(key)
	return nil, s.checkTenant(tenant)
}

// sleepCtx waits d, or until ctx is done; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// checkKeyboardInteractive asks for the password, for clients that send
// passwords through keyboard-interactive authentication.
func (s *Server) checkKeyboardInteractive(md ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
	if a, _ := s.account(md.User()); a == nil || a.Password == "" {
		return nil, errors.New("no password login for this user")
	}
	answers, err := client(md.User(), "", []string{"Password: "}, []bool{false})
	if err != nil {
		return nil, err
	}
	if len(answers) != 1 {
		return nil, errors.New("expected one answer")
	}
	return s.checkPassword(md, []byte(answers[0]))
}

// checkPublicKey is the public key callback. Keys of a refused type (see
// AcceptedKeyTypes) and short RSA keys are refused whoever presents them,
// with a log line and a banner saying why.
func (s *Server) checkPublicKey(md ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	fp := ssh.FingerprintSHA256(key)
	if bits, ok := rsaBits(key); ok && bits < MinRSABits {
		s.log.Warn("sftp: login refused: RSA key shorter than the 2048 bits Coupa requires",
			"user", md.User(), "remote", md.RemoteAddr().String(), "fingerprint", fp, "bits", bits, "min_bits", MinRSABits)
		return nil, &ssh.BannerError{
			Err:     fmt.Errorf("RSA key %s has %d bits, fewer than %d", fp, bits, MinRSABits),
			Message: fmt.Sprintf("coupakit sftp: RSA key %s refused: it has %d bits; at least %d are required.\n", fp, bits, MinRSABits),
		}
	}
	if why := keyProblem(key); why != "" {
		s.log.Warn("sftp: login refused: key type not accepted",
			"user", md.User(), "remote", md.RemoteAddr().String(), "fingerprint", fp, "type", key.Type())
		return nil, &ssh.BannerError{
			Err:     fmt.Errorf("%s key %s refused: %s", key.Type(), fp, why),
			Message: fmt.Sprintf("coupakit sftp: %s key %s refused: %s.\n", key.Type(), fp, why),
		}
	}
	a, tenant := s.account(md.User())
	if a == nil || !a.keys[string(key.Marshal())] {
		return nil, fmt.Errorf("public key %s is not authorized", fp)
	}
	if err := s.checkTenant(tenant); err != nil {
		return nil, err
	}
	return &ssh.Permissions{Extensions: map[string]string{"pubkey-fp": fp}}, nil
}

// logAuth logs login outcomes (not the "none" probe every client starts with).
func (s *Server) logAuth(md ssh.ConnMetadata, method string, err error) {
	attrs := []any{"user", md.User(), "remote", md.RemoteAddr().String(), "method", method}
	var banner *ssh.BannerError
	switch {
	case method == "none":
	case err == nil:
		s.log.Info("sftp: login accepted", attrs...)
	case errors.As(err, &banner):
		// Already logged, with the reason.
	default:
		s.log.Info("sftp: login refused", append(attrs, "reason", err.Error())...)
	}
}
