//go:build image

package main

// The container image's test, run by `make test-image` (not by `make test`):
// it needs a running Docker daemon and the image `make image` builds. The
// container runs with --network host on free loopback ports; nothing is
// started on a bridge network.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coupakit/coupakit/auth"
)

func image() string {
	if img := os.Getenv("COUPAKIT_IMAGE"); img != "" {
		return img
	}
	return "coupakit:dev"
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command("docker", args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("docker %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String() + errOut.String()
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

func TestImageDefaultsListenOnEveryInterface(t *testing.T) {
	out := docker(t, "run", "--rm", "--network", "none", image(), "serve", "-h")
	for _, want := range []string{`(default "0.0.0.0:8080")`, `(default "0.0.0.0:8081")`, `(default "0.0.0.0:2222")`} {
		if !strings.Contains(out, want) {
			t.Errorf("serve -h in the image does not show %s:\n%s", want, out)
		}
	}
}

func TestImageServes(t *testing.T) {
	p := freePorts(t, 3)
	name := fmt.Sprintf("coupakit-test-image-%d", os.Getpid())
	docker(t, "run", "-d", "--rm", "--network", "host", "--name", name, image(), "serve",
		"--addr", fmt.Sprintf("127.0.0.1:%d", p[0]), "--cso-addr", fmt.Sprintf("127.0.0.1:%d", p[1]),
		"--sftp-addr", fmt.Sprintf("127.0.0.1:%d", p[2]))
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", name).Run() })
	core, cso := fmt.Sprintf("http://127.0.0.1:%d", p[0]), fmt.Sprintf("http://127.0.0.1:%d", p[1])

	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(core + "/_mock/health"); err == nil {
			resp.Body.Close()
			code, body := get(t, core+"/_mock/health")
			if code != 200 || strings.TrimSpace(body) != `{"status":"ok"}` {
				t.Fatalf("health: %d %s", code, body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no health after 30 s; logs:\n%s", docker(t, "logs", name))
		}
		time.Sleep(200 * time.Millisecond)
	}

	resp, err := http.PostForm(core+"/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {auth.DefaultClientID}, "client_secret": {auth.DefaultClientSecret},
	})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	if code, _ := get(t, core+"/api/integration_errors", "Accept", "application/json"); code != 401 {
		t.Errorf("a list without a token: %d, want 401", code)
	}
	code, body := get(t, core+"/api/integration_errors?limit=3", "Accept", "application/json", "Authorization", "Bearer "+tok.AccessToken)
	var list []map[string]any
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list) != 3 {
		t.Fatalf("authenticated list: %d %s", code, body)
	}
	if code, body := get(t, cso+"/api/events?limit=1", "X-CSO-API-KEY", auth.DefaultCSOAPIKey); code != 200 {
		t.Errorf("Sourcing list: %d %s", code, body)
	}
	c := dialSFTP(t, fmt.Sprintf("sftp://coupakit@127.0.0.1:%d", p[2]))
	if entries, err := c.ReadDir("/"); err != nil || len(entries) == 0 {
		t.Errorf("SFTP /: %v, %d entries", err, len(entries))
	}
	logs := docker(t, "logs", name)
	if !strings.Contains(logs, listenAllEnv+"=1") {
		t.Errorf("the start-up lines do not say that the defaults listen on 0.0.0.0:\n%s", logs)
	}
}
