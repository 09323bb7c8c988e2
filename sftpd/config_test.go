package sftpd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/crypto/ssh"
)

func authorizedLine(tb testing.TB, name string) string {
	tb.Helper()
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(testKey(tb, name).PublicKey()))) + " " + name + "@test"
}

func TestParseAuthorizedKeys(t *testing.T) {
	a, b := authorizedLine(t, "ed25519"), authorizedLine(t, "rsa2048")
	tests := []struct {
		name    string
		text    string
		want    []ssh.PublicKey
		wantErr string
	}{
		{"empty", "", nil, ""},
		{"two keys with comments and blank lines", "# team keys\n\n" + a + "\n   \n" + b + "\n", []ssh.PublicKey{testKey(t, "ed25519").PublicKey(), testKey(t, "rsa2048").PublicKey()}, ""},
		{"CRLF", a + "\r\n" + b + "\r\n", []ssh.PublicKey{testKey(t, "ed25519").PublicKey(), testKey(t, "rsa2048").PublicKey()}, ""},
		{"options before the key", `from="10.0.0.0/8",no-pty ` + a, []ssh.PublicKey{testKey(t, "ed25519").PublicKey()}, ""},
		{"a bad line is named", a + "\nssh-rsa not-base64\n", nil, "line 2"},
		{"a private key by mistake", "-----BEGIN OPENSSH PRIVATE KEY-----\n", nil, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAuthorizedKeys([]byte(tt.text))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v; want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(marshalKeys(tt.want), marshalKeys(got)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}
}

func marshalKeys(keys []ssh.PublicKey) []string {
	var out []string
	for _, k := range keys {
		out = append(out, ssh.FingerprintSHA256(k))
	}
	return out
}

func TestLoadAuthorizedKeysMissingFile(t *testing.T) {
	_, err := LoadAuthorizedKeys(filepath.Join(t.TempDir(), "nope"))
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("error = %v; want one naming the file", err)
	}
}

func TestLoadUsers(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "erp.pub"), []byte(authorizedLine(t, "rsa2048")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ed := authorizedLine(t, "ed25519")
	tests := []struct {
		name    string
		json    string
		want    []User
		wantErr string
	}{
		{"password and keys", `{"users": [
			{"name": "acme", "password": "secret"},
			{"name": "erp", "authorized_keys_file": "erp.pub", "authorized_keys": ["` + ed + `"]}
		]}`, []User{
			{Name: "acme", Password: "secret"},
			{Name: "erp", AuthorizedKeys: []ssh.PublicKey{testKey(t, "ed25519").PublicKey(), testKey(t, "rsa2048").PublicKey()}},
		}, ""},
		{"no users", `{"users": []}`, nil, "no users"},
		{"unknown field", `{"users": [{"name": "a", "pasword": "x"}]}`, nil, `unknown field "pasword"`},
		{"not JSON", `users: [a]`, nil, "invalid character"},
		{"duplicate user", `{"users": [{"name": "a", "password": "x"}, {"name": "a", "password": "y"}]}`, nil, `"a" is listed twice`},
		{"no name", `{"users": [{"password": "x"}]}`, nil, "user 1 has no name"},
		{"no credentials", `{"users": [{"name": "a"}]}`, nil, "neither a password nor an authorized key"},
		{"missing key file", `{"users": [{"name": "a", "authorized_keys_file": "gone.pub"}]}`, nil, "gone.pub"},
		{"bad inline key", `{"users": [{"name": "a", "authorized_keys": ["ssh-ed25519 !!!"]}]}`, nil, `user 1 ("a") authorized_keys`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "users.json")
			if err := os.WriteFile(p, []byte(tt.json), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := LoadUsers(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v; want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Transformer("keys", marshalKeys)); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"duplicate users", Config{Users: []User{{Name: "a", Password: "x"}, {Name: "a", Password: "y"}}}, "listed twice"},
		{"user without credentials", Config{Users: []User{{Name: "a"}}}, "neither a password nor an authorized key"},
		{"state dir is a file", Config{StateDir: "/dev/null/x"}, "state dir"},
		{"corrupt host key", Config{StateDir: corruptStateDir(t)}, "delete the file to make a new key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.StateDir == "" {
				tt.cfg.StateDir = sharedStateDir
			}
			srv, err := New(tt.cfg)
			if err == nil {
				srv.Close()
				t.Fatalf("New succeeded; want an error mentioning %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v; want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func corruptStateDir(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ssh_host_ed25519_key"), []byte("not a key"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func TestNewDefaults(t *testing.T) {
	srv, err := New(Config{StateDir: sharedStateDir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	want := Config{Addr: "127.0.0.1:2222", StateDir: sharedStateDir, MaxSessionsPerUser: 5,
		IdleTimeout: 10 * time.Minute, LoginTimeout: 30 * time.Second, MaxPendingLogins: 32}
	got := Config{Addr: srv.cfg.Addr, StateDir: srv.cfg.StateDir, MaxSessionsPerUser: srv.cfg.MaxSessionsPerUser,
		IdleTimeout: srv.cfg.IdleTimeout, LoginTimeout: srv.cfg.LoginTimeout, MaxPendingLogins: srv.cfg.MaxPendingLogins}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Config{})); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if len(srv.cfg.Users) != 1 || srv.cfg.Users[0].Name != DefaultUser || srv.cfg.Users[0].Password != DefaultPassword {
		t.Errorf("default users = %+v; want %s/%s", srv.cfg.Users, DefaultUser, DefaultPassword)
	}
	if srv.cfg.Logger == nil || srv.cfg.Now == nil {
		t.Errorf("Logger or Now left nil")
	}
	if d := DefaultStateDir(); !strings.HasSuffix(d, filepath.Join("coupakit", "sftp")) {
		t.Errorf("DefaultStateDir() = %q; want .../coupakit/sftp", d)
	}
}

func FuzzCheckFile(f *testing.F) {
	for _, seed := range [][]byte{
		csvFile("a*,b", "1,2"), []byte("\xEF\xBB\xBFa\n"), []byte("a,\"b\n"), []byte("a,b\n1\n\"x\"\"y\",z\n"),
		{0xFF, 0xFE, 0}, []byte("a\n\xff\n"), nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, _, problems := checkFile(data)
		if rows < 0 || len(problems) > MaxProblems {
			t.Fatalf("rows %d, %d problems", rows, len(problems))
		}
		for _, p := range problems {
			if p.Row < 0 || p.Row > rows || p.Code == "" || p.Message == "" {
				t.Fatalf("bad problem %+v (rows %d)", p, rows)
			}
		}
	})
}
