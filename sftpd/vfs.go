package sftpd

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/sftp"
)

// area says what a directory is for, and so what may happen in it.
type area int

const (
	areaTree     area = iota // "/", "/Outgoing", "/Incoming", "/Archive", "/Archive/Incoming": folders only
	areaIncoming             // /Incoming/<Object>: upload, rename, delete
	areaOutgoing             // /Outgoing/<Object>: download, delete
	areaArchive              // /Archive/Incoming/<Object>: download, delete
)

// dirNode is one standard folder. The tree of folders never changes.
type dirNode struct {
	path     string
	name     string
	area     area
	object   string               // the object folder name, for leaf folders
	children []*dirNode           // areaTree only, sorted by name
	files    map[string]*fileNode // leaf folders only
	modTime  time.Time
	pickup   bool // areaIncoming: a pickup is scheduled and not started
}

// fileNode is one file. Its fields are guarded by the userFS mutex.
type fileNode struct {
	name    string
	dir     *dirNode // nil once removed
	data    []byte
	shared  bool // data is shared (with a validator or other users): copy before writing
	modTime time.Time

	writers    int       // open write handles
	broken     bool      // a write handle failed or was interrupted since the last clean close
	complete   bool      // the last write handle was closed cleanly (or the server made the file)
	receivedAt time.Time // when it became complete
	archived   uint64    // archive order, for eviction; 0 when not archived
}

// userFS is one user's virtual filesystem.
type userFS struct {
	user   string
	tenant string // "" for the default tree

	mu       sync.Mutex
	dirs     map[string]*dirNode
	used     int64  // bytes of the files in the tree
	quota    int64  // most bytes the tree may hold
	archived uint64 // archive counter
}

// newUserFS builds the standard tree.
func newUserFS(user string, now time.Time) *userFS {
	u := &userFS{user: user, dirs: make(map[string]*dirNode), quota: UserQuotaBytes}
	mk := func(parent *dirNode, name string, a area, object string) *dirNode {
		p := "/"
		if parent != nil {
			p = path.Join(parent.path, name)
		}
		d := &dirNode{path: p, name: name, area: a, object: object, modTime: now}
		if a != areaTree {
			d.files = make(map[string]*fileNode)
		}
		if parent != nil {
			parent.children = append(parent.children, d)
		}
		u.dirs[p] = d
		return d
	}
	root := mk(nil, "/", areaTree, "")
	archive := mk(root, "Archive", areaTree, "")
	archiveIn := mk(archive, "Incoming", areaTree, "")
	incoming := mk(root, "Incoming", areaTree, "")
	outgoing := mk(root, "Outgoing", areaTree, "")
	for _, name := range incomingFolders {
		mk(incoming, name, areaIncoming, name)
		mk(archiveIn, name, areaArchive, name)
	}
	for _, name := range outgoingFolders {
		mk(outgoing, name, areaOutgoing, name)
	}
	for _, d := range u.dirs {
		slices.SortFunc(d.children, func(a, b *dirNode) int { return strings.Compare(a.name, b.name) })
	}
	return u
}

// cleanPath makes p an absolute, clean path inside the user's root: ".."
// cannot climb above "/".
func cleanPath(p string) (string, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", statusErr(sftp.ErrSSHFxBadMessage, "path contains a NUL byte")
	}
	return path.Clean("/" + p), nil
}

// lookup finds p: a folder, a file in a leaf folder, or neither. It also
// returns the folder that would hold p as a file (nil when there is none).
func (u *userFS) lookup(p string) (dir *dirNode, file *fileNode, parent *dirNode) {
	if d, ok := u.dirs[p]; ok {
		return d, nil, u.dirs[path.Dir(p)]
	}
	parent = u.dirs[path.Dir(p)]
	if parent != nil && parent.files != nil {
		file = parent.files[path.Base(p)]
	}
	return nil, file, parent
}

// link puts n into d under name, replacing nothing: callers check first.
func (u *userFS) link(d *dirNode, n *fileNode, name string, now time.Time) {
	n.name = name
	n.dir = d
	d.files[name] = n
	d.modTime = now
}

// unlink takes n out of its folder and out of the quota.
func (u *userFS) unlink(n *fileNode, now time.Time) {
	if n.dir == nil {
		return
	}
	delete(n.dir.files, n.name)
	n.dir.modTime = now
	n.dir = nil
	n.archived = 0
	u.used -= int64(len(n.data))
}

