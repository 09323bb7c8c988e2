package sftpcheck_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/coupakit/coupakit/conformance"
	"github.com/coupakit/coupakit/mock"
	"github.com/coupakit/coupakit/sftpd"
)

// TestHonestFakePasses shows that the test-only server keeps the contract
// when no mutation breaks it, so that each mutant below fails for its
// mutation only. Without a Core API the checks that need it are skipped.
func TestHonestFakePasses(t *testing.T) {
	target := serveFake(t, &fake{})
	target.WeakKey = keys().weak
	report := check(t, target)
	if got := failed(report); len(got) > 0 {
		t.Errorf("the honest fake fails %v:%s", got, describe(report))
	}
	st := statuses(report)
	for _, id := range []string{"sftp.tree.outgoing", "sftp.outgoing.csv", "sftp.session.confined", "sftp.folders.fixed", "sftp.keys.weak-rsa", "sftp.import.archive", "sftp.session.symlink"} {
		if st[id] != conformance.Pass {
			t.Errorf("%s: %s, want pass", id, st[id])
		}
	}
	for _, id := range []string{"sftp.import.reported", "sftp.import.malformed", "sftp.import.too-large"} {
		if st[id] != conformance.Skip {
			t.Errorf("%s: %s, want skip without a Core API", id, st[id])
		}
	}
}

// TestFakeMutantsAreCaught runs the checks against test-only servers that
// each break one rule of the contract: the checks of that rule, and only
// they, fail.
func TestFakeMutantsAreCaught(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    *fake
		want []string
	}{
		{"translated folder", &fake{rename: map[string]string{"/Outgoing/Invoices": "Factures"}}, []string{"sftp.tree.english", "sftp.tree.outgoing"}},
		{"translated top folder", &fake{rename: map[string]string{"/Archive": "Archives"}}, []string{"sftp.import.archive", "sftp.import.too-large", "sftp.import.too-many-rows", "sftp.tree.archive", "sftp.tree.english"}},
		{"missing folder", &fake{drop: []string{"/Incoming/Users"}}, []string{"sftp.tree.incoming"}},
		{"file never archived", &fake{neverArchive: true}, []string{"sftp.import.archive", "sftp.import.too-large", "sftp.import.too-many-rows"}},
		{"traversal escapes", &fake{hostFallback: true}, []string{"sftp.session.confined"}},
		{"links lead out", &fake{symlinks: true}, []string{"sftp.session.symlink"}},
		{"folders removable", &fake{laxFolders: true}, []string{"sftp.folders.fixed"}},
		{"short key accepted", &fake{anyKey: true}, []string{"sftp.keys.weak-rsa"}},
		{"export with a BOM", &fake{exports: map[string]string{"/Outgoing/Invoices/Invoices_20261123_101500Z.csv": "\uFEFFInvoice Number,Total\r\nINV-1,10.00\r\n"}}, []string{"sftp.outgoing.csv"}},
		{"export with a ragged row", &fake{exports: map[string]string{"/Outgoing/Invoices/Invoices_20261123_101500Z.csv": "Invoice Number,Total\r\nINV-1\r\n"}}, []string{"sftp.outgoing.csv"}},
		{"export with a bare quote", &fake{exports: map[string]string{"/Outgoing/Invoices/Invoices_20261123_101500Z.csv": "Invoice Number,Total\r\nINV\"1,10\r\n"}}, []string{"sftp.outgoing.csv"}},
		{"export named otherwise", &fake{exports: map[string]string{"/Outgoing/Invoices/invoices-export.csv": "Invoice Number,Total\r\nINV-1,10.00\r\n"}}, []string{"sftp.outgoing.names"}},
		{"link out of the tree", &fake{links0: map[string]string{"/Outgoing/Invoices/passwd": "../../../etc/passwd"}}, []string{"sftp.session.links"}},
		{"link out of the archive", &fake{links0: map[string]string{"/Archive/Incoming/Users/etc": "/etc"}}, []string{"sftp.session.links"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := serveFake(t, tc.f)
			target.WeakKey = keys().weak
			report := check(t, target)
			if got := failed(report); !slices.Equal(got, tc.want) {
				t.Errorf("failed %v, want %v:%s", got, tc.want, describe(report))
			}
		})
	}
}

// TestRecorderMutantsAreCaught wraps the real sftpd's report of processed
// files: a server that imports bad files as a success, or reports nothing,
// is caught through the Core API.
func TestRecorderMutantsAreCaught(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  func(m *mock.Mock) sftpd.Recorder
		want []string
	}{
		{"bad files archived as a success", func(m *mock.Mock) sftpd.Recorder {
			return sftpd.RecorderFunc(func(ctx context.Context, r sftpd.Result) error {
				r.Problems = nil
				return m.RecordFile(ctx, r)
			})
		}, []string{"sftp.import.malformed", "sftp.import.too-large", "sftp.import.too-many-rows"}},
		{"nothing reported", func(*mock.Mock) sftpd.Recorder {
			return sftpd.RecorderFunc(func(context.Context, sftpd.Result) error { return nil })
		}, []string{"sftp.import.malformed", "sftp.import.reported", "sftp.import.too-large", "sftp.import.too-many-rows"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := serveMock(t, tc.rec)
			target := m.sftp
			target.Timeout = 300 * time.Millisecond
			target.Core = connectCore(t, m.coreURL)
			target.Only = only("sftp.import.archive", "sftp.import.reported", "sftp.import.malformed", "sftp.import.too-large", "sftp.import.too-many-rows")
			report := check(t, target)
			if got := failed(report); !slices.Equal(got, tc.want) {
				t.Errorf("failed %v, want %v:%s", got, tc.want, describe(report))
			}
			if n := len(report.Results); n != 5 {
				t.Errorf("%d results, want the 5 selected", n)
			}
		})
	}
}
