package sftpcheck_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/coupakit/coupakit/conformance"
	"github.com/coupakit/coupakit/conformance/sftpcheck"
	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/sftpd"
)

// stateDir holds the host keys of the test servers, generated once.
var stateDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sftpcheck-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stateDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// keys are generated once: RSA generation is slow under the race detector.
var keys = sync.OnceValue(func() (k struct{ login, weak ssh.Signer }) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	if k.login, err = ssh.NewSignerFromKey(edKey); err != nil {
		panic(err)
	}
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		panic(err)
	}
	if k.weak, err = ssh.NewSignerFromKey(weak); err != nil {
		panic(err)
	}
	return k
})

// mockTarget is coupakit's mock: the real sftpd server recording into the
// mock, and the mock's Core API.
type mockTarget struct {
	sftp     sftpcheck.Target
	coreURL  string
	server   *sftpd.Server
	mock     *mock.Mock
	recorder sftpd.Recorder
}

// serveMock serves the real sftpd, recording through rec(m) (m itself when
// rec is nil), with the mock's Core API on loopback; the user may log in
// with the password "coupakit", the login key and the weak key.
func serveMock(t *testing.T, rec func(m *mock.Mock) sftpd.Recorder) mockTarget {
	t.Helper()
	m, err := mock.New(mock.Options{Seed: 1, Records: 5})
	if err != nil {
		t.Fatal(err)
	}
	var recorder sftpd.Recorder = m
	if rec != nil {
		recorder = rec(m)
	}
	k := keys()
	srv, err := sftpd.New(sftpd.Config{
		Users:    []sftpd.User{{Name: "coupakit", Password: "coupakit", AuthorizedKeys: []ssh.PublicKey{k.login.PublicKey(), k.weak.PublicKey()}}},
		StateDir: stateDir, Seed: 1, Recorder: recorder,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	m.AttachSFTP(srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	core := httptest.NewServer(m.CoreHandler())
	t.Cleanup(core.Close)
	return mockTarget{
		sftp:    sftpcheck.Target{URL: "sftp://coupakit@" + l.Addr().String(), Password: "coupakit", RunID: "test", Timeout: 10 * time.Second},
		coreURL: core.URL, server: srv, mock: m,
	}
}

// dialSFTP logs in to url as coupakit with the password coupakit.
func dialSFTP(t *testing.T, url string) *sftp.Client {
	t.Helper()
	conn, err := ssh.Dial("tcp", strings.TrimPrefix(url, "sftp://coupakit@"), &ssh.ClientConfig{
		User: "coupakit", Auth: []ssh.AuthMethod{ssh.Password("coupakit")},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// connectCore connects to a Core API for the import checks.
func connectCore(t *testing.T, baseURL string) *conformance.CoreAPI {
	t.Helper()
	api, err := conformance.ConnectCore(t.Context(), conformance.Target{BaseURL: baseURL})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// check runs the checks and fails the test on an error.
func check(t *testing.T, target sftpcheck.Target) conformance.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	report, err := sftpcheck.Check(ctx, target)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return report
}

// statuses maps each check's ID to its status.
func statuses(r conformance.Report) map[string]conformance.Status {
	out := map[string]conformance.Status{}
	for _, res := range r.Results {
		out[res.ID] = res.Status
	}
	return out
}

// failed lists the IDs of the failed checks.
func failed(r conformance.Report) []string {
	var out []string
	for _, res := range r.Results {
		if res.Status == conformance.Fail {
			out = append(out, res.ID)
		}
	}
	slices.Sort(out)
	return out
}

// describe words every check that did not pass.
func describe(r conformance.Report) string {
	var b strings.Builder
	for _, res := range r.Results {
		if res.Status == conformance.Pass {
			continue
		}
		fmt.Fprintf(&b, "\n%s %s: %s", res.Status, res.ID, res.Message)
		for _, p := range res.Problems[min(1, len(res.Problems)):] {
			fmt.Fprintf(&b, "\n    - %s", p.Message)
		}
	}
	return b.String()
}

// only matches the IDs given.
func only(ids ...string) *regexp.Regexp {
	for i, id := range ids {
		ids[i] = regexp.QuoteMeta(id)
	}
	return regexp.MustCompile(`^(` + strings.Join(ids, "|") + `)$`)
}
