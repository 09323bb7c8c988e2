package sftpd

import (
	"io"
	"log/slog"
	"path"
	"strings"
	"testing"

	"github.com/pkg/sftp"
)

// SFTP open flags (SSH_FXF_*), for requests made without a client.
const (
	fxfRead   = 0x01
	fxfWrite  = 0x02
	fxfAppend = 0x04
	fxfCreat  = 0x08
	fxfTrunc  = 0x10
	fxfExcl   = 0x20
)

// FuzzPaths drives the request handlers with arbitrary paths: stat, list,
// read, write, rename, remove, mkdir and rmdir. Nothing may panic; a cleaned
// path is absolute, clean and inside the root; the standard tree never
// changes; no file lives outside a leaf folder; the quota accounting equals
// the bytes of the files. Seeds are in testdata/fuzz/FuzzPaths.
func FuzzPaths(f *testing.F) {
	f.Add(uint8(3), "/Incoming/Invoices/a.csv", "/Incoming/Invoices/b.csv")
	srv, err := New(Config{StateDir: sharedStateDir, Logger: slog.New(slog.DiscardHandler), Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	f.Fuzz(func(t *testing.T, op uint8, p, target string) {
		if cp, err := cleanPath(p); err == nil {
			if !strings.HasPrefix(cp, "/") || path.Clean(cp) != cp || strings.Contains(cp, "/../") || strings.HasSuffix(cp, "/..") {
				t.Fatalf("cleanPath(%q) = %q: not an absolute clean path in the root", p, cp)
			}
		} else if !strings.Contains(p, "\x00") {
			t.Fatalf("cleanPath(%q) failed: %v", p, err)
		}

		fs := newUserFS("fuzz", fixedNow)
		for _, e := range seedOutgoing(1)[:2] {
			fs.addExport(e)
		}
		h := &handler{srv: srv, fs: fs, user: "fuzz", remote: "fuzz"}
		dirs := len(fs.dirs)
		req := func(method, p string, flags uint32) *sftp.Request {
			r := sftp.NewRequest(method, p)
			r.Flags, r.Target = flags, target
			return r
		}
		// A file to act on, and one more operation chosen by op.
		if w, err := h.Filewrite(req("Put", "/Incoming/Invoices/a.csv", fxfWrite|fxfCreat|fxfTrunc)); err == nil {
			w.WriteAt([]byte("a,b\r\n1,2\r\n"), 0)
			w.(io.Closer).Close()
		}
		switch op % 8 {
		case 0:
			h.Filelist(req("Stat", p, 0))
			h.Filelist(req("List", p, 0))
		case 1:
			if r, err := h.Fileread(req("Get", p, fxfRead)); err == nil {
				r.ReadAt(make([]byte, 16), int64(len(target)))
			}
		case 2, 3:
			flags := uint32(fxfWrite | fxfCreat)
			if op&0x10 != 0 {
				flags |= fxfTrunc
			}
			if op&0x20 != 0 {
				flags |= fxfExcl | fxfAppend
			}
			if w, err := h.Filewrite(req("Put", p, flags)); err == nil {
				w.WriteAt([]byte(target), int64(op>>6))
				w.(io.Closer).Close()
			}
		case 4:
			h.Filecmd(req("Rename", p, 0))
		case 5:
			h.PosixRename(req("PosixRename", p, 0))
		case 6:
			h.Filecmd(req("Remove", p, 0))
		case 7:
			h.Filecmd(req("Mkdir", p, 0))
			h.Filecmd(req("Rmdir", p, 0))
			h.Filecmd(req("Symlink", p, 0))
		}

		fs.mu.Lock()
		defer fs.mu.Unlock()
		if len(fs.dirs) != dirs {
			t.Fatalf("the tree changed: %d folders, want %d", len(fs.dirs), dirs)
		}
		var used int64
		for p, d := range fs.dirs {
			if d.files != nil && d.area == areaTree || d.files == nil && d.area != areaTree {
				t.Fatalf("folder %s: files where there should be none, or the reverse", p)
			}
			for name, n := range d.files {
				if n.dir != d || n.name != name || !validName(name) {
					t.Fatalf("file %s/%q is not linked where it is listed", p, name)
				}
				used += int64(len(n.data))
			}
		}
		if used != fs.used {
			t.Fatalf("quota accounting: %d bytes counted, files hold %d", fs.used, used)
		}
	})
}
