package sftpcheck_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/coupakit/coupakit/conformance/sftpcheck"
)

// fake is a test-only SFTP server over an in-memory tree, built on
// pkg/sftp's request server, that keeps Coupa's contract unless one of its
// mutations breaks it. Unlike sftpd it knows nothing of CSV: a file closed
// in /Incoming/<Object>/ is moved to /Archive/Incoming/<Object>/ at once.
type fake struct {
	// rename gives some standard folders other names ("/Outgoing/Invoices"
	// -> "Factures"); drop leaves folders out.
	rename map[string]string
	drop   []string
	// neverArchive leaves uploaded files in /Incoming.
	neverArchive bool
	// hostFallback serves paths outside the tree from the host's
	// filesystem, as a server that forgot to confine its users would.
	hostFallback bool
	// laxFolders lets folders be removed and renamed.
	laxFolders bool
	// anyKey accepts every public key, however short.
	anyKey bool
	// symlinks lets links be made, to anything.
	symlinks bool
	// exports replaces the export file of /Outgoing/Invoices; links are
	// symbolic links in the tree from the start.
	exports map[string]string
	links0  map[string]string

	mu    sync.Mutex
	dirs  map[string]bool
	files map[string][]byte
	links map[string]string
}

// serveFake builds f's tree and serves it on loopback; the user logs in as
// coupakit with the password coupakit, or any key that sftpd would accept.
func serveFake(t *testing.T, f *fake) sftpcheck.Target {
	t.Helper()
	f.dirs, f.files, f.links = map[string]bool{"/": true}, map[string][]byte{}, map[string]string{}
	add := func(p string) {
		for from, name := range f.rename {
			if p == from || strings.HasPrefix(p, from+"/") {
				p = path.Join(path.Dir(from), name) + strings.TrimPrefix(p, from)
			}
		}
		if !slices.Contains(f.drop, p) {
			f.dirs[p] = true
		}
	}
	for _, top := range []string{"/Outgoing", "/Incoming", "/Archive", "/Archive/Incoming"} {
		add(top)
	}
	for _, name := range sftpcheck.OutgoingFolders() {
		add("/Outgoing/" + name)
	}
	for _, name := range sftpcheck.IncomingFolders() {
		add("/Incoming/" + name)
		add("/Archive/Incoming/" + name)
	}
	if f.exports == nil && f.dirs["/Outgoing/Invoices"] {
		f.files["/Outgoing/Invoices/Invoices_20261123_101500Z.csv"] = []byte("Invoice Number,Total\r\nINV-1,10.00\r\n\"INV-2\",\"1,000.00\"\r\n")
	}
	for p, data := range f.exports {
		f.files[p] = []byte(data)
	}
	maps.Copy(f.links, f.links0)

	_, hostKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(hostKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{
		PasswordCallback: func(md ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if md.User() == "coupakit" && string(pw) == "coupakit" {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
		PublicKeyCallback: func(md ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if bits, ok := sftpcheck.RSABits(key); ok && bits < sftpcheck.MinRSABits && !f.anyKey {
				return nil, errors.New("short RSA key")
			}
			return nil, nil
		},
	}
	cfg.AddHostKey(signer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.serveConn(c, cfg)
			}()
		}
	}()
	return sftpcheck.Target{URL: "sftp://coupakit@" + l.Addr().String(), Password: "coupakit", RunID: "test",
		Timeout: 300 * time.Millisecond, Poll: 20 * time.Millisecond}
}

func (f *fake) serveConn(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go func() {
			for req := range creqs {
				ok := req.Type == "subsystem" && len(req.Payload) > 4 && string(req.Payload[4:]) == "sftp"
				req.Reply(ok, nil)
				if ok {
					go func() {
						defer ch.Close()
						h := sftp.Handlers{FileGet: f, FilePut: f, FileCmd: f, FileList: f}
						sftp.NewRequestServer(ch, h).Serve()
					}()
				}
			}
		}()
	}
}

// inTree reports whether p is the tree's (a folder, a file or a link).
func (f *fake) inTree(p string) bool {
	return f.dirs[p] || f.files[p] != nil || f.links[p] != ""
}

// resolve follows a link.
func (f *fake) resolve(p string) string {
	if t, ok := f.links[p]; ok {
		if !path.IsAbs(t) {
			t = path.Join(path.Dir(p), t)
		}
		return path.Clean(t)
	}
	return p
}

func (f *fake) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.resolve(r.Filepath)
	if data, ok := f.files[p]; ok {
		return bytes.NewReader(data), nil
	}
	if !f.inTree(p) && (f.hostFallback || (f.symlinks && p != r.Filepath)) {
		return os.Open(p) // a link followed on the host, out of the tree
	}
	return nil, os.ErrNotExist
}

