package sftpd

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
)

// FaultKind names a fault the server can inject, so that a test can check
// how an integration copes with Coupa's SFTP misbehaving.
type FaultKind string

// The SFTP faults.
const (
	// RefuseLogin refuses the next Times logins (of User, or anyone's)
	// whose credentials are good: the client sees an authentication
	// failure. Every attempt of a refused connection is refused.
	RefuseLogin FaultKind = "refuse_login"
	// DropUpload drops the connection of the next Times uploads (into
	// Folder, or any folder, by User, or anyone) once AfterBytes bytes
	// of the file were written: the file stays as an interrupted upload
	// and is never processed.
	DropUpload FaultKind = "drop_upload"
	// HoldFolder holds the processing of Folder (of User, or everyone's):
	// complete files wait there until the fault is removed, then they are
	// processed.
	HoldFolder FaultKind = "hold_folder"
	// FailFile fails the processing of the next Times files of Folder:
	// each is archived and recorded as a failed file with one problem
	// (CodeProcessingFailed, Message), as a real failure is.
	FailFile FaultKind = "fail_file"
)

// CodeProcessingFailed is the Problem.Code of a file failed by a FailFile
// fault.
const CodeProcessingFailed = "processing-failed"

// Fault is an SFTP fault, as POST /_mock/sftp/faults takes it and GET
// lists it.
type Fault struct {
	// ID is given by AddFault.
	ID int64 `json:"id"`
	// Kind is what the fault does.
	Kind FaultKind `json:"kind"`
	// User, when set, limits the fault to that SFTP user.
	User string `json:"user,omitempty"`
	// Folder is an /Incoming/ object folder ("Invoices"): required for
	// hold_folder and fail_file, optional for drop_upload.
	Folder string `json:"folder,omitempty"`
	// Times is how many times a refuse_login, drop_upload or fail_file
	// fault applies (0 means 1); a hold_folder holds until removed.
	Times int `json:"times,omitempty"`
	// AfterBytes is how many bytes of the upload drop_upload lets through.
	AfterBytes int64 `json:"after_bytes,omitempty"`
	// Message is the problem's message of fail_file (a default says the
	// fault failed the file).
	Message string `json:"message,omitempty"`
	// Fired counts how many times the fault applied (pickups held, for
	// hold_folder).
	Fired int `json:"fired"`
	// Retired is true once the fault applied Times times.
	Retired bool `json:"retired"`
}

// ErrNoFault is DeleteFault's error for an id no fault has.
var ErrNoFault = errors.New("sftpd: no such SFTP fault")

// faultSet holds a server's faults.
type faultSet struct {
	mu      sync.Mutex
	next    int64
	list    []*Fault
	refused map[string]bool // session ids of connections whose logins are refused
}

// initFaults puts the start-up faults in force and puts the login fault in
// front of the authentication callbacks.
func (s *Server) initFaults() error {
	for i, f := range s.cfg.Faults {
		if _, err := s.checkFault(f); err != nil {
			return fmt.Errorf("sftpd: fault %d: %w", i+1, err)
		}
	}
	s.ResetFaults()
	c := s.sshConfig
	if cb := c.PasswordCallback; cb != nil {
		c.PasswordCallback = func(md ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			p, err := cb(md, pw)
			return s.refuseLogin(md, p, err)
		}
	}
	if cb := c.KeyboardInteractiveCallback; cb != nil {
		c.KeyboardInteractiveCallback = func(md ssh.ConnMetadata, ch ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			p, err := cb(md, ch)
			return s.refuseLogin(md, p, err)
		}
	}
	if cb := c.PublicKeyCallback; cb != nil {
		c.PublicKeyCallback = func(md ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			p, err := cb(md, key)
			return s.refuseLogin(md, p, err)
		}
	}
	return nil
}

