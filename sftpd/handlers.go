package sftpd

import (
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/pkg/sftp"
)

// handler serves one SFTP session of one user. It implements the
// request-server interfaces of github.com/pkg/sftp.
type handler struct {
	srv    *Server
	fs     *userFS
	user   string
	remote string
}

var (
	_ sftp.FileReader           = (*handler)(nil)
	_ sftp.OpenFileWriter       = (*handler)(nil)
	_ sftp.PosixRenameFileCmder = (*handler)(nil)
	_ sftp.LstatFileLister      = (*handler)(nil)
	_ sftp.RealPathFileLister   = (*handler)(nil)
)

// refused logs an operation refused for a reason worth telling the
// developer (not "no such file" or "already exists", which clients cause
// routinely) and returns err.
func (h *handler) refused(op, p string, err error) error {
	h.srv.log.Info("sftp: request refused", "user", h.user, "remote", h.remote, "op", op, "path", p, "reason", err.Error())
	return err
}

// deny refuses op on p with SSH_FX_PERMISSION_DENIED, and logs why.
func (h *handler) deny(op, p, why string) error {
	return h.refused(op, p, errDenied(op, p, why))
}

// fail refuses op on p with SSH_FX_FAILURE, and logs why.
func (h *handler) fail(op, p, why string) error {
	return h.refused(op, p, errFailure(op, p, why))
}

// Fileread opens a file for download.
func (h *handler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	p, err := cleanPath(r.Filepath)
	if err != nil {
		return nil, err
	}
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	dir, file, _ := h.fs.lookup(p)
	switch {
	case dir != nil:
		return nil, h.fail("open", p, "is a directory")
	case file == nil:
		return nil, errNotExist("open", p)
	}
	return &readHandle{fs: h.fs, node: file}, nil
}

// Filewrite opens a file for upload.
func (h *handler) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return h.openWrite(r)
}

// OpenFile opens a file for reading and writing on one handle.
func (h *handler) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	return h.openWrite(r)
}

func (h *handler) openWrite(r *sftp.Request) (*writeHandle, error) {
	p, err := cleanPath(r.Filepath)
	if err != nil {
		return nil, err
	}
	flags := r.Pflags()
	now := h.srv.now()
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	dir, file, parent := h.fs.lookup(p)
	switch {
	case dir != nil:
		return nil, h.fail("open", p, "is a directory")
	case parent == nil:
		return nil, errNotExist("open", p)
	case parent.area != areaIncoming:
		return nil, h.deny("open", p, "files can be written only into /Incoming/<Object>/")
	case !validName(path.Base(p)):
		return nil, h.fail("open", p, "invalid file name")
	}
	fresh := file == nil || flags.Trunc
	switch {
	case file == nil:
		if !flags.Creat {
			return nil, errNotExist("open", p)
		}
		file = &fileNode{modTime: now}
		h.fs.link(parent, file, path.Base(p), now)
	case flags.Creat && flags.Excl:
		return nil, errExist("open", p)
	case file.writers > 0:
		// One writer at a time: two uploads of one name would interleave
		// into a file neither wrote.
		return nil, h.fail("open", p, "the file is being uploaded on another handle; retry once that upload is closed")
	}
	if flags.Trunc && len(file.data) > 0 {
		h.fs.used -= int64(len(file.data))
		file.data, file.shared = nil, false
		file.modTime = now
	}
	if fresh {
		// A new upload starts: earlier failures no longer count. A
		// reopened file keeps its state until the handle writes (a resumed
		// upload), so that opening and closing an interrupted upload does
		// not make it complete.
		file.broken = false
	}
	file.writers++
	file.complete = false
	return &writeHandle{h: h, node: file, path: p, resumed: fresh}, nil
}

// Filecmd runs setstat, rename, rmdir, mkdir, remove and (refused) links.
func (h *handler) Filecmd(r *sftp.Request) error {
	p, err := cleanPath(r.Filepath)
	if err != nil {
		return err
	}
	switch r.Method {
	case "Setstat":
		return h.setstat(p, r)
	case "Rename":
		return h.rename(p, r.Target, false)
	case "Remove":
		return h.remove(p)
	case "Rmdir":
		return h.rmdir(p)
	case "Mkdir":
		return h.mkdir(p)
	case "Link", "Symlink":
		// For Symlink the request's Filepath is the link's target, which
		// may be anything: report the link's own path.
		target, err := cleanPath(r.Target)
		if err != nil {
			return err
		}
		return h.deny("link", target, "links are not supported")
	}
	return sftp.ErrSSHFxOpUnsupported
}

// PosixRename renames, replacing an existing target file.
func (h *handler) PosixRename(r *sftp.Request) error {
	p, err := cleanPath(r.Filepath)
	if err != nil {
		return err
	}
	return h.rename(p, r.Target, true)
}

