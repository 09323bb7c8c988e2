package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/coupakit/coupakit/conformance"
	"github.com/coupakit/coupakit/conformance/sftpcheck"
)

const checkUsage = `Usage: coupakit check --base-url URL [--cso-base-url URL] [--sftp sftp://user@host:port] [flags]

Checks a Coupa endpoint (Coupa itself, a sandbox or a mock) against coupakit's
specs: every response validates against the spec, and the documented
behaviour holds (required elements, allowed values, output-only elements,
round trips, resolve, lenient bulk requests, paging).

A full run creates records, marked with an external-id, code or
reference-number that starts with "coupakit-conformance-<run id>"; it
deletes the events it created. Use --read-only against production: it runs
only the checks that change nothing, and sends GET requests only (and token
requests).

Authentication is stated, not guessed: --auth oauth (the default, as Coupa)
says the target must refuse requests without credentials, and the checks of
authentication run; --auth none is for a target without it. Give the Core
API an OAuth token (--token), or better client credentials (--client-id,
--client-secret, --scope): the run then fetches its own token from
POST /oauth2/token, renews it before it expires and once when the API
answers 401, and also checks the token endpoint and the scopes. The Sourcing
API takes --cso-api-key. The secret, the keys and the tokens never appear in
reports; curl commands name them $COUPAKIT_CLIENT_SECRET,
$COUPAKIT_CSO_API_KEY and $COUPAKIT_TOKEN.

Before any check, one request to each API makes sure it is a Coupa API and
takes the credentials. Against a target off 127.0.0.1 the run paces itself
(--rate, 20 requests a second) and first prints how long it should take.

Progress (the failures, or every check with --verbose) goes to stderr; the
report to stdout, or to --output. --format html writes one self-contained
page for a customer (it prints on A4), --format markdown a summary for a
pull-request comment.

Exit status: 0 when every required (must) check passes, 1 when one fails,
2 when the target cannot be reached, is not a Coupa API, refuses the
credentials, or the arguments are wrong.
` + checkSFTPUsage + `
Flags:
`

// headerFlag collects repeated --header 'Name: value' flags.
type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string { return "" }

func (f *headerFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return fmt.Errorf("want 'Name: value', got %q", s)
	}
	if f.h == nil {
		f.h = http.Header{}
	}
	f.h.Add(textproto.CanonicalMIMEHeaderKey(name), strings.TrimSpace(value))
	return nil
}

