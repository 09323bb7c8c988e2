// Package sftpcheck judges an SFTP endpoint (Coupa's, a sandbox's, or a
// stand-in such as coupakit's mock) against Coupa's SFTP flat-file exchange:
// the login (RSA keys of at least 2048 bits, or a password), the standard
// folder tree in English, the export files of /Outgoing, a session confined
// to the tree, fixed standard folders, and (unless the run is read-only)
// the import of files written to /Incoming/<Object>/: archived under
// /Archive/Incoming/<Object>/ within a time limit and, when the Core API is
// given too, reported through it (an integration history record for a good
// file, integration errors for a malformed or oversized one).
//
// Its checks have stable IDs ("sftp.*", listed in conformance/CHECKS.md) and
// produce [conformance.Result] values in a [conformance.Report], so that
// `coupakit check --sftp` reports them with the HTTP checks, in every format.
// It depends on package conformance, github.com/pkg/sftp and
// golang.org/x/crypto/ssh only, never on the mock.
//
// A run that writes uploads files named "coupakit-conformance-<run id>-*.csv"
// into one /Incoming/<Object>/ folder (Target.Folder) and removes what it
// can of them once they are archived. A read-only run writes nothing a
// conforming server accepts: it lists, downloads, resolves paths, and tries
// to remove and rename standard folders (which a conforming server refuses;
// a server that obeys gets the folder back at once).
package sftpcheck

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/coupakit/coupakit/conformance"
)

// API is the value of [conformance.Result].API for the SFTP checks.
const API = "sftp"

// MinRSABits is the shortest RSA key Coupa accepts for SSH login.
const MinRSABits = 2048

// DefaultFolder is the /Incoming/ object folder the writing checks upload
// to unless Target.Folder says otherwise.
const DefaultFolder = "LookupValues"

// Target is the SFTP endpoint to judge and how to log in.
type Target struct {
	// URL is the endpoint, sftp://user@host[:port] (port 22 by default). It
	// must not carry a password.
	URL string
	// Password logs in with password (or keyboard-interactive)
	// authentication; Key with a public key. Give one or both.
	Password string
	Key      ssh.Signer
	// WeakKey, when set, is an RSA key shorter than MinRSABits, authorized
	// for the user on the target, that the server must refuse
	// (sftp.keys.weak-rsa); without it that check is skipped.
	WeakKey ssh.Signer
	// HostKeyCallback verifies the server's host key; nil accepts any host
	// key, and the login check reports its fingerprint.
	HostKeyCallback ssh.HostKeyCallback
	// ReadOnly runs only the checks that change nothing on the target.
	ReadOnly bool
	// Timeout bounds how long an uploaded file may take to be archived and
	// reported (Coupa picks files up every few minutes). Zero means 10
	// minutes, or 30 seconds for a host on the loopback interface.
	Timeout time.Duration
	// Poll is how often the run looks for the outcome of its uploads; zero
	// means Timeout/120, between 50 ms and 5 s.
	Poll time.Duration
	// DialTimeout bounds the TCP connection and the SSH handshake; zero
	// means 30 s.
	DialTimeout time.Duration
	// Folder is the /Incoming/ object folder the writing checks upload to;
	// empty means DefaultFolder.
	Folder string
	// GoodFile, when set, is the CSV uploaded as the good file (one the
	// target's import accepts for Folder); nil means a small file with a
	// header row and one row naming the run.
	GoodFile []byte
	// Core, when set, is the target's Core API: the writing checks look up
	// the outcome of their uploads there (sftp.import.*); without it those
	// that need it are skipped.
	Core *conformance.CoreAPI
	// Only, when set, runs only the checks whose ID it matches.
	Only *regexp.Regexp
	// RunID names the run in the names of the files it uploads; empty
	// means one made of the time.
	RunID string
	// Progress, when set, is called with each result as soon as it is known.
	Progress func(conformance.Result)
}

// Check runs the SFTP checks against target and returns their report, with
// Report.Targets["sftp"] set. It returns an error, with a partial report, when the
// target cannot be judged: a malformed URL or key, or an endpoint that cannot
// be reached or refuses the login (wrapping [conformance.ErrUnreachable]).
// A target that breaks the contract is not an error: see
// [conformance.Report.Passed].
func Check(ctx context.Context, target Target) (conformance.Report, error) {
	r, err := newRun(ctx, target)
	if err != nil {
		return conformance.Report{Targets: map[string]string{"sftp": target.URL}, ReadOnly: target.ReadOnly}, err
	}
	err = r.run()
	return r.report(), err
}

// endpoint is a parsed Target.URL.
type endpoint struct {
	user, addr, host, port string
}

