package main

import (
	"encoding/json"
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

	"github.com/coupakit/coupakit/internal/admintest"
)

// TestServeFaultsProcess runs `coupakit serve --fault ... --faults FILE` as
// a process of its own (this test binary, re-executed into main): the rules
// of the file and of the flag apply over HTTP, the admin routes list them
// (validated against admin.yaml), a reset puts them back, and SIGTERM stops
// it with 0.
func TestServeFaultsProcess(t *testing.T) {
	if args := os.Getenv("COUPAKIT_TEST_SERVE_ARGS"); args != "" {
		var list []string
		if err := json.Unmarshal([]byte(args), &list); err != nil {
			panic(err)
		}
		os.Args = append([]string{"coupakit"}, list...)
		main()
		return
	}
	file := filepath.Join(t.TempDir(), "faults.yaml")
	if err := os.WriteFile(file, []byte("faults:\n  - match: {method: GET, path: /api/integrations}\n    status: 500\nsettings: {delay_ms: 0, jitter_ms: 0}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args, _ := json.Marshal([]string{"serve", "--addr", "127.0.0.1:0", "--cso-addr", "127.0.0.1:0", "--sftp=false", "--auth", "none",
		"--fault", "GET /api/integration_errors status=503 retry_after=1 times=2", "--faults", file})
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeFaultsProcess$")
	cmd.Env = append(os.Environ(), "COUPAKIT_TEST_SERVE_ARGS="+string(args))
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), "Ctrl-C to stop"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s", out)
		}
	}
	m := regexp.MustCompile(`Core API:\s+(http://\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no Core API URL: %s", out)
	}
	core := m[1]

	var got []int
	for range 3 {
		code, body := get(t, core+"/api/integration_errors")
		got = append(got, code)
		if code == 503 && !strings.Contains(body, `{"errors":{"integration-error":["Service Unavailable (injected by fault rule 2)"]}}`) {
			t.Errorf("503 body %s", body)
		}
	}
	if got[0] != 503 || got[1] != 503 || got[2] != 200 {
		t.Fatalf("statuses %v, want 503, 503, 200", got)
	}
	if code, _ := get(t, core+"/api/integrations"); code != 500 {
		t.Fatalf("the file's rule: %d, want 500", code)
	}

	spec := admintest.Load(t)
	list := func() []map[string]any {
		req, _ := http.NewRequest("GET", core+"/_mock/faults", nil)
		resp, body := spec.Do(t, http.DefaultClient, req)
		var v []map[string]any
		if resp.StatusCode != 200 || json.Unmarshal(body, &v) != nil {
			t.Fatalf("GET /_mock/faults: %d %s", resp.StatusCode, body)
		}
		return v
	}
	if l := list(); len(l) != 2 || l[0]["status"] != 500.0 || l[1]["fired"] != 2.0 || l[1]["retired"] != true {
		t.Fatalf("rules %v", l)
	}
	req, _ := http.NewRequest("POST", core+"/_mock/reset", nil)
	if resp, body := spec.Do(t, http.DefaultClient, req); resp.StatusCode != 200 {
		t.Fatalf("reset: %d %s", resp.StatusCode, body)
	}
	if l := list(); len(l) != 2 || l[1]["fired"] != 0.0 {
		t.Fatalf("rules after reset %v", l)
	}
	if code, _ := get(t, core+"/api/integration_errors"); code != 503 {
		t.Fatalf("after reset: %d, want the flag's 503 again", code)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v; output: %s", err, out)
	}
}

// TestServeFaultErrors: a bad rule or file is a start-up error naming it.
func TestServeFaultErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.yaml")
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`[{"status": 503}, {"stauts": 503}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--fault", "GET /api/x status=200"}, "rule 1: status must be between 400 and 599, got 200"},
		{[]string{"--fault", "GET /api/x colour=red"}, `unknown key "colour"`},
		{[]string{"--fault", "operation=listInvoices status=500"}, `match.operation "listInvoices" is no operation`},
		{[]string{"--faults", missing}, "none.yaml"},
		{[]string{"--faults", bad}, "bad.json: rule 2"},
	}
	for _, tt := range tests {
		var stderr strings.Builder
		code := runServe(t.Context(), append([]string{"--addr", "127.0.0.1:0", "--cso-addr", "127.0.0.1:0", "--sftp=false"}, tt.args...), io.Discard, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}
