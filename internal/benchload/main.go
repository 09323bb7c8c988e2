// Command benchload loads coupakit serve and a bare net/http server that
// serves the same response bytes with wrk, in one run, and prints each
// ratio of the mock to the bare server: GET by id, the index with
// limit=50, create (p99 over sustained creates), the RSS per stored
// record, and a two-filter list that scans 100,000 records. Beside each
// load it prints the CPU time each server spent per request, and it loads
// the bare server once more on the creates, spending per create the CPU
// time the mock spent beyond it: the p99 that a create's cost alone gives
// on the machine, against which the mock's p99 can be read. make
// bench-load runs it; it installs nothing (wrk: apt-get install wrk).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coupakit/coupakit/auth"
	"github.com/coupakit/coupakit/internal/httpserver"
	"github.com/coupakit/coupakit/mock"
)

func main() {
	bin := flag.String("coupakit", "bin/coupakit", "the coupakit binary")
	duration := flag.Duration("d", 10*time.Second, "how long each wrk run lasts")
	threads := flag.Int("t", 2, "wrk threads")
	conns := flag.Int("c", 32, "wrk connections")
	records := flag.Int("records", 100_000, "records the loaded mock seeds per resource")
	flag.IntVar(&rounds, "rounds", 2, "runs of each read load, mock and bare in turn; the best of each counts (the machine may be shared)")
	flag.Parse()
	if err := run(*bin, *duration, *threads, *conns, *records); err != nil {
		fmt.Fprintln(os.Stderr, "bench-load:", err)
		os.Exit(1)
	}
}

// rounds is how often each read load runs.
var rounds = 2

// server is a started coupakit serve.
type server struct {
	cmd       *exec.Cmd
	base, cso string // the Core and Sourcing APIs
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func startServe(bin string, records int) (*server, error) {
	core, err := freePort()
	if err != nil {
		return nil, err
	}
	cso, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--addr", core, "--cso-addr", cso, "--sftp=false", "--seed", "1", "--records", strconv.Itoa(records))
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + core, cso: "http://" + cso}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.base + "/_mock/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, errors.New("coupakit serve did not come up")
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// rssKiB reads a process's resident set size.
func rssKiB(pid int) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, errors.New("no VmRSS")
}

func token(base string) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {auth.DefaultClientID}, "client_secret": {auth.DefaultClientSecret},
		"scope": {"core.integration.read core.integration.write"}}
	resp, err := http.PostForm(base+"/oauth2/token", form)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("no token (status %d)", resp.StatusCode)
	}
	return tok.AccessToken, nil
}

// fetch sends one request and returns the status and body.
func fetch(method, u, auth string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+auth)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// result is what wrk measured.
type result struct {
	rps      float64
	p99      time.Duration
	requests int
	non2xx   int
	// cpu is the server's CPU time per request (wrkCPU).
	cpu time.Duration
}

