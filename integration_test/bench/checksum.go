package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// A checksum sums a 64-bit hash of each row, rendered as JSON with its
// natural key, without the columns that legitimately differ between two
// databases holding the same data: generated ids and write times. Rows
// are keyed by the RMM's ids, never by generated ones, so databases
// filled by different implementations compare. A sum needs no sort and
// no giant string, so it scales to the 10,000,000 software rows of the
// large run; with the row count beside it, a difference goes unnoticed
// only if two different row sets collide in 64 bits.

// tableSum is one table's row count and checksum.
type tableSum struct {
	table string
	rows  int64
	sum   string // short hex digest of the hash sum
}

// sumSet is a set of table checksums, in a fixed order.
type sumSet []tableSum

func (s sumSet) String() string {
	parts := make([]string, len(s))
	for i, t := range s {
		parts[i] = fmt.Sprintf("%s %d rows %s", t.table, t.rows, t.sum)
	}
	return strings.Join(parts, "; ")
}

// diff says how two sets differ, or "" when they are equal.
func (s sumSet) diff(o sumSet) string {
	if len(s) != len(o) {
		return fmt.Sprintf("%d tables vs %d", len(s), len(o))
	}
	var out []string
	for i := range s {
		if s[i] != o[i] {
			out = append(out, fmt.Sprintf("%s: %d rows %s vs %d rows %s", s[i].table, s[i].rows, s[i].sum, o[i].rows, o[i].sum))
		}
	}
	return strings.Join(out, "; ")
}

// deviceSumQueries checksum what a device sync writes. Without status,
// agent_status is left out: it is computed from the clock at sync time, so
// two syncs of the same fleet a minute apart may differ in it.
func deviceSumQueries(status bool) [][2]string {
	skip := "asset_id,created_at,updated_at,last_rmm_sync_at"
	if !status {
		skip += ",agent_status"
	}
	return append([][2]string{{"assets", `
SELECT a.rmm_device_id, (to_jsonb(a) - '{` + skip + `}'::text[])::text
  FROM assets a WHERE a.rmm_device_id IS NOT NULL`}}, deviceDetailSumQueries...)
}

var deviceDetailSumQueries = [][2]string{
	{"workstation_assets", `
SELECT a.rmm_device_id, (to_jsonb(w) - 'asset_id')::text
  FROM workstation_assets w JOIN assets a ON a.tenant = w.tenant AND a.asset_id = w.asset_id`},
	{"server_assets", `
SELECT a.rmm_device_id, (to_jsonb(s) - 'asset_id')::text
  FROM server_assets s JOIN assets a ON a.tenant = s.tenant AND a.asset_id = s.asset_id`},
	{"tenant_external_entity_mappings", `
SELECT m.external_entity_id,
       (to_jsonb(m) - '{id,alga_entity_id,created_at,updated_at,last_synced_at}'::text[])::text
       || (a.asset_id IS NOT NULL)::text
  FROM tenant_external_entity_mappings m
  LEFT JOIN assets a ON a.tenant = m.tenant AND a.asset_id = m.alga_entity_id::uuid
 WHERE m.alga_entity_type = 'asset'`},
}

// softwareSumQueries checksum what a software ingest writes.
var softwareSumQueries = [][2]string{
	{"software_catalog", `
SELECT c.normalized_name || '|' || coalesce(c.publisher, ''), (to_jsonb(c) - '{software_id,created_at,updated_at}'::text[])::text
  FROM software_catalog c`},
	{"asset_software", `
SELECT a.rmm_device_id || '|' || c.normalized_name || '|' || coalesce(c.publisher, ''),
       (to_jsonb(s) - '{asset_id,software_id,first_seen_at,last_seen_at}'::text[])::text
  FROM asset_software s
  JOIN assets a ON a.tenant = s.tenant AND a.asset_id = s.asset_id
  JOIN software_catalog c ON c.tenant = s.tenant AND c.software_id = s.software_id`},
}

// alertSumQueries checksum what an alert backfill writes.
var alertSumQueries = [][2]string{
	{"rmm_alerts", `
SELECT r.dedup_key, (to_jsonb(r) - '{alert_id,asset_id,created_at,updated_at}'::text[])::text || coalesce(a.rmm_device_id, '')
  FROM rmm_alerts r LEFT JOIN assets a ON a.tenant = r.tenant AND a.asset_id = r.asset_id`},
}

func (e *env) checksums(ctx context.Context, db string, queries [][2]string) (sumSet, error) {
	conn, err := pgx.Connect(ctx, e.pg.dsn(db))
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	out := make(sumSet, 0, len(queries))
	for _, q := range queries {
		t := tableSum{table: q[0]}
		var total string
		err := conn.QueryRow(ctx, `SELECT count(*), coalesce(sum(hashtextextended(k || chr(31) || v, 0)::numeric), 0)::text
		                             FROM (`+q[1]+`) AS r(k, v)`).Scan(&t.rows, &total)
		if err != nil {
			return nil, fmt.Errorf("checksum %s in %s: %w", q[0], db, err)
		}
		t.sum = shortDigest(total)
		out = append(out, t)
	}
	return out, nil
}

// shortDigest is 12 hex digits standing for s.
func shortDigest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}
