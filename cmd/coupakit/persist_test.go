package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// coupakitBinary builds the coupakit binary into the test's temporary
// directory.
func coupakitBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "coupakit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	return bin
}

// serveProcess is a real `coupakit serve` process.
type serveProcess struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	core   string
	exited chan error
}

// startProcess starts `coupakit serve` with args on free loopback ports and
// waits until it is ready; a start that fails returns the process with
// ready false once it has exited.
func startProcess(t *testing.T, bin string, args ...string) (*serveProcess, bool) {
	t.Helper()
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--cso-addr", "127.0.0.1:0", "--sftp=false", "--auth", "none"}, args...)
	p := &serveProcess{cmd: exec.Command(bin, args...), out: &syncBuffer{}, exited: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	deadline := time.After(30 * time.Second)
	for !strings.Contains(p.out.String(), "Ctrl-C to stop") {
		select {
		case err := <-p.exited:
			p.exited <- err
			return p, false
		case <-deadline:
			t.Fatalf("serve did not start: %s", p.out)
		case <-time.After(10 * time.Millisecond):
		}
	}
	m := regexp.MustCompile(`Core API:\s+(http://\S+)`).FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("no Core API URL in %s", p.out)
	}
	p.core = m[1]
	return p, true
}

// wait waits for the process to end and returns its error.
func (p *serveProcess) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.exited:
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not end: %s", p.out)
		return nil
	}
}

func (p *serveProcess) createIntegration(t *testing.T, code string) {
	t.Helper()
	body := `{"code": "` + code + `", "name": "Kept ` + code + `"}`
	req, _ := http.NewRequest("POST", p.core+"/api/integrations", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create %s: %d %s", code, resp.StatusCode, got)
	}
}

func (p *serveProcess) hasIntegration(t *testing.T, code string) bool {
	t.Helper()
	status, body := get(t, p.core+"/api/integrations?code="+code)
	if status != 200 {
		t.Fatalf("list: %d %s", status, body)
	}
	return strings.Contains(body, `"code":"`+code+`"`)
}

// TestStateFileAcrossRestarts stops and starts a real coupakit serve: a
// record made before SIGTERM is there after the next start, and so is one
// made more than a second before kill -9; a corrupt state file fails the
// start with a message naming it and leaves the file as it was.
func TestStateFileAcrossRestarts(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	args := []string{"--records", "2", "--state-file", state}
	bin := coupakitBinary(t)

	p, ok := startProcess(t, bin, args...)
	if !ok {
		t.Fatalf("serve did not start: %s", p.out)
	}
	p.createIntegration(t, "BEFORE_SIGTERM")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("after SIGTERM: %v: %s", err, p.out)
	}

	p, ok = startProcess(t, bin, args...)
	if !ok {
		t.Fatalf("serve did not start again: %s", p.out)
	}
	if !p.hasIntegration(t, "BEFORE_SIGTERM") {
		t.Fatal("the record made before SIGTERM is gone after the restart")
	}
	p.createIntegration(t, "BEFORE_KILL")
	time.Sleep(1100 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.wait(t)

	p, ok = startProcess(t, bin, args...)
	if !ok {
		t.Fatalf("serve did not start after kill -9: %s", p.out)
	}
	for _, code := range []string{"BEFORE_SIGTERM", "BEFORE_KILL"} {
		if !p.hasIntegration(t, code) {
			t.Errorf("%s is gone after kill -9", code)
		}
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.wait(t)

	corrupt := []byte(`{"integrations": [{"id": 1,`)
	if err := os.WriteFile(state, corrupt, 0o600); err != nil {
		t.Fatal(err)
	}
	p, ok = startProcess(t, bin, args...)
	if ok {
		t.Fatalf("serve started over a corrupt state file: %s", p.out)
	}
	if err := p.wait(t); err == nil {
		t.Error("serve exited 0 over a corrupt state file")
	}
	for _, want := range []string{"state file " + state, "not a JSON object"} {
		if !strings.Contains(p.out.String(), want) {
			t.Errorf("the message does not say %q: %s", want, p.out)
		}
	}
	if after, _ := os.ReadFile(state); !bytes.Equal(after, corrupt) {
		t.Errorf("the corrupt file was changed: %s", after)
	}
}

// TestServeDataFile loads fixtures: a good file's records are served, a
// bad one fails the start naming the file, the record and the element.
func TestServeDataFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "fixtures.yaml")
	if err := os.WriteFile(good, []byte("integrations:\n  - {id: 1, code: ONLY_ONE, name: The only one}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	urls, stop, stdout := startServe(t, "--data", good, "--records", "0", "--auth", "none", "--sftp=false")
	status, body := get(t, urls["Core API"]+"/api/integrations")
	if status != 200 || !strings.Contains(body, "ONLY_ONE") || strings.Count(body, `"code"`) != 1 {
		t.Errorf("the fixtures alone: %d %s", status, body)
	}
	if !strings.Contains(stdout.String(), "fixtures from "+good) {
		t.Errorf("the start does not name the fixtures: %s", stdout)
	}
	stop()

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"integration_runs": [{"id": 3, "status": "sleeping"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	code := run(t.Context(), []string{"serve", "--data", bad, "--sftp=false", "--addr", "127.0.0.1:0", "--cso-addr", "127.0.0.1:0"}, io.Discard, &stderr)
	if code == 0 {
		t.Fatal("serve started with a bad fixtures file")
	}
	for _, want := range []string{bad, "integration_runs[0] (id 3)", "status"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the error does not name %q: %s", want, stderr.String())
		}
	}
}
