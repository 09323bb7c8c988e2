// Command coupakit serves a stateful mock of the Coupa APIs (Core API,
// Sourcing API and SFTP) and checks any Coupa endpoint against the specs.
//
// Usage:
//
//	coupakit serve [flags]   run the mock servers
//	coupakit check [flags]   run the conformance suite against a base URL
//	coupakit proxy [flags]   validate the traffic between an integration and a real Coupa
//	coupakit version         print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `coupakit: contract testing and mocking for the Coupa APIs.

Usage:
  coupakit serve [flags]   serve the mock Core API, Sourcing API and SFTP server
  coupakit check [flags]   check a Coupa endpoint (real or mock) against the specs
  coupakit proxy [flags]   sit between an integration and a real Coupa; report what breaks the contract
  coupakit version         print the version of this build

Run 'coupakit <command> --help' for the flags of a command.
`

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "coupakit version: unexpected argument %q\n", args[1])
			return 2
		}
		fmt.Fprintf(stdout, "coupakit %s\n", buildVersion())
		return 0
	case "proxy":
		return runProxy(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "coupakit: unknown command %q\nRun 'coupakit --help' for the commands.\n", args[0])
		return 2
	}
}

// version is the release version, set at build time with
// -ldflags "-X main.version=v1.2.3" (make build does). Without it, the
// version comes from the build information Go records in the binary.
var version = ""

// buildVersion returns the version of this binary: the ldflags version, else
// the module version (a release installed with go install), else the VCS
// revision the binary was built from, marked when the tree had changes. Go's
// version follows in parentheses.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if version != "" {
			return version
		}
		return "(unknown)"
	}
	v := version
	if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	if v == "" {
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		switch {
		case rev == "":
			v = "(devel)"
		case len(rev) > 12:
			rev = rev[:12]
			fallthrough
		default:
			v = "devel-" + rev
			if modified == "true" {
				v += "-dirty"
			}
		}
	}
	return fmt.Sprintf("%s (%s)", v, info.GoVersion)
}

// command is a subcommand's flag set with its usage text. Subcommands define
// their flags on fs as usual; parse and printFlags take care of help and
// errors the same way for each.
type command struct {
	name  string // "coupakit serve"
	usage string // printed above the flags by --help
	fs    *flag.FlagSet
}

func newCommand(name, usage string) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors itself, once
	fs.Usage = func() {}
	return &command{name: name, usage: usage, fs: fs}
}

// parse parses args. It returns ok when the command should go on; otherwise
// it has printed the help (on stdout, exit code 0) or the one-line error and
// a pointer to --help (on stderr, exit code 2).
func (c *command) parse(args []string, stdout, stderr io.Writer) (code int, ok bool) {
	err := c.fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, c.usage)
		c.printFlags(stdout)
		return 0, false
	case err != nil:
		fmt.Fprintf(stderr, "%s: %s\nRun '%s --help' for the flags.\n", c.name, flagError(err), c.name)
		return 2, false
	case c.fs.NArg() > 0:
		fmt.Fprintf(stderr, "%s: unexpected argument %q\nRun '%s --help' for the flags.\n", c.name, c.fs.Arg(0), c.name)
		return 2, false
	}
	return 0, true
}

// flagError words the flag package's errors with flags written as the help
// and the README write them (--name).
func flagError(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return "unknown flag --" + strings.TrimLeft(name, "-")
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return "flag --" + strings.TrimLeft(name, "-") + " needs a value"
	}
	return strings.Replace(msg, " for flag -", " for flag --", 1)
}

// printFlags prints every flag as flag.PrintDefaults does, but written
// --name, as the README writes them.
func (c *command) printFlags(w io.Writer) {
	c.fs.VisitAll(func(f *flag.Flag) {
		name, text := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		line += "\n    \t" + strings.ReplaceAll(text, "\n", "\n    \t")
		if def := f.DefValue; !isZeroDefault(def) {
			if g, ok := f.Value.(flag.Getter); ok {
				if _, isString := g.Get().(string); isString {
					def = fmt.Sprintf("%q", def)
				}
			}
			line += fmt.Sprintf(" (default %s)", def)
		}
		fmt.Fprintln(w, line)
	})
}

// isZeroDefault reports whether def is a zero value, which the help leaves
// out.
func isZeroDefault(def string) bool {
	switch def {
	case "", "false", "0", "0s":
		return true
	}
	return false
}