// checkFault validates f and returns it with its folder spelt as the
// standard folder is.
func (s *Server) checkFault(f Fault) (Fault, error) {
	var errs []string
	if f.User != "" && s.users[f.User] == nil {
		errs = append(errs, fmt.Sprintf("user %q is no SFTP user", f.User))
	}
	if f.Folder != "" {
		if name, ok := canonicalFolder(incomingFolders, f.Folder); ok {
			f.Folder = name
		} else {
			errs = append(errs, fmt.Sprintf("folder %q is no /Incoming/ folder (%s)", f.Folder, strings.Join(incomingFolders, ", ")))
		}
	}
	if f.Times < 0 {
		errs = append(errs, fmt.Sprintf("times must not be negative, got %d", f.Times))
	}
	if f.AfterBytes < 0 {
		errs = append(errs, fmt.Sprintf("after_bytes must not be negative, got %d", f.AfterBytes))
	}
	if f.AfterBytes != 0 && f.Kind != DropUpload {
		errs = append(errs, "after_bytes is for drop_upload only")
	}
	if f.Message != "" && f.Kind != FailFile {
		errs = append(errs, "message is for fail_file only")
	}
	switch f.Kind {
	case RefuseLogin:
		if f.Folder != "" {
			errs = append(errs, "refuse_login takes no folder")
		}
	case DropUpload:
	case HoldFolder, FailFile:
		if f.Folder == "" {
			errs = append(errs, string(f.Kind)+" needs a folder")
		}
		if f.Kind == HoldFolder && f.Times != 0 {
			errs = append(errs, "hold_folder takes no times: it holds until removed")
		}
	default:
		errs = append(errs, fmt.Sprintf("kind must be one of refuse_login, drop_upload, hold_folder, fail_file, got %q", f.Kind))
	}
	if len(errs) > 0 {
		return f, &FaultError{Problems: errs}
	}
	if f.Times == 0 && f.Kind != HoldFolder {
		f.Times = 1
	}
	f.ID, f.Fired, f.Retired = 0, 0, false
	return f, nil
}

// FaultError lists every problem of a fault.
type FaultError struct {
	Problems []string
}

func (e *FaultError) Error() string { return "sftpd: " + strings.Join(e.Problems, "; ") }

// AddFault validates f and puts it in force; it returns the fault as
// stored, with its id.
func (s *Server) AddFault(f Fault) (Fault, error) {
	f, err := s.checkFault(f)
	if err != nil {
		return Fault{}, err
	}
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.next++
	f.ID = fs.next
	fs.list = append(fs.list, &f)
	s.log.Info("sftp: fault added", "id", f.ID, "kind", f.Kind, "user", f.User, "folder", f.Folder)
	return f, nil
}

// Faults lists the faults in force and the retired ones, in the order
// added.
func (s *Server) Faults() []Fault {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, len(fs.list))
	for i, f := range fs.list {
		out[i] = *f
	}
	return out
}

// DeleteFault removes the fault with id; removing a hold_folder fault
// releases the files it held.
func (s *Server) DeleteFault(id int64) error {
	fs := &s.faults
	fs.mu.Lock()
	i := slices.IndexFunc(fs.list, func(f *Fault) bool { return f.ID == id })
	if i < 0 {
		fs.mu.Unlock()
		return fmt.Errorf("%w: %d", ErrNoFault, id)
	}
	f := fs.list[i]
	fs.list = slices.Delete(fs.list, i, i+1)
	fs.mu.Unlock()
	s.releaseHeld([]*Fault{f})
	return nil
}

// ClearFaults removes every fault, releasing the held folders.
func (s *Server) ClearFaults() { s.replaceFaults(nil) }

// ResetFaults puts the start-up faults (Config.Faults) back in place of
// all others, with ids from 1, releasing folders no longer held.
func (s *Server) ResetFaults() {
	list := make([]*Fault, 0, len(s.cfg.Faults))
	for i, f := range s.cfg.Faults {
		f, _ = s.checkFault(f) // checked by New
		f.ID = int64(i + 1)
		list = append(list, &f)
	}
	s.replaceFaults(list)
}

func (s *Server) replaceFaults(list []*Fault) {
	fs := &s.faults
	fs.mu.Lock()
	old := fs.list
	fs.list, fs.next, fs.refused = list, int64(len(list)), nil
	fs.mu.Unlock()
	s.releaseHeld(old)
}

