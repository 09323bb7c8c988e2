package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/mock"
	"github.com/google/go-cmp/cmp"
)

// datePattern finds the run's date in a report, which the golden files fix.
var (
	datePattern     = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	htmlDatePattern = regexp.MustCompile(`\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d UTC`)
	mdDatePattern   = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d UTC`)
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// checkTarget serves a fresh mock on 127.0.0.1; wrap, when set, changes the
// Sourcing API's handler.
type checkTarget struct{ core, cso string }

func serveCheckTarget(t *testing.T, wrap func(http.Handler) http.Handler) checkTarget {
	t.Helper()
	m, err := mock.New(mock.Options{Seed: 1, Records: 25})
	if err != nil {
		t.Fatal(err)
	}
	cso := m.SourcingHandler()
	if wrap != nil {
		cso = wrap(cso)
	}
	core := httptest.NewServer(m.CoreHandler())
	t.Cleanup(core.Close)
	srv := httptest.NewServer(cso)
	t.Cleanup(srv.Close)
	return checkTarget{core: core.URL, cso: srv.URL}
}

// serveAuthCheckTarget serves a fresh mock with Coupa's authentication on
// (the default client and keys) on 127.0.0.1.
func serveAuthCheckTarget(t *testing.T) checkTarget {
	t.Helper()
	m, err := mock.New(mock.Options{Seed: 1, Records: 25, Auth: &auth.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	core := httptest.NewServer(m.CoreHandler())
	t.Cleanup(core.Close)
	cso := httptest.NewServer(m.SourcingHandler())
	t.Cleanup(cso.Close)
	return checkTarget{core: core.URL, cso: cso.URL}
}

// miscountAdded makes the Sourcing API answer added 1 to every create: a
// violation of the contract that events.create catches.
func miscountAdded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/events" {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if rec.Code == http.StatusCreated && json.Unmarshal(rec.Body.Bytes(), &body) == nil {
			body["added"] = 1
			data, _ := json.Marshal(body)
			rec.Body = bytes.NewBuffer(data)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func runCheckArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runCheck(t.Context(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestCheckExitCodes(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html>\n<html><body>It works!</body></html>\n"))
	}))
	t.Cleanup(web.Close)
	good := func(t *testing.T) checkTarget { return serveCheckTarget(t, nil) }
	bad := func(t *testing.T) checkTarget { return serveCheckTarget(t, miscountAdded) }
	tests := []struct {
		name       string
		target     func(*testing.T) checkTarget
		args       func(checkTarget) []string
		code       int
		stdout     string
		stderr     string
		notStderr  string
		notStdout  string
		wantOutput bool
		// lines, when positive, is how many lines stderr has; -1 says
		// the read-only report on stdout is short.
		lines int
	}{
		{name: "no base URL", args: func(checkTarget) []string { return nil }, code: 2, stderr: "give --base-url, --cso-base-url or both"},
		{name: "unknown flag", args: func(checkTarget) []string { return []string{"--base-url", "http://127.0.0.1:1", "--bogus"} }, code: 2, stderr: "unknown flag --bogus"},
		{name: "stray argument", args: func(checkTarget) []string { return []string{"--base-url", "http://127.0.0.1:1", "now"} }, code: 2, stderr: `unexpected argument "now"`},
		{name: "bad format", args: func(checkTarget) []string {
			return []string{"--base-url", "http://127.0.0.1:1", "--auth", "none", "--format", "yaml"}
		}, code: 2, stderr: "want text, json, junit, html or markdown"},
		{name: "bad --only", args: func(checkTarget) []string {
			return []string{"--base-url", "http://127.0.0.1:1", "--auth", "none", "--only", "("}
		}, code: 2, stderr: "--only: error parsing regexp"},
		{name: "bad --auth", args: func(checkTarget) []string { return []string{"--base-url", "http://127.0.0.1:1", "--auth", "basic"} }, code: 2, stderr: `--auth "basic": want oauth or none`},
		{name: "bad --rate", args: func(checkTarget) []string {
			return []string{"--base-url", "http://127.0.0.1:1", "--auth", "none", "--rate", "-2"}
		}, code: 2, stderr: "--rate -2"},
		{name: "oauth without Core credentials", args: func(checkTarget) []string { return []string{"--base-url", "http://127.0.0.1:1"} }, code: 2,
			stderr: "--auth oauth (the default) needs the Core API's credentials"},
		{name: "oauth without the Sourcing key", args: func(checkTarget) []string { return []string{"--cso-base-url", "http://127.0.0.1:1"} }, code: 2,
			stderr: "--auth oauth (the default) needs the Sourcing API's key: --cso-api-key"},
		{name: "bad --header", args: func(checkTarget) []string { return []string{"--base-url", "http://127.0.0.1:1", "--header", "NoColon"} }, code: 2, stderr: "want 'Name: value'"},
		{name: "bad URL", args: func(checkTarget) []string { return []string{"--base-url", "acme.coupahost.com", "--token", "t"} }, code: 2, stderr: "not an absolute http(s) URL"},
		{name: "token and client", args: func(checkTarget) []string {
			return []string{"--base-url", "http://127.0.0.1:1", "--token", "t", "--client-id", "c", "--client-secret", "s"}
		}, code: 2, stderr: "give --token or --client-id, not both"},
		{name: "client without secret", args: func(checkTarget) []string { return []string{"--base-url", "http://127.0.0.1:1", "--client-id", "c"} }, code: 2, stderr: "--client-id needs --client-secret"},
		{name: "secret without client", args: func(checkTarget) []string {
			return []string{"--base-url", "http://127.0.0.1:1", "--client-secret", "s"}
		}, code: 2, stderr: "--client-secret needs --client-id"},
		{name: "scope without client", args: func(checkTarget) []string {
			return []string{"--base-url", "http://127.0.0.1:1", "--scope", "core.integration.read"}
		}, code: 2, stderr: "--scope needs --client-id"},
		{name: "client without Core URL", args: func(checkTarget) []string {
			return []string{"--cso-base-url", "http://127.0.0.1:1", "--client-id", "c", "--client-secret", "s"}
		}, code: 2, stderr: "--client-id needs --base-url"},
		{name: "unreachable", args: func(checkTarget) []string { return []string{"--base-url", closed.URL, "--auth", "none"} }, code: 2, stderr: "target cannot be reached"},
		{name: "not a Coupa API", args: func(checkTarget) []string {
			return []string{"--base-url", web.URL, "--cso-base-url", web.URL, "--auth", "none"}
		}, code: 2,
			stderr: "coupakit check: " + web.URL + " is not a Coupa API: GET /api/integration_errors answered 200 OK (text/html", lines: 1},
		{name: "wrong client secret", target: serveAuthCheckTarget, code: 2, lines: 1,
			args: func(c checkTarget) []string {
				return []string{"--base-url", c.core, "--client-id", auth.DefaultClientID, "--client-secret", "not-the-secret"}
			},
			stderr: "coupakit check: authentication failed: 401 invalid_client", notStderr: "cannot be reached"},
		{name: "wrong Sourcing key", target: serveAuthCheckTarget, code: 2, lines: 1,
			args:   func(c checkTarget) []string { return []string{"--cso-base-url", c.cso, "--cso-api-key", "not-the-key"} },
			stderr: "coupakit check: authentication failed: the Sourcing API at", notStderr: "cannot be reached"},
		{name: "paced on request", target: good, code: 0,
			args: func(c checkTarget) []string {
				return []string{"--cso-base-url", c.cso, "--auth", "none", "--read-only", "--only", `^events\.list$`, "--rate", "1000"}
			},
			stderr: "coupakit check: 1 check, about 6 requests at 1000 a second: expect about 0s\n"},
		{
			name: "help", args: func(checkTarget) []string { return []string{"--help"} }, code: 0,
			stdout: "Exit status: 0 when every required (must) check passes",
		},
		{
			name: "conforming, read-only", target: good, code: 0,
			args: func(c checkTarget) []string {
				return []string{"--base-url", c.core, "--cso-base-url", c.cso, "--read-only", "--auth", "none", "--verbose"}
			},
			stdout: "PASS: ", stderr: "PASS  must   events.list\n", notStderr: "FAIL",
		},
		{
			name: "conforming, read-only, quiet progress", target: good, code: 0,
			args: func(c checkTarget) []string {
				return []string{"--base-url", c.core, "--cso-base-url", c.cso, "--read-only", "--auth", "none"}
			},
			stdout: "to run them: a full run (without --read-only), against a sandbox", notStderr: "PASS", lines: -1,
		},
		{
			name: "conforming, full run", target: good, code: 0,
			args: func(c checkTarget) []string {
				return []string{"--base-url", c.core, "--cso-base-url", c.cso, "--quiet", "--auth", "none"}
			},
			stdout: "PASS: 351 passed, 0 failed (0 must, 0 should), 9 skipped", notStderr: "PASS",
		},
		{
			name: "conforming, authenticated", target: serveAuthCheckTarget, code: 0,
			args: func(c checkTarget) []string {
				return []string{"--base-url", c.core, "--cso-base-url", c.cso, "--client-id", auth.DefaultClientID,
					"--client-secret", auth.DefaultClientSecret, "--scope", auth.ScopeRead + " " + auth.ScopeWrite,
					"--cso-api-key", auth.DefaultCSOAPIKey, "--quiet"}
			},
			stdout: "PASS: 358 passed, 0 failed (0 must, 0 should), 2 skipped", notStdout: auth.DefaultClientSecret, notStderr: "PASS",
		},
		{
			name: "authenticated target, no credentials", target: serveAuthCheckTarget, code: 2, lines: 1,
			args:   func(c checkTarget) []string { return []string{"--base-url", c.core, "--quiet", "--auth", "none"} },
			stderr: "coupakit check: authentication failed: the Core API at",
		},
		{
			name: "violation", target: bad, code: 1,
			args: func(c checkTarget) []string {
				return []string{"--cso-base-url", c.cso, "--only", `^events\.create$`, "--auth", "none"}
			},
			stdout: "FAIL  must   events.create", stderr: "FAIL  must   events.create: a create of 2 events answered added 1",
		},
		{
			name: "violation, JSON to a file", target: bad, code: 1, wantOutput: true,
			args: func(c checkTarget) []string {
				return []string{"--cso-base-url", c.cso, "--only", `^events\.create$`, "--format", "json", "--auth", "none"}
			},
			stderr: "Summary by operation", notStdout: "events",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c checkTarget
			if tt.target != nil {
				c = tt.target(t)
			}
			args := tt.args(c)
			out := filepath.Join(t.TempDir(), "report")
			if tt.wantOutput {
				args = append(args, "--output", out)
			}
			code, stdout, stderr := runCheckArgs(t, args...)
			if code != tt.code {
				t.Errorf("exit code %d; want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, c := range []struct{ name, got, want string }{{"stdout", stdout, tt.stdout}, {"stderr", stderr, tt.stderr}} {
				if !strings.Contains(c.got, c.want) {
					t.Errorf("%s does not say %q:\n%s", c.name, c.want, c.got)
				}
			}
			if n := strings.Count(stderr, "\n"); tt.lines > 0 && n != tt.lines {
				t.Errorf("stderr has %d lines; want %d:\n%s", n, tt.lines, stderr)
			}
			if n := strings.Count(stdout, "\n"); tt.lines < 0 && n > 120 {
				t.Errorf("the report has %d lines; want a short one:\n%s", n, stdout)
			}
			if strings.Contains(stderr, "conformance:") {
				t.Errorf("stderr repeats a package prefix:\n%s", stderr)
			}
			if tt.notStderr != "" && strings.Contains(stderr, tt.notStderr) {
				t.Errorf("stderr says %q:\n%s", tt.notStderr, stderr)
			}
			if tt.notStdout != "" && strings.Contains(stdout, tt.notStdout) {
				t.Errorf("stdout says %q:\n%s", tt.notStdout, stdout)
			}
			if tt.wantOutput {
				data, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				var report struct {
					Passed bool
					Checks []struct{ ID, Status, Request string }
				}
				if err := json.Unmarshal(data, &report); err != nil {
					t.Fatalf("the report is not JSON: %v", err)
				}
				if report.Passed || len(report.Checks) != 1 || report.Checks[0].Status != "fail" || !strings.HasPrefix(report.Checks[0].Request, "curl ") {
					t.Errorf("report %+v", report)
				}
			}
		})
	}
}

// TestCheckHelpExplainsEveryFlag shows that --help documents each flag.
func TestCheckHelpExplainsEveryFlag(t *testing.T) {
	code, stdout, _ := runCheckArgs(t, "--help")
	if code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, f := range []string{"base-url", "cso-base-url", "token", "client-id", "client-secret", "scope", "cso-api-key", "header", "read-only", "only", "format", "output", "run-id", "timeout", "strict", "quiet", "auth", "rate", "verbose"} {
		if !strings.Contains(stdout, "  --"+f+" ") && !strings.Contains(stdout, "  --"+f+"\n") {
			t.Errorf("--help does not explain --%s:\n%s", f, stdout)
		}
	}
}

// TestCheckPassesCredentials shows that the token (from the flag or
// $COUPAKIT_TOKEN) reaches the Core API and not the Sourcing API, and that
// the headers reach both.
func TestCheckPassesCredentials(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 3})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	record := func(api string, next http.Handler) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[api+" auth="+r.Header.Get("Authorization")] = true
			seen[api+" key="+r.Header.Get("X-Cso-Api-Key")] = true
			mu.Unlock()
			next.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	core, cso := record("core", m.CoreHandler()), record("sourcing", m.SourcingHandler())
	for _, tt := range []struct {
		name string
		env  string
		args []string
		want []string
	}{
		{"flag", "", []string{"--token", "from-flag"}, []string{"core auth=Bearer from-flag", "sourcing auth="}},
		{"environment", "from-env", nil, []string{"core auth=Bearer from-env", "sourcing auth="}},
		{"header", "", []string{"--header", "X-CSO-API-KEY: k3y"}, []string{"core key=k3y", "sourcing key=k3y"}},
		{"Sourcing key", "", []string{"--cso-api-key", "k3y"}, []string{"core key=", "sourcing key=k3y"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("COUPAKIT_TOKEN", tt.env)
			mu.Lock()
			clear(seen)
			mu.Unlock()
			args := append([]string{"--base-url", core.URL, "--cso-base-url", cso.URL, "--read-only", "--only", `^(events|integration_errors)\.list$`, "--quiet", "--auth", "none"}, tt.args...)
			if code, stdout, stderr := runCheckArgs(t, args...); code != 0 {
				t.Fatalf("exit code %d\n%s%s", code, stdout, stderr)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, want := range tt.want {
				if !seen[want] {
					t.Errorf("the servers did not see %q; they saw %v", want, seen)
				}
			}
			if !strings.HasSuffix(tt.want[1], "=") {
				return
			}
			for k := range seen {
				if strings.HasPrefix(k, "sourcing auth=Bearer") {
					t.Errorf("the Sourcing API was sent the token: %s", k)
				}
			}
		})
	}
}

// TestCheckReportGolden pins each report format of a run with a failure:
// the run ID is fixed and the servers' URLs are replaced, so the output is
// deterministic. Run go test -update to rewrite the golden files.
func TestCheckReportGolden(t *testing.T) {
	for _, format := range []string{"json", "junit", "text", "markdown", "html"} {
		t.Run(format, func(t *testing.T) {
			c := serveCheckTarget(t, miscountAdded)
			code, stdout, stderr := runCheckArgs(t,
				"--base-url", c.core, "--cso-base-url", c.cso, "--run-id", "golden", "--format", format, "--quiet", "--auth", "none",
				"--only", `^(events\.(create|show|response\.createEvents)|integration_errors\.(list|response\.listIntegrationErrors))$`)
			if code != 1 {
				t.Fatalf("exit code %d; want 1\n%s", code, stderr)
			}
			got := strings.NewReplacer(c.core, "http://core.test", c.cso, "http://cso.test").Replace(stdout)
			got = datePattern.ReplaceAllString(got, "2026-01-02T03:04:05Z")
			got = htmlDatePattern.ReplaceAllString(got, "2 January 2026, 03:04 UTC")
			got = mdDatePattern.ReplaceAllString(got, "2026-01-02 03:04 UTC")
			path := filepath.Join("testdata", "check_report."+map[string]string{"json": "json", "junit": "xml", "text": "txt", "markdown": "md", "html": "html"}[format])
			if *updateGolden {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s mismatch (-want +got), run go test -update if the change is right:\n%s", path, diff)
			}
		})
	}
}

// TestCheckClientCredentials shows that with client credentials the run
// fetches its own token for the Core API only, takes the secret from
// $COUPAKIT_CLIENT_SECRET and the key from $COUPAKIT_CSO_API_KEY, runs the
// checks of authentication, and shows no credential.
func TestCheckClientCredentials(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1, Records: 3, Auth: &auth.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	record := func(api string, next http.Handler) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			authz, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			seen[api+" "+r.Method+" "+r.URL.Path+" auth="+authz] = true
			seen[api+" key="+r.Header.Get("X-Cso-Api-Key")] = true
			mu.Unlock()
			next.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	core, cso := record("core", m.CoreHandler()), record("sourcing", m.SourcingHandler())
	t.Setenv("COUPAKIT_CLIENT_SECRET", auth.DefaultClientSecret)
	t.Setenv("COUPAKIT_CSO_API_KEY", auth.DefaultCSOAPIKey)
	t.Setenv("COUPAKIT_TOKEN", "ignored-with-client-credentials")
	out := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr := runCheckArgs(t, "--base-url", core.URL, "--cso-base-url", cso.URL, "--client-id", auth.DefaultClientID,
		"--read-only", "--only", `^(auth\.|events\.auth$|integration_errors\.list$)`, "--format", "json", "--output", out)
	if code != 0 {
		t.Fatalf("exit code %d\n%s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{auth.DefaultClientSecret, auth.DefaultCSOAPIKey, "ignored-with-client-credentials"} {
		if strings.Contains(string(data)+stdout+stderr, secret) {
			t.Errorf("the output shows the credential %q", secret)
		}
	}
	var report struct {
		Checks []struct{ ID, Status string }
	}
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	passed := map[string]bool{}
	for _, c := range report.Checks {
		passed[c.ID] = c.Status == "pass"
	}
	for _, id := range []string{"auth.token", "auth.required", "auth.invalid-token", "auth.api-key", "auth.scope.read", "events.auth", "integration_errors.list"} {
		if !passed[id] {
			t.Errorf("%s did not pass: %v", id, report.Checks)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"core POST /oauth2/token auth=", "core GET /api/integration_errors auth=Bearer", "sourcing key=" + auth.DefaultCSOAPIKey} {
		if !seen[want] {
			t.Errorf("the servers did not see %q; they saw %v", want, seen)
		}
	}
	for k := range seen {
		if strings.HasPrefix(k, "sourcing") && strings.HasSuffix(k, "auth=Bearer") {
			t.Errorf("the Sourcing API was sent the token: %s", k)
		}
		if k == "core key="+auth.DefaultCSOAPIKey {
			t.Errorf("the Core API was sent the Sourcing key")
		}
	}
}
