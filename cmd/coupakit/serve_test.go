package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
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
		name   string
		args   []string
		code   int
		stdout []string // each must appear on stdout
		stderr []string // each must appear on stderr
		quiet  bool     // nothing on stderr
	}{
		{name: "top-level help", args: []string{"--help"}, stdout: []string{"coupakit serve", "coupakit check", "coupakit version"}, quiet: true},
		{name: "top-level -h", args: []string{"-h"}, stdout: []string{"coupakit serve", "coupakit check"}, quiet: true},
		{name: "no command", code: 2, stderr: []string{"Usage"}},
		{name: "unknown command", args: []string{"nosuch"}, code: 2, stderr: []string{`unknown command "nosuch"`, "coupakit --help"}},
		{name: "serve help", args: []string{"serve", "--help"}, quiet: true, stdout: []string{"Usage: coupakit serve",
			"  --addr host:port", "  --cso-addr host:port", "  --seed int", "  --records int", `(default "127.0.0.1:8080")`, `(default "127.0.0.1:8081")`,
			"  --sftp\n", "(default true)", "  --sftp-addr host:port", `(default "127.0.0.1:2222")`, "  --sftp-user name", "  --sftp-password password",
			"  --sftp-authorized-keys file", "  --state-dir dir", "  --sftp-process-delay duration",
			"  --auth mode", "  --auth-config file", "  --client-id id", "  --client-secret secret", "  --token-ttl duration", "(default 23h59m59s)",
			"  --allow-api-key\n", "  --api-key key", "  --cso-api-key key", "  --rate-limit\n"}},
		{name: "serve -h", args: []string{"serve", "-h"}, quiet: true, stdout: []string{"Usage: coupakit serve", "  --addr host:port"}},
		{name: "bad auth mode", args: []string{"serve", "--auth", "basic"}, code: 2, stderr: []string{"--auth must be oauth or none"}},
		{name: "missing auth config", args: []string{"serve", "--auth-config", "/nonexistent/auth.json"}, code: 2, stderr: []string{"/nonexistent/auth.json"}},
		{name: "missing authorized keys", args: []string{"serve", "--addr", "127.0.0.1:0", "--cso-addr", "127.0.0.1:0", "--sftp-addr", "127.0.0.1:0", "--sftp-authorized-keys", "/nonexistent/keys"}, code: 1, stderr: []string{"SFTP", "/nonexistent/keys"}},
		{name: "bad flag", args: []string{"serve", "--nosuch"}, code: 2, stderr: []string{"coupakit serve: unknown flag --nosuch\nRun 'coupakit serve --help' for the flags.\n"}},
		{name: "bad value", args: []string{"serve", "--seed", "x"}, code: 2, stderr: []string{`invalid value "x" for flag --seed`, "coupakit serve --help"}},
		{name: "missing value", args: []string{"serve", "--seed"}, code: 2, stderr: []string{"flag --seed needs a value", "coupakit serve --help"}},
		{name: "stray argument", args: []string{"serve", "extra"}, code: 2, stderr: []string{`unexpected argument "extra"`, "coupakit serve --help"}},
		{name: "negative records", args: []string{"serve", "--records", "-1", "--addr", "127.0.0.1:0", "--cso-addr", "127.0.0.1:0"}, code: 2, stderr: []string{"records"}},
		{name: "address in use", args: []string{"serve", "--addr", "256.0.0.1:1"}, code: 1, stderr: []string{"Core API"}},
		{name: "unknown time zone", args: []string{"serve", "--time-zone", "Mars/Olympus"}, code: 2, stderr: []string{"--time-zone", "Mars/Olympus"}},
		{name: "version", args: []string{"version"}, stdout: []string{"coupakit ", "(go1."}, quiet: true},
		{name: "version with an argument", args: []string{"version", "x"}, code: 2, stderr: []string{`unexpected argument "x"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q: %s", want, stdout.String())
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q: %s", want, stderr.String())
				}
			}
			if tc.quiet && stderr.Len() > 0 {
				t.Errorf("stderr is not empty: %s", stderr.String())
			}
			if tc.code == 2 && strings.Contains(stderr.String(), "Flags:") {
				t.Errorf("an error prints the whole usage: %s", stderr.String())
			}
			if n := strings.Count(stdout.String(), "Usage"); n > 1 {
				t.Errorf("the usage is printed %d times: %s", n, stdout.String())
			}
		})
	}
}

// TestBuildVersion shows that the ldflags version wins over build info.
func TestBuildVersion(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = ""
	if got := buildVersion(); got == "" || strings.HasPrefix(got, " ") {
		t.Errorf("build info version %q", got)
	}
	version = "v9.8.7"
	if got := buildVersion(); !strings.HasPrefix(got, "v9.8.7 (go") {
		t.Errorf("ldflags version: %q, want v9.8.7 (go...)", got)
	}
}

// TestFlagErrorWording pins how the flag package's errors are reworded.
func TestFlagErrorWording(t *testing.T) {
	for in, want := range map[string]string{
		"flag provided but not defined: -bogus":                "unknown flag --bogus",
		"flag provided but not defined: --bogus":               "unknown flag --bogus",
		"flag needs an argument: -seed":                        "flag --seed needs a value",
		`invalid value "x" for flag -seed: parse error`:        `invalid value "x" for flag --seed: parse error`,
		`invalid boolean value "maybe" for -sftp: parse error`: `invalid boolean value "maybe" for -sftp: parse error`,
	} {
		if got := flagError(errors.New(in)); got != want {
			t.Errorf("flagError(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReadmeWritesFlagsAsTheHelp shows that every flag the README's table
// names is a serve flag, written --name as the help writes it.
func TestReadmeWritesFlagsAsTheHelp(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var help bytes.Buffer
	if code := run(t.Context(), []string{"serve", "--help"}, &help, io.Discard); code != 0 {
		t.Fatalf("serve --help: %d", code)
	}
	// The serve flags' table is the one in "Using the mock"; other sections
	// (the proxy's) have tables of their own commands' flags.
	section := string(readme)
	if i := strings.Index(section, "\n## Using the mock"); i >= 0 {
		section = section[i+1:]
		if j := strings.Index(section[3:], "\n## "); j >= 0 {
			section = section[:j+3]
		}
	}
	cmd, _ := serveFlags()
	seen := 0
	for _, m := range regexp.MustCompile("(?m)^\\| `(-{1,2})([a-z-]+)`").FindAllStringSubmatch(section, -1) {
		seen++
		if m[1] != "--" {
			t.Errorf("the README writes %s%s; the help writes --%s", m[1], m[2], m[2])
		}
		if cmd.fs.Lookup(m[2]) == nil {
			t.Errorf("the README names --%s, which serve does not have", m[2])
		}
		if !strings.Contains(help.String(), "  --"+m[2]) {
			t.Errorf("serve --help does not show --%s", m[2])
		}
	}
	if seen < 10 {
		t.Errorf("found only %d flags in the README's table", seen)
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

// TestMainExitsZeroOnSignal runs the real main in a child process (this test
// binary, re-executed) and stops it as Ctrl-C and a process manager do: it
// shuts down and exits 0, so `make run` ends without an error.
func TestMainExitsZeroOnSignal(t *testing.T) {
	if args := os.Getenv("COUPAKIT_TEST_MAIN_ARGS"); args != "" {
		os.Args = append([]string{"coupakit"}, strings.Fields(args)...)
		main()
		return
	}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMainExitsZeroOnSignal$")
			cmd.Env = append(os.Environ(), "COUPAKIT_TEST_MAIN_ARGS=serve --addr 127.0.0.1:0 --cso-addr 127.0.0.1:0 --sftp=false")
			stdout := &syncBuffer{}
			cmd.Stdout, cmd.Stderr = stdout, stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(stdout.String(), "Ctrl-C to stop") {
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatalf("serve did not start: %s", stdout)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("after %v: %v; output: %s", sig, err, stdout)
			}
			if !strings.Contains(stdout.String(), "stopped") {
				t.Errorf("no graceful stop: %s", stdout)
			}
		})
	}
}

// TestServeTimeZoneAndStrict serves with --time-zone and --strict: the
// datetimes carry the zone's offset, and a body with an unknown element is
// a 400 naming it instead of a warning.
func TestServeTimeZoneAndStrict(t *testing.T) {
	for _, strict := range []bool{false, true} {
		args := []string{"--auth", "none", "--records", "3", "--time-zone", "Europe/Berlin"}
		if strict {
			args = append(args, "--strict")
		}
		urls, stop, _ := startServe(t, args...)
		core := urls["Core API"]
		code, body := get(t, core+"/api/integration_errors")
		if code != 200 || !regexp.MustCompile(`"created-at":"2026-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00"`).MatchString(body) {
			t.Errorf("--time-zone Europe/Berlin: %d %s", code, body)
		}
		req, err := http.NewRequest("POST", core+"/api/integration_errors", strings.NewReader(`{"contact-alert-type": "Both", "comment": "x"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		warning := resp.Header.Get("Coupakit-Warning")
		switch {
		case strict && (resp.StatusCode != 400 || !strings.Contains(string(data), "comment") || warning != ""):
			t.Errorf("--strict: %d %q %s", resp.StatusCode, warning, data)
		case !strict && (resp.StatusCode != 201 || warning != `unknown element "comment" ignored`):
			t.Errorf("lenient: %d %q %s", resp.StatusCode, warning, data)
		}
		if code := stop(); code != 0 {
			t.Errorf("serve exited %d", code)
		}
	}
}