// releaseHeld schedules the pickups of the folders that the hold_folder faults
// among gone held, where no other fault holds them.
func (s *Server) releaseHeld(gone []*Fault) {
	for _, f := range gone {
		if f.Kind != HoldFolder {
			continue
		}
		for _, name := range s.order {
			if f.User != "" && f.User != name {
				continue
			}
			u := s.users[name].fs
			u.mu.Lock()
			dir := u.dirs[path.Join("/Incoming", f.Folder)]
			waiting := slices.ContainsFunc(mapValues(dir.files), func(n *fileNode) bool { return n.complete && n.writers == 0 })
			if waiting {
				s.schedulePickup(u, dir) // not when another fault holds it
			}
			u.mu.Unlock()
		}
	}
}

func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// take finds the first fault in force of kind that applies, counts it and
// returns a copy; ok is false when none applies. A counted fault retires
// after Times.
func (s *Server) take(kind FaultKind, user, folder string, when func(*Fault) bool) (Fault, bool) {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.list {
		if f.Kind != kind || f.Retired || (f.User != "" && f.User != user) || (f.Folder != "" && f.Folder != folder) {
			continue
		}
		if when != nil && !when(f) {
			continue
		}
		f.Fired++
		f.Retired = f.Kind != HoldFolder && f.Fired >= f.Times
		return *f, true
	}
	return Fault{}, false
}

// refuseLogin turns an accepted login into a refusal while a refuse_login
// fault applies; every later attempt of the same connection is refused
// too, without counting.
func (s *Server) refuseLogin(md ssh.ConnMetadata, perm *ssh.Permissions, err error) (*ssh.Permissions, error) {
	if err != nil {
		return nil, err
	}
	sid := string(md.SessionID())
	s.faults.mu.Lock()
	again := s.faults.refused[sid]
	s.faults.mu.Unlock()
	if !again {
		f, ok := s.take(RefuseLogin, md.User(), "", nil)
		if !ok {
			return perm, nil
		}
		s.faults.mu.Lock()
		if s.faults.refused == nil || len(s.faults.refused) > 1024 {
			s.faults.refused = map[string]bool{}
		}
		s.faults.refused[sid] = true
		s.faults.mu.Unlock()
		s.log.Warn("sftp: login refused by an SFTP fault", "user", md.User(), "remote", md.RemoteAddr().String(), "fault", f.ID)
	}
	return nil, errors.New("login refused by an SFTP fault (refuse_login)")
}

// dropUpload applies a drop_upload fault to a write that goes past the
// fault's AfterBytes: the bytes up to AfterBytes are written, then the
// connection is closed. ok is false when no fault applies.
func (w *writeHandle) dropUpload(b []byte, off int64) (n int, err error, ok bool) {
	s, end := w.h.srv, off+int64(len(b))
	folder := path.Base(path.Dir(w.path))
	f, ok := s.take(DropUpload, w.h.user, folder, func(f *Fault) bool { return end > f.AfterBytes })
	if !ok {
		return 0, nil, false
	}
	if keep := f.AfterBytes - off; keep > 0 {
		n, _ = w.WriteAt(b[:keep], off)
	}
	s.log.Warn("sftp: connection dropped by an SFTP fault", "user", w.h.user, "remote", w.h.remote, "path", w.path, "after_bytes", f.AfterBytes, "fault", f.ID)
	s.mu.Lock()
	for c := range s.conns {
		if c.RemoteAddr().String() == w.h.remote {
			c.Close()
		}
	}
	s.mu.Unlock()
	return n, errFailure("write", w.path, "connection dropped by an SFTP fault (drop_upload)"), true
}

// holding reports whether a hold_folder fault holds user's folder, and
// counts the pickup it holds on the fault.
func (s *Server) holding(user, folder string) bool {
	_, ok := s.take(HoldFolder, user, folder, nil)
	return ok
}

// failFile returns the problem that fails a file while a fail_file fault
// applies to its folder.
func (s *Server) failFile(user, folder, name string) ([]Problem, bool) {
	f, ok := s.take(FailFile, user, folder, nil)
	if !ok {
		return nil, false
	}
	msg := f.Message
	if msg == "" {
		msg = fmt.Sprintf("processing of %s failed (injected by SFTP fault %d)", name, f.ID)
	}
	return []Problem{{Code: CodeProcessingFailed, Message: msg}}, true
}
