package store

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestDbgExplain(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	for i := 0; i < 3000; i += 1000 {
		if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "p", map[string]string{"org": f.client}, devicesFrom(i, 1000, "org")); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 1000; i += 500 {
		if _, err := ts.UpsertSoftware(ctx, f.tenant, f.integration, softwareBatch(500, 100, i)); err != nil {
			t.Fatal(err)
		}
	}
	batches := softwareBatch(500, 100, 2000)
	var rows [][]any
	for _, b := range batches {
		for _, it := range b.Items {
			rows = append(rows, []any{int32(len(rows)), b.DeviceExternalID, it.Name, normalizeSoftwareName(it.Name), textOrNil(it.Publisher), textOrNil(it.Version), nil, it.SizeBytes, nil})
		}
	}
	variants := map[string]string{
		"merge": mergeSoftwareSQL(),
		"plain": `INSERT INTO asset_software AS t (tenant, asset_id, software_id, version, install_date, size_bytes, install_path, is_current, uninstalled_at, first_seen_at, last_seen_at)
    SELECT $1::uuid, s.asset_id, s.software_id, s.version, s.install_date, s.size_bytes, s.install_path, true, NULL, now(), now() FROM stg_asset_software s`,
		"nothing": `INSERT INTO asset_software AS t (tenant, asset_id, software_id, version, install_date, size_bytes, install_path, is_current, uninstalled_at, first_seen_at, last_seen_at)
    SELECT $1::uuid, s.asset_id, s.software_id, s.version, s.install_date, s.size_bytes, s.install_path, true, NULL, now(), now() FROM stg_asset_software s ON CONFLICT DO NOTHING`,
	}
	variants["nofk"] = `INSERT INTO nofk (tenant, asset_id, software_id, version, install_date, size_bytes, install_path, is_current, uninstalled_at, first_seen_at, last_seen_at)
    SELECT $1::uuid, s.asset_id, s.software_id, s.version, s.install_date, s.size_bytes, s.install_path, true, NULL, now(), now() FROM stg_asset_software s`
	if _, err := ts.pool.Exec(ctx, `CREATE TABLE nofk (LIKE asset_software INCLUDING ALL)`); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"explain"} {
		func() {
			tx, _ := ts.pool.Begin(ctx)
			defer tx.Rollback(ctx)
			mustExec := func(sql string, args ...any) {
				if _, err := tx.Exec(ctx, sql, args...); err != nil {
					t.Fatal(err)
				}
			}
			mustExec(stageSoftwareSQL)
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stg_software"}, softwareCopyColumns(), pgx.CopyFromRows(rows)); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{addProductsSQL, resolveSoftwareSQL} {
				r, err := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q, f.tenant, f.integration)
				if err != nil {
					t.Fatal(err)
				}
				lines, _ := pgx.CollectRows(r, pgx.RowTo[string])
				for _, l := range lines {
					t.Log(l)
				}
			}
			return
			st := time.Now()
			mustExec(variants[name], f.tenant)
			t.Log(name, time.Since(st))
		}()
	}
}
