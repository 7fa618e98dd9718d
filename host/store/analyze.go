package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

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

// analyzeIfDoubled refreshes a table's planner statistics when a batch has
// added rows and the table has more than doubled in pages since they were
// taken. Ingests and backfills fill asset_software and rmm_alerts from
// nothing in hundreds of small batches, each too small for
// analyzeIfGrown's test, faster than autovacuum follows; planned on the
// statistics of a nearly empty table, the look-ups by key read every row
// of a product (asset_software, through its product index) or of the
// integration (rmm_alerts) per row of a batch, so that each batch cost
// more than the one before, ten times as much by the end. Doubling keeps
// this to about ten runs up to a million rows; autovacuum takes over from
// there. Only the key columns the look-ups need are sampled (the table's
// size is refreshed whatever the columns): sorting a sample of every
// column, JSON documents included, cost more than the look-ups gained.
// Like analyzeIfGrown, it runs in the batch's transaction, which sees the
// batch's rows.
func analyzeIfDoubled(ctx context.Context, tx pgx.Tx, table string, added int64, keyColumns ...string) error {
	if added == 0 {
		return nil
	}
	return analyzeDoubled(ctx, tx, keyedTable{table, keyColumns})
}

// keyedTable is a table and the columns its look-ups filter on.
type keyedTable struct {
	name string
	keys []string
}

// analyzeDoubled is analyzeIfDoubled for several tables written by one
// batch, checked in one round trip.
func analyzeDoubled(ctx context.Context, tx pgx.Tx, tables ...keyedTable) error {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	rows, err := tx.Query(ctx, `
SELECT c.relname::text FROM pg_class c
 WHERE c.oid = ANY ($1::regclass[])
   AND pg_relation_size(c.oid) / current_setting('block_size')::bigint > 2 * c.relpages`, names)
	if err != nil {
		return fmt.Errorf("statistics of %s: %w", strings.Join(names, ", "), err)
	}
	grown, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("statistics of %s: %w", strings.Join(names, ", "), err)
	}
	for _, t := range tables {
		if !slices.Contains(grown, t.name) {
			continue
		}
		sql := "ANALYZE " + pgx.Identifier{t.name}.Sanitize()
		if len(t.keys) > 0 {
			cols := make([]string, len(t.keys))
			for i, c := range t.keys {
				cols[i] = pgx.Identifier{c}.Sanitize()
			}
			sql += " (" + strings.Join(cols, ", ") + ")"
		}
		if _, err := tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("analyze %s: %w", t.name, err)
		}
	}
	return nil
}
