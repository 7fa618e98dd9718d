package store

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// TestUpsertDevicesFindsAnAssetCommittedMeanwhile: when another writer
// creates a device's asset while a batch waits on it, with the values the
// batch would write, the batch leaves that asset alone (it is neither
// rewritten nor duplicated) and still writes the device's other rows to
// it, like a device whose asset it had found.
func TestUpsertDevicesFindsAnAssetCommittedMeanwhile(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	orgs := map[string]string{"org-1": f.client}
	d, fresh := testDevice(1, "org-1"), testDevice(2, "org-1")

	// The other writer merges the same asset and keeps its transaction open.
	other, err := ts.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Rollback(ctx) }()
	row, err := deviceRow(d, 0, f.client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, stageDevicesSQL); err != nil {
		t.Fatal(err)
	}
	if _, err := other.CopyFrom(ctx, pgx.Identifier{"stg_devices"}, deviceCopyColumns(), pgx.CopyFromRows([][]any{row})); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, mergeAssetsSQL(), f.tenant, f.integration, "tacticalrmm", []string{d.ExternalID}); err != nil {
		t.Fatal(err)
	}

	type result struct {
		c   Counts
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", orgs, []rmm.Device{d, fresh})
		done <- result{c, err}
	}()
	// Let the batch reach the other writer's row and wait for it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if ts.queryInt(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the batch never waited for the other writer")
		}
	}
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	// The asset was the other writer's; its detail and crosswalk rows are
	// this batch's, so the device counts as updated.
	if r.c != (Counts{Created: 1, Updated: 1}) {
		t.Fatalf("counts = %+v, want 1 created, 1 updated", r.c)
	}
	a, err := ts.AssetByDevice(ctx, f.tenant, f.integration, d.ExternalID)
	if err != nil {
		t.Fatal(err)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM assets WHERE rmm_device_id = $1`, d.ExternalID); n != 1 {
		t.Fatalf("%d assets of the device", n)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM workstation_assets WHERE asset_id = $1`, a.ID); n != 1 {
		t.Fatalf("%d workstation rows for the asset", n)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM tenant_external_entity_mappings WHERE external_entity_id = $1 AND alga_entity_id = $2`,
		d.ExternalID, a.ID); n != 1 {
		t.Fatalf("%d crosswalk rows to the asset", n)
	}
}
