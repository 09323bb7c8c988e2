package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/coupakit/coupakit/auth"
)

// jsonReport is what the tests read of a JSON report.
type jsonReport struct {
	Passed  bool              `json:"passed"`
	Targets map[string]string `json:"targets"`
	Checks  []struct {
		ID, Status, Message string
	} `json:"checks"`
}

func readJSONReport(t *testing.T, out string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, out)
	}
	return r
}

// writeKey writes a private key in OpenSSH form and returns its file and
// its authorized_keys line.
func writeKey(t *testing.T, dir, name string, key any) (string, string) {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return file, string(ssh.MarshalAuthorizedKey(signer.PublicKey()))
}

// TestCheckSFTPAgainstServe runs `coupakit check --sftp` against a real
// `coupakit serve`: alone and read-only with a password, then a full run
// with a key, the weak key, and the Core API for the outcome of uploads.
func TestCheckSFTPAgainstServe(t *testing.T) {
	dir := t.TempDir()
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	weakKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, keyLine := writeKey(t, dir, "id_ed25519", edKey)
	weakFile, weakLine := writeKey(t, dir, "id_rsa_1024", weakKey)
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, []byte(keyLine+weakLine), 0o600); err != nil {
		t.Fatal(err)
	}
	urls, stop, _ := startServe(t, "--sftp-authorized-keys", authorized, "--records", "3")
	defer stop()
	sftpURL := urls["SFTP"]

	t.Run("read-only with a password", func(t *testing.T) {
		t.Setenv("SFTP_SECRET", "coupakit")
		code, stdout, stderr := runCheckArgs(t, "--sftp", sftpURL, "--sftp-password-env", "SFTP_SECRET", "--read-only", "--format", "json", "--quiet")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		r := readJSONReport(t, stdout)
		if !r.Passed || r.Targets["sftp"] != sftpURL {
			t.Errorf("passed %v, targets %q", r.Passed, r.Targets)
		}
		n := map[string]int{}
		for _, c := range r.Checks {
			n[c.Status]++
			if !strings.HasPrefix(c.ID, "sftp.") {
				t.Errorf("check %s in an SFTP-only run", c.ID)
			}
			if c.Status == "skip" && c.ID != "sftp.keys.weak-rsa" && !strings.HasPrefix(c.Message, "read-only run:") {
				t.Errorf("%s skipped: %s", c.ID, c.Message)
			}
		}
		if n["pass"] != 10 || n["fail"] != 0 || n["skip"] != 7 {
			t.Errorf("statuses %v, want 10 pass, 7 skip", n)
		}
	})

	t.Run("full with a key and the Core API", func(t *testing.T) {
		code, stdout, stderr := runCheckArgs(t, "--sftp", sftpURL, "--sftp-key", keyFile, "--sftp-weak-key", weakFile,
			"--base-url", urls["Core API"], "--client-id", auth.DefaultClientID, "--client-secret", auth.DefaultClientSecret,
			"--only", `^(sftp\.|integration_errors\.list$)`, "--format", "json", "--run-id", "e2e", "--verbose")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		r := readJSONReport(t, stdout)
		seen := map[string]string{}
		for _, c := range r.Checks {
			seen[c.ID] = c.Status
		}
		for _, id := range []string{"integration_errors.list", "sftp.login", "sftp.keys.weak-rsa", "sftp.import.archive", "sftp.import.reported", "sftp.import.malformed", "sftp.import.too-large", "sftp.import.too-many-rows"} {
			if seen[id] != "pass" {
				t.Errorf("%s: %q, want pass", id, seen[id])
			}
		}
		if !regexp.MustCompile(`(?m)^PASS  +must +sftp\.import\.reported$`).MatchString(stderr) {
			t.Errorf("progress does not show the SFTP checks:\n%s", stderr)
		}
	})
}

// TestCheckSFTPArguments shows the refusals of bad SFTP arguments.
func TestCheckSFTPArguments(t *testing.T) {
	t.Setenv("COUPAKIT_SFTP_PASSWORD", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--sftp", "sftp://coupakit@127.0.0.1:1"}, "--sftp needs --sftp-key or a password in $COUPAKIT_SFTP_PASSWORD"},
		{[]string{"--sftp", "sftp://coupakit@127.0.0.1:1", "--sftp-password-env", "NO_SUCH_VARIABLE_SET"}, "$NO_SUCH_VARIABLE_SET is empty"},
		{[]string{"--sftp", "sftp://coupakit:secret@127.0.0.1:1", "--sftp-key", "/dev/null"}, "--sftp-key"},
		{[]string{"--sftp", "http://127.0.0.1:1", "--sftp-password-env", "HOME"}, "want sftp://user@host[:port]"},
		{[]string{"--sftp", "sftp://coupakit:secret@127.0.0.1:1", "--sftp-password-env", "HOME"}, "carries a password"},
		{[]string{"--sftp", "sftp://coupakit@127.0.0.1:1", "--sftp-password-env", "HOME"}, "cannot be reached"},
	} {
		code, _, stderr := runCheckArgs(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
