package integration_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
)

// countRows counts a tenant's rows of table, optionally narrowed by a
// condition on the row (alias t) with $2 as its argument.
func countRows(t *testing.T, db *pgx.Conn, table, tenantID string, where string, arg ...any) int {
	t.Helper()
	q := `SELECT count(*) FROM ` + table + ` t WHERE t.tenant = $1`
	if where != "" {
		q += ` AND ` + where
	}
	var n int
	if err := db.QueryRow(t.Context(), q, append([]any{tenantID}, arg...)...).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// deviceTables are the tables a device sync writes, with a row key.
var deviceTables = []struct{ name, key string }{
	{"assets", "asset_id::text"},
	{"workstation_assets", "asset_id::text"},
	{"server_assets", "asset_id::text"},
	{"tenant_external_entity_mappings", "id::text"},
}

// rowVersions returns the xmin (the transaction that last wrote the row)
// of every row of the tenant's device tables: a row rewritten, even to the
// same values, gets a new one.
func rowVersions(t *testing.T, db *pgx.Conn, tenantID string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range deviceTables {
		rows, err := db.Query(t.Context(), `SELECT `+tb.key+`, xmin::text FROM `+tb.name+` WHERE tenant = $1`, tenantID)
		if err != nil {
			t.Fatalf("read %s: %v", tb.name, err)
		}
		for rows.Next() {
			var key, xmin string
			if err := rows.Scan(&key, &xmin); err != nil {
				t.Fatal(err)
			}
			out[tb.name+"/"+key] = xmin
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("read %s: %v", tb.name, err)
		}
	}
	return out
}

// diffVersions lists the rows added, removed or rewritten between two
// rowVersions snapshots.
func diffVersions(before, after map[string]string) []string {
	var diff []string
	for _, k := range slices.Sorted(maps.Keys(before)) {
		switch v, ok := after[k]; {
		case !ok:
			diff = append(diff, "removed "+k)
		case v != before[k]:
			diff = append(diff, "rewritten "+k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if _, ok := before[k]; !ok {
			diff = append(diff, "added "+k)
		}
	}
	return diff
}

// secretNames lists the names of an integration's rows in tenant_secrets.
func secretNames(t *testing.T, db *pgx.Conn, tenantID, integrationID string) []string {
	t.Helper()
	rows, err := db.Query(t.Context(),
		`SELECT secret_name FROM tenant_secrets WHERE tenant = $1 AND integration_id = $2 ORDER BY secret_name`,
		tenantID, integrationID)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// alertOccurrences maps each stored alert's dedup key to its
// occurrence_count.
func alertOccurrences(t *testing.T, db *pgx.Conn, tenantID, integrationID string) map[string]int {
	t.Helper()
	rows, err := db.Query(t.Context(),
		`SELECT dedup_key, occurrence_count FROM rmm_alerts WHERE tenant = $1 AND integration_id = $2`, tenantID, integrationID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
