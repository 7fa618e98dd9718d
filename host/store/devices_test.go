package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func testDevice(i int, org string) rmm.Device {
	boot := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	return rmm.Device{
		ExternalID: fmt.Sprintf("agent-%04d", i), OrgExternalID: org, SiteExternalID: "site-1", SiteName: "HQ",
		Hostname: fmt.Sprintf("host-%04d", i), Kind: rmm.KindWorkstation, Platform: "windows",
		OSName: "Windows 11 Pro", OSVersion: "23H2", AgentVersion: "2.9.1", Status: rmm.StatusOnline,
		LastSeen: boot.Add(49 * time.Hour), BootTime: boot, CurrentUser: "alice", LastUser: "bob",
		LANIPs: []string{"10.0.0.5", "192.168.1.5"}, WANIP: "203.0.113.9", SerialNumber: "SN123",
		Manufacturer: "Dell", Model: "Latitude", CPUModel: "Intel i7", CPUCores: 8, CPUThreads: 16,
		RAMBytes: 16 << 30, Disks: []rmm.Disk{{Name: "C:", FSType: "NTFS", TotalBytes: 512 << 30, FreeBytes: 128 << 30}},
		NeedsReboot: true, Raw: json.RawMessage(`{"agent_id": "x"}`),
	}
}

func testDevices(n int, org string) []rmm.Device {
	out := make([]rmm.Device, n)
	for i := range out {
		out[i] = testDevice(i, org)
	}
	return out
}

// deviceTables are every table a device sync writes.
var deviceTables = []string{"assets", "workstation_assets", "server_assets", "tenant_external_entity_mappings"}

func (ts *testStore) allRowVersions(t *testing.T, tables []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range tables {
		for k, v := range ts.rowVersions(t, table) {
			out[table+" "+k] = v
		}
	}
	return out
}

