package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// storedDeviceTables are the tables a device batch reads rows of.
var storedDeviceTables = []string{"assets", "workstation_assets", "server_assets", "tenant_external_entity_mappings"}

// planReads sums, per stored table, the rows the plan's scans of it
// returned or filtered out, over all loops.
func planReads(t *testing.T, plan []byte) map[string]float64 {
	t.Helper()
	var root []struct{ Plan json.RawMessage }
	if err := json.Unmarshal(plan, &root); err != nil || len(root) != 1 {
		t.Fatalf("plan %s: %v", plan, err)
	}
	reads := map[string]float64{}
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		var n struct {
			Relation string            `json:"Relation Name"`
			Rows     float64           `json:"Actual Rows"`
			Loops    float64           `json:"Actual Loops"`
			Filtered float64           `json:"Rows Removed by Filter"`
			Recheck  float64           `json:"Rows Removed by Index Recheck"`
			Type     string            `json:"Node Type"`
			Plans    []json.RawMessage `json:"Plans"`
		}
		if err := json.Unmarshal(raw, &n); err != nil {
			t.Fatal(err)
		}
		// Modify nodes name their table too; what they write is not a read.
		if n.Relation != "" && n.Type != "ModifyTable" {
			reads[n.Relation] += (n.Rows + n.Filtered + n.Recheck) * n.Loops
		}
		for _, p := range n.Plans {
			walk(p)
		}
	}
	walk(root[0].Plan)
	return reads
}

// TestDeviceMergesReadOnlyTheBatch shows that a batch reads the stored rows
// of its own devices only, however many the tables hold, in the custom
// plans of its first executions and in the generic plans a session then
// keeps. Planned on a tenant's rows taken for one (no statistics), the
// merges read every row of a table per batch, which made a first sync
// quadratic in the fleet.
func TestDeviceMergesReadOnlyTheBatch(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	orgs := map[string]string{"org-1": f.client}
	const fleet, batch = 3000, 20
	devs := testDevices(fleet+batch/2, "org-1")
	for i := range devs {
		if i%5 == 0 {
			devs[i].Kind = rmm.KindServer
		}
	}
	// Fill the tables as a first sync does, in provider-sized batches.
	ds, err := ts.BeginDeviceSync(ctx, f.tenant, f.integration)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < fleet; i += rmm.DefaultMaxBatch {
		if _, err := ts.UpsertSyncDevices(ctx, ds, "tacticalrmm", orgs, devs[i:min(i+rmm.DefaultMaxBatch, fleet)]); err != nil {
			t.Fatal(err)
		}
	}
	// A batch of changed devices (two of them change kind) and new ones.
	b := append([]rmm.Device{}, devs[1000:1000+batch/2]...)
	b = append(b, devs[fleet:]...)
	for i := range b[:batch/2] {
		b[i].AgentVersion, b[i].SiteName = "3.0.0", "Annex"
	}
	b[0].Kind, b[1].Kind = rmm.KindWorkstation, rmm.KindServer
	rows := make([][]any, len(b))
	ids := make([]string, len(b))
	for i, d := range b {
		if rows[i], err = deviceRow(d, i, f.client); err != nil {
			t.Fatal(err)
		}
		ids[i] = d.ExternalID
	}

	for _, mode := range []string{"custom", "generic"} {
		t.Run(mode, func(t *testing.T) {
			tx, err := ts.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback(ctx) }()
			if _, err := tx.Exec(ctx, stageDevicesSQL); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stg_devices"}, deviceCopyColumns(), pgx.CopyFromRows(rows)); err != nil {
				t.Fatal(err)
			}
			explain := func(name, sql string, types []string, args ...any) map[string]float64 {
				t.Helper()
				var plan []byte
				if mode == "custom" {
					err = tx.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+sql, args...).Scan(&plan)
				} else {
					// A generic plan is made without the arguments' values.
					_, err = tx.Exec(ctx, "SET LOCAL plan_cache_mode = force_generic_plan; PREPARE "+name+
						" ("+strings.Join(types, ", ")+") AS "+sql)
					if err == nil {
						// EXECUTE takes no parameters of its own: literals.
						err = tx.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE "+name+
							" ("+literals(t, args)+")").Scan(&plan)
					}
					if err == nil {
						_, err = tx.Exec(ctx, "DEALLOCATE "+name)
					}
				}
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				return planReads(t, plan)
			}
			assets := explain("merge_assets", mergeAssetsSQL(), []string{"uuid", "uuid", "text", "text[]"},
				f.tenant, f.integration, "tacticalrmm", ids)
			details := explain("merge_details", mergeDetailsSQL(), []string{"uuid", "uuid", "text", "bigint", "text[]"},
				f.tenant, f.integration, "tacticalrmm", ds.Generation, ids)
			for _, table := range storedDeviceTables {
				// A few probes per device at most; the tables hold 3,000 devices.
				if n := assets[table] + details[table]; n > 3*batch {
					t.Errorf("the merges of %d devices read %.0f rows of %s (assets %v, details %v)",
						batch, n, table, assets, details)
				}
			}
			var created, changed int64
			if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE changed) FROM stg_devices`).
				Scan(&created, &changed); err != nil {
				t.Fatal(err)
			}
			if created != batch/2 || changed != batch {
				t.Fatalf("created %d, changed %d: the merges did not run as a batch does", created, changed)
			}
		})
	}
}

// literals renders the arguments of an EXECUTE as SQL literals.
func literals(t *testing.T, args []any) string {
	t.Helper()
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	out := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = quote(v)
		case int64:
			out[i] = fmt.Sprint(v)
		case []string:
			q := make([]string, len(v))
			for j, s := range v {
				q[j] = quote(s)
			}
			out[i] = "ARRAY[" + strings.Join(q, ", ") + "]::text[]"
		default:
			t.Fatalf("no literal for %T", a)
		}
	}
	return strings.Join(out, ", ")
}