func (f *fake) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	dir := path.Dir(r.Filepath)
	if !f.dirs[dir] || !strings.HasPrefix(dir, "/Incoming/") {
		return nil, os.ErrPermission
	}
	return &fakeUpload{f: f, path: r.Filepath}, nil
}

// fakeUpload is an open upload; Close stores it and archives it.
type fakeUpload struct {
	f    *fake
	path string
	mu   sync.Mutex
	buf  []byte
}

func (u *fakeUpload) WriteAt(b []byte, off int64) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if end := int(off) + len(b); end > len(u.buf) {
		u.buf = append(u.buf, make([]byte, end-len(u.buf))...)
	}
	copy(u.buf[off:], b)
	return len(b), nil
}

func (u *fakeUpload) Close() error {
	u.f.mu.Lock()
	defer u.f.mu.Unlock()
	target := u.path
	if !u.f.neverArchive {
		target = "/Archive" + u.path
	}
	u.f.files[target] = u.buf
	return nil
}

func (f *fake) Filecmd(r *sftp.Request) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := r.Filepath
	switch r.Method {
	case "Remove":
		if f.files[p] == nil && f.links[p] == "" {
			return os.ErrNotExist
		}
		delete(f.files, p)
		delete(f.links, p)
		return nil
	case "Rmdir":
		if !f.laxFolders || !f.dirs[p] {
			return os.ErrPermission
		}
		delete(f.dirs, p)
		return nil
	case "Mkdir":
		if !f.laxFolders {
			return os.ErrPermission
		}
		f.dirs[p] = true
		return nil
	case "Rename":
		switch {
		case f.dirs[r.Target] || f.files[r.Target] != nil:
			return os.ErrExist
		case f.dirs[p] && f.laxFolders:
			for d := range f.dirs {
				if d == p || strings.HasPrefix(d, p+"/") {
					delete(f.dirs, d)
					f.dirs[r.Target+strings.TrimPrefix(d, p)] = true
				}
			}
			return nil
		case f.files[p] != nil:
			f.files[r.Target] = f.files[p]
			delete(f.files, p)
			return nil
		}
		return os.ErrPermission
	case "Symlink":
		// The request's Filepath is the link's target, Target the link.
		if !f.symlinks || !f.dirs[path.Dir(r.Target)] {
			return os.ErrPermission
		}
		f.links[r.Target] = r.Filepath
		return nil
	}
	return sftp.ErrSSHFxOpUnsupported
}

func (f *fake) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := r.Filepath
	switch r.Method {
	case "List":
		if !f.dirs[p] {
			if f.hostFallback && !f.inTree(p) {
				return hostList(p)
			}
			return nil, os.ErrNotExist
		}
		var out listerAt
		for d := range f.dirs {
			if d != "/" && path.Dir(d) == p {
				out = append(out, info{name: path.Base(d), mode: fs.ModeDir | 0o755})
			}
		}
		for fp, data := range f.files {
			if path.Dir(fp) == p {
				out = append(out, info{name: path.Base(fp), mode: 0o644, size: int64(len(data))})
			}
		}
		for lp := range f.links {
			if path.Dir(lp) == p {
				out = append(out, info{name: path.Base(lp), mode: fs.ModeSymlink | 0o777})
			}
		}
		slices.SortFunc(out, func(a, b os.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
		return out, nil
	case "Readlink":
		if t, ok := f.links[p]; ok {
			return listerAt{info{name: t}}, nil
		}
		return nil, os.ErrInvalid
	}
	p = f.resolve(p)
	switch {
	case f.dirs[p]:
		return listerAt{info{name: path.Base(p), mode: fs.ModeDir | 0o755}}, nil
	case f.files[p] != nil:
		return listerAt{info{name: path.Base(p), mode: 0o644, size: int64(len(f.files[p]))}}, nil
	case f.hostFallback:
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		return listerAt{fi}, nil
	}
	return nil, os.ErrNotExist
}

func hostList(p string) (sftp.ListerAt, error) {
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var out listerAt
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			out = append(out, fi)
		}
	}
	return out, nil
}

type info struct {
	name string
	mode fs.FileMode
	size int64
}

func (i info) Name() string       { return i.name }
func (i info) Size() int64        { return i.size }
func (i info) Mode() fs.FileMode  { return i.mode }
func (i info) ModTime() time.Time { return time.Time{} }
func (i info) IsDir() bool        { return i.mode.IsDir() }
func (i info) Sys() any           { return nil }

type listerAt []os.FileInfo

func (l listerAt) ListAt(ls []os.FileInfo, offset int64) (int, error) {
	if offset >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(ls, l[offset:])
	if n < len(ls) {
		return n, io.EOF
	}
	return n, nil
}
