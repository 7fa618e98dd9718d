package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/msp-psa/psa-host/host/store"
)

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var db dbFlags
	db.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: psa-host migrate [flags] up|down|version")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError(stderr, fs, "say up, down or version")
	}
	action := fs.Arg(0)
	if action != "up" && action != "down" && action != "version" {
		return usageError(stderr, fs, "unknown action %q: say up, down or version", action)
	}
	log := newLogger(stderr, "warn", false)
	d, err := openDatabase(ctx, db, log)
	if err != nil {
		return err
	}
	defer d.Close(context.WithoutCancel(ctx))
	switch action {
	case "up":
		if err := store.MigrateUp(ctx, d.DSN); err != nil {
			return err
		}
	case "down":
		if err := store.MigrateDown(ctx, d.DSN); err != nil {
			return err
		}
	}
	v, dirty, err := store.MigrationVersion(ctx, d.DSN)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema version %d", v)
	if dirty {
		fmt.Fprint(stdout, " (dirty: a migration failed half-way; fix it, then force the version)")
	}
	fmt.Fprintln(stdout)
	return nil
}
