package sftpd

import (
	"bytes"
	"context"
	"crypto/dsa" //nolint:staticcheck // DSA keys are made only to check that they are refused
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// sharedStateDir holds the host keys of most test servers, so that they are
// generated once.
var sharedStateDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sftpd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedStateDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixedNow is the clock of tests that check names.
var fixedNow = time.Date(2026, 11, 23, 10, 15, 0, 0, time.UTC)

// waitTimeout bounds every wait in the tests.
const waitTimeout = 20 * time.Second

// testCtx returns a context that ends with the test or after waitTimeout.
func testCtx(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	tb.Cleanup(cancel)
	return ctx
}

// memRecorder keeps the results it is given.
type memRecorder struct {
	mu      sync.Mutex
	results []Result
}

func (m *memRecorder) RecordFile(_ context.Context, r Result) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.results = append(m.results, r)
	return nil
}

func (m *memRecorder) all() []Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.results)
}

// logRecord is one captured log line.
type logRecord struct {
	Level slog.Level
	Msg   string
	Attrs map[string]string
}

func (r logRecord) String() string { return fmt.Sprintf("%s %s %v", r.Level, r.Msg, r.Attrs) }

// logCapture is a slog.Handler that keeps every record and lets a test wait
// for one: log lines are the server's events.
type logCapture struct {
	mu      sync.Mutex
	records []logRecord
	changed chan struct{}
}

func newLogCapture() *logCapture { return &logCapture{changed: make(chan struct{})} }

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *logCapture) WithGroup(string) slog.Handler            { return c }

func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{Level: r.Level, Msg: r.Message, Attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, rec)
	close(c.changed)
	c.changed = make(chan struct{})
	return nil
}

// find returns the first record matching msg (a prefix) and attrs.
func (c *logCapture) find(msg string, attrs map[string]string) (logRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.findLocked(msg, attrs)
}

func (c *logCapture) findLocked(msg string, attrs map[string]string) (logRecord, bool) {
next:
	for _, r := range c.records {
		if !strings.HasPrefix(r.Msg, msg) {
			continue
		}
		for k, v := range attrs {
			if r.Attrs[k] != v {
				continue next
			}
		}
		return r, true
	}
	return logRecord{}, false
}

// count counts the records matching msg and attrs.
func (c *logCapture) count(msg string, attrs map[string]string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.records {
		if strings.HasPrefix(r.Msg, msg) {
			ok := true
			for k, v := range attrs {
				ok = ok && r.Attrs[k] == v
			}
			if ok {
				n++
			}
		}
	}
	return n
}

// waitN waits until n records match msg and attrs.
func (c *logCapture) waitN(tb testing.TB, n int, msg string, attrs map[string]string) {
	tb.Helper()
	ctx := testCtx(tb)
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		if c.count(msg, attrs) >= n {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			tb.Fatalf("no %d log records %q %v within %s", n, msg, attrs, waitTimeout)
		}
	}
}

// wait waits for a record matching msg and attrs.
func (c *logCapture) wait(tb testing.TB, msg string, attrs map[string]string) logRecord {
	tb.Helper()
	c.waitN(tb, 1, msg, attrs)
	r, _ := c.find(msg, attrs)
	return r
}

