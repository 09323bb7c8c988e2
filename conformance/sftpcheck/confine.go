package sftpcheck

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"

	"golang.org/x/crypto/ssh"

	"github.com/coupakit/coupakit/conformance"
)

// hostPaths are paths of the host's filesystem that must not exist in the
// session, reached absolutely and by climbing.
var hostPaths = []string{
	"/etc/passwd", "/etc/hostname", "/proc/self/status", "/usr/bin",
	"/../../../../etc/passwd", "../../../../../../etc/passwd",
	"/Incoming/../../../../etc/passwd", "/Outgoing/Invoices/../../../../../etc/hostname",
}

// climbs are paths that try to climb above the root.
var climbs = []string{"..", "/..", "../..", "/../../..", "/Incoming/../../..", "Outgoing/../../../.."}

func names(entries []os.FileInfo) []string {
	var out []string
	for _, e := range entries {
		if e.Name() != "." && e.Name() != ".." {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}

// checkConfined climbs and reaches for host paths.
func (r *run) checkConfined(c *cctx) {
	rootEntries, ok := c.readDir("/")
	if !ok {
		return
	}
	root := names(rootEntries)
	for _, p := range climbs {
		if rp, err := r.c.RealPath(p); err == nil && !inTree(path.Clean("/"+rp)) {
			c.errorf(r.sftpCommand("cd "+p, "pwd"), "%q resolves to %q, outside the tree", p, rp)
		}
		if entries, err := r.c.ReadDir(p); err == nil && !slices.Equal(names(entries), root) {
			c.errorf(r.sftpCommand("ls -la "+p), "listing %q shows %v, not the root's %v: it climbs out of the tree", p, names(entries), root)
		}
	}
	for _, p := range hostPaths {
		if fi, err := r.c.Stat(p); err == nil {
			c.errorf(r.sftpCommand("ls -la "+p), "%q exists (%s, %d bytes): the session reaches outside the tree", p, fi.Mode(), fi.Size())
		}
	}
	c.notef("%d climbs and %d host paths stayed inside the tree", len(climbs), len(hostPaths))
}

// treeDirs lists the folders of the tree down to the object folders
// (/Archive/Incoming/<Object> is three levels down).
func (r *run) treeDirs() []string {
	dirs := []string{"/"}
	for i := 0; i < len(dirs) && len(dirs) < 200; i++ {
		if len(splitPath(dirs[i])) >= 3 {
			continue
		}
		entries, err := r.c.ReadDir(dirs[i])
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.IsDir() && e.Mode()&os.ModeSymlink == 0 && e.Name() != "." && e.Name() != ".." {
				dirs = append(dirs, path.Join(dirs[i], e.Name()))
			}
		}
	}
	return dirs
}

func splitPath(p string) []string {
	var out []string
	for p != "/" && p != "." && p != "" {
		out = append(out, path.Base(p))
		p = path.Dir(p)
	}
	return out
}

// checkLinks reads every symbolic link in the tree.
func (r *run) checkLinks(c *cctx) {
	links := 0
	for _, dir := range r.treeDirs() {
		entries, err := r.c.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.Mode()&os.ModeSymlink == 0 {
				continue
			}
			links++
			p := path.Join(dir, e.Name())
			target, err := r.c.ReadLink(p)
			if err != nil {
				continue
			}
			if !path.IsAbs(target) {
				target = path.Join(dir, target)
			}
			if !inTree(path.Clean(target)) {
				c.errorf(r.sftpCommand("ls -la "+dir), "%s links to %s, outside the tree", p, target)
			}
		}
	}
	c.notef("%d symbolic links in the tree, none leaving it", links)
}

