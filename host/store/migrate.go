package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/msp-psa/psa-host/migrations"
)

// ErrSchemaDirty means a migration failed part-way: the schema is in an
// unknown state and the host must not use or migrate it until an operator
// has repaired it.
var ErrSchemaDirty = errors.New("store: database schema is dirty")

// MigrateUp applies every migration not yet applied. It runs under
// golang-migrate's advisory lock, so replicas starting together are safe:
// one migrates, the others wait and find nothing to do.
func MigrateUp(ctx context.Context, dsn string) error {
	return withMigrator(ctx, dsn, func(m *migrate.Migrate) error {
		return m.Up()
	})
}

// MigrateDown reverts every applied migration, leaving an empty schema.
func MigrateDown(ctx context.Context, dsn string) error {
	return withMigrator(ctx, dsn, func(m *migrate.Migrate) error {
		return m.Down()
	})
}

// MigrationVersion reports the applied schema version (0 when none is) and
// whether the last migration failed part-way.
func MigrationVersion(ctx context.Context, dsn string) (version uint, dirty bool, err error) {
	err = withMigrator(ctx, dsn, func(m *migrate.Migrate) error {
		var verr error
		version, dirty, verr = m.Version()
		if errors.Is(verr, migrate.ErrNilVersion) {
			return nil
		}
		return verr
	})
	return version, dirty, err
}

// withMigrator opens a migrator on dsn, runs op and closes it. ErrNoChange
// is success; a dirty schema becomes ErrSchemaDirty with instructions.
func withMigrator(ctx context.Context, dsn string, op func(*migrate.Migrate) error) (err error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message quotes the DSN, whose password it masks only on a
		// best-effort basis, so it is not passed on.
		return errors.New("store: migrate: the database DSN cannot be parsed")
	}
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("store: migrate: connect: %w", err)
	}
	m, err := newMigrator(db)
	if err != nil {
		return err // newMigrator closed db
	}
	defer func() {
		srcErr, dbErr := m.Close()
		if err == nil {
			err = errors.Join(srcErr, dbErr)
		}
	}()

	// golang-migrate takes no context: stop between migrations on cancel.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			m.GracefulStop <- true
		case <-done:
		}
	}()

	err = op(m)
	var dirty migrate.ErrDirty
	switch {
	case err == nil, errors.Is(err, migrate.ErrNoChange):
		if ctx.Err() != nil { // a graceful stop returns nil
			return fmt.Errorf("store: migrate: stopped: %w", ctx.Err())
		}
		return nil
	case errors.As(err, &dirty):
		// Each migration file runs in one transaction, so a failed one
		// usually left the schema at the version before it.
		return fmt.Errorf("%w at version %d: migration %d failed; check the schema, then mark the version it"+
			" matches (usually %d) with `migrate -database <dsn> force %d` and start again: %w",
			ErrSchemaDirty, dirty.Version, dirty.Version, dirty.Version-1, dirty.Version-1, err)
	default:
		return fmt.Errorf("store: migrate: %w", err)
	}
}

// newMigrator wires the embedded migrations to db. On error it closes db.
func newMigrator(db *sql.DB) (*migrate.Migrate, error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrate: read migrations: %w", err)
	}
	drv, err := pgxmigrate.WithInstance(db, &pgxmigrate.Config{})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		drv.Close()
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	return m, nil
}
