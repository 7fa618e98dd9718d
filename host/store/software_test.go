package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestNormalizeSoftwareName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"Google Chrome", "google chrome"},
		{"  Google \t  Chrome\n", "google chrome"},
		{"ÉDITEUR Ünicode", "éditeur ünicode"},
		{"7-Zip 23.01 (x64)", "7-zip 23.01 (x64)"},
	} {
		if got := normalizeSoftwareName(tc.in); got != tc.want {
			t.Errorf("normalizeSoftwareName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func inventory(device string, items ...rmm.SoftwareItem) rmm.SoftwareBatch {
	return rmm.SoftwareBatch{DeviceExternalID: device, Items: items}
}

func TestUpsertSoftwareLifecycle(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	orgs := map[string]string{"org-1": f.client}
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", orgs, testDevices(3, "org-1")); err != nil {
		t.Fatal(err)
	}
	d0, d1, d2 := "agent-0000", "agent-0001", "agent-0002"
	chrome := rmm.SoftwareItem{Name: "Google Chrome", Publisher: "Google LLC", Version: "126.0",
		InstallDate: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC), SizeBytes: 1 << 20, Location: `C:\Chrome`}
	tool := rmm.SoftwareItem{Name: "Internal Tool", Version: "1"} // no publisher
	zip := rmm.SoftwareItem{Name: "7-Zip", Publisher: "Igor Pavlov", Version: "23.01"}
	write := func(batches ...rmm.SoftwareBatch) Counts {
		t.Helper()
		c, err := ts.UpsertSoftware(ctx, f.tenant, f.integration, batches)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	current := func(device string) map[string]bool {
		t.Helper()
		a, err := ts.AssetByDevice(ctx, f.tenant, f.integration, device)
		if err != nil {
			t.Fatal(err)
		}
		list, err := ts.AssetSoftware(ctx, f.tenant, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, s := range list {
			out[s.Name+"@"+s.Version] = s.IsCurrent
			if !s.IsCurrent && s.Uninstalled == nil {
				t.Fatalf("%s is not current but has no uninstalled_at", s.Name)
			}
		}
		return out
	}

	spaced := tool
	spaced.Name = "  internal   TOOL "
	c := write(
		inventory(d0, chrome, tool, zip),
		inventory(d1, chrome, spaced, rmm.SoftwareItem{Name: " "}),
		inventory("agent-without-asset", chrome),
	)
	if c != (Counts{Created: 5, Failed: 1}) {
		t.Fatalf("first ingest = %+v", c)
	}
	// One catalog row per product: a NULL publisher and a name written
	// differently do not duplicate it.
	if n := ts.queryInt(t, `SELECT count(*) FROM software_catalog`); n != 3 {
		t.Fatalf("%d catalog rows, want 3", n)
	}
	a0, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, d0)
	list, _ := ts.AssetSoftware(ctx, f.tenant, a0.ID)
	if len(list) != 3 || list[1].Name != "Google Chrome" || list[1].Publisher != "Google LLC" || list[1].InstallPath != `C:\Chrome` ||
		list[1].InstallDate == nil || !list[1].InstallDate.Equal(chrome.InstallDate) || *list[1].SizeBytes != 1<<20 || !list[1].IsCurrent {
		t.Fatalf("AssetSoftware = %+v", list)
	}

	tables := []string{"software_catalog", "asset_software"}
	before := ts.allRowVersions(t, tables)
	if c := write(inventory(d0, chrome, tool, zip), inventory(d1, chrome, spaced)); c != (Counts{Unchanged: 5}) {
		t.Fatalf("unchanged ingest = %+v", c)
	}
	if after := ts.allRowVersions(t, tables); !maps.Equal(before, after) {
		t.Fatal("an unchanged ingest wrote or locked rows")
	}

	// Uninstall 7-Zip on d0; d1 reports nothing at all; d2 gets Chrome.
	if c := write(inventory(d0, chrome, tool), inventory(d1), inventory(d2, chrome)); c != (Counts{Created: 1, Unchanged: 2, Deleted: 3}) {
		t.Fatalf("uninstall = %+v", c)
	}
	if got := current(d0); !maps.Equal(got, map[string]bool{"Google Chrome@126.0": true, "Internal Tool@1": true, "7-Zip@23.01": false}) {
		t.Fatalf("d0 = %v", got)
	}
	if got := current(d1); !maps.Equal(got, map[string]bool{"Google Chrome@126.0": false, "Internal Tool@1": false}) {
		t.Fatalf("d1 = %v", got)
	}
	// Uninstalling again changes nothing.
	if c := write(inventory(d0, chrome, tool)); c != (Counts{Unchanged: 2}) {
		t.Fatalf("repeat = %+v", c)
	}

	// Reinstall 7-Zip in a newer version, upgrade Chrome.
	newer, upgraded := zip, chrome
	newer.Version, upgraded.Version = "24.08", "127.0"
	if c := write(inventory(d0, upgraded, tool, newer)); c != (Counts{Updated: 2, Unchanged: 1}) {
		t.Fatalf("reinstall = %+v", c)
	}
	if got := current(d0); !maps.Equal(got, map[string]bool{"Google Chrome@127.0": true, "Internal Tool@1": true, "7-Zip@24.08": true}) {
		t.Fatalf("d0 after reinstall = %v", got)
	}
	var uninstalled *time.Time
	if err := ts.pool.QueryRow(ctx, `SELECT uninstalled_at FROM asset_software WHERE asset_id = $1 AND version = '24.08'`, a0.ID).Scan(&uninstalled); err != nil || uninstalled != nil {
		t.Fatalf("reinstalled row keeps uninstalled_at %v, %v", uninstalled, err)
	}

	b := ts.newFixture(t, "b")
	if _, err := ts.UpsertSoftware(ctx, b.tenant, f.integration, []rmm.SoftwareBatch{inventory(d0, chrome)}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant's integration = %v", err)
	}
	if got := current(d0); len(got) != 3 {
		t.Fatalf("another tenant's write changed this tenant's software: %v", got)
	}
	if _, err := ts.AssetSoftware(ctx, b.tenant, a0.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("AssetSoftware of another tenant's asset = %v", err)
	}
}

func softwareBatch(devices, items, offset int) []rmm.SoftwareBatch {
	out := make([]rmm.SoftwareBatch, devices)
	for d := range out {
		b := rmm.SoftwareBatch{DeviceExternalID: fmt.Sprintf("agent-%04d", offset+d), Items: make([]rmm.SoftwareItem, items)}
		for i := range b.Items {
			pub := fmt.Sprintf("Publisher %d", i%40)
			if i%10 == 0 {
				pub = ""
			}
			b.Items[i] = rmm.SoftwareItem{Name: fmt.Sprintf("Product %d", (d+i)%400), Publisher: pub,
				Version: fmt.Sprintf("%d.%d", i, d%3), SizeBytes: int64(i) << 10}
		}
		out[d] = b
	}
	return out
}

func TestUpsertSoftwareIsSetBased(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": f.client}, testDevices(200, "org-1")); err != nil {
		t.Fatal(err)
	}
	statements := func(batches []rmm.SoftwareBatch, created int64) int64 {
		t.Helper()
		start := ts.counter.n.Load()
		c, err := ts.UpsertSoftware(ctx, f.tenant, f.integration, batches)
		if err != nil || c.Created != created {
			t.Fatalf("UpsertSoftware = %+v, %v; want %d created", c, err, created)
		}
		return ts.counter.n.Load() - start
	}
	small := statements(softwareBatch(2, 3, 0), 6)
	large := statements(softwareBatch(190, 50, 10), 190*50)
	// begin, plan settings, assets, catalog, merge, commit
	if small != large || large > 6 {
		t.Fatalf("statements: %d for 6 rows, %d for 9500; want the same 6", small, large)
	}
}

