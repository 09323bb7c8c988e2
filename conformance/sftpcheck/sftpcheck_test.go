package sftpcheck_test

import (
	"cmp"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/coupakit/coupakit/conformance"
	"github.com/coupakit/coupakit/conformance/sftpcheck"
	"github.com/coupakit/coupakit/sftpd"
)

// TestFoldersAreTheMocksAndTheDocuments shows that the suite expects the
// folders the mock serves, which are the English names of Coupa's page.
func TestFoldersAreTheMocksAndTheDocuments(t *testing.T) {
	if got, want := sftpcheck.OutgoingFolders(), sftpd.OutgoingFolders(); !slices.Equal(got, want) || len(got) != 7 {
		t.Errorf("outgoing folders %v; sftpd serves %v; Coupa documents 7", got, want)
	}
	if got, want := sftpcheck.IncomingFolders(), sftpd.IncomingFolders(); !slices.Equal(got, want) || len(got) != 20 {
		t.Errorf("incoming folders %v; sftpd serves %v; Coupa documents 20", got, want)
	}
}

// TestMockPassesEveryCheck runs every check against the mock (the real
// sftpd server and the mock's Core API), with each way of logging in.
func TestMockPassesEveryCheck(t *testing.T) {
	k := keys()
	for _, tc := range []struct {
		name string
		set  func(*sftpcheck.Target)
	}{
		{"password", func(*sftpcheck.Target) {}},
		{"key", func(tg *sftpcheck.Target) { tg.Password, tg.Key = "", k.login }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := serveMock(t, nil)
			target := m.sftp
			tc.set(&target)
			target.WeakKey = k.weak
			target.Core = connectCore(t, m.coreURL)
			report := check(t, target)
			if len(report.Results) != 17 {
				t.Errorf("%d results, want 17", len(report.Results))
			}
			for _, res := range report.Results {
				if res.Status != conformance.Pass {
					t.Errorf("the mock does not pass:%s", describe(report))
					break
				}
				if res.API != sftpcheck.API {
					t.Errorf("%s: API %q", res.ID, res.API)
				}
			}
			if !report.Passed() || report.Targets["sftp"] != target.URL {
				t.Errorf("passed %v, SFTP URL %q", report.Passed(), report.Targets["sftp"])
			}
			// The run leaves nothing behind, and the tree as it was.
			c := dialSFTP(t, target.URL)
			for _, dir := range []string{"/Incoming/LookupValues", "/Archive/Incoming/LookupValues"} {
				if entries, err := c.ReadDir(dir); err != nil || len(entries) > 0 {
					t.Errorf("%s after the run: %d entries, %v", dir, len(entries), err)
				}
			}
			for _, dir := range []string{"/Outgoing", "/Incoming", "/Archive/Incoming"} {
				entries, err := c.ReadDir(dir)
				if want := map[string]int{"/Outgoing": 7}[dir]; err != nil || len(entries) != cmp.Or(want, 20) {
					t.Errorf("%s after the run: %d entries, %v", dir, len(entries), err)
				}
			}
		})
	}
}

// TestUnusableTargets shows the errors of targets that cannot be judged.
func TestUnusableTargets(t *testing.T) {
	m := serveMock(t, nil)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "sftp://coupakit@" + closed.Addr().String()
	closed.Close()
	for _, tc := range []struct {
		name        string
		set         func(*sftpcheck.Target)
		want        string
		unreachable bool
	}{
		{"wrong password", func(tg *sftpcheck.Target) { tg.Password = "wrong" }, "authentication failed", true},
		{"closed port", func(tg *sftpcheck.Target) { tg.URL = closedURL }, "cannot be reached", true},
		{"password in the URL", func(tg *sftpcheck.Target) { tg.URL = "sftp://coupakit:coupakit@127.0.0.1:22" }, "carries a password", false},
		{"no credentials", func(tg *sftpcheck.Target) { tg.Password = "" }, "give a password, a key or both", false},
		{"weak login key", func(tg *sftpcheck.Target) { tg.Key = keys().weak }, "RSA key of 1024 bits", false},
		{"strong weak key", func(tg *sftpcheck.Target) { tg.WeakKey = keys().login }, "must be an RSA key shorter than 2048", false},
		{"unknown folder", func(tg *sftpcheck.Target) { tg.Folder = "Factures" }, "not a standard /Incoming/ folder", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := m.sftp
			tc.set(&target)
			_, err := sftpcheck.Check(t.Context(), target)
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, conformance.ErrUnreachable) != tc.unreachable {
				t.Errorf("error %v; want %q, unreachable %v", err, tc.want, tc.unreachable)
			}
		})
	}
}

// TestRun gates the mock from go test, each check a subtest.
func TestRun(t *testing.T) {
	m := serveMock(t, nil)
	target := m.sftp
	target.Core = connectCore(t, m.coreURL)
	target.WeakKey = keys().weak
	sftpcheck.Run(t, target)
}