// parseURL reads sftp://user@host[:port].
func parseURL(raw string) (endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("sftpcheck: URL %q: %v", raw, err)
	}
	switch {
	case u.Scheme != "sftp":
		return endpoint{}, fmt.Errorf("sftpcheck: URL %q: want sftp://user@host[:port]", raw)
	case u.User == nil || u.User.Username() == "":
		return endpoint{}, fmt.Errorf("sftpcheck: URL %q names no user: want sftp://user@host[:port]", raw)
	case u.Hostname() == "":
		return endpoint{}, fmt.Errorf("sftpcheck: URL %q names no host", raw)
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return endpoint{}, fmt.Errorf("sftpcheck: URL %q: want sftp://user@host[:port], without a path", raw)
	}
	if _, has := u.User.Password(); has {
		return endpoint{}, fmt.Errorf("sftpcheck: URL %q carries a password: give it in an environment variable instead", u.Redacted())
	}
	port := u.Port()
	if port == "" {
		port = "22"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return endpoint{}, fmt.Errorf("sftpcheck: URL %q: bad port %q", raw, port)
	}
	return endpoint{user: u.User.Username(), host: u.Hostname(), port: port, addr: net.JoinHostPort(u.Hostname(), port)}, nil
}

// loopback reports whether host is a loopback address or localhost.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RSABits returns the modulus length of an RSA key, and false for another
// kind of key.
func RSABits(key ssh.PublicKey) (int, bool) {
	if cert, ok := key.(*ssh.Certificate); ok {
		key = cert.Key
	}
	ck, ok := key.(ssh.CryptoPublicKey)
	if !ok {
		return 0, false
	}
	pk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
	if !ok {
		return 0, false
	}
	return pk.N.BitLen(), true
}

// run is one run of the checks.
type run struct {
	ctx     context.Context
	t       Target
	ep      endpoint
	runID   string
	folder  string
	hostFP  string
	conn    *ssh.Client
	c       *sftp.Client
	results []conformance.Result
}

