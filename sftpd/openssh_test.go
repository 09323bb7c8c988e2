package sftpd

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// openSSH runs the OpenSSH sftp client in batch mode against a test server,
// with a temporary HOME and keys made by ssh-keygen.
type openSSH struct {
	sftp, home, port string
}

// newOpenSSH finds the OpenSSH tools, or skips the test when they are
// missing (Debian package openssh-client). Set port before run.
func newOpenSSH(t *testing.T) *openSSH {
	t.Helper()
	bin, err := exec.LookPath("sftp")
	if err != nil {
		t.Skipf("SKIP: OpenSSH sftp client not found (%v); install the openssh-client package to run the OpenSSH tests", err)
	}
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skipf("SKIP: ssh-keygen not found (%v); install the openssh-client package to run the OpenSSH tests", err)
	}
	return &openSSH{sftp: bin, home: t.TempDir()}
}

// keygen makes a key pair with ssh-keygen and returns the private key's path.
func (o *openSSH) keygen(t *testing.T, name string, args ...string) string {
	t.Helper()
	key := filepath.Join(o.home, name)
	cmd := exec.CommandContext(testCtx(t), "ssh-keygen", append([]string{"-q", "-N", "", "-C", name, "-f", key}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
	}
	return key
}

// run runs a batch as user with key and returns the exit code and output.
func (o *openSSH) run(t *testing.T, user, key, batch string) (code int, stdout, stderr string) {
	t.Helper()
	f, err := os.CreateTemp(o.home, "batch-*")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(batch + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cmd := exec.CommandContext(testCtx(t), o.sftp, "-b", f.Name(), "-F", "/dev/null",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "PasswordAuthentication=no",
		"-P", o.port, "-i", key, user+"@127.0.0.1")
	cmd.Dir = o.home
	cmd.Env = []string{"HOME=" + o.home, "PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running sftp: %v", err)
	}
	t.Logf("sftp batch %q: exit %d\nstdout:\n%s\nstderr:\n%s", batch, code, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

func TestOpenSSHClient(t *testing.T) {
	o := newOpenSSH(t)
	rsaKey := o.keygen(t, "id_rsa", "-t", "rsa", "-b", "2048")
	shortKey := o.keygen(t, "id_rsa1024", "-t", "rsa", "-b", "1024")
	strangerKey := o.keygen(t, "id_stranger", "-t", "ed25519")

	authorized := filepath.Join(o.home, "authorized_keys")
	var lines []byte
	for _, k := range []string{rsaKey, shortKey} {
		pub, err := os.ReadFile(k + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, pub...)
	}
	if err := os.WriteFile(authorized, lines, 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := LoadAuthorizedKeys(authorized)
	if err != nil || len(keys) != 2 {
		t.Fatalf("LoadAuthorizedKeys(ssh-keygen output) = %d keys, %v; want 2", len(keys), err)
	}
	ts := startServer(t, func(c *Config) {
		c.Users = []User{{Name: "erp", Password: "pw", AuthorizedKeys: keys}}
	})
	_, o.port, _ = net.SplitHostPort(ts.addr)
	escaped := fmt.Sprintf("/tmp/coupakit-escaped-%d.csv", os.Getpid())

	invoice := csvFile("Invoice Number*,Supplier,Total", "INV-1,Acme,10.00", "INV-2,Globex,20.00")
	if err := os.WriteFile(filepath.Join(o.home, "inv.csv"), invoice, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("upload into Incoming is archived", func(t *testing.T) {
		before := len(ts.rec.all())
		code, _, _ := o.run(t, "erp", rsaKey, "put inv.csv /Incoming/Invoices/inv.csv\nput -p inv.csv /Incoming/Invoices/inv-preserved.csv")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		ts.waitIdle(t)
		got := ts.rec.all()[before:]
		var files []string
		for _, r := range got {
			if !r.OK() || r.Rows != 2 || r.DocumentType != "InvoiceHeader" {
				t.Errorf("result %+v; want a good InvoiceHeader file of 2 rows", r)
			}
			files = append(files, r.FileName)
		}
		slices.Sort(files)
		if !slices.Equal(files, []string{"inv-preserved.csv", "inv.csv"}) {
			t.Errorf("processed %v; want inv-preserved.csv and inv.csv", files)
		}
		archive := ts.snapshot("erp", "/Archive/Incoming/Invoices")
		if archive["/Archive/Incoming/Invoices/inv.csv"] != string(invoice) {
			t.Errorf("archive = %v; want inv.csv as uploaded", slices.Collect(mapKeys(archive)))
		}
		if in := ts.snapshot("erp", "/Incoming/Invoices"); len(in) != 0 {
			t.Errorf("/Incoming/Invoices still holds %v", slices.Collect(mapKeys(in)))
		}
	})

	t.Run("download and delete from Outgoing", func(t *testing.T) {
		exports := ts.snapshot("erp", "/Outgoing")
		if len(exports) == 0 {
			t.Fatal("no seeded export files")
		}
		var p string
		for k := range exports {
			if p == "" || k < p {
				p = k
			}
		}
		code, _, _ := o.run(t, "erp", rsaKey, "get "+p+" export.csv\nrm "+p)
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		got, err := os.ReadFile(filepath.Join(o.home, "export.csv"))
		if err != nil || string(got) != exports[p] {
			t.Errorf("downloaded %d bytes (%v); want the export's %d", len(got), err, len(exports[p]))
		}
		if _, still := ts.snapshot("erp", "/Outgoing")[p]; still {
			t.Errorf("%s is still there after rm", p)
		}
	})

	t.Run("ls shows the standard folders", func(t *testing.T) {
		code, stdout, _ := o.run(t, "erp", rsaKey, "ls -1 /Incoming")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		for _, name := range IncomingFolders() {
			if !slices.Contains(strings.Fields(stdout), "/Incoming/"+name) {
				t.Errorf("ls -1 /Incoming lacks %s", name)
			}
		}
	})

	t.Run("refusals keep the connection", func(t *testing.T) {
		// "-" makes sftp go on after a failing command.
		code, stdout, stderr := o.run(t, "erp", rsaKey, "-rmdir /Incoming/Invoices\n-get ../../../etc/passwd passwd\n-put inv.csv ../../.."+escaped+"\nls -1 /Outgoing")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(stderr, "Permission denied") || !strings.Contains(stderr, "not found") {
			t.Errorf("stderr lacks the refusals")
		}
		if !strings.Contains(stdout, "/Outgoing/Invoices") {
			t.Errorf("the listing after the refusals is missing")
		}
	})

	tests := []struct {
		name, key, batch string
		wantStderr       string
	}{
		{"unknown key", strangerKey, "ls /", "Permission denied"},
		{"1024-bit RSA key", shortKey, "ls /", "1024 bits; at least 2048 are required"},
		{"removing a standard folder", rsaKey, "rmdir /Incoming/Invoices", "Permission denied"},
		{"renaming a standard folder", rsaKey, "rename /Incoming/Invoices /Incoming/Bills", "Permission denied"},
		{"creating a folder", rsaKey, "mkdir /Incoming/Bills", "Permission denied"},
		{"path traversal, download", rsaKey, "get ../../../../etc/passwd passwd", `etc/passwd" not found`},
		{"path traversal, upload", rsaKey, "put inv.csv ../../../.." + escaped, escaped},
		{"upload into Outgoing", rsaKey, "put inv.csv /Outgoing/Invoices/inv.csv", "Permission denied"},
		{"an archived file back into Incoming", rsaKey, "rename /Archive/Incoming/Invoices/inv.csv /Incoming/Invoices/again.csv", "Permission denied"},
	}
	for _, tt := range tests {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			code, _, stderr := o.run(t, "erp", tt.key, tt.batch)
			if code == 0 {
				t.Fatalf("exit 0; want a failure")
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q", tt.wantStderr)
			}
		})
	}
	if _, err := os.Stat(escaped); err == nil {
		t.Errorf("%s exists on the host", escaped)
	}
	if _, ok := ts.logs.find("sftp: login refused: RSA key shorter", map[string]string{"user": "erp", "bits": "1024"}); !ok {
		t.Errorf("no server log line for the 1024-bit key")
	}

	t.Run("refused: the sixth session", func(t *testing.T) {
		for i := range DefaultMaxSessionsPerUser {
			if _, err := dialSFTP(t, ts.addr, clientConfig("erp", ssh.Password("pw"))); err != nil {
				t.Fatalf("session %d: %v", i+1, err)
			}
		}
		code, _, stderr := o.run(t, "erp", rsaKey, "ls /")
		if code == 0 {
			t.Fatalf("exit 0; want the sixth session refused")
		}
		if !strings.Contains(stderr, "resource shortage") || !strings.Contains(stderr, "already has 5 concurrent sessions") {
			t.Errorf("stderr lacks the session limit message")
		}
	})
}

// TestOpenSSHPasswordLogin logs in with a password through the OpenSSH
// client, which reads it from SSH_ASKPASS (forced, as there is no terminal).
// sftp -b turns BatchMode on, which forbids password prompts, so the batch
// comes on standard input instead.
func TestOpenSSHPasswordLogin(t *testing.T) {
	o := newOpenSSH(t)
	ts := startServer(t, func(c *Config) { c.Users = []User{{Name: "erp", Password: "s3cret pw"}} })
	_, o.port, _ = net.SplitHostPort(ts.addr)
	login := func(password string) (int, string) {
		askpass := filepath.Join(o.home, "askpass.sh")
		script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' '%s'\n", password)
		if err := os.WriteFile(askpass, []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(testCtx(t), o.sftp, "-F", "/dev/null",
			"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive",
			"-o", "NumberOfPasswordPrompts=1", "-P", o.port, "erp@127.0.0.1")
		cmd.Dir = o.home
		cmd.Env = []string{"HOME=" + o.home, "PATH=" + os.Getenv("PATH"), "LC_ALL=C",
			"SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0"}
		cmd.Stdin = strings.NewReader("ls /Incoming\nbye\n")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		code := 0
		switch {
		case errors.As(err, &exit):
			code = exit.ExitCode()
		case err != nil:
			t.Fatalf("running sftp: %v", err)
		}
		t.Logf("sftp with password: exit %d\n%s", code, out)
		return code, string(out)
	}
	code, out := login("s3cret pw")
	if code != 0 || !strings.Contains(out, "Invoices") {
		t.Errorf("password login: exit %d, output %q; want exit 0 and a listing of /Incoming", code, out)
	}
	code, out = login("wrong")
	if code == 0 || !strings.Contains(out, "Permission denied") {
		t.Errorf("wrong password: exit %d, output %q; want a refusal", code, out)
	}
}