// checkFixed tries to remove and rename standard folders.
func (r *run) checkFixed(c *cctx) {
	marker := "-coupakit-conformance-" + r.runID
	var tried []string
	for _, parent := range []string{"/Archive/Incoming", "/Incoming"} {
		empty := ""
		for _, name := range incomingFolders {
			if entries, err := r.c.ReadDir(parent + "/" + name); err == nil && len(names(entries)) == 0 {
				empty = parent + "/" + name
				break
			}
		}
		if empty == "" {
			continue
		}
		tried = append(tried, empty)
		if err := r.c.RemoveDirectory(empty); err == nil {
			c.errorf(r.sftpCommand("rmdir "+empty), "rmdir %s succeeded: a standard folder was removed (the run made it again)", empty)
			if err := r.c.Mkdir(empty); err != nil {
				c.errorf(r.sftpCommand("mkdir "+empty), "could not make %s again: %v", empty, err)
			}
		}
		break
	}
	for _, p := range []string{"/Outgoing/" + outgoingFolders[0], "/Incoming/" + incomingFolders[0], "/Archive"} {
		if fi, err := r.c.Stat(p); err != nil || !fi.IsDir() {
			continue // the tree checks report it missing
		}
		tried = append(tried, p)
		to := p + marker
		renames := []func(string, string) error{r.c.Rename}
		if _, ok := r.c.HasExtension("posix-rename@openssh.com"); ok {
			renames = append(renames, r.c.PosixRename)
		}
		for _, rename := range renames {
			if err := rename(p, to); err == nil {
				c.errorf(r.sftpCommand("rename "+p+" "+to), "rename %s to %s succeeded: a standard folder was renamed (the run renamed it back)", p, to)
				if err := r.c.Rename(to, p); err != nil {
					c.errorf(r.sftpCommand("rename "+to+" "+p), "could not rename %s back to %s: %v", to, p, err)
				}
				break
			}
		}
	}
	for _, p := range tried {
		if fi, err := r.c.Stat(p); err != nil || !fi.IsDir() {
			c.errorf(r.sftpCommand("ls -la "+path.Dir(p)), "%s is gone after the attempts", p)
		}
	}
	c.notef("rmdir and rename refused on %v", tried)
}

// checkWeakKey logs in with the weak key.
func (r *run) checkWeakKey(c *cctx) {
	if r.t.WeakKey == nil {
		c.skipf("no weak key given: authorize an RSA key under 2048 bits for the user and give it as the weak key (--sftp-weak-key FILE)")
		return
	}
	bits, _ := RSABits(r.t.WeakKey.PublicKey())
	fp := ssh.FingerprintSHA256(r.t.WeakKey.PublicKey())
	conn, err := r.dial([]ssh.AuthMethod{ssh.PublicKeys(r.t.WeakKey)})
	switch {
	case err == nil:
		conn.Close()
		c.errorf(fmt.Sprintf("sftp -i WEAK_KEY_FILE -P %s %s@%s", r.ep.port, r.ep.user, r.ep.host),
			"login with the %d-bit RSA key %s was accepted; Coupa requires at least %d bits", bits, fp, MinRSABits)
	case errors.Is(err, conformance.ErrUnreachable):
		c.errorf("", "could not connect to try the weak key: %v", err)
	default:
		c.notef("the %d-bit RSA key %s was refused: %v", bits, fp, err)
	}
}

// checkSymlink tries to make links that leave the tree.
func (r *run) checkSymlink(c *cctx) {
	link := "/Incoming/" + r.folder + "/.coupakit-conformance-" + r.runID + "-link"
	for _, target := range []string{"/etc/passwd", "../../../../../../etc/passwd"} {
		req := r.sftpCommand("symlink "+target+" "+link, "get "+link+" -")
		if err := r.c.Symlink(target, link); err != nil {
			c.notef("symlink to %s refused (%v)", target, err)
			continue
		}
		if f, err := r.c.Open(link); err == nil {
			n, _ := io.Copy(io.Discard, io.LimitReader(f, 1<<20))
			f.Close()
			if n > 0 {
				c.errorf(req, "a link %s to %s was made and read %d bytes from outside the tree", link, target, n)
			}
		}
		if err := r.c.Remove(link); err != nil {
			c.errorf(r.sftpCommand("rm "+link), "could not remove the link %s the run made: %v", link, err)
		}
	}
}
