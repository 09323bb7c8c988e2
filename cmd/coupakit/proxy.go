package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coupakit/coupakit/conformance"
	"github.com/coupakit/coupakit/internal/httpserver"
	"github.com/coupakit/coupakit/proxy"
)

// proxyConfig is what `coupakit proxy` is told by its flags.
type proxyConfig struct {
	upstream, csoUpstream string
	addr, csoAddr         string
	enforce               bool
	report, reportFormat  string
	record                string
	failOnViolation       bool
	timeout, dialTimeout  time.Duration
	maxBody               int64
	maxViolations         int
}

func proxyFlags(stderr io.Writer) (*flag.FlagSet, *proxyConfig) {
	cfg := &proxyConfig{}
	fs := flag.NewFlagSet("coupakit proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.upstream, "upstream", "", "the Core API's base `URL`, such as https://acme.coupahost.com (required)")
	fs.StringVar(&cfg.csoUpstream, "cso-upstream", "", "the Sourcing API's base `URL`, such as https://acme.cso.coupahost.com (not proxied when empty)")
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8090", "`host:port` the proxy of the Core API listens on")
	fs.StringVar(&cfg.csoAddr, "cso-addr", "127.0.0.1:8091", "`host:port` the proxy of the Sourcing API listens on (with --cso-upstream)")
	fs.BoolVar(&cfg.enforce, "enforce", false, "answer a request that breaks the contract with 400 without forwarding it, and an answer that breaks it with 502")
	fs.StringVar(&cfg.report, "report", "", "`file` to write the report to at exit")
	fs.StringVar(&cfg.reportFormat, "report-format", "", "`format` of --report: text, json, junit, html or markdown (default: from the file's extension, .json, .xml, .html or .md, else text)")
	fs.StringVar(&cfg.record, "record", "", "`file` to write the records seen in the answers to at exit, as fixtures for `coupakit serve --data`")
	fs.BoolVar(&cfg.failOnViolation, "fail-on-violation", false, "exit 1 when stopped (SIGINT, SIGTERM) if any violation was seen, for CI")
	fs.DurationVar(&cfg.timeout, "timeout", proxy.DefaultTimeout, "how long to wait for the upstream's answer (then 504)")
	fs.DurationVar(&cfg.dialTimeout, "dial-timeout", proxy.DefaultDialTimeout, "how long to wait for a connection to the upstream (then 502)")
	fs.Int64Var(&cfg.maxBody, "max-body-bytes", proxy.DefaultMaxBodyBytes, "largest body judged; larger ones are forwarded unjudged (with --enforce: refused with 413)")
	fs.IntVar(&cfg.maxViolations, "max-violations", proxy.DefaultMaxViolations, "how many violations to keep for /_proxy/violations and the report (all are counted and logged)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: coupakit proxy --upstream URL [flags]

Sits between an integration and a Coupa instance (or the mock), forwards every
request and answer unchanged, and judges both against the specs with Coupa's
conventions. Each violation says which side broke the contract (request or
response), the rule and the spec pointer, and is logged on one line.
Admin routes on both ports: GET /_proxy/violations, DELETE /_proxy/violations,
GET /_proxy/report?format=text|json|junit|html|markdown.
Stop it with Ctrl-C (SIGINT) or SIGTERM.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, cfg
}

// runProxy runs the proxy until ctx is done.
func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, cfg := proxyFlags(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
		return 2
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "coupakit proxy: "+format+"\n", args...)
		return 2
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	if cfg.upstream == "" {
		return fail("--upstream is required (the Core API's base URL)")
	}
	format, err := cfg.format()
	if err != nil {
		return fail("%v", err)
	}
	logger := log.New(stderr, "coupakit proxy: ", log.LstdFlags)
	p, err := proxy.New(proxy.Options{
		Upstream: cfg.upstream, CSOUpstream: cfg.csoUpstream, Enforce: cfg.enforce,
		Timeout: cfg.timeout, DialTimeout: cfg.dialTimeout, MaxBodyBytes: cfg.maxBody, MaxViolations: cfg.maxViolations,
		Record:      cfg.record != "",
		OnViolation: func(v proxy.Violation) { logger.Print(violationLine(v)) },
	})
	if err != nil {
		return fail("%v", strings.TrimPrefix(err.Error(), "proxy: "))
	}
	apis := []struct {
		name, addr, upstream string
		handler              http.Handler
	}{{"Core API", cfg.addr, cfg.upstream, p.CoreHandler()}}
	if h := p.SourcingHandler(); h != nil {
		apis = append(apis, struct {
			name, addr, upstream string
			handler              http.Handler
		}{"Sourcing API", cfg.csoAddr, cfg.csoUpstream, h})
	}
	var servers []*http.Server
	var listeners []net.Listener
	for _, api := range apis {
		ln, err := net.Listen("tcp", api.addr)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			p.Close()
			fmt.Fprintf(stderr, "coupakit proxy: %s: %v\n", api.name, err)
			return 1
		}
		listeners = append(listeners, ln)
		srv := httpserver.New(api.handler, 30*time.Second)
		// Leave the upstream its whole timeout, and the answer time to stream.
		srv.WriteTimeout = max(srv.WriteTimeout, cfg.timeout+30*time.Second)
		servers = append(servers, srv)
		fmt.Fprintf(stdout, "%-13s http://%s -> %s\n", api.name+":", ln.Addr(), api.upstream)
	}
	mode := "reporting"
	if cfg.enforce {
		mode = "enforcing"
	}
	fmt.Fprintf(stdout, "%s violations; Ctrl-C to stop\n", mode)

	code := serveHTTP(ctx, "coupakit proxy", servers, listeners, make(chan error, len(servers)), stderr, nil)
	p.Close()
	if cfg.report != "" {
		if err := p.WriteReportFile(cfg.report, format); err != nil {
			fmt.Fprintf(stderr, "coupakit proxy: --report: %v\n", err)
			code = 1
		}
	}
	if cfg.record != "" {
		if err := p.WriteFixturesFile(cfg.record); err != nil {
			fmt.Fprintf(stderr, "coupakit proxy: --record: %v\n", err)
			code = 1
		}
	}
	n := p.Count()
	fmt.Fprintf(stdout, "stopped: %d violations\n", n)
	if cfg.failOnViolation && n > 0 && code == 0 {
		code = 1
	}
	return code
}

// format is the report's format: the flag, else the file's extension.
func (cfg *proxyConfig) format() (string, error) {
	if cfg.reportFormat != "" {
		if !slices.Contains(proxy.ReportFormats, cfg.reportFormat) {
			return "", fmt.Errorf("--report-format must be one of %s, not %q", strings.Join(proxy.ReportFormats, ", "), cfg.reportFormat)
		}
		return cfg.reportFormat, nil
	}
	return conformance.ReportFormatFor(cfg.report).Name, nil
}

// violationLine words a violation on one line for the log.
func violationLine(v proxy.Violation) string {
	target := v.Request.Path
	if v.Request.Query != "" {
		target += "?" + v.Request.Query
	}
	status := "-"
	if v.Response != nil {
		status = fmt.Sprint(v.Response.Status)
	}
	msg := strings.ReplaceAll(v.Message, "\n", " ")
	return fmt.Sprintf("violation %d: %s %s %s -> %s: %s [%s]", v.ID, v.Rule, v.Request.Method, target, status, msg, v.Spec)
}
