// Command coupakit serves a stateful mock of the Coupa APIs (Core API,
// Sourcing API and SFTP) and checks any Coupa endpoint against the specs.
//
// Usage:
//
//	coupakit serve [flags]   run the mock servers
//	coupakit check [flags]   run the conformance suite against a base URL
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	case "proxy":
		return runProxy(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "coupakit: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