func TestUpsertSoftwareMergesADeviceListedTwice(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": f.client}, testDevices(1, "org-1")); err != nil {
		t.Fatal(err)
	}
	old := rmm.SoftwareItem{Name: "7-Zip", Publisher: "Igor Pavlov", Version: "23.01"}
	newer := old
	newer.Version = "24.08"
	tool := rmm.SoftwareItem{Name: "Tool"}
	c, err := ts.UpsertSoftware(ctx, f.tenant, f.integration, []rmm.SoftwareBatch{
		inventory("agent-0000", old, tool), inventory("agent-0000", newer),
	})
	if err != nil || c != (Counts{Created: 2}) {
		t.Fatalf("UpsertSoftware = %+v, %v; want 2 created", c, err)
	}
	a, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, "agent-0000")
	list, err := ts.AssetSoftware(ctx, f.tenant, a.ID)
	if err != nil || len(list) != 2 || list[0].Name != "7-Zip" || list[0].Version != "24.08" || list[1].Name != "Tool" {
		t.Fatalf("AssetSoftware = %+v, %v; want 7-Zip 24.08 (the later listing) and Tool", list, err)
	}
}

func TestUpsertSoftwareKeepsTenantsApart(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	a, b := ts.newFixture(t, "a"), ts.newFixture(t, "b")
	for _, f := range []fixture{a, b} {
		if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": f.client}, testDevices(1, "org-1")); err != nil {
			t.Fatal(err)
		}
	}
	chrome := rmm.SoftwareItem{Name: "Google Chrome", Publisher: "Google LLC", Version: "126.0"}
	if _, err := ts.UpsertSoftware(ctx, a.tenant, a.integration, []rmm.SoftwareBatch{inventory("agent-0000", chrome)}); err != nil {
		t.Fatal(err)
	}
	before := ts.allRowVersions(t, []string{"software_catalog", "asset_software"})
	// The same device id and product in tenant b: b gets its own rows.
	upgraded := chrome
	upgraded.Version = "127.0"
	c, err := ts.UpsertSoftware(ctx, b.tenant, b.integration, []rmm.SoftwareBatch{inventory("agent-0000", upgraded)})
	if err != nil || c != (Counts{Created: 1}) {
		t.Fatalf("tenant b = %+v, %v", c, err)
	}
	after := ts.allRowVersions(t, []string{"software_catalog", "asset_software"})
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("tenant b's ingest changed tenant a's row %s", k)
		}
	}
	for _, f := range []fixture{a, b} {
		if n := ts.queryInt(t, `SELECT count(*) FROM software_catalog WHERE tenant = $1`, f.tenant); n != 1 {
			t.Errorf("tenant %s has %d catalog rows, want 1", f.tenant, n)
		}
		if n := ts.queryInt(t, `SELECT count(*) FROM asset_software s JOIN software_catalog c USING (tenant, software_id)
			JOIN assets a USING (tenant, asset_id) WHERE s.tenant = $1`, f.tenant); n != 1 {
			t.Errorf("tenant %s has %d rows joined within the tenant, want 1", f.tenant, n)
		}
	}
}

