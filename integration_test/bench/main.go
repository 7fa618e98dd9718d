// Command bench is `make bench`: a fleet-scale benchmark of the whole sync
// path. A fake Tactical RMM server (in a child process of its own), the
// real Tactical plugin binary launched over go-plugin, the host's real
// syncer and store, and a real on-disk PostgreSQL cluster. Each scenario
// is also run through a naive store (one transaction per device, as
// existing PSA integrations write) and against a floor (a plain COPY of
// the same final rows), on the same data and database.
//
//	go run ./integration_test/bench -fleet 10000 -out BENCHMARKS.md
//
// It is not a test: nothing here asserts a time. It prints one table and,
// with -out, writes it to a Markdown file with the machine it ran on.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case fakeChildArg:
			exitOn("bench fake", serveFake(os.Args[2:]))
			return
		case stormChildArg:
			exitOn("bench webhook senders", serveStorm(ctx))
			return
		}
	}
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func exitOn(what string, err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, what+":", err)
		os.Exit(1)
	}
}
