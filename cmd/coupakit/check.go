package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
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

Authentication: give the Core API an OAuth token (--token), or better client
credentials (--client-id, --client-secret, --scope): the run then fetches its
own token from POST /oauth2/token, renews it before it expires and once when
the API answers 401, and also checks the token endpoint and the scopes. The
Sourcing API takes --cso-api-key. Against a target that enforces
authentication (it answers 401 without credentials), the checks of
authentication itself run too. The secret, the keys and the tokens never
appear in reports; curl commands name them $COUPAKIT_CLIENT_SECRET,
$COUPAKIT_CSO_API_KEY and $COUPAKIT_TOKEN.

Progress goes to stderr; the report to stdout, or to --output.

Exit status: 0 when every required (must) check passes, 1 when one fails,
2 when the target cannot be reached or the arguments are wrong.
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

// runCheck runs `coupakit check` and returns the process exit code.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newCommand("coupakit check", checkUsage)
	fs := cmd.fs
	baseURL := fs.String("base-url", "", "the Core API's base `URL`, such as https://acme.coupahost.com (its checks are skipped when empty)")
	csoURL := fs.String("cso-base-url", "", "the Sourcing API's base `URL`, such as https://acme.cso.coupahost.com (its checks are skipped when empty)")
	token := fs.String("token", "", "OAuth access `token` for the Core API, sent to it as 'Authorization: Bearer <token>' (default $COUPAKIT_TOKEN, unless client credentials are given); reports show it as $COUPAKIT_TOKEN")
	clientID := fs.String("client-id", "", "OAuth client `id` for the client credentials grant: the run fetches and renews its own token (default $COUPAKIT_CLIENT_ID)")
	clientSecret := fs.String("client-secret", "", "OAuth client `secret` of --client-id (default $COUPAKIT_CLIENT_SECRET; prefer the variable, which does not show in the process list)")
	scope := fs.String("scope", "", "space-separated `scopes` the run's token asks for, such as 'core.integration.read core.integration.write' (default: the client's scopes)")
	csoKey := fs.String("cso-api-key", "", "the Sourcing API's `key`, sent to it as X-CSO-API-KEY (default $COUPAKIT_CSO_API_KEY)")
	var headers headerFlag
	fs.Var(&headers, "header", "`'Name: value'` header added to every request of both APIs, such as 'X-CSO-API-KEY: <key>' for the Sourcing API; repeatable; reports redact the values")
	readOnly := fs.Bool("read-only", false, "run only the checks that change nothing on the target (safe against production)")
	only := fs.String("only", "", "run only the checks whose ID matches this regular `expression`, such as '^events\\.' (response checks judge the responses of the checks selected)")
	format := fs.String("format", "text", "report `format`: text, json or junit")
	output := fs.String("output", "", "write the report to `file` instead of stdout")
	runID := fs.String("run-id", "", "`id` of the run, in the markers of the records it creates (default: the time and random bits)")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit of each request")
	strict := fs.Bool("strict", false, "make failed should-level checks fail the run too")
	quiet := fs.Bool("quiet", false, "do not show progress")
	sftpFlags := addSFTPFlags(fs)

	if code, ok := cmd.parse(args, stdout, stderr); !ok {
		return code
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "coupakit check: "+format+"\n", args...)
		return 2
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q (see --help)", fs.Arg(0))
	}
	if *baseURL == "" && *csoURL == "" && *sftpFlags.url == "" {
		return fail("give --base-url, --cso-base-url or both, or --sftp (see --help)")
	}
	write, ok := map[string]func(*conformance.Report, io.Writer) error{
		"text":  (*conformance.Report).WriteText,
		"json":  (*conformance.Report).WriteJSON,
		"junit": (*conformance.Report).WriteJUnit,
	}[*format]
	if !ok {
		return fail("--format %q: want text, json or junit", *format)
	}
	target := conformance.Target{
		BaseURL:      *baseURL,
		CSOBaseURL:   *csoURL,
		Header:       headers.h,
		Token:        *token,
		ClientID:     cmpOr(*clientID, os.Getenv("COUPAKIT_CLIENT_ID")),
		ClientSecret: cmpOr(*clientSecret, os.Getenv("COUPAKIT_CLIENT_SECRET")),
		Scope:        *scope,
		CSOAPIKey:    cmpOr(*csoKey, os.Getenv("COUPAKIT_CSO_API_KEY")),
		ReadOnly:     *readOnly,
		RunID:        *runID,
		Client: &http.Client{
			Timeout:       *timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	switch {
	case target.ClientID != "" && target.Token != "":
		return fail("give --token or --client-id, not both")
	case target.ClientID != "" && target.ClientSecret == "":
		return fail("--client-id needs --client-secret (or $COUPAKIT_CLIENT_SECRET)")
	case target.ClientID == "" && *clientSecret != "":
		return fail("--client-secret needs --client-id")
	case target.ClientID == "" && target.Scope != "":
		return fail("--scope needs --client-id")
	case target.ClientID != "" && target.BaseURL == "":
		return fail("--client-id needs --base-url: the token is for the Core API")
	case target.ClientID == "" && target.Token == "":
		target.Token = os.Getenv("COUPAKIT_TOKEN")
	}
	if target.ClientID == "" {
		target.ClientSecret = ""
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return fail("--only: %v", err)
		}
		target.Only = re
	}
	if !*quiet {
		target.Progress = func(r conformance.Result) {
			line := fmt.Sprintf("%-4s  %-6s %s", strings.ToUpper(string(r.Status)), r.Level, r.ID)
			if r.Status != conformance.Pass && r.Message != "" {
				line += ": " + firstLine(r.Message)
			}
			fmt.Fprintln(stderr, line)
		}
	}
	var opts []conformance.Option
	if *strict {
		opts = append(opts, conformance.Strict())
	}

	var sftpTarget sftpcheck.Target
	if *sftpFlags.url != "" {
		var err error
		if sftpTarget, err = sftpFlags.target(fs, target); err != nil {
			return fail("%v", err)
		}
	}
	report := conformance.Report{ReadOnly: *readOnly, Strict: *strict}
	if *baseURL != "" || *csoURL != "" {
		var err error
		if report, err = conformance.Check(ctx, target, opts...); err != nil {
			return fail("%v", err)
		}
	}
	if *sftpFlags.url != "" {
		if err := runSFTP(ctx, sftpTarget, target, &report); err != nil {
			return fail("%v", err)
		}
	}
	var err error

	if *output == "" {
		err = write(&report, stdout)
	} else {
		err = writeFile(*output, func(w io.Writer) error { return write(&report, w) })
	}
	if err != nil {
		return fail("write the report: %v", err)
	}
	// The text report on stdout ends with the summary; otherwise show it
	// after the progress.
	if *format != "text" || *output != "" {
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

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
