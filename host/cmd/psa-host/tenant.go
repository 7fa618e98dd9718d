package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/msp-psa/psa-host/host/store"
)

func cmdTenant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: psa-host tenant create --name NAME")
		return errUsage
	}
	fs := flag.NewFlagSet("tenant create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var db dbFlags
	db.register(fs)
	name := fs.String("name", "", "the tenant's name (required)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return usageError(stderr, fs, "--name is required")
	}
	log := newLogger(stderr, "warn", false)
	d, err := openDatabase(ctx, db, log)
	if err != nil {
		return err
	}
	defer d.Close(context.WithoutCancel(ctx))
	if err := store.MigrateUp(ctx, d.DSN); err != nil {
		return err
	}
	st, err := store.Open(ctx, d.DSN, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	t, key, err := st.CreateTenant(ctx, strings.TrimSpace(*name))
	if err != nil {
		return fmt.Errorf("create tenant: %w", err)
	}
	fmt.Fprintf(stdout, "tenant_id: %s\napi_key:   %s\n(the key is shown once: keep it safe)\n", t.ID, key)
	return nil
}