// TestUpsertSoftwareAddsProductsBesideAConcurrentBatch: a product that
// another transaction adds while the batch adds it too is neither
// duplicated nor lost; the batch waits for the other one and uses its row.
func TestUpsertSoftwareAddsProductsBesideAConcurrentBatch(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": f.client}, testDevices(1, "org-1")); err != nil {
		t.Fatal(err)
	}
	other, err := ts.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Rollback(context.WithoutCancel(ctx)) }()
	var theirs string
	if err := other.QueryRow(ctx, `INSERT INTO software_catalog (tenant, name, normalized_name) VALUES ($1, 'Tool', 'tool')
		RETURNING software_id::text`, f.tenant).Scan(&theirs); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := ts.UpsertSoftware(ctx, f.tenant, f.integration, []rmm.SoftwareBatch{inventory("agent-0000", rmm.SoftwareItem{Name: "Tool"})})
		done <- err
	}()
	// Commit once the batch waits on the uncommitted product.
	deadline := time.Now().Add(30 * time.Second)
	for ts.queryInt(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the batch never waited for the concurrent product")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("UpsertSoftware = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("UpsertSoftware hangs")
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM software_catalog`); n != 1 {
		t.Fatalf("%d catalog rows, want 1", n)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM asset_software WHERE software_id = $1::uuid`, theirs); n != 1 {
		t.Fatalf("%d rows use the concurrent product, want 1", n)
	}
}

// TestUpsertSoftwareKeepsStatisticsOfAYoungTable: while batches fill
// asset_software, the planner's statistics follow each doubling.
func TestUpsertSoftwareKeepsStatisticsOfAYoungTable(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	if _, err := ts.pool.Exec(ctx, `ALTER TABLE asset_software SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": f.client}, testDevices(200, "org-1")); err != nil {
		t.Fatal(err)
	}
	known := func() int64 {
		return ts.queryInt(t, `SELECT reltuples::bigint FROM pg_class WHERE oid = 'asset_software'::regclass`)
	}
	write := func(batches []rmm.SoftwareBatch) {
		t.Helper()
		if _, err := ts.UpsertSoftware(ctx, f.tenant, f.integration, batches); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		devices, offset int
		want            int64
	}{
		{10, 0, 10 * 40},    // the first rows: analysed
		{1, 10, 10 * 40},    // a few more: no need
		{60, 11, 71 * 40},   // more than doubled: analysed
		{120, 71, 191 * 40}, // again
	} {
		write(softwareBatch(step.devices, 40, step.offset))
		if got := known(); got != step.want {
			t.Fatalf("after %d devices from %d: statistics know %d rows, want %d", step.devices, step.offset, got, step.want)
		}
	}
}
