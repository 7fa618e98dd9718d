// Package store is the host's PostgreSQL layer: pgx for the pool and bulk
// writes, squirrel for composed queries. Every method is scoped to a tenant;
// another tenant's ids are ErrNotFound.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/msp-psa/psa-host/host/secrets"
)

// Errors callers branch on.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// InvalidError names the field a write was refused for.
type InvalidError struct {
	Field string
	Msg   string
}

func (e *InvalidError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Msg) }

// Store is the host's database.
type Store struct {
	pool *pgxpool.Pool
	box  *secrets.Box
	now  func() time.Time
}

// Open connects to dsn. The schema must be migrated (MigrateUp).
func Open(ctx context.Context, dsn string, box *secrets.Box) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	return &Store{pool: pool, box: box, now: time.Now}, nil
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Pool exposes the pool to tests and to the event listener.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that dsn reaches a database.
func Ping(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}
