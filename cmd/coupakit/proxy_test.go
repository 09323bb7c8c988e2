package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coupakit/coupakit/mock"
)

// startProxy runs `coupakit proxy` in front of a fresh in-process mock (no
// authentication) on free loopback ports, and returns the Core and
// Sourcing URLs it printed and a stop function that returns its exit code.
func startProxy(t *testing.T, args ...string) (string, string, func() int, *syncBuffer) {
	t.Helper()
	m, err := mock.New(mock.Options{Seed: 1, Records: 5})
	if err != nil {
		t.Fatal(err)
	}
	core, cso := httptest.NewServer(m.CoreHandler()), httptest.NewServer(m.SourcingHandler())
	t.Cleanup(core.Close)
	t.Cleanup(cso.Close)
	ctx, cancel := context.WithCancel(t.Context())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	args = append([]string{"--upstream", core.URL, "--cso-upstream", cso.URL, "--addr", "127.0.0.1:0", "--cso-addr", "127.0.0.1:0"}, args...)
	go func() { done <- runProxy(ctx, args, stdout, stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "Ctrl-C to stop") {
		select {
		case code := <-done:
			t.Fatalf("proxy exited early with %d: %s %s", code, stdout, stderr)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("proxy did not start: %s %s", stdout, stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	urls := regexp.MustCompile(`(?m)^(Core API|Sourcing API):\s+(http://\S+) -> `).FindAllStringSubmatch(stdout.String(), -1)
	if len(urls) != 2 {
		t.Fatalf("addresses not printed: %s", stdout)
	}
	stop := func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("proxy did not stop")
			return -1
		}
	}
	return urls[0][2], urls[1][2], stop, stderr
}

func getJSON(t *testing.T, url string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestProxyCommand runs the command end to end: a violation is logged on
// one line, --fail-on-violation makes the exit code 1, --report and
// --record are written at exit.
func TestProxyCommand(t *testing.T) {
	dir := t.TempDir()
	report, record := filepath.Join(dir, "report.json"), filepath.Join(dir, "fixtures.json")
	core, cso, stop, stderr := startProxy(t, "--fail-on-violation", "--report", report, "--record", record)
	if s := getJSON(t, core+"/api/integration_errors?limit=2"); s != 200 {
		t.Fatalf("list: %d", s)
	}
	if s := getJSON(t, cso+"/api/events?limit=1"); s != 200 {
		t.Fatalf("events: %d", s)
	}
	if s := getJSON(t, core+"/api/integration_errors?statut=ouvert"); s != 400 {
		t.Fatalf("bad filter: %d", s)
	}
	if code := stop(); code != 1 {
		t.Errorf("exit code %d with a violation and --fail-on-violation; want 1", code)
	}
	lines := regexp.MustCompile(`(?m)^coupakit proxy: .*violation 1: request.filter GET /api/integration_errors\?statut=ouvert -> 400: .*statut.*\[core.yaml#.*\]$`).FindAllString(stderr.String(), -1)
	if len(lines) != 1 {
		t.Errorf("want one log line for the violation:\n%s", stderr)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Passed bool `json:"passed"`
	}
	if err := json.Unmarshal(data, &rep); err != nil || rep.Passed {
		t.Errorf("report (%v): %.300s", err, data)
	}
	data, err = os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || string(raw["version"]) != "1" {
		t.Fatalf("fixtures (%v): %.100s", err, data)
	}
	fixtures := map[string][]map[string]any{}
	for _, res := range []string{"integration_errors", "events"} {
		var list []map[string]any
		if err := json.Unmarshal(raw[res], &list); err != nil {
			t.Fatalf("%s: %v", res, err)
		}
		fixtures[res] = list
	}
	if len(fixtures["integration_errors"]) != 2 || len(fixtures["events"]) != 1 {
		t.Errorf("recorded %d errors, %d events; want 2 and 1", len(fixtures["integration_errors"]), len(fixtures["events"]))
	}
}

// TestProxyCommandNoViolation: without violations the exit code is 0, even
// with --fail-on-violation.
func TestProxyCommandNoViolation(t *testing.T) {
	core, _, stop, stderr := startProxy(t, "--fail-on-violation")
	if s := getJSON(t, core+"/api/integrations"); s != 200 {
		t.Fatalf("list: %d", s)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d; want 0: %s", code, stderr)
	}
}

// TestProxyCommandArguments: bad arguments exit 2 with a clear message.
func TestProxyCommandArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--upstream is required"},
		{[]string{"--upstream", "acme.coupahost.com"}, `--upstream "acme.coupahost.com" is not an absolute http(s) URL`},
		{[]string{"--upstream", "http://127.0.0.1:1", "--report-format", "pdf"}, "--report-format must be one of text, json, junit, html, markdown"},
		{[]string{"--upstream", "http://127.0.0.1:1", "extra"}, `unexpected argument "extra"`},
	} {
		var stdout, stderr syncBuffer
		if code := runProxy(t.Context(), tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// TestProxyFlagsDefaults: the proxy listens on loopback unless told
// otherwise.
func TestProxyFlagsDefaults(t *testing.T) {
	fs, cfg := proxyFlags(io.Discard)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if cfg.addr != "127.0.0.1:8090" || cfg.csoAddr != "127.0.0.1:8091" {
		t.Errorf("defaults %q, %q; want loopback", cfg.addr, cfg.csoAddr)
	}
	if cfg.enforce || cfg.failOnViolation || cfg.timeout != 30*time.Second {
		t.Errorf("defaults: %+v", cfg)
	}
}

// TestProxyReportFormat: --report-format, else the extension of --report.
func TestProxyReportFormat(t *testing.T) {
	for _, tc := range []struct{ file, flag, want string }{
		{"r.json", "", "json"}, {"r.xml", "", "junit"}, {"r.html", "", "html"}, {"r.htm", "", "html"},
		{"r.md", "", "markdown"}, {"r.MD", "", "markdown"}, {"r.txt", "", "text"}, {"r", "", "text"},
		{"r.json", "markdown", "markdown"}, {"r.md", "html", "html"},
	} {
		cfg := proxyConfig{report: tc.file, reportFormat: tc.flag}
		if got, err := cfg.format(); err != nil || got != tc.want {
			t.Errorf("--report %s --report-format %q: %q, %v; want %q", tc.file, tc.flag, got, err, tc.want)
		}
	}
}
