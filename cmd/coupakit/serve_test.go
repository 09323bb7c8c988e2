package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coupakit/coupakit/auth"
)

// syncBuffer is a bytes.Buffer safe to write from the server goroutine and
// read from the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs `coupakit serve` on free loopback ports and returns the
// URLs it printed, and a stop function that returns its exit code.
func startServe(t *testing.T, args ...string) (map[string]string, func() int, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	args = append([]string{"--addr", "127.0.0.1:0", "--cso-addr", "127.0.0.1:0", "--sftp-addr", "127.0.0.1:0", "--state-dir", t.TempDir()}, args...)
	go func() { done <- runServe(ctx, args, stdout, stderr) }()
	urls := map[string]string{}
	re := regexp.MustCompile(`^(Core API|Sourcing API|SFTP):\s+((?:http|sftp)://\S+)`)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "Ctrl-C to stop") {
		select {
		case code := <-done:
			t.Fatalf("serve exited early with %d: %s %s", code, stdout, stderr)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve printed no URLs: %q %q", stdout, stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			urls[m[1]] = m[2]
		}
	}
	stop := func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not stop")
			return -1
		}
	}
	return urls, stop, stdout
}

func get(t *testing.T, url string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServeServesBothAPIsAndStopsCleanly(t *testing.T) {
	urls, stop, stdout := startServe(t, "--seed", "7", "--records", "3")
	for _, name := range []string{"Core API", "Sourcing API"} {
		u := urls[name]
		if code, body := get(t, u+"/_mock/health"); code != 200 {
			t.Errorf("%s health: %d %s", u, code, body)
		}
	}
	// Authentication is on by default, with the credentials printed at start.
	if code, _ := get(t, urls["Core API"]+"/api/integration_errors"); code != 401 {
		t.Errorf("core list without a token: %d, want 401", code)
	}
	resp, err := http.PostForm(urls["Core API"]+"/oauth2/token", url.Values{
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
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %v %+v", err, tok)
	}
	code, body := get(t, urls["Core API"]+"/api/integration_errors", "Authorization", "Bearer "+tok.AccessToken)
	if code != 200 || strings.Count(body, `"contact-alert-type"`) != 3 {
		t.Errorf("core list: %d %s", code, body)
	}
	code, body = get(t, urls["Sourcing API"]+"/api/events", "X-CSO-API-KEY", auth.DefaultCSOAPIKey)
	if code != 200 || !strings.Contains(body, `"total":3`) {
		t.Errorf("events list: %d %s", code, body)
	}
	if got := stop(); got != 0 {
		t.Errorf("exit code %d, want 0", got)
	}
	for _, want := range []string{"seed 7, 3 records", "stopped", auth.DefaultClientID, auth.DefaultClientSecret, auth.DefaultCSOAPIKey, "sftp://coupakit@"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestServeFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"top-level help", []string{"--help"}, 0, []string{"coupakit serve", "coupakit check"}},
		{"no command", nil, 2, []string{"Usage"}},
		{"unknown command", []string{"nosuch"}, 2, []string{`unknown command "nosuch"`}},
		{"serve help", []string{"serve", "--help"}, 0, []string{"-addr", "-cso-addr", "-seed", "-records", "127.0.0.1:8080", "127.0.0.1:8081",
			"-sftp-addr", "127.0.0.1:2222", "-sftp-user", "-sftp-password", "-sftp-authorized-keys", "-state-dir", "-sftp-process-delay",
			"-auth", "-auth-config", "-client-id", "-client-secret", "-token-ttl", "-allow-api-key", "-api-key", "-cso-api-key", "-rate-limit"}},
		{"bad auth mode", []string{"serve", "--auth", "basic"}, 2, []string{"--auth must be oauth or none"}},
		{"missing auth config", []string{"serve", "--auth-config", "/nonexistent/auth.json"}, 2, []string{"/nonexistent/auth.json"}},
		{"missing authorized keys", []string{"serve", "--addr", "127.0.0.1:0", "--cso-addr", "127.0.0.1:0", "--sftp-addr", "127.0.0.1:0", "--sftp-authorized-keys", "/nonexistent/keys"}, 1, []string{"SFTP", "/nonexistent/keys"}},
		{"bad flag", []string{"serve", "--nosuch"}, 2, []string{"nosuch"}},
		{"stray argument", []string{"serve", "extra"}, 2, []string{`unexpected argument "extra"`}},
		{"negative records", []string{"serve", "--records", "-1", "--addr", "127.0.0.1:0", "--cso-addr", "127.0.0.1:0"}, 2, []string{"records"}},
		{"address in use", []string{"serve", "--addr", "256.0.0.1:1"}, 1, []string{"Core API"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			code := run(t.Context(), tc.args, &out, &out)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; output: %s", code, tc.code, out.String())
			}
			for _, want := range tc.out {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q: %s", want, out.String())
				}
			}
		})
	}
}

// TestServeAuthConfig takes the OAuth clients and keys from a file: its
// client gets a token, the default one does not.
func TestServeAuthConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "auth.json")
	cfg := `{"clients": [{"id": "erp", "secret": "s3cret", "scopes": ["core.integration.read"]}], "cso_api_keys": ["cso-1"], "token_ttl_seconds": 600}`
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	urls, stop, stdout := startServe(t, "--auth-config", file, "--sftp=false")
	defer stop()
	token := func(id, secret string) int {
		resp, err := http.PostForm(urls["Core API"]+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := token("erp", "s3cret"); code != 200 {
		t.Errorf("the file's client: %d, want 200", code)
	}
	if code := token(auth.DefaultClientID, auth.DefaultClientSecret); code != 401 {
		t.Errorf("the default client: %d, want 401", code)
	}
	if code, _ := get(t, urls["Sourcing API"]+"/api/events", "X-CSO-API-KEY", "cso-1"); code != 200 {
		t.Errorf("the file's CSO key: %d, want 200", code)
	}
	if !strings.Contains(stdout.String(), `"erp"`) || !strings.Contains(stdout.String(), "600s") {
		t.Errorf("the printed credentials are not the file's: %s", stdout)
	}
}
