package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/host/pgcluster"
	"github.com/msp-psa/psa-host/host/store"
)

// dbFlags say where the database is: DATABASE_URL, or an embedded cluster
// under the data directory.
type dbFlags struct {
	dataDir string
}

func (f *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dataDir, "data-dir", envOr("PSA_DATA_DIR", ".data"),
		"directory for the embedded database and the development master key (env PSA_DATA_DIR)")
}

// database is an open connection target, with a cleanup that stops an
// embedded cluster this process started.
type database struct {
	DSN      string
	Embedded bool
	stop     func(context.Context) error
}

func (d *database) Close(ctx context.Context) error {
	if d.stop == nil {
		return nil
	}
	return d.stop(ctx)
}

// urlFile is where a running embedded cluster publishes its DSN, so other
// psa-host commands (tenant create, migrate) reach the same database while
// `serve` runs. It holds a password: mode 0600.
func urlFile(dataDir string) string { return filepath.Join(dataDir, "database_url") }

// openDatabase returns DATABASE_URL when set, else the embedded cluster in
// the data directory: the running one when `serve` already started it, or
// one this process starts.
func openDatabase(ctx context.Context, f dbFlags, log hclog.Logger) (*database, error) {
	if dsn := os.Getenv("DATABASE_URL"); dsn != "" {
		return &database{DSN: dsn}, nil
	}
	if data, err := os.ReadFile(urlFile(f.dataDir)); err == nil {
		dsn := strings.TrimSpace(string(data))
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := store.Ping(pctx, dsn)
		cancel()
		if err == nil {
			log.Info("using the embedded database another psa-host started", "data_dir", f.dataDir)
			return &database{DSN: dsn, Embedded: true}, nil
		}
		_ = os.Remove(urlFile(f.dataDir))
	}
	dir, err := filepath.Abs(filepath.Join(f.dataDir, "pg"))
	if err != nil {
		return nil, err
	}
	if err := ensureSearchable(f.dataDir); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	log.Info("starting the embedded PostgreSQL", "dir", dir)
	c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dir, Persistent: true,
		Logf: func(format string, args ...any) { log.Debug(fmt.Sprintf(format, args...)) }})
	if err != nil {
		return nil, fmt.Errorf("embedded database: %w", err)
	}
	const dbName = "psa"
	if err := c.CreateDatabase(ctx, dbName); err != nil {
		_ = c.Stop(ctx)
		return nil, fmt.Errorf("embedded database: %w", err)
	}
	dsn := c.DSN(dbName)
	if err := os.WriteFile(urlFile(f.dataDir), []byte(dsn+"\n"), 0o600); err != nil {
		_ = c.Stop(ctx)
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return &database{DSN: dsn, Embedded: true, stop: func(ctx context.Context) error {
		_ = os.Remove(urlFile(f.dataDir))
		return c.Stop(ctx)
	}}, nil
}

// ensureSearchable creates the data directory and, when we run as root
// (PostgreSQL then runs as the postgres user), lets other users pass
// through it without listing it: the secrets in it are files of mode 0600.
func ensureSearchable(dir string) error {
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	return os.Chmod(dir, st.Mode().Perm()|0o011)
}
