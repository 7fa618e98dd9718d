package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/msp-psa/psa-host/host/secrets"
)

// OpenConfig is Open for a pool configured by the caller, e.g. with a
// pgx.QueryTracer that counts statements in tests.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config, box *secrets.Box) (*Store, error) {
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