func (h *handler) setstat(p string, r *sftp.Request) error {
	now := h.srv.now()
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	dir, file, _ := h.fs.lookup(p)
	switch {
	case dir != nil:
		return h.deny("setstat", p, "standard folders cannot be changed")
	case file == nil:
		return errNotExist("setstat", p)
	case file.dir.area != areaIncoming:
		return h.deny("setstat", p, "only files in /Incoming/<Object>/ can be changed")
	}
	flags, attrs := r.AttrFlags(), r.Attributes()
	if attrs == nil {
		return nil
	}
	if flags.Size {
		size := int64(attrs.Size)
		if attrs.Size > MaxUploadBytes {
			return h.fail("setstat", p, "size beyond the upload cap")
		}
		if delta := size - int64(len(file.data)); delta > 0 && !h.fs.reserve(delta, now) {
			return h.fail("setstat", p, "storage quota exceeded")
		} else if delta < 0 {
			h.fs.used += delta
		}
		file.resize(size)
		file.modTime = now
	}
	if flags.Acmodtime {
		file.modTime = attrs.ModTime()
	}
	// Permissions and ownership mean nothing here; accepting them keeps
	// "put -p" working.
	return nil
}

func (h *handler) rename(src, target string, replace bool) error {
	dst, err := cleanPath(target)
	if err != nil {
		return err
	}
	now := h.srv.now()
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	sdir, sfile, _ := h.fs.lookup(src)
	switch {
	case sdir != nil:
		return h.deny("rename", src, "standard folders cannot be renamed")
	case sfile == nil:
		return errNotExist("rename", src)
	}
	if src == dst {
		return nil
	}
	ddir, dfile, dparent := h.fs.lookup(dst)
	switch {
	case ddir != nil:
		return h.deny("rename", dst, "a standard folder cannot be replaced")
	case dparent == nil:
		return errNotExist("rename", dst)
	case dparent.files == nil:
		return h.deny("rename", dst, "files belong in /Incoming/<Object>/")
	case dparent != sfile.dir && dparent.area != areaIncoming:
		return h.deny("rename", dst, "files can be moved only into /Incoming/<Object>/ or within their folder")
	case dparent.area == areaIncoming && sfile.dir.area != areaIncoming:
		return h.deny("rename", dst, "a file from /Archive/ or /Outgoing/ cannot be moved into /Incoming/, where it would be processed again; upload it anew")
	case !validName(path.Base(dst)):
		return h.fail("rename", dst, "invalid file name")
	case dfile != nil && !replace:
		return errExist("rename", dst)
	}
	if dfile != nil {
		h.fs.unlink(dfile, now)
	}
	delete(sfile.dir.files, sfile.name)
	sfile.dir.modTime = now
	h.fs.link(dparent, sfile, path.Base(dst), now)
	if dparent.area != areaArchive {
		sfile.archived = 0 // only archived files are evicted
	}
	if dparent.area == areaIncoming && sfile.complete && sfile.writers == 0 {
		h.srv.schedulePickup(h.fs, dparent)
	}
	return nil
}

func (h *handler) remove(p string) error {
	now := h.srv.now()
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	dir, file, _ := h.fs.lookup(p)
	switch {
	case dir != nil:
		return h.deny("remove", p, "standard folders cannot be removed")
	case file == nil:
		return errNotExist("remove", p)
	}
	h.fs.unlink(file, now)
	return nil
}

func (h *handler) rmdir(p string) error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	dir, file, _ := h.fs.lookup(p)
	switch {
	case dir != nil:
		return h.deny("rmdir", p, "standard folders cannot be removed")
	case file != nil:
		return h.fail("rmdir", p, "not a directory")
	}
	return errNotExist("rmdir", p)
}

func (h *handler) mkdir(p string) error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	dir, file, _ := h.fs.lookup(p)
	if dir != nil || file != nil {
		return errExist("mkdir", p)
	}
	return h.deny("mkdir", p, "only the standard Coupa folders exist")
}