// formatNames lists the formats of --format, for messages: "text, json,
// junit, html or markdown".
func formatNames() string {
	names := conformance.ReportFormatNames()
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// defaultRate is the pace of a run against a target off loopback: under
// Coupa's 25 requests a second.
const defaultRate = 20

// checkFlags are the flags of `coupakit check`. Each family of checks
// registers its own in register and reads them in target.
type checkFlags struct {
	fs                                   *flag.FlagSet
	baseURL, csoURL                      *string
	token, clientID, clientSecret, scope *string
	csoKey, authMode                     *string
	headers                              headerFlag
	readOnly, strict, quiet, verbose     *bool
	only, format, output, runID          *string
	timeout                              *time.Duration
	rate                                 *float64
	// sftp is --sftp (the SFTP family's flags are in check_sftp.go): a run
	// may check SFTP alone.
	sftp *string
}

func (f *checkFlags) register(fs *flag.FlagSet) {
	f.fs = fs
	f.baseURL = fs.String("base-url", "", "the Core API's base `URL`, such as https://acme.coupahost.com (its checks are skipped when empty)")
	f.csoURL = fs.String("cso-base-url", "", "the Sourcing API's base `URL`, such as https://acme.cso.coupahost.com (its checks are skipped when empty)")
	f.authMode = fs.String("auth", string(conformance.AuthOAuth), "the authentication the target must enforce: `oauth` (Coupa's: OAuth 2.0 on the Core API, X-CSO-API-KEY on the Sourcing API; requests without them must be answered 401) or none (a mock started with --auth none)")
	f.token = fs.String("token", "", "OAuth access `token` for the Core API, sent to it as 'Authorization: Bearer <token>' (default $COUPAKIT_TOKEN, unless client credentials are given); reports show it as $COUPAKIT_TOKEN")
	f.clientID = fs.String("client-id", "", "OAuth client `id` for the client credentials grant: the run fetches and renews its own token (default $COUPAKIT_CLIENT_ID)")
	f.clientSecret = fs.String("client-secret", "", "OAuth client `secret` of --client-id (default $COUPAKIT_CLIENT_SECRET; prefer the variable, which does not show in the process list)")
	f.scope = fs.String("scope", "", "space-separated `scopes` the run's token asks for, such as 'core.integration.read core.integration.write' (default: the client's scopes)")
	f.csoKey = fs.String("cso-api-key", "", "the Sourcing API's `key`, sent to it as X-CSO-API-KEY (default $COUPAKIT_CSO_API_KEY)")
	fs.Var(&f.headers, "header", "`'Name: value'` header added to every request of both APIs, such as 'X-CSO-API-KEY: <key>' for the Sourcing API; repeatable; reports redact the values")
	f.readOnly = fs.Bool("read-only", false, "run only the checks that change nothing on the target (safe against production)")
	f.only = fs.String("only", "", "run only the checks whose ID matches this regular `expression`, such as '^events\\.' (response checks judge the responses of the checks selected)")
	f.format = fs.String("format", "text", "report `format`: "+formatNames()+" (html: one self-contained file to hand to a customer; markdown: a summary for a pull request)")
	f.output = fs.String("output", "", "write the report to `file` instead of stdout")
	f.runID = fs.String("run-id", "", "`id` of the run, in the markers of the records it creates (default: the time and random bits)")
	f.timeout = fs.Duration("timeout", 30*time.Second, "time limit of each request")
	f.rate = fs.Float64("rate", defaultRate, "at most this many `requests` a second, against a target off 127.0.0.1 (Coupa throttles above 25); on loopback only when given; 0: no pacing")
	f.strict = fs.Bool("strict", false, "make failed should-level checks fail the run too")
	f.quiet = fs.Bool("quiet", false, "do not show progress")
	f.verbose = fs.Bool("verbose", false, "show every check as it ends (default: only the failures)")
}

// given reports whether the flag name was set on the command line.
func (f *checkFlags) given(name string) bool {
	set := false
	f.fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// target builds the conformance target from the flags and the environment.
func (f *checkFlags) target() (conformance.Target, error) {
	if f.fs.NArg() > 0 {
		return conformance.Target{}, fmt.Errorf("unexpected argument %q (see --help)", f.fs.Arg(0))
	}
	if *f.baseURL == "" && *f.csoURL == "" && (f.sftp == nil || *f.sftp == "") {
		return conformance.Target{}, errors.New("give --base-url, --cso-base-url or both, or --sftp (see --help)")
	}
	target := conformance.Target{
		BaseURL:      *f.baseURL,
		CSOBaseURL:   *f.csoURL,
		Auth:         conformance.Auth(*f.authMode),
		Header:       f.headers.h,
		Token:        *f.token,
		ClientID:     cmpOr(*f.clientID, os.Getenv("COUPAKIT_CLIENT_ID")),
		ClientSecret: cmpOr(*f.clientSecret, os.Getenv("COUPAKIT_CLIENT_SECRET")),
		Scope:        *f.scope,
		CSOAPIKey:    cmpOr(*f.csoKey, os.Getenv("COUPAKIT_CSO_API_KEY")),
		ReadOnly:     *f.readOnly,
		RunID:        *f.runID,
		Client: &http.Client{
			Timeout:       *f.timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	switch {
	case target.Auth != conformance.AuthOAuth && target.Auth != conformance.AuthNone:
		return target, fmt.Errorf("--auth %q: want oauth or none", *f.authMode)
	case target.ClientID != "" && target.Token != "":
		return target, errors.New("give --token or --client-id, not both")
	case target.ClientID != "" && target.ClientSecret == "":
		return target, errors.New("--client-id needs --client-secret (or $COUPAKIT_CLIENT_SECRET)")
	case target.ClientID == "" && *f.clientSecret != "":
		return target, errors.New("--client-secret needs --client-id")
	case target.ClientID == "" && target.Scope != "":
		return target, errors.New("--scope needs --client-id")
	case target.ClientID != "" && target.BaseURL == "":
		return target, errors.New("--client-id needs --base-url: the token is for the Core API")
	case target.ClientID == "" && target.Token == "":
		target.Token = os.Getenv("COUPAKIT_TOKEN")
	}
	if target.ClientID == "" {
		target.ClientSecret = ""
	}
	if target.Auth == conformance.AuthOAuth {
		switch {
		case target.BaseURL != "" && target.ClientID == "" && target.Token == "" && target.Header.Get("Authorization") == "":
			return target, errors.New("--auth oauth (the default) needs the Core API's credentials: --client-id and --client-secret, or --token; use --auth none for a target without authentication")
		case target.CSOBaseURL != "" && target.CSOAPIKey == "" && target.Header.Get("X-Cso-Api-Key") == "":
			return target, errors.New("--auth oauth (the default) needs the Sourcing API's key: --cso-api-key; use --auth none for a target without authentication")
		}
	}
	if *f.only != "" {
		re, err := regexp.Compile(*f.only)
		if err != nil {
			return target, fmt.Errorf("--only: %v", err)
		}
		target.Only = re
	}
	switch {
	case *f.rate < 0:
		return target, fmt.Errorf("--rate %v: want a number of requests a second, or 0 for no pacing", *f.rate)
	case f.given("rate") || !loopback(target.BaseURL) || !loopback(target.CSOBaseURL):
		target.Rate = *f.rate
	}
	return target, nil
}

// loopback reports whether a base URL is on the loopback interface (or
// empty).
func loopback(base string) bool {
	if base == "" {
		return true
	}
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// runCheck runs `coupakit check` and returns the process exit code.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newCommand("coupakit check", checkUsage)
	fs := cmd.fs
	var f checkFlags
	f.register(fs)
	sftpFlags := addSFTPFlags(fs)
	f.sftp = sftpFlags.url
	if code, ok := cmd.parse(args, stdout, stderr); !ok {
		return code
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "coupakit check: "+format+"\n", args...)
		return 2
	}
	target, err := f.target()
	if err != nil {
		return fail("%v", err)
	}
	format, err := conformance.LookupReportFormat(*f.format)
	if err != nil {
		return fail("--format %q: want %s", *f.format, formatNames())
	}
	write := func(r *conformance.Report, w io.Writer) error { return r.Write(w, format.Name) }
	if !*f.quiet {
		target.Progress = func(r conformance.Result) {
			if r.Status != conformance.Fail && !*f.verbose {
				return
			}
			line := fmt.Sprintf("%-4s  %-6s %s", strings.ToUpper(string(r.Status)), r.Level, r.ID)
			if r.Status != conformance.Pass && r.Message != "" {
				line += ": " + firstLine(r.Message)
			}
			fmt.Fprintln(stderr, line)
		}
	}
	var opts []conformance.Option
	if *f.strict {
		opts = append(opts, conformance.Strict())
	}
	if target.Rate > 0 && !*f.quiet {
		est, err := conformance.Estimate(target, opts...)
		if err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(stderr, "coupakit check: %s, about %d requests at %g a second: expect about %s\n",
			plural(est.Checks, "check"), est.Requests, target.Rate, est.Duration(target.Rate).Round(time.Second))
	}

	var sftpTarget sftpcheck.Target
	if *sftpFlags.url != "" {
		if sftpTarget, err = sftpFlags.target(fs, target); err != nil {
			return fail("%v", err)
		}
	}
	report := conformance.Report{ReadOnly: target.ReadOnly, Strict: *f.strict}
	if target.BaseURL != "" || target.CSOBaseURL != "" {
		if report, err = conformance.Check(ctx, target, opts...); err != nil {
			return fail("%v", err)
		}
	}
	if *sftpFlags.url != "" {
		if err := runSFTP(ctx, sftpTarget, target, &report); err != nil {
			return fail("%v", err)
		}
	}

	if *f.output == "" {
		err = write(&report, stdout)
	} else {
		err = writeFile(*f.output, func(w io.Writer) error { return write(&report, w) })
	}
	if err != nil {
		return fail("write the report: %v", err)
	}
	// The text report on stdout ends with the summary; otherwise show it
	// after the progress.
	if *f.format != "text" || *f.output != "" {
		fmt.Fprintln(stderr)
		if err := report.WriteSummary(stderr); err != nil {
			return fail("%v", err)
		}
	}
	if !report.Passed() {
		return 1
	}
	return 0
}

// writeFile creates name and writes it with write.
func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
