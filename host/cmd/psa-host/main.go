// Command psa-host is the PSA extension host: it loads RMM provider
// plugins, keeps their data in PostgreSQL and serves the HTTP API.
//
//	psa-host serve    run the host
//	psa-host migrate  up | down | version
//	psa-host tenant   create --name NAME
//	psa-host plugins  list
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: psa-host <command> [flags]

commands:
  serve            run the host (HTTP API, plugins, sync jobs)
  migrate up|down|version
                   manage the database schema
  tenant create --name NAME
                   create a tenant and print its id and API key
  plugins list     discover, verify and start the plugins, print their state

Run 'psa-host <command> -h' for a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = cmdServe(ctx, rest, stdout, stderr)
	case "migrate":
		err = cmdMigrate(ctx, rest, stdout, stderr)
	case "tenant":
		err = cmdTenant(ctx, rest, stdout, stderr)
	case "plugins":
		err = cmdPlugins(ctx, rest, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "psa-host: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(stderr, "psa-host: %v\n", err)
	return 1
}

// errUsage marks an error whose message was already printed with usage.
var errUsage = errors.New("usage")

func usageError(stderr io.Writer, fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(stderr, "psa-host %s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.SetOutput(stderr)
	fs.Usage()
	return errUsage
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
