package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// analyzeIfGrown refreshes a table's planner statistics when a batch has
// just added more rows than the statistics know of (the table is new or
// has doubled since). Each session caches the plans of its foreign-key
// checks; planned while a parent table was nearly empty, they scan it
// sequentially, and a big batch then pays a full scan per child row (a
// 50,000-row software batch took seconds instead of a fraction of one).
// ANALYZE invalidates those plans. Autovacuum would too, but only up to a
// minute later. Since the table must double each time, this runs only a
// few times over a table's life. It runs inside the batch's transaction,
// which sees the batch's own rows.
func analyzeIfGrown(ctx context.Context, tx pgx.Tx, table string, added int64) error {
	if added == 0 {
		return nil
	}
	var known float64
	if err := tx.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, table).Scan(&known); err != nil {
		return fmt.Errorf("statistics of %s: %w", table, err)
	}
	if known >= 0 && float64(added) <= known {
		return nil
	}
	if _, err := tx.Exec(ctx, "ANALYZE "+pgx.Identifier{table}.Sanitize()); err != nil {
		return fmt.Errorf("analyze %s: %w", table, err)
	}
	return nil
}
