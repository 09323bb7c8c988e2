package sftpd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestKeyTypes is the key policy: RSA of at least MinRSABits, Ed25519 and
// ECDSA (NIST P-256, P-384, P-521) log in; DSA (ssh-dss) and short RSA are
// refused even when authorized, with a banner that says why.
func TestKeyTypes(t *testing.T) {
	names := []string{"rsa2048", "rsa1024", "dsa", "ecdsa256", "ecdsa384", "ecdsa521", "ed25519"}
	signers := map[string]ssh.Signer{}
	var authorized []ssh.PublicKey
	for _, n := range names {
		signers[n] = testKey(t, n)
		authorized = append(authorized, signers[n].PublicKey())
	}
	ts := startServer(t, func(c *Config) { c.Users = []User{{Name: "erp", AuthorizedKeys: authorized}} })
	tests := []struct {
		key        string
		wantOK     bool
		wantBanner string
	}{
		{"rsa2048", true, ""},
		{"ed25519", true, ""},
		{"ecdsa256", true, ""},
		{"ecdsa384", true, ""},
		{"ecdsa521", true, ""},
		{"rsa1024", false, "1024 bits; at least 2048 are required"},
		{"dsa", false, "ssh-dss keys are not accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			cfg := clientConfig("erp", ssh.PublicKeys(signers[tt.key]))
			var banner strings.Builder
			cfg.BannerCallback = func(msg string) error { banner.WriteString(msg); return nil }
			c, err := dialSFTP(t, ts.addr, cfg)
			if !tt.wantOK {
				if err == nil {
					t.Fatalf("%s key logged in; want it refused", tt.key)
				}
				if !strings.Contains(banner.String(), tt.wantBanner) {
					t.Errorf("banner = %q; want %q", banner.String(), tt.wantBanner)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s key: %v", tt.key, err)
			}
			if _, err := c.ReadDir("/Incoming"); err != nil {
				t.Errorf("session after a %s login: %v", tt.key, err)
			}
		})
	}
	if _, ok := ts.logs.find("sftp: authorized key will be refused at login", map[string]string{"user": "erp", "type": ssh.KeyAlgoDSA}); !ok {
		t.Errorf("no start-up warning about the authorized DSA key")
	}
}

// TestOpenSSHKeyTypes logs in with keys made by ssh-keygen: ECDSA and Ed25519
// are accepted, and DSA (where this ssh-keygen still makes it) refused.
func TestOpenSSHKeyTypes(t *testing.T) {
	o := newOpenSSH(t)
	keys := map[string]string{
		"ecdsa":   o.keygen(t, "id_ecdsa", "-t", "ecdsa", "-b", "256"),
		"ed25519": o.keygen(t, "id_ed25519", "-t", "ed25519"),
	}
	dsaKey := filepath.Join(o.home, "id_dsa")
	if out, err := exec.CommandContext(testCtx(t), "ssh-keygen", "-q", "-N", "", "-t", "dsa", "-f", dsaKey).CombinedOutput(); err == nil {
		keys["dsa"] = dsaKey
	} else {
		t.Logf("this ssh-keygen makes no DSA keys (%v: %s); the DSA case runs with the Go client only", err, out)
	}
	var lines []byte
	for _, k := range keys {
		pub, err := os.ReadFile(k + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, pub...)
	}
	authorized, err := ParseAuthorizedKeys(lines)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(c *Config) { c.Users = []User{{Name: "erp", AuthorizedKeys: authorized}} })
	_, o.port, _ = strings.Cut(ts.addr, ":")
	for name, key := range keys {
		t.Run(name, func(t *testing.T) {
			code, _, _ := o.run(t, "erp", key, "ls /Incoming")
			if want := name != "dsa"; (code == 0) != want {
				t.Errorf("%s key: exit %d; want success %v", name, code, want)
			}
		})
	}
}