func TestUpsertDevicesCachesEveryField(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	orgs := map[string]string{"org-1": f.client}
	d := testDevice(1, "org-1")
	c, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", orgs, []rmm.Device{d})
	if err != nil {
		t.Fatal(err)
	}
	if c != (Counts{Created: 1}) {
		t.Fatalf("counts = %+v", c)
	}
	a, err := ts.AssetByDevice(ctx, f.tenant, f.integration, d.ExternalID)
	if err != nil {
		t.Fatal(err)
	}
	if a.AssetType != "workstation" || a.Name != "host-0001" || a.Status != "active" || *a.ClientID != f.client ||
		*a.IntegrationID != f.integration || a.RMMProvider != "tacticalrmm" || a.RMMDeviceID != d.ExternalID ||
		a.RMMOrganizationID != "org-1" || a.RMMSiteID != "site-1" || a.RMMSiteName != "HQ" ||
		a.AgentStatus != "online" || !a.LastSeenAt.Equal(d.LastSeen) || a.SerialNumber != "SN123" ||
		a.LastRMMSyncAt == nil || a.MissingSince != nil {
		t.Fatalf("asset = %+v", a)
	}
	var details struct {
		OSType, OSVersion, CPUModel, AgentVersion, CurrentUser, LastUser, LANIP, WANIP string
		CPUCores, RAMGB, StorageGB                                                     int
		Uptime                                                                         int64
		LastReboot                                                                     time.Time
		SystemInfo                                                                     systemInfo
		Disks                                                                          []diskUsage
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(a.Details, &raw); err != nil {
		t.Fatalf("details %s: %v", a.Details, err)
	}
	for key, dst := range map[string]any{
		"os_type": &details.OSType, "os_version": &details.OSVersion, "cpu_model": &details.CPUModel,
		"agent_version": &details.AgentVersion, "current_user": &details.CurrentUser, "last_user": &details.LastUser,
		"lan_ip": &details.LANIP, "wan_ip": &details.WANIP, "cpu_cores": &details.CPUCores, "ram_gb": &details.RAMGB,
		"storage_capacity_gb": &details.StorageGB, "uptime_seconds": &details.Uptime,
		"last_reboot_at": &details.LastReboot, "system_info": &details.SystemInfo, "disk_usage": &details.Disks,
	} {
		if err := json.Unmarshal(raw[key], dst); err != nil {
			t.Fatalf("details.%s = %s: %v", key, raw[key], err)
		}
	}
	want := systemInfo{Kind: rmm.KindWorkstation, Hostname: "host-0001", Platform: "windows", OSName: "Windows 11 Pro",
		OSVersion: "23H2", SerialNumber: "SN123", Manufacturer: "Dell", Model: "Latitude", CPUThreads: 16,
		RAMBytes: 16 << 30, LANIPs: []string{"10.0.0.5", "192.168.1.5"}, NeedsReboot: true}
	if fmt.Sprint(details.SystemInfo) != fmt.Sprint(want) {
		t.Fatalf("system_info = %+v, want %+v", details.SystemInfo, want)
	}
	if details.OSType != "windows" || details.OSVersion != "Windows 11 Pro 23H2" || details.CPUModel != "Intel i7" ||
		details.AgentVersion != "2.9.1" || details.CurrentUser != "alice" || details.LastUser != "bob" ||
		details.LANIP != "10.0.0.5" || details.WANIP != "203.0.113.9" || details.CPUCores != 8 || details.RAMGB != 16 ||
		details.StorageGB != 512 || details.Uptime != 49*3600 || !details.LastReboot.Equal(d.BootTime) {
		t.Fatalf("details = %+v", details)
	}
	if len(details.Disks) != 1 || details.Disks[0] != (diskUsage{Name: "C:", FSType: "NTFS", TotalGB: 512, FreeGB: 128,
		UtilizationPercent: 75, TotalBytes: 512 << 30, FreeBytes: 128 << 30}) {
		t.Fatalf("disks = %+v", details.Disks)
	}
	var realm, entity string
	if err := ts.pool.QueryRow(ctx, `SELECT external_realm_id, alga_entity_id FROM tenant_external_entity_mappings
		WHERE tenant = $1 AND integration_id = $2 AND external_entity_id = $3 AND integration_type = 'tacticalrmm'
		  AND alga_entity_type = 'asset' AND sync_status = 'synced'`, f.tenant, f.integration, d.ExternalID).Scan(&realm, &entity); err != nil {
		t.Fatal(err)
	}
	if realm != "org-1" || entity != a.ID {
		t.Fatalf("crosswalk = %s %s", realm, entity)
	}
}

func TestUpsertDevicesResyncRewritesNothing(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	orgs := map[string]string{"org-1": f.client}
	devs := testDevices(50, "org-1")
	devs[7].Kind, devs[8].Kind = rmm.KindServer, rmm.KindOther
	if c, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", orgs, devs); err != nil || c != (Counts{Created: 50}) {
		t.Fatalf("first sync = %+v, %v", c, err)
	}
	before := ts.allRowVersions(t, deviceTables)
	if len(before) != 150 {
		t.Fatalf("%d rows after the first sync, want 150", len(before))
	}
	c, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", orgs, devs)
	if err != nil || c != (Counts{Unchanged: 50}) {
		t.Fatalf("second sync = %+v, %v", c, err)
	}
	if after := ts.allRowVersions(t, deviceTables); !maps.Equal(before, after) {
		t.Fatal("an unchanged re-sync wrote or locked rows")
	}
	// One change in each table, each counted once per device.
	devs[1].AgentVersion = "2.9.2"     // detail row only
	devs[2].Status = rmm.StatusOffline // asset only
	devs[3].SiteName = "Branch"        // asset and crosswalk
	c, err = ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", orgs, devs)
	if err != nil || c != (Counts{Updated: 3, Unchanged: 47}) {
		t.Fatalf("third sync = %+v, %v", c, err)
	}
	after := ts.allRowVersions(t, deviceTables)
	changed := 0
	for k, v := range before {
		if after[k] != v {
			changed++
		}
	}
	if changed != 4 { // each update leaves one old row version behind
		t.Fatalf("%d row versions changed, want 4", changed)
	}
}

