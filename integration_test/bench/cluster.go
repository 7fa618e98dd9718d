package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/host/pgcluster"
)

// pg is the benchmark's PostgreSQL cluster: on disk (not /dev/shm), with
// PostgreSQL's default settings (fsync and synchronous_commit on), as a
// production host would run it.
type pg struct {
	c       *pgcluster.Cluster
	version string
}

func startPG(ctx context.Context, workDir string) (*pg, error) {
	c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(workDir, "pg")})
	if err != nil {
		return nil, err
	}
	p := &pg{c: c}
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		_ = c.Stop(ctx)
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := conn.QueryRow(ctx, `SELECT version()`).Scan(&p.version); err != nil {
		_ = c.Stop(ctx)
		return nil, fmt.Errorf("server version: %w", err)
	}
	return p, nil
}

func (p *pg) dsn(db string) string { return p.c.DSN(db) }

// pid is the postmaster's process id, from postmaster.pid; 0 when it
// cannot be read.
func (p *pg) pid() int {
	b, err := os.ReadFile(filepath.Join(p.c.Dir(), "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	n, _ := strconv.Atoi(strings.TrimSpace(line))
	return n
}

func (p *pg) create(ctx context.Context, name string) error { return p.c.CreateDatabase(ctx, name) }

func (p *pg) drop(ctx context.Context, name string) error { return p.c.DropDatabase(ctx, name) }

// clone makes name a copy of template, which must have no open sessions:
// cheaper than migrating and seeding each scenario's database again.
func (p *pg) clone(ctx context.Context, name, template string) error {
	if err := p.drop(ctx, name); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, p.dsn("postgres"))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize())
	if err != nil {
		return fmt.Errorf("clone database %s from %s: %w", name, template, err)
	}
	return nil
}

// settings reads the server settings that decide write speed, for the
// report.
func (p *pg) settings(ctx context.Context) (map[string]string, error) {
	conn, err := pgx.Connect(ctx, p.dsn("postgres"))
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	out := map[string]string{}
	for _, name := range []string{"fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "wal_level", "max_wal_size"} {
		var v string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
			return nil, fmt.Errorf("setting %s: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

func (p *pg) stop(ctx context.Context) error { return p.c.Stop(ctx) }

// analyze refreshes db's planner statistics, as autovacuum does within a
// minute of a bulk change. The benchmark runs a re-sync seconds after the
// sync before it, where in production hours pass: without this, whether
// autovacuum got there first would decide the re-sync's plans.
func (p *pg) analyze(ctx context.Context, db string) error {
	conn, err := pgx.Connect(ctx, p.dsn(db))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("analyze %s: %w", db, err)
	}
	return nil
}
