package mock

import (
	"log/slog"
	"path"
	"slices"
	"strings"

	"github.com/coupakit/coupakit/sftpd"
)

// sftpFiler is the SFTP server as the state format needs it; *sftpd.Server
// is one.
type sftpFiler interface {
	SetFiles(tenant string, files []sftpd.File, replace bool) error
	Files(tenant string) []sftpd.File
}

// sftpFiler returns the attached SFTP server, when it keeps files.
func (m *Mock) sftpFiler() sftpFiler {
	m.outgoing.mu.RLock()
	defer m.outgoing.mu.RUnlock()
	f, _ := m.outgoing.dropper.(sftpFiler)
	return f
}

// sftpFolder reports whether dir is a standard leaf folder of the SFTP
// tree, where files may be.
func sftpFolder(dir string) bool {
	switch {
	case strings.HasPrefix(dir, "/Outgoing/"):
		return slices.Contains(sftpd.OutgoingFolders(), strings.TrimPrefix(dir, "/Outgoing/"))
	case strings.HasPrefix(dir, "/Incoming/"):
		return slices.Contains(sftpd.IncomingFolders(), strings.TrimPrefix(dir, "/Incoming/"))
	case strings.HasPrefix(dir, "/Archive/Incoming/"):
		return slices.Contains(sftpd.IncomingFolders(), strings.TrimPrefix(dir, "/Archive/Incoming/"))
	}
	return false
}

func toSFTP(files []SFTPFile) []sftpd.File {
	out := make([]sftpd.File, len(files))
	for i, f := range files {
		out[i] = sftpd.File{Path: path.Clean(f.Path), Content: []byte(f.Content)}
	}
	return out
}

// placeSFTPFiles puts the default tenant's loaded SFTP files (fixtures, or
// the state file's) into the SFTP server's trees, once it is attached.
func (m *Mock) placeSFTPFiles() {
	f := m.sftpFiler()
	st := m.def.state.Load()
	if f == nil || st.sftp == nil {
		return
	}
	if err := f.SetFiles("", toSFTP(st.sftp), st.sftpReplace); err != nil {
		slog.Warn("mock: the SFTP files of the state could not be placed", "err", err)
	}
}

// SFTPFiles returns the files a tenant's SFTP trees start with beyond the
// seeded exports: its fixtures (sftpd.Config.Files).
func (m *Mock) SFTPFiles(tenant string) []sftpd.File {
	td, ok := m.lookupTenant(tenant)
	if !ok {
		return nil
	}
	return toSFTP(td.state.Load().sftp)
}

// exportOf exports a tenant's state, with the files of its SFTP tree when
// the SFTP server is attached and the tenant has a tree.
func (m *Mock) exportOf(td *tenantData) ([]byte, error) {
	var files []SFTPFile
	if f := m.sftpFiler(); f != nil {
		if got := f.Files(td.name); got != nil {
			files = make([]SFTPFile, len(got))
			for i, g := range got {
				files[i] = SFTPFile{Path: g.Path, Content: string(g.Content)}
			}
		}
	}
	return td.state.Load().export(files)
}