var (
	reqSec   = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	p99Line  = regexp.MustCompile(`\n\s+99%\s+([0-9.]+)(us|ms|s)`)
	total    = regexp.MustCompile(`(\d+) requests in`)
	non2xxRe = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// wrk loads target; script, when set, is a Lua script (for POST).
func wrk(d time.Duration, threads, conns int, target, auth, script string) (result, error) {
	args := []string{"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency",
		"-H", "Accept: application/json"}
	if auth != "" {
		args = append(args, "-H", "Authorization: Bearer "+auth)
	}
	if script != "" {
		args = append(args, "-s", script)
	}
	out, err := exec.Command("wrk", append(args, target)...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk %s: %v\n%s", target, err, out)
	}
	r := parseWrk(out)
	if r.rps == 0 {
		return r, fmt.Errorf("wrk %s: no Requests/sec in\n%s", target, out)
	}
	return r, nil
}

// wrkCPU is wrk, with the CPU time the process pid ("self": this one,
// which runs the bare server) spent per request during the run.
func wrkCPU(pid string, d time.Duration, threads, conns int, target, auth, script string) (result, error) {
	before, err := cpuTime(pid)
	if err != nil {
		return result{}, err
	}
	r, err := wrk(d, threads, conns, target, auth, script)
	if err != nil {
		return r, err
	}
	after, err := cpuTime(pid)
	if err != nil {
		return r, err
	}
	r.cpu = perRequest(before, after, r.requests)
	return r, nil
}

// parseWrk reads wrk --latency's report.
func parseWrk(out []byte) result {
	var r result
	if m := reqSec.FindSubmatch(out); m != nil {
		r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	if m := p99Line.FindSubmatch(out); m != nil {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(m[2])]
		r.p99 = time.Duration(v * float64(unit))
	}
	if m := total.FindSubmatch(out); m != nil {
		r.requests, _ = strconv.Atoi(string(m[1]))
	}
	if m := non2xxRe.FindSubmatch(out); m != nil {
		r.non2xx, _ = strconv.Atoi(string(m[1]))
	}
	return r
}

// bareRoute is what the bare server answers on one route: fixed bytes,
// after spending burn's CPU time when burn is set.
type bareRoute struct {
	status int
	body   []byte
	burn   *burner
}

// bare serves fixed bytes, as a floor for what any server pays.
func bare(routes map[string]bareRoute) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	for pattern, r := range routes {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, req *http.Request) {
			_, _ = io.Copy(io.Discard, req.Body)
			if r.burn != nil {
				r.burn.burn()
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(r.status)
			_, _ = w.Write(r.body)
		})
	}
	// The same server as coupakit serve's, timeouts included (each costs
	// a deadline a request): the ratios measure the handlers.
	srv := httpserver.New(mux, mock.DefaultBodyTimeout)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Shutdown(context.Background()) }, nil
}