// Filelist lists a folder, or stats a path.
func (h *handler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	p, err := cleanPath(r.Filepath)
	if err != nil {
		return nil, err
	}
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	dir, file, _ := h.fs.lookup(p)
	if dir == nil && file == nil {
		return nil, errNotExist(opName(r.Method), p)
	}
	switch r.Method {
	case "List":
		if dir == nil {
			return nil, h.fail("list", p, "not a directory")
		}
		var infos listerAt
		for _, c := range dir.children {
			infos = append(infos, dirInfo(c))
		}
		for _, f := range dir.files {
			infos = append(infos, fileInfoOf(f))
		}
		slices.SortFunc(infos, func(a, b os.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
		return infos, nil
	case "Readlink":
		return nil, errFailure("readlink", p, "not a symbolic link")
	}
	if dir != nil {
		return listerAt{dirInfo(dir)}, nil
	}
	return listerAt{fileInfoOf(file)}, nil
}

// Lstat is Stat: there are no symbolic links.
func (h *handler) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	return h.Filelist(r)
}

// RealPath resolves p inside the user's root without requiring it to exist.
func (h *handler) RealPath(p string) (string, error) {
	return cleanPath(p)
}

// readHandle is an open download.
type readHandle struct {
	fs   *userFS
	node *fileNode
}

// ReadAt reads from the file as it is now.
func (rh *readHandle) ReadAt(b []byte, off int64) (int, error) {
	rh.fs.mu.Lock()
	defer rh.fs.mu.Unlock()
	return readAt(rh.node.data, b, off)
}

func readAt(data, b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &os.PathError{Op: "read", Err: syscall.EINVAL}
	}
	if off >= int64(len(data)) {
		return 0, io.EOF
	}
	n := copy(b, data[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// writeHandle is an open upload. The request server calls TransferError
// when the connection drops with the handle open, then Close.
type writeHandle struct {
	h    *handler
	node *fileNode
	path string

	// resumed is set once the handle may make the file complete: at open
	// for a new or truncated file, at its first write for a reopened one.
	// Guarded by the userFS mutex.
	resumed bool

	mu          sync.Mutex
	closed      bool
	failed      error // a write was refused
	transferErr error // the connection dropped
}

// ReadAt reads back what was written.
func (w *writeHandle) ReadAt(b []byte, off int64) (int, error) {
	w.h.fs.mu.Lock()
	defer w.h.fs.mu.Unlock()
	return readAt(w.node.data, b, off)
}

// WriteAt writes at off. Writes on one handle may arrive concurrently and
// out of order.
func (w *writeHandle) WriteAt(b []byte, off int64) (int, error) {
	if n, err, ok := w.dropUpload(b, off); ok { // SFTP faults: faults.go
		return n, err
	}
	u := w.h.fs
	now := w.h.srv.now()
	u.mu.Lock()
	defer u.mu.Unlock()
	n := w.node
	end := off + int64(len(b))
	var err error
	switch {
	case off < 0:
		return 0, &os.PathError{Op: "write", Path: w.path, Err: syscall.EINVAL}
	case end > MaxUploadBytes:
		err = errFailure("write", w.path, "file is larger than the server's 16 MiB cap (Coupa accepts at most 8 MB)")
	case end > int64(len(n.data)) && n.dir != nil && !u.reserve(end-int64(len(n.data)), now):
		err = errFailure("write", w.path, "storage quota exceeded")
	}
	if err != nil {
		n.broken = true
		w.mu.Lock()
		if w.failed == nil {
			w.failed = err
			w.h.refused("write", w.path, err)
		}
		w.mu.Unlock()
		return 0, err
	}
	if !w.resumed {
		// A reopened upload is resumed: it may now complete the file.
		w.resumed = true
		n.broken = false
	}
	if end > int64(len(n.data)) {
		n.resize(end)
	} else {
		n.own()
	}
	copy(n.data[off:], b)
	n.modTime = now
	return len(b), nil
}

// TransferError records that the connection dropped with the handle open.
func (w *writeHandle) TransferError(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.transferErr == nil {
		w.transferErr = err
	}
}

// Close ends the upload. Only a clean close of the last write handle makes
// the file complete, which schedules a pickup when it is in /Incoming/.
func (w *writeHandle) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	terr, failed := w.transferErr, w.failed
	w.mu.Unlock()

	u, srv := w.h.fs, w.h.srv
	now := srv.now()
	u.mu.Lock()
	n := w.node
	n.writers--
	if terr != nil || failed != nil {
		n.broken = true
	}
	last := n.writers == 0
	if last {
		n.complete = !n.broken
		if c := cap(n.data); !n.shared && c > len(n.data)+len(n.data)/4+4096 {
			n.data = slices.Clone(n.data) // give back the growth slack
		}
	}
	where, size := n.pathOf(), len(n.data)
	if last && n.complete {
		n.receivedAt = now
		if n.dir != nil && n.dir.area == areaIncoming {
			srv.schedulePickup(u, n.dir)
		}
	}
	complete := n.complete
	u.mu.Unlock()

	attrs := []any{"user", w.h.user, "remote", w.h.remote, "path", where, "bytes", size}
	switch {
	case !last:
		return nil
	case terr != nil:
		srv.log.Warn("sftp: upload interrupted; the file is kept but will not be processed", append(attrs, "err", terr.Error())...)
	case failed != nil:
		srv.log.Warn("sftp: upload failed; the file is kept but will not be processed", append(attrs, "err", failed.Error())...)
	case !complete:
		srv.log.Warn("sftp: upload closed after an earlier interruption; the file will not be processed", attrs...)
	default:
		srv.log.Info("sftp: upload complete", attrs...)
	}
	return nil
}

// listerAt serves a fixed list of entries.
type listerAt []os.FileInfo

// ListAt copies entries from offset into ls.
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

// opName names a listing method the way errors do.
func opName(method string) string {
	switch method {
	case "Stat":
		return "stat"
	case "Lstat":
		return "lstat"
	case "List":
		return "opendir"
	}
	return "readlink"
}
