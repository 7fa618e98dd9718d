package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/host/pgcluster/pgtest"
	"github.com/msp-psa/psa-host/migrations"
)

// TestMain gives the package's tests a PostgreSQL cluster (pgtest.New).
// It is the package's only TestMain: database tests in other files of
// package store rely on it.
func TestMain(m *testing.M) { pgtest.Main(m) }

var migrationName = regexp.MustCompile(`^(\d{6})_([a-z0-9_]+)\.(up|down)\.sql$`)

type migrationFile struct {
	version   uint
	name      string
	direction string
}

func migrationFiles(t *testing.T) []migrationFile {
	t.Helper()
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	var files []migrationFile
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			t.Errorf("%s: not NNNNNN_name.up.sql or NNNNNN_name.down.sql", e.Name())
			continue
		}
		v, _ := strconv.ParseUint(m[1], 10, 32)
		files = append(files, migrationFile{uint(v), m[2], m[3]})
	}
	return files
}

// latestVersion is the highest version among the embedded files.
func latestVersion(t *testing.T) uint {
	t.Helper()
	var v uint
	for _, f := range migrationFiles(t) {
		v = max(v, f.version)
	}
	if v == 0 {
		t.Fatal("no migrations embedded")
	}
	return v
}

func TestMigrationFilesArePairedAndSequential(t *testing.T) {
	names := map[uint]string{}
	directions := map[uint][]string{}
	for _, f := range migrationFiles(t) {
		if prev, ok := names[f.version]; ok && prev != f.name {
			t.Errorf("version %d used by %q and %q", f.version, prev, f.name)
		}
		names[f.version] = f.name
		directions[f.version] = append(directions[f.version], f.direction)
	}
	for v := uint(1); v <= uint(len(names)); v++ {
		if _, ok := names[v]; !ok {
			t.Errorf("versions are not 1..%d: %d is missing", len(names), v)
		}
		d := directions[v]
		slices.Sort(d)
		if !slices.Equal(d, []string{"down", "up"}) {
			t.Errorf("version %d has %v, want one up and one down", v, d)
		}
	}
}

func assertVersion(t *testing.T, dsn string, want uint) {
	t.Helper()
	v, dirty, err := MigrationVersion(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if v != want || dirty {
		t.Errorf("version %d (dirty %v), want %d (clean)", v, dirty, want)
	}
}

// userTables lists the tables in the public schema, migrate's own aside.
func userTables(t *testing.T, dsn string) []string {
	t.Helper()
	conn := connect(t, dsn)
	rows, err := conn.Query(t.Context(),
		`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return tables
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.WithoutCancel(t.Context())) })
	return conn
}

func TestMigrateUpOnEmptyDatabase(t *testing.T) {
	dsn := pgtest.New(t)
	assertVersion(t, dsn, 0)
	if err := MigrateUp(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	assertVersion(t, dsn, latestVersion(t))

	got := userTables(t, dsn)
	for _, want := range []string{
		"tenants", "clients", "api_keys",
		"rmm_integrations", "tenant_secrets", "rmm_organization_mappings", "assets",
		"workstation_assets", "server_assets", "tenant_external_entity_mappings",
		"software_catalog", "asset_software", "rmm_alerts",
		"sync_jobs", "rmm_sync_state", "webhook_inbox", "event_outbox", "webhook_auth_failures",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("table %s missing after MigrateUp (have %v)", want, got)
		}
	}
}

func TestMigrateUpAgainIsANoOp(t *testing.T) {
	dsn := pgtest.New(t)
	if err := MigrateUp(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, dsn)
	if _, err := conn.Exec(t.Context(), `INSERT INTO tenants (tenant_name) VALUES ('kept')`); err != nil {
		t.Fatal(err)
	}
	if err := MigrateUp(t.Context(), dsn); err != nil {
		t.Fatalf("second MigrateUp: %v", err)
	}
	assertVersion(t, dsn, latestVersion(t))
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM tenants WHERE tenant_name = 'kept'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("row written between the runs: count %d, %v; want 1", n, err)
	}
}

func TestMigrateDownThenUp(t *testing.T) {
	dsn := pgtest.New(t)
	if err := MigrateUp(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	if err := MigrateDown(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	assertVersion(t, dsn, 0)
	if left := userTables(t, dsn); len(left) != 0 {
		t.Errorf("tables left after MigrateDown: %v", left)
	}
	if err := MigrateDown(t.Context(), dsn); err != nil {
		t.Errorf("MigrateDown on an empty schema: %v", err)
	}
	if err := MigrateUp(t.Context(), dsn); err != nil {
		t.Fatalf("MigrateUp after MigrateDown: %v", err)
	}
	assertVersion(t, dsn, latestVersion(t))
}

func TestConcurrentMigrateUp(t *testing.T) {
	dsn := pgtest.New(t)
	const runners = 3
	errs := make([]error, runners)
	var wg sync.WaitGroup
	for i := range runners {
		wg.Go(func() { errs[i] = MigrateUp(t.Context(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("runner %d: %v", i, err)
		}
	}
	assertVersion(t, dsn, latestVersion(t))
}

func TestDirtySchemaIsRefused(t *testing.T) {
	dsn := pgtest.New(t)
	if err := MigrateUp(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	latest := latestVersion(t)
	conn := connect(t, dsn)
	if _, err := conn.Exec(t.Context(), `UPDATE schema_migrations SET dirty = true`); err != nil {
		t.Fatal(err)
	}

	v, dirty, err := MigrationVersion(t.Context(), dsn)
	if err != nil || v != latest || !dirty {
		t.Errorf("MigrationVersion = %d, %v, %v; want %d, dirty, no error", v, dirty, err, latest)
	}
	for name, run := range map[string]func(context.Context, string) error{"up": MigrateUp, "down": MigrateDown} {
		err := run(t.Context(), dsn)
		if !errors.Is(err, ErrSchemaDirty) {
			t.Fatalf("%s: err = %v, want ErrSchemaDirty", name, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "force "+fmt.Sprint(latest-1)) {
			t.Errorf("%s: %q does not tell the operator what to do", name, msg)
		}
	}
	assertTablesStay(t, dsn)
}

// assertTablesStay checks that a refused migration touched nothing.
func assertTablesStay(t *testing.T, dsn string) {
	t.Helper()
	if got := userTables(t, dsn); !slices.Contains(got, "tenants") {
		t.Errorf("tables changed by a refused migration: %v", got)
	}
}

func TestMigrateErrorsDoNotLeakTheDSN(t *testing.T) {
	const secret = "s3cr3t-pw"
	tests := []struct {
		name string
		dsn  string
	}{
		{"unreachable", "postgres://u:" + secret + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=5"},
		{"unparsable", "postgres://u:" + secret + "@[::1/db"},
		{"bad option", "postgres://u:" + secret + "@127.0.0.1/db?sslmode=sometimes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, run := range map[string]func(context.Context, string) error{"up": MigrateUp, "down": MigrateDown} {
				err := run(t.Context(), tt.dsn)
				if err == nil {
					t.Fatalf("%s succeeded", name)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("%s: error reveals the password: %v", name, err)
				}
			}
			if _, _, err := MigrationVersion(t.Context(), tt.dsn); err == nil || strings.Contains(err.Error(), secret) {
				t.Errorf("MigrationVersion: err = %v; want an error without the password", err)
			}
		})
	}
}

func TestMigrateUpHonoursCancellation(t *testing.T) {
	dsn := pgtest.New(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := MigrateUp(ctx, dsn); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	assertVersion(t, dsn, 0)
}