func newRun(ctx context.Context, t Target) (*run, error) {
	ep, err := parseURL(t.URL)
	if err != nil {
		return nil, err
	}
	if t.Password == "" && t.Key == nil {
		return nil, errors.New("sftpcheck: give a password, a key or both")
	}
	if t.Key != nil {
		if bits, ok := RSABits(t.Key.PublicKey()); ok && bits < MinRSABits {
			return nil, fmt.Errorf("sftpcheck: the login key is an RSA key of %d bits; Coupa requires at least %d (to check that such a key is refused, give it as the weak key)", bits, MinRSABits)
		}
	}
	if t.WeakKey != nil {
		if bits, ok := RSABits(t.WeakKey.PublicKey()); !ok || bits >= MinRSABits {
			return nil, fmt.Errorf("sftpcheck: the weak key must be an RSA key shorter than %d bits; it is a %s key%s", MinRSABits, t.WeakKey.PublicKey().Type(), bitsNote(bits, ok))
		}
	}
	if t.Timeout <= 0 {
		t.Timeout = 10 * time.Minute
		if loopback(ep.host) {
			t.Timeout = 30 * time.Second
		}
	}
	if t.Poll <= 0 {
		t.Poll = min(max(t.Timeout/120, 50*time.Millisecond), 5*time.Second)
	}
	if t.DialTimeout <= 0 {
		t.DialTimeout = 30 * time.Second
	}
	r := &run{ctx: ctx, t: t, ep: ep, runID: t.RunID, folder: cmpOr(t.Folder, DefaultFolder)}
	if !slices.Contains(IncomingFolders(), r.folder) {
		return nil, fmt.Errorf("sftpcheck: folder %q is not a standard /Incoming/ folder (%s)", r.folder, strings.Join(IncomingFolders(), ", "))
	}
	if r.runID == "" {
		r.runID = time.Now().UTC().Format("20060102T150405")
	}
	if !regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`).MatchString(r.runID) {
		return nil, fmt.Errorf("sftpcheck: run ID %q: use 1 to 64 letters, digits, '.', '_' or '-'", r.runID)
	}
	return r, nil
}

func bitsNote(bits int, ok bool) string {
	if !ok {
		return ""
	}
	return fmt.Sprintf(" of %d bits", bits)
}

// report is what the run found.
func (r *run) report() conformance.Report {
	rep := conformance.Report{RunID: r.runID, Targets: map[string]string{"sftp": r.t.URL}, ReadOnly: r.t.ReadOnly}
	rep.Add(slices.Clone(r.results), coverage(r.results)...)
	return rep
}

// coverage lists the SFTP operations the checks are about, in the order
// they first appear, each exercised by the checks that ran (not skipped).
func coverage(results []conformance.Result) []conformance.OperationCoverage {
	var ops []conformance.OperationCoverage
	at := map[string]int{}
	for _, res := range results {
		i, ok := at[res.Operation]
		if !ok {
			i = len(ops)
			at[res.Operation] = i
			ops = append(ops, conformance.OperationCoverage{API: "sftp", Operation: res.Operation})
		}
		if res.Status != conformance.Skip {
			ops[i].Requests++
		}
	}
	return ops
}

// dial connects and logs in with auth.
func (r *run) dial(auth []ssh.AuthMethod) (*ssh.Client, error) {
	hostKey := r.t.HostKeyCallback
	if hostKey == nil {
		hostKey = func(_ string, _ net.Addr, key ssh.PublicKey) error {
			r.hostFP = ssh.FingerprintSHA256(key)
			return nil
		}
	}
	cfg := &ssh.ClientConfig{User: r.ep.user, Auth: auth, HostKeyCallback: hostKey, Timeout: r.t.DialTimeout}
	d := net.Dialer{Timeout: r.t.DialTimeout}
	nc, err := d.DialContext(r.ctx, "tcp", r.ep.addr)
	if err != nil {
		return nil, fmt.Errorf("the SFTP server at %s: %w: %w", r.ep.addr, conformance.ErrUnreachable, err)
	}
	nc.SetDeadline(time.Now().Add(r.t.DialTimeout))
	sc, chans, reqs, err := ssh.NewClientConn(nc, r.ep.addr, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// logins are the authentication methods of the target's credentials.
func (r *run) logins() []ssh.AuthMethod {
	var auth []ssh.AuthMethod
	if r.t.Key != nil {
		auth = append(auth, ssh.PublicKeys(r.t.Key))
	}
	if r.t.Password != "" {
		pw := r.t.Password
		auth = append(auth, ssh.Password(pw), ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
			answers := make([]string, len(qs))
			for i := range qs {
				answers[i] = pw
			}
			return answers, nil
		}))
	}
	return auth
}

// loginError is a refused login: nothing can be checked, as when the
// server cannot be reached.
type loginError struct{ msg string }

func (e *loginError) Error() string { return e.msg }
func (e *loginError) Unwrap() error { return conformance.ErrUnreachable }

// run logs in, then runs the checks in order.
func (r *run) run() error {
	conn, err := r.dial(r.logins())
	if err != nil {
		if errors.Is(err, conformance.ErrUnreachable) || r.ctx.Err() != nil {
			return fmt.Errorf("sftpcheck: %w", err)
		}
		return &loginError{fmt.Sprintf("sftpcheck: authentication failed: the SFTP server at %s refused the login of %q: %v", r.ep.addr, r.ep.user, err)}
	}
	r.conn = conn
	defer conn.Close()
	// SFTP requests have no deadline of their own: the end of ctx ends them.
	stop := context.AfterFunc(r.ctx, func() { conn.Close() })
	defer stop()
	r.c, err = sftp.NewClient(conn)
	if login := r.checkLogin(err); r.selected(login.ID) || err != nil {
		r.record(login)
	}
	if err != nil {
		for _, chk := range r.checks() {
			if chk.id != "sftp.login" && r.selected(chk.id) {
				r.record(chk.result(conformance.Skip, "the login did not open an SFTP session", nil))
			}
		}
		return nil
	}
	defer r.c.Close()
	for _, chk := range r.checks() {
		if chk.id == "sftp.login" || !r.selected(chk.id) {
			continue
		}
		if err := r.ctx.Err(); err != nil {
			return err
		}
		switch {
		case chk.writes && r.t.ReadOnly:
			r.record(chk.result(conformance.Skip, "read-only run: this check writes to the target", nil))
			continue
		case chk.run == nil:
			continue // an import check: runImports runs them together
		}
		r.record(r.exec(chk))
	}
	if !r.t.ReadOnly {
		r.runImports()
	}
	return r.ctx.Err()
}

func (r *run) selected(id string) bool { return r.t.Only == nil || r.t.Only.MatchString(id) }

func (r *run) record(res conformance.Result) {
	r.results = append(r.results, res)
	if r.t.Progress != nil {
		r.t.Progress(res)
	}
}

func (r *run) checkLogin(sessionErr error) conformance.Result {
	chk := r.find("sftp.login")
	how := "password"
	if r.t.Key != nil {
		how = r.t.Key.PublicKey().Type() + " key " + ssh.FingerprintSHA256(r.t.Key.PublicKey())
		if bits, ok := RSABits(r.t.Key.PublicKey()); ok {
			how += fmt.Sprintf(" (%d bits)", bits)
		}
		if r.t.Password != "" {
			how += " or password"
		}
	}
	if sessionErr != nil {
		return chk.result(conformance.Fail, "", []conformance.Problem{{
			Message: fmt.Sprintf("logged in as %q with the %s, but the sftp subsystem did not start: %v", r.ep.user, how, sessionErr),
			Request: r.sftpCommand("pwd"),
		}})
	}
	msg := fmt.Sprintf("logged in as %q with the %s; server %s", r.ep.user, how, string(r.conn.ServerVersion()))
	if r.hostFP != "" {
		msg += "; host key " + r.hostFP + " (not verified)"
	}
	return chk.result(conformance.Pass, msg, nil)
}

// sftpCommand is the OpenSSH sftp command line that shows a problem: cmds
// run in batch mode.
func (r *run) sftpCommand(cmds ...string) string {
	port := ""
	if r.ep.port != "22" {
		port = " -P " + r.ep.port
	}
	return fmt.Sprintf("printf '%%s\\n' %s | sftp -b -%s %s@%s", shellQuoteAll(cmds), port, r.ep.user, r.ep.host)
}

func shellQuoteAll(cmds []string) string {
	q := make([]string, len(cmds))
	for i, c := range cmds {
		q[i] = "'" + strings.ReplaceAll(c, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