// reserve accounts for delta more bytes, evicting the oldest archived files
// when the quota would be exceeded. It reports whether the bytes fit; when
// they cannot fit even with an empty archive, nothing is evicted.
func (u *userFS) reserve(delta int64, now time.Time) bool {
	if u.used+delta <= u.quota {
		u.used += delta
		return true
	}
	var archived []*fileNode
	var archivedBytes int64
	for _, d := range u.dirs {
		if d.area == areaArchive {
			for _, f := range d.files {
				archived = append(archived, f)
				archivedBytes += int64(len(f.data))
			}
		}
	}
	if u.used-archivedBytes+delta > u.quota {
		return false
	}
	slices.SortFunc(archived, func(a, b *fileNode) int { return cmp.Compare(a.archived, b.archived) })
	for _, f := range archived {
		if u.used+delta <= u.quota {
			break
		}
		u.unlink(f, now)
	}
	u.used += delta
	return true
}

// own makes n's data private before a write.
func (n *fileNode) own() {
	if n.shared {
		n.data = slices.Clone(n.data)
		n.shared = false
	}
}

// resize sets n's size to size, zero-filling growth. The caller has checked
// the cap and reserved the quota.
func (n *fileNode) resize(size int64) {
	n.own()
	old := int64(len(n.data))
	switch {
	case size <= old:
		n.data = n.data[:size]
	case size <= int64(cap(n.data)):
		n.data = n.data[:size]
		clear(n.data[old:])
	default:
		c := max(size, min(2*int64(cap(n.data)), MaxUploadBytes))
		data := make([]byte, size, c)
		copy(data, n.data)
		n.data = data
	}
}

// pathOf is n's path, or "" once removed.
func (n *fileNode) pathOf() string {
	if n.dir == nil {
		return ""
	}
	return path.Join(n.dir.path, n.name)
}

// tempName reports names that upload tools use while a file is in transit:
// they are not picked up until renamed.
func tempName(name string) bool {
	if strings.HasPrefix(name, ".") {
		return true
	}
	lower := strings.ToLower(name)
	for _, ext := range []string{".filepart", ".part", ".partial", ".tmp", ".temp", ".upload", ".uploading"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// validName reports whether name may be a file name.
func validName(name string) bool {
	return name != "" && name != "." && name != ".." && len(name) <= 255 &&
		!strings.ContainsAny(name, "/\x00")
}

// fileInfo is the os.FileInfo of a node.
type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.modTime }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi *fileInfo) Sys() any           { return nil }

func dirInfo(d *dirNode) os.FileInfo {
	return &fileInfo{name: d.name, mode: fs.ModeDir | 0o755, modTime: d.modTime}
}

func fileInfoOf(n *fileNode) os.FileInfo {
	return &fileInfo{name: n.name, size: int64(len(n.data)), mode: 0o644, modTime: n.modTime}
}

// statusError is an error with an SFTP status code and a message for the
// client.
type statusError struct {
	code error // one of the sftp.ErrSSHFx* values
	msg  string
}

func (e *statusError) Error() string { return e.msg }
func (e *statusError) Unwrap() error { return e.code }

// statusErr returns an error that the request server sends back with the
// given status code and message.
func statusErr(code error, format string, args ...any) error {
	return &statusError{code: code, msg: fmt.Sprintf(format, args...)}
}

// errNotExist is SSH_FX_NO_SUCH_FILE.
func errNotExist(op, p string) error {
	return &os.PathError{Op: op, Path: p, Err: syscall.ENOENT}
}

// errExist is the SSH_FX_FAILURE of a path that already exists.
func errExist(op, p string) error {
	return &os.PathError{Op: op, Path: p, Err: syscall.EEXIST}
}

// errDenied is SSH_FX_PERMISSION_DENIED with a reason.
func errDenied(op, p, why string) error {
	return statusErr(sftp.ErrSSHFxPermissionDenied, "%s %s: permission denied: %s", op, p, why)
}

// errFailure is SSH_FX_FAILURE with a reason.
func errFailure(op, p, why string) error {
	return statusErr(sftp.ErrSSHFxFailure, "%s %s: %s", op, p, why)
}