func TestUpsertDevicesIsSetBased(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	orgs := map[string]string{"org-1": f.client}
	statements := func(devs []rmm.Device, want Counts) int64 {
		t.Helper()
		start := ts.counter.n.Load()
		c, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", orgs, devs)
		if err != nil || c != want {
			t.Fatalf("UpsertDevices = %+v, %v; want %+v", c, err, want)
		}
		return ts.counter.n.Load() - start
	}
	small := statements(testDevices(10, "org-1"), Counts{Created: 10})
	large := statements(testDevices(1000, "org-1"), Counts{Created: 990, Unchanged: 10})
	if small != large || large > 10 {
		t.Fatalf("statements: %d for 10 devices, %d for 1000; want the same small number", small, large)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM assets`); n != 1000 {
		t.Fatalf("%d assets", n)
	}
}

func TestUpsertDevicesIdentityAndMapping(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	other, _ := ts.CreateClient(ctx, f.tenant, "Other client")
	orgs := map[string]string{"org-1": f.client, "org-2": other.ID}
	up := func(devs ...rmm.Device) Counts {
		t.Helper()
		c, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", orgs, devs)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	d := testDevice(1, "org-1")
	up(d)
	first, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, d.ExternalID)

	t.Run("an agent that moves organisation keeps its asset", func(t *testing.T) {
		moved := d
		moved.OrgExternalID, moved.SiteExternalID, moved.SiteName = "org-2", "site-9", "Annex"
		if c := up(moved); c != (Counts{Updated: 1}) {
			t.Fatalf("counts = %+v", c)
		}
		a, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, d.ExternalID)
		if a.ID != first.ID || *a.ClientID != other.ID || a.RMMOrganizationID != "org-2" || a.RMMSiteName != "Annex" {
			t.Fatalf("moved asset = %+v", a)
		}
		if n := ts.queryInt(t, `SELECT count(*) FROM assets`); n != 1 {
			t.Fatalf("%d assets after a move", n)
		}
		if n := ts.queryInt(t, `SELECT count(*) FROM tenant_external_entity_mappings WHERE external_realm_id = 'org-2'`); n != 1 {
			t.Fatal("the crosswalk did not follow the move")
		}
	})

	t.Run("a device in an unmapped organisation is never written", func(t *testing.T) {
		away := d
		away.OrgExternalID = "org-unmapped"
		fresh := testDevice(2, "org-unmapped")
		if c := up(away, fresh); c != (Counts{}) {
			t.Fatalf("counts = %+v", c)
		}
		a, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, d.ExternalID)
		if *a.ClientID != other.ID || a.RMMOrganizationID != "org-2" {
			t.Fatalf("asset attached to an unmapped org: %+v", a)
		}
		if _, err := ts.AssetByDevice(ctx, f.tenant, f.integration, fresh.ExternalID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("device of an unmapped org = %v", err)
		}
	})

	t.Run("a device that changes kind moves its detail row", func(t *testing.T) {
		server := d
		server.OrgExternalID, server.Kind = "org-2", rmm.KindServer
		if c := up(server); c != (Counts{Updated: 1}) {
			t.Fatalf("counts = %+v", c)
		}
		if ts.queryInt(t, `SELECT count(*) FROM workstation_assets`) != 0 || ts.queryInt(t, `SELECT count(*) FROM server_assets WHERE primary_ip = '10.0.0.5'`) != 1 {
			t.Fatal("the detail row did not move to server_assets")
		}
		a, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, d.ExternalID)
		if a.AssetType != "server" || a.ID != first.ID {
			t.Fatalf("asset = %+v", a)
		}
		other := server
		other.Kind = rmm.KindOther
		if c := up(other); c != (Counts{Updated: 1}) {
			t.Fatalf("counts = %+v", c)
		}
		if ts.queryInt(t, `SELECT count(*) FROM workstation_assets WHERE system_info->>'kind' = 'other'`) != 1 || ts.queryInt(t, `SELECT count(*) FROM server_assets`) != 0 {
			t.Fatal("kind other is not kept as a workstation")
		}
	})

	t.Run("duplicates in a batch: the last wins; no id fails", func(t *testing.T) {
		a, b := testDevice(5, "org-1"), testDevice(5, "org-1")
		b.Hostname = "second"
		if c := up(a, b, rmm.Device{OrgExternalID: "org-1"}); c != (Counts{Created: 1, Failed: 1}) {
			t.Fatalf("counts = %+v", c)
		}
		got, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, a.ExternalID)
		if got.Name != "second" {
			t.Fatalf("name = %q", got.Name)
		}
	})

	t.Run("another tenant's integration or client", func(t *testing.T) {
		b := ts.newFixture(t, "b")
		if _, err := ts.UpsertDevices(ctx, b.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": b.client}, []rmm.Device{d}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("into another tenant's integration = %v", err)
		}
		if _, err := ts.UpsertDevices(ctx, b.tenant, b.integration, "tacticalrmm", map[string]string{"org-1": f.client}, []rmm.Device{d}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("onto another tenant's client = %v", err)
		}
	})
}

func TestFullDeviceSyncMarksMissing(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	orgs := map[string]string{"org-1": f.client, "org-2": f.client}
	fullSync := func(complete bool, devs []rmm.Device) int64 {
		t.Helper()
		ds, err := ts.BeginDeviceSync(ctx, f.tenant, f.integration)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(devs); i += 4 { // several batches
			if _, err := ts.UpsertSyncDevices(ctx, ds, "tacticalrmm", orgs, devs[i:min(i+4, len(devs))]); err != nil {
				t.Fatal(err)
			}
		}
		res, err := ts.FinishDeviceSync(ctx, ds, []string{"org-1"}, complete)
		if err != nil {
			t.Fatal(err)
		}
		if n := ts.queryInt(t, `SELECT count(*) FROM rmm_device_sync_seen`); n != 0 {
			t.Fatalf("%d seen rows left after the sync", n)
		}
		return res.Missing
	}
	devs := testDevices(10, "org-1")
	devs[9].OrgExternalID = "org-2" // outside the synced organisations
	if m := fullSync(true, devs); m != 0 {
		t.Fatalf("first sync: %d missing", m)
	}
	before := ts.allRowVersions(t, deviceTables)
	if m := fullSync(true, devs); m != 0 {
		t.Fatalf("unchanged sync: %d missing", m)
	}
	if after := ts.allRowVersions(t, deviceTables); !maps.Equal(before, after) {
		for k, v := range after {
			if before[k] != v {
				t.Log(k, before[k], v)
			}
		}
		t.Fatal("an unchanged full sync rewrote rows to record that it saw them")
	}

	// Devices 0 and 1 vanish; device 9 is not in the synced organisations.
	if m := fullSync(false, devs[2:9]); m != 0 {
		t.Fatalf("an incomplete sync marked %d missing", m)
	}
	if m := fullSync(true, devs[2:9]); m != 2 {
		t.Fatalf("missing = %d, want 2", m)
	}
	if m := fullSync(true, devs[2:9]); m != 2 {
		t.Fatalf("missing = %d, want 2", m)
	}
	a, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, devs[0].ExternalID)
	if a.MissingSince == nil || ts.queryInt(t, `SELECT missing_full_syncs FROM assets WHERE asset_id = $1`, a.ID) != 2 {
		t.Fatalf("missing device = %+v", a)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM assets WHERE missing_since IS NOT NULL`); n != 2 {
		t.Fatalf("%d assets missing, want 2", n)
	}
	// Seen again: no longer missing.
	if m := fullSync(true, devs); m != 0 {
		t.Fatalf("missing = %d after they came back", m)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM assets WHERE missing_since IS NOT NULL OR missing_full_syncs > 0`); n != 0 {
		t.Fatalf("%d assets still missing", n)
	}
	if _, err := ts.UpsertSyncDevices(ctx, DeviceSync{TenantID: f.tenant, IntegrationID: f.integration}, "tacticalrmm", orgs, devs); err == nil {
		t.Fatal("a DeviceSync that was never begun was accepted")
	}
	b := ts.newFixture(t, "b")
	if _, err := ts.BeginDeviceSync(ctx, b.tenant, f.integration); !errors.Is(err, ErrNotFound) {
		t.Fatalf("BeginDeviceSync on another tenant's integration = %v", err)
	}
}