func (c *logCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, r := range c.records {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// testServer is a running server and what it reports.
type testServer struct {
	*Server
	addr string
	rec  *memRecorder
	logs *logCapture
}

// startServer starts a server on 127.0.0.1:0 with seed 42, the shared state
// dir and a recorder; opts adjust the config. Cleanup closes it.
func startServer(tb testing.TB, opts ...func(*Config)) *testServer {
	tb.Helper()
	logs, rec := newLogCapture(), &memRecorder{}
	cfg := Config{StateDir: sharedStateDir, Logger: slog.New(logs), Recorder: rec, Seed: 42}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		tb.Fatalf("listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	tb.Cleanup(func() {
		srv.Close()
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			tb.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		if tb.Failed() {
			tb.Logf("server log:\n%s", logs)
		}
	})
	return &testServer{Server: srv, addr: l.Addr().String(), rec: rec, logs: logs}
}

// waitIdle waits until processing is idle.
func (ts *testServer) waitIdle(tb testing.TB) {
	tb.Helper()
	if err := ts.WaitIdle(testCtx(tb)); err != nil {
		tb.Fatalf("WaitIdle: %v", err)
	}
}

// clientConfig is an SSH client config that accepts any host key.
func clientConfig(user string, auth ...ssh.AuthMethod) *ssh.ClientConfig {
	return &ssh.ClientConfig{User: user, Auth: auth, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: waitTimeout}
}

// dialSFTP logs in and opens an SFTP session; cleanup closes it.
func dialSFTP(tb testing.TB, addr string, cfg *ssh.ClientConfig) (*sftp.Client, error) {
	tb.Helper()
	conn, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	c, err := sftp.NewClient(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	tb.Cleanup(func() {
		c.Close()
		conn.Close()
	})
	return c, nil
}

// login opens an SFTP session as the default user.
func (ts *testServer) login(tb testing.TB) *sftp.Client {
	tb.Helper()
	return ts.loginAs(tb, DefaultUser, DefaultPassword)
}

// loginAs opens an SFTP session as user with password, or fails tb.
func (ts *testServer) loginAs(tb testing.TB, user, password string) *sftp.Client {
	tb.Helper()
	c, err := dialSFTP(tb, ts.addr, clientConfig(user, ssh.Password(password)))
	if err != nil {
		tb.Fatalf("login: %v", err)
	}
	return c
}

var (
	keysMu sync.Mutex
	keys   = map[string]ssh.Signer{}
)

// testKey returns a client key, made once per name: "rsa1024", "rsa2048",
// "dsa" (1024-bit ssh-dss), "ecdsa256", "ecdsa384", "ecdsa521", or any other
// name for an Ed25519 key.
func testKey(tb testing.TB, name string) ssh.Signer {
	tb.Helper()
	keysMu.Lock()
	defer keysMu.Unlock()
	if s, ok := keys[name]; ok {
		return s
	}
	var priv any
	var err error
	switch name {
	case "rsa1024":
		priv, err = rsa.GenerateKey(rand.Reader, 1024)
	case "rsa2048":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "dsa":
		var k dsa.PrivateKey
		if err = dsa.GenerateParameters(&k.Parameters, rand.Reader, dsa.L1024N160); err == nil {
			err = dsa.GenerateKey(&k, rand.Reader)
		}
		priv = &k
	case "ecdsa256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ecdsa384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ecdsa521":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	default:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		tb.Fatalf("key %s: %v", name, err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		tb.Fatalf("key %s: %v", name, err)
	}
	keys[name] = s
	return s
}

// put uploads data to p and closes the file.
func put(tb testing.TB, c *sftp.Client, p string, data []byte) {
	tb.Helper()
	f, err := c.Create(p)
	if err != nil {
		tb.Fatalf("create %s: %v", p, err)
	}
	if _, err := f.Write(data); err != nil {
		tb.Fatalf("write %s: %v", p, err)
	}
	if err := f.Close(); err != nil {
		tb.Fatalf("close %s: %v", p, err)
	}
}

// get downloads p.
func get(tb testing.TB, c *sftp.Client, p string) []byte {
	tb.Helper()
	f, err := c.Open(p)
	if err != nil {
		tb.Fatalf("open %s: %v", p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		tb.Fatalf("read %s: %v", p, err)
	}
	return data
}

// names lists a folder.
func names(tb testing.TB, c *sftp.Client, dir string) []string {
	tb.Helper()
	infos, err := c.ReadDir(dir)
	if err != nil {
		tb.Fatalf("readdir %s: %v", dir, err)
	}
	out := make([]string, 0, len(infos))
	for _, fi := range infos {
		out = append(out, fi.Name())
	}
	slices.Sort(out)
	return out
}

// csvFile builds a CSV file from lines joined by CRLF.
func csvFile(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// csvRows builds a CSV file with a header and n rows of width columns; the
// last value of every row is padded with pad bytes.
func csvRows(n, width, pad int) []byte {
	var b bytes.Buffer
	for i := range width {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "Column %d", i+1)
	}
	b.WriteString("\r\n")
	padding := strings.Repeat("x", pad)
	for r := range n {
		for i := range width {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "v%d-%d", r, i)
		}
		b.WriteString(padding)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// fxCode returns the SFTP status code of a client error, or 0.
func fxCode(err error) uint32 {
	var se *sftp.StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// snapshot returns every file under prefix in a user's tree, by path.
func (ts *testServer) snapshot(user, prefix string) map[string]string {
	u := ts.users[user].fs
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[string]string{}
	for p, d := range u.dirs {
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		for name, f := range d.files {
			out[p+"/"+name] = string(f.data)
		}
	}
	return out
}

// refusal is an operation the server must refuse.
type refusal struct {
	name string
	op   func() error
	want error // fs.ErrNotExist, fs.ErrPermission, or nil for SSH_FX_FAILURE
}

// checkRefusals runs each operation as a subtest and checks how it was
// refused.
func checkRefusals(t *testing.T, tests []refusal) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op()
			switch {
			case err == nil:
				t.Fatalf("succeeded, want refused")
			case tt.want == nil && fxCode(err) != uint32(sftp.ErrSSHFxFailure):
				t.Errorf("error = %v; want SSH_FX_FAILURE", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("error = %v; want %v", err, tt.want)
			}
		})
	}
}
