package sftpd

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// File is one file of a tree, by its absolute path, as the mock's state
// format lists it.
type File struct {
	Path    string
	Content []byte
}

// SetFiles places files in every user's tree of a tenant ("" for the
// default trees; a tenant's trees are made when missing). With replace,
// every file already in the trees goes first. Each path must be in one of
// the standard leaf folders (/Outgoing/<Object>/, /Incoming/<Object>/,
// /Archive/Incoming/<Object>/); otherwise nothing changes and the error
// names the path. A file placed in /Incoming/ waits there, complete, until
// the next upload to its folder starts a pickup.
func (s *Server) SetFiles(tenant string, files []File, replace bool) error {
	probe := newUserFS("", s.now())
	for _, f := range files {
		p := path.Clean(f.Path)
		d := probe.dirs[path.Dir(p)]
		if !strings.HasPrefix(f.Path, "/") || d == nil || d.files == nil || path.Base(p) == "" {
			return fmt.Errorf("sftpd: %s is not a file in a standard folder (/Outgoing/<Object>/, /Incoming/<Object>/, /Archive/Incoming/<Object>/)", f.Path)
		}
	}
	now := s.now()
	for _, name := range s.order {
		u := s.treeOf(s.users[name], tenant)
		u.mu.Lock()
		if replace {
			for _, d := range u.dirs {
				for _, n := range d.files {
					u.unlink(n, now)
				}
			}
		}
		for _, f := range files {
			p := path.Clean(f.Path)
			d := u.dirs[path.Dir(p)]
			if old := d.files[path.Base(p)]; old != nil {
				u.unlink(old, now)
			}
			if !u.reserve(int64(len(f.Content)), now) {
				u.mu.Unlock()
				return fmt.Errorf("sftpd: user %s: %s does not fit in the storage quota", name, f.Path)
			}
			n := &fileNode{data: slices.Clone(f.Content), modTime: now, complete: true, receivedAt: now}
			u.link(d, n, path.Base(p), now)
		}
		u.mu.Unlock()
	}
	return nil
}

// Files returns the files of a tenant's tree ("" for the default) of the
// first configured user, by path; nil for a tenant without trees.
func (s *Server) Files(tenant string) []File {
	u := s.users[s.order[0]].fs
	if tenant != "" {
		s.tenants.mu.Lock()
		u = s.tenants.trees[tenant][s.order[0]]
		s.tenants.mu.Unlock()
		if u == nil {
			return nil
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []File
	for _, d := range u.dirs {
		for name, n := range d.files {
			out = append(out, File{Path: path.Join(d.path, name), Content: slices.Clone(n.data)})
		}
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return out
}