func run(bin string, d time.Duration, threads, conns, records int) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed: apt-get install wrk")
	}
	empty, err := startServe(bin, 0)
	if err != nil {
		return err
	}
	time.Sleep(time.Second)
	rss0, err := rssKiB(empty.cmd.Process.Pid)
	empty.stop()
	if err != nil {
		return err
	}

	fmt.Printf("starting coupakit serve with %d records per resource...\n", records)
	s, err := startServe(bin, records)
	if err != nil {
		return err
	}
	defer s.stop()
	time.Sleep(2 * time.Second)
	rss, err := rssKiB(s.cmd.Process.Pid)
	if err != nil {
		return err
	}
	tok, err := token(s.base)
	if err != nil {
		return err
	}
	stored, err := countStored(s, tok)
	if err != nil {
		return err
	}

	show := s.base + "/api/integration_errors/" + strconv.Itoa(max(1, records/2))
	index := s.base + "/api/integration_errors?limit=50&offset=100"
	// The two filters of the scan are both tested on every record: the
	// mock tests the cheaper first (updated-at, one pointer away), which
	// every record passes (each was updated after the instant), then
	// status, which none has. Each scan asks for another instant (a
	// second later), so that the answer cache, which answers the same read
	// of an unchanged state, never answers it: every request scans.
	scan := s.base + "/api/integration_errors?status=retried&updated-at%%5Bgt%%5D=2026-09-01T00%%3A00%%3A%02d%%2B00%%3A00"
	_, showBody, err := fetch("GET", show, tok, nil)
	if err != nil {
		return err
	}
	_, indexBody, err := fetch("GET", index, tok, nil)
	if err != nil {
		return err
	}
	_, ins, err := fetch("GET", s.base+"/api/integrations?limit=1", tok, nil)
	if err != nil {
		return err
	}
	var in []struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(ins, &in); err != nil || len(in) == 0 {
		return fmt.Errorf("no integration: %s", ins)
	}
	createBody, _ := json.Marshal(map[string]any{
		"contact-alert-type": "Technical", "document-type": "InvoiceHeader", "document-id": 4711,
		"external-id": "LOAD-4711", "status": "error", "integration": map[string]any{"code": in[0].Code},
		"responses": []any{map[string]any{"response-code": "E-042", "response-message": "Cost center 4100 is blocked."}},
	})
	status, createdBody, err := fetch("POST", s.base+"/api/integration_errors", tok, createBody)
	if err != nil || status != 201 {
		return fmt.Errorf("create: %d %v %s", status, err, createdBody)
	}

	// The two-filter list that scans every record, one request at a time.
	var lat []time.Duration
	for i := range 21 {
		start := time.Now()
		st, body, err := fetch("GET", fmt.Sprintf(scan, i), tok, nil)
		if err != nil || st != 200 {
			return fmt.Errorf("scan: %d %v %s", st, err, body)
		}
		if strings.TrimSpace(string(body)) != "[]" {
			return fmt.Errorf("scan: a record matched, so the scan may have stopped early: %.200s", body)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)

	// The burner, set after the creates to the CPU time the mock spent
	// per create beyond the bare server's, makes the bare server as
	// costly as the mock: what its p99 is then shows how much of the
	// mock's is the cost of a create rather than a pause of the mock's.
	burn := &burner{}
	burn.calibrate()
	bareBase, stopBare, err := bare(map[string]bareRoute{
		"GET /show":    {status: 200, body: showBody},
		"GET /index":   {status: 200, body: indexBody},
		"POST /create": {status: 201, body: createdBody},
		"POST /burn":   {status: 201, body: createdBody, burn: burn},
		// The same bytes on the mock's paths, for the scripts that ask
		// for other ids and pages.
		"GET /api/integration_errors/{id}": {status: 200, body: showBody},
		"GET /api/integration_errors":      {status: 200, body: indexBody},
	})
	if err != nil {
		return err
	}
	defer stopBare()

	dir, err := os.MkdirTemp("", "bench-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "create.lua")
	lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %q\nwrk.headers[\"Content-Type\"] = \"application/json\"\n", createBody)
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		return err
	}

	// The index again, each request another page (a random offset), so
	// that the mock's answer cache (which answers the same read of an
	// unchanged state) is out of play: what the handler itself costs.
	pages, ids := filepath.Join(dir, "pages.lua"), filepath.Join(dir, "ids.lua")
	if err := os.WriteFile(pages, []byte(randomLua("/api/integration_errors?limit=50&offset=", 0, max(0, records-50))), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(ids, []byte(randomLua("/api/integration_errors/", 1, max(1, records))), 0o600); err != nil {
		return err
	}

	fmt.Printf("wrk -t%d -c%d -d%s, every mock request authenticated and validated, both servers with serve's timeouts; reads: best of %d runs each\n\n", threads, conns, d, rounds)
	type pair struct {
		name       string
		mock, bare string
		script     string
		auth       bool
		target     float64
		byLatency  bool
		targetP99  time.Duration
		// readScript, when set, asks both servers for other ids or
		// pages (the bare server serves its fixed bytes on every one).
		readScript string
		// info: measured and shown, but no target of its own.
		info bool
	}
	pairs := []pair{
		{name: "GET by id", mock: show, bare: bareBase + "/show", target: 0.75},
		{name: "  other ids", mock: show, bare: bareBase + "/show", readScript: ids, info: true},
		{name: "index limit=50", mock: index, bare: bareBase + "/index", target: 0.5},
		{name: "  other pages", mock: index, bare: bareBase + "/index", readScript: pages, info: true},
		{name: "create", mock: s.base + "/api/integration_errors", bare: bareBase + "/create", script: script, byLatency: true, targetP99: 10 * time.Millisecond},
	}
	ok := true
	verdict := func(met bool) string {
		if met {
			return "met"
		}
		ok = false
		return "NOT met"
	}
	var created int
	var createCPU [2]time.Duration // per create: the mock's, the bare server's
	mockPid := strconv.Itoa(s.cmd.Process.Pid)
	for _, p := range pairs {
		n := rounds
		if p.script != "" {
			n = 1 // creates: one sustained run, the store growing
		}
		var m, b result
		for range max(1, n) {
			ms := p.script
			if p.readScript != "" {
				ms = p.readScript
			}
			mr, err := wrkCPU(mockPid, d, threads, conns, p.mock, tok, ms)
			if err != nil {
				return err
			}
			br, err := wrkCPU("self", d, threads, conns, p.bare, "", ms)
			if err != nil {
				return err
			}
			if mr.rps > m.rps {
				m = mr
			}
			if br.rps > b.rps {
				b = br
			}
		}
		if p.script != "" {
			created = m.requests - m.non2xx
		}
		if p.byLatency {
			createCPU = [2]time.Duration{m.cpu, b.cpu}
		}
		ratio := m.rps / b.rps
		fmt.Printf("%-15s mock %9.0f req/s  bare %9.0f req/s  ratio %.2f  CPU/req mock %4v bare %4v", p.name, m.rps, b.rps, ratio,
			m.cpu.Round(time.Microsecond), b.cpu.Round(time.Microsecond))
		if p.info {
			fmt.Printf("  (each request another; no answer cache)\n")
		} else if p.byLatency {
			fmt.Printf("  p99 mock %v bare %v (target p99 <= %v: %s)\n", m.p99.Round(10*time.Microsecond), b.p99.Round(10*time.Microsecond), p.targetP99, verdict(m.p99 <= p.targetP99))
		} else {
			fmt.Printf("  (target >= %.2f: %s)\n", p.target, verdict(ratio >= p.target))
		}
		if m.non2xx > 0 {
			fmt.Printf("%-15s %d of the mock's answers were not 2xx\n", "", m.non2xx)
			ok = false
		}
	}
	// The bare server again on the creates, now spending per create the
	// CPU time the mock spent beyond it: a server with nothing but that
	// cost, no store, no lock and no collector.
	if extra := createCPU[0] - createCPU[1]; createCPU[1] > 0 && extra > 0 {
		burn.d.Store(int64(extra))
		r, err := wrkCPU("self", d, threads, conns, bareBase+"/burn", "", script)
		if err != nil {
			return err
		}
		fmt.Printf("%-15s bare %9.0f req/s  spending %v more CPU a create (CPU/req %v): p99 %v, the p99 of a create's cost alone here (no target)\n",
			"  bare + CPU", r.rps, extra.Round(time.Microsecond), r.cpu.Round(time.Microsecond), r.p99.Round(10*time.Microsecond))
	}
	perRecord := float64(rss-rss0) * 1024 / float64(stored)
	fmt.Printf("%-15s %.0f bytes of RSS per stored record (%d records, RSS %d KiB, empty %d KiB; target <= 1024: %s)\n", "memory",
		perRecord, stored, rss, rss0, verdict(perRecord <= 1024))
	if after, err := rssKiB(s.cmd.Process.Pid); err == nil && created > 0 {
		fmt.Printf("%-15s %d records created under load; RSS now %d KiB (%.0f bytes per created record)\n", "", created, after, float64(after-rss)*1024/float64(created))
	}
	median := lat[len(lat)/2]
	fmt.Printf("%-15s median %v over %d requests scanning %d records (target <= 2ms: %s)\n", "two-filter scan", median.Round(10*time.Microsecond), len(lat), records,
		verdict(median <= 2*time.Millisecond))
	if !ok {
		fmt.Println("\nsome targets are not met (the machine may be shared: compare ratios, not absolute numbers)")
	}
	return nil
}

// randomLua is a wrk script asking for prefix followed by a random number
// from lo to hi each time, each wrk thread with a seed of its own.
func randomLua(prefix string, lo, hi int) string {
	return fmt.Sprintf(`local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
function init(args)
  math.randomseed(seed * 7919)
end
function request()
  return wrk.format(nil, %q .. math.random(%d, %d))
end
`, prefix, lo, hi)
}
