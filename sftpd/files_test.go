package sftpd

import (
	"io/fs"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestConcurrentUploadsOfOneName: while one upload of a name is open, a
// second is refused, so the file processed is the first writer's, whole.
func TestConcurrentUploadsOfOneName(t *testing.T) {
	ts := startServer(t)
	a, b := ts.login(t), ts.login(t)
	const p = "/Incoming/Invoices/inv.csv"
	first := csvFile("Invoice Number*,Total", "INV-A,1.00", "INV-A2,2.00")
	second := csvFile("Invoice Number*,Total", "INV-B,3.00")

	fa, err := a.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fa.Write(first[:10]); err != nil {
		t.Fatal(err)
	}
	tests := []refusal{
		{"create while uploading", func() error { _, err := b.Create(p); return err }, nil},
		{"open for append while uploading", func() error { _, err := b.OpenFile(p, os.O_WRONLY|os.O_APPEND); return err }, nil},
		{"second handle of the same session", func() error { _, err := a.OpenFile(p, os.O_WRONLY); return err }, nil},
	}
	checkRefusals(t, tests)
	if _, err := fa.Write(first[10:]); err != nil {
		t.Fatal(err)
	}
	if err := fa.Close(); err != nil {
		t.Fatal(err)
	}
	ts.waitIdle(t)
	got := ts.rec.all()
	if len(got) != 1 || got[0].Size != int64(len(first)) || got[0].Rows != 2 {
		t.Fatalf("results = %+v; want the first upload alone, whole (%d bytes, 2 rows)", got, len(first))
	}
	if archived := ts.snapshot(DefaultUser, "/Archive/Incoming/Invoices")["/Archive/Incoming/Invoices/inv.csv"]; archived != string(first) {
		t.Errorf("archived %q; want the first upload %q", archived, first)
	}
	// Once the first is done, the name is free again.
	put(t, b, p, second)
	ts.waitIdle(t)
	if got := ts.rec.all(); len(got) != 2 || got[1].Size != int64(len(second)) {
		t.Fatalf("results = %+v; want the second upload processed after the first", got)
	}
}

// TestReopenedWithoutWritingIsNotProcessed: an interrupted upload stays
// unprocessed when it is reopened and closed without a write; one that is
// completed by a resumed write is processed once.
func TestReopenedWithoutWritingIsNotProcessed(t *testing.T) {
	ts := startServer(t)
	const p = "/Incoming/Invoices/big.csv"
	data := csvRows(200, 3, 10)
	half := len(data) / 2
	conn, c := dialRaw(t, ts.addr)
	f, err := c.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data[:half]); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	ts.logs.wait(t, "sftp: upload interrupted", map[string]string{"path": p})

	c2 := ts.login(t)
	for _, flags := range []int{os.O_WRONLY, os.O_RDWR, os.O_WRONLY | os.O_APPEND} {
		g, err := c2.OpenFile(p, flags)
		if err != nil {
			t.Fatalf("reopen %#x: %v", flags, err)
		}
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ts.waitIdle(t)
	if got := ts.rec.all(); len(got) != 0 {
		t.Fatalf("a partial upload reopened and closed without a write was processed: %+v", got)
	}
	if got := ts.snapshot(DefaultUser, "/Incoming/Invoices")[p]; got != string(data[:half]) {
		t.Fatalf("partial file changed: %d bytes, want %d", len(got), half)
	}

	// Resuming: write the rest at its offset.
	g, err := c2.OpenFile(p, os.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.WriteAt(data[half:], int64(half)); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	ts.waitIdle(t)
	if got := ts.rec.all(); len(got) != 1 || !got[0].OK() || got[0].Size != int64(len(data)) {
		t.Fatalf("results after the resume = %+v; want the whole file processed once", got)
	}
}

// TestProcessedFilesDoNotReturnToIncoming: a file from /Archive/ or
// /Outgoing/ cannot be renamed into /Incoming/, where it would be processed
// again; it must be uploaded anew.
func TestProcessedFilesDoNotReturnToIncoming(t *testing.T) {
	ts := startServer(t)
	c := ts.login(t)
	put(t, c, "/Incoming/Invoices/inv.csv", csvFile("Invoice Number*", "INV-1"))
	ts.waitIdle(t)
	var export string
	for _, folder := range OutgoingFolders() {
		if n := names(t, c, "/Outgoing/"+folder); len(n) > 0 {
			export = "/Outgoing/" + folder + "/" + n[0]
			break
		}
	}
	const archived = "/Archive/Incoming/Invoices/inv.csv"
	tests := []refusal{
		{"archive to Incoming", func() error { return c.Rename(archived, "/Incoming/Invoices/again.csv") }, fs.ErrPermission},
		{"archive to Incoming, posix", func() error { return c.PosixRename(archived, "/Incoming/Invoices/inv.csv") }, fs.ErrPermission},
		{"archive to another Incoming folder", func() error { return c.Rename(archived, "/Incoming/Suppliers/inv.csv") }, fs.ErrPermission},
		{"export to Incoming", func() error { return c.Rename(export, "/Incoming/Invoices/export.csv") }, fs.ErrPermission},
	}
	checkRefusals(t, tests)
	ts.waitIdle(t)
	if got := ts.rec.all(); len(got) != 1 {
		t.Fatalf("results = %+v; want inv.csv processed once", got)
	}
	// Renaming within the archive is still fine.
	if err := c.Rename(archived, "/Archive/Incoming/Invoices/kept.csv"); err != nil {
		t.Fatalf("rename within the archive: %v", err)
	}
	if diff := cmp.Diff([]string{"kept.csv"}, names(t, c, "/Archive/Incoming/Invoices")); diff != "" {
		t.Errorf("archive (-want +got):\n%s", diff)
	}
	if _, ok := ts.logs.find("sftp: request refused", map[string]string{"op": "rename", "path": "/Incoming/Invoices/again.csv"}); !ok {
		t.Errorf("no log line for the refused rename")
	}
}
