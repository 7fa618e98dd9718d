package store

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestParseLifecycleSettings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings string
		grace    time.Duration
		field    string // the invalid field, "" when valid
	}{
		{"no settings", ``, 24 * time.Hour, ""},
		{"no lifecycle", `{"schedule": {"full_sync": "1h"}}`, 24 * time.Hour, ""},
		{"null lifecycle", `{"lifecycle": null}`, 24 * time.Hour, ""},
		{"empty lifecycle", `{"lifecycle": {}}`, 24 * time.Hour, ""},
		{"zero", `{"lifecycle": {"missing_grace_hours": 0}}`, 0, ""},
		{"three days", `{"lifecycle": {"missing_grace_hours": 72}}`, 72 * time.Hour, ""},
		{"a year", `{"lifecycle": {"missing_grace_hours": 8760}}`, 8760 * time.Hour, ""},
		{"negative", `{"lifecycle": {"missing_grace_hours": -1}}`, 0, "settings.lifecycle.missing_grace_hours"},
		{"over a year", `{"lifecycle": {"missing_grace_hours": 8761}}`, 0, "settings.lifecycle.missing_grace_hours"},
		{"fraction", `{"lifecycle": {"missing_grace_hours": 1.5}}`, 0, "settings.lifecycle"},
		{"string", `{"lifecycle": {"missing_grace_hours": "24"}}`, 0, "settings.lifecycle"},
		{"not an object", `{"lifecycle": 24}`, 0, "settings.lifecycle"},
		{"settings not an object", `[1]`, 0, "settings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ParseLifecycleSettings([]byte(tc.settings))
			var inv *InvalidError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.field != "" && (!errors.As(err, &inv) || inv.Field != tc.field):
				t.Fatalf("error = %v, want an invalid %s", err, tc.field)
			case tc.field == "" && l.MissingGrace() != tc.grace:
				t.Fatalf("grace = %v, want %v", l.MissingGrace(), tc.grace)
			}
		})
	}
}

func TestIntegrationSettingsValidateTheLifecycle(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	bad := json.RawMessage(`{"lifecycle": {"missing_grace_hours": -5}}`)
	var inv *InvalidError
	if _, err := ts.UpdateIntegration(ctx, f.tenant, f.integration, IntegrationPatch{Settings: bad}); !errors.As(err, &inv) ||
		inv.Field != "settings.lifecycle.missing_grace_hours" {
		t.Fatalf("update with a negative grace = %v", err)
	}
	if _, err := ts.CreateIntegration(ctx, f.tenant, NewIntegration{Provider: "x", Name: "other", AuthMode: "api_key",
		Settings: bad}); !errors.As(err, &inv) {
		t.Fatalf("create with a negative grace = %v", err)
	}
	// Settings stored before validation existed stop a full sync rather
	// than retire devices on a guessed grace period.
	if _, err := ts.pool.Exec(ctx, `UPDATE rmm_integrations SET settings = $2 WHERE integration_id = $1`, f.integration, bad); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.BeginDeviceSync(ctx, f.tenant, f.integration); !errors.As(err, &inv) {
		t.Fatalf("BeginDeviceSync with invalid settings = %v", err)
	}
	good := json.RawMessage(`{"lifecycle": {"missing_grace_hours": 6}}`)
	if _, err := ts.UpdateIntegration(ctx, f.tenant, f.integration, IntegrationPatch{Settings: good}); err != nil {
		t.Fatal(err)
	}
	ds, err := ts.BeginDeviceSync(ctx, f.tenant, f.integration)
	if err != nil || ds.Grace != 6*time.Hour {
		t.Fatalf("BeginDeviceSync = %+v, %v; want a 6h grace", ds, err)
	}
}

// lifecycleHarness runs full syncs of one integration over two mapped
// organisations.
type lifecycleHarness struct {
	ts   *testStore
	f    fixture
	orgs map[string]string
}

func newLifecycleHarness(t *testing.T, graceHours int) *lifecycleHarness {
	t.Helper()
	ts := newTestStore(t)
	f := ts.newFixture(t, "a")
	settings := json.RawMessage(`{"lifecycle": {"missing_grace_hours": ` + strconv.Itoa(graceHours) + `}}`)
	if _, err := ts.UpdateIntegration(t.Context(), f.tenant, f.integration, IntegrationPatch{Settings: settings}); err != nil {
		t.Fatal(err)
	}
	other, err := ts.CreateClient(t.Context(), f.tenant, "Other client")
	if err != nil {
		t.Fatal(err)
	}
	return &lifecycleHarness{ts: ts, f: f, orgs: map[string]string{"org-1": f.client, "org-2": other.ID}}
}

// fullSync writes devs in batches of 3 and finishes the sync.
func (h *lifecycleHarness) fullSync(t *testing.T, complete bool, devs []rmm.Device) DeviceSyncResult {
	t.Helper()
	ctx := t.Context()
	ds, err := h.ts.BeginDeviceSync(ctx, h.f.tenant, h.f.integration)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(devs); i += 3 {
		if _, err := h.ts.UpsertSyncDevices(ctx, ds, "tacticalrmm", h.orgs, devs[i:min(i+3, len(devs))]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := h.ts.FinishDeviceSync(ctx, ds, []string{"org-1", "org-2"}, complete)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (h *lifecycleHarness) asset(t *testing.T, d rmm.Device) Asset {
	t.Helper()
	a, err := h.ts.AssetByDevice(t.Context(), h.f.tenant, h.f.integration, d.ExternalID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (h *lifecycleHarness) inactive(t *testing.T) int64 {
	t.Helper()
	return h.ts.queryInt(t, `SELECT count(*) FROM assets WHERE status = 'inactive'`)
}

func TestLifecyclePartialSyncRetiresNothing(t *testing.T) {
	h := newLifecycleHarness(t, 0)
	devs := testDevices(6, "org-1")
	h.fullSync(t, true, devs)
	for range 3 {
		if res := h.fullSync(t, false, devs[2:]); res != (DeviceSyncResult{}) {
			t.Fatalf("an incomplete sync = %+v", res)
		}
	}
	if n := h.ts.queryInt(t, `SELECT count(*) FROM assets WHERE missing_since IS NOT NULL OR missing_full_syncs > 0`); n != 0 {
		t.Fatalf("%d assets marked missing by incomplete syncs", n)
	}
	if h.inactive(t) != 0 {
		t.Fatal("an incomplete sync retired assets")
	}
	if n := h.ts.queryInt(t, `SELECT complete_full_syncs FROM rmm_sync_state WHERE kind = 'devices'`); n != 1 {
		t.Fatalf("complete_full_syncs = %d, want 1 (of 4 syncs)", n)
	}
}

func TestLifecycleNeedsTwoCompleteSyncs(t *testing.T) {
	h := newLifecycleHarness(t, 0)
	devs := testDevices(6, "org-1")
	h.fullSync(t, true, devs)
	gone := devs[:2]
	if res := h.fullSync(t, true, devs[2:]); res != (DeviceSyncResult{Missing: 2}) {
		t.Fatalf("first sync without them = %+v, want 2 missing, none retired", res)
	}
	// An incomplete sync in between neither counts nor resets the misses.
	h.fullSync(t, false, devs[2:])
	if res := h.fullSync(t, true, devs[2:]); res != (DeviceSyncResult{Missing: 2, Retired: 2}) {
		t.Fatalf("second sync without them = %+v, want 2 missing and retired", res)
	}
	for _, d := range gone {
		a := h.asset(t, d)
		if a.Status != "inactive" || a.MissingSince == nil {
			t.Fatalf("retired asset = %+v", a)
		}
	}
	// Retired, not deleted: every row and its history stay.
	if n := h.ts.queryInt(t, `SELECT count(*) FROM workstation_assets`); n != 6 {
		t.Fatalf("%d workstation rows, want 6", n)
	}
	if n := h.ts.queryInt(t, `SELECT count(*) FROM tenant_external_entity_mappings`); n != 6 {
		t.Fatalf("%d crosswalk rows, want 6", n)
	}
	// Later syncs leave retired assets alone.
	before := h.ts.allRowVersions(t, deviceTables)
	if res := h.fullSync(t, true, devs[2:]); res != (DeviceSyncResult{}) {
		t.Fatalf("a later sync = %+v, want nothing", res)
	}
	if after := h.ts.allRowVersions(t, deviceTables); len(after) != len(before) {
		t.Fatal("rows appeared or vanished")
	} else {
		for k, v := range before {
			if after[k] != v {
				t.Fatalf("a later sync rewrote %s", k)
			}
		}
	}
}

func TestLifecycleRespectsTheGracePeriod(t *testing.T) {
	h := newLifecycleHarness(t, 24)
	devs := testDevices(4, "org-1")
	h.fullSync(t, true, devs)
	for range 3 {
		if res := h.fullSync(t, true, devs[1:]); res.Retired != 0 {
			t.Fatalf("retired %d within the grace period", res.Retired)
		}
	}
	if h.inactive(t) != 0 {
		t.Fatal("retired within the grace period")
	}
	// 23 hours missing: still within it.
	if _, err := h.ts.pool.Exec(t.Context(), `UPDATE assets SET missing_since = now() - interval '23 hours' WHERE missing_since IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if res := h.fullSync(t, true, devs[1:]); res.Retired != 0 {
		t.Fatalf("retired %d after 23 of 24 hours", res.Retired)
	}
	if _, err := h.ts.pool.Exec(t.Context(), `UPDATE assets SET missing_since = now() - interval '25 hours' WHERE missing_since IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if res := h.fullSync(t, true, devs[1:]); res != (DeviceSyncResult{Missing: 1, Retired: 1}) {
		t.Fatalf("after 25 hours = %+v, want 1 retired", res)
	}
	if a := h.asset(t, devs[0]); a.Status != "inactive" {
		t.Fatalf("asset = %+v", a)
	}
}

func TestLifecycleGraceAloneIsNotEnough(t *testing.T) {
	h := newLifecycleHarness(t, 1)
	devs := testDevices(3, "org-1")
	h.fullSync(t, true, devs)
	h.fullSync(t, true, devs[1:])
	// Missing for long, but seen missing by one complete sync only.
	if _, err := h.ts.pool.Exec(t.Context(), `UPDATE assets SET missing_since = now() - interval '30 days' WHERE missing_since IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	h.fullSync(t, false, devs[1:])
	if h.inactive(t) != 0 {
		t.Fatal("retired after one complete sync")
	}
	if res := h.fullSync(t, true, devs[1:]); res.Retired != 1 {
		t.Fatalf("retired %d at the second complete sync, want 1", res.Retired)
	}
}

func TestLifecycleReturningDeviceIsReactivated(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(h *lifecycleHarness, t *testing.T, all []rmm.Device)
	}{
		{"by a full sync", func(h *lifecycleHarness, t *testing.T, all []rmm.Device) { h.fullSync(t, true, all) }},
		{"by an incremental sync", func(h *lifecycleHarness, t *testing.T, all []rmm.Device) {
			if _, err := h.ts.UpsertDevices(t.Context(), h.f.tenant, h.f.integration, "tacticalrmm", h.orgs, all[:1]); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newLifecycleHarness(t, 0)
			devs := testDevices(3, "org-1")
			h.fullSync(t, true, devs)
			first := h.asset(t, devs[0])
			h.fullSync(t, true, devs[1:])
			h.fullSync(t, true, devs[1:])
			if a := h.asset(t, devs[0]); a.Status != "inactive" {
				t.Fatalf("not retired: %+v", a)
			}
			tc.write(h, t, devs)
			a := h.asset(t, devs[0])
			if a.ID != first.ID || a.Status != "active" || a.MissingSince != nil {
				t.Fatalf("returned asset = %+v, want %s active and not missing", a, first.ID)
			}
			if n := h.ts.queryInt(t, `SELECT missing_full_syncs FROM assets WHERE asset_id = $1`, a.ID); n != 0 {
				t.Fatalf("missing_full_syncs = %d", n)
			}
			if n := h.ts.queryInt(t, `SELECT count(*) FROM assets`); n != 3 {
				t.Fatalf("%d assets, want 3", n)
			}
			// Its misses start over: one more complete sync without it
			// does not retire it.
			h.fullSync(t, true, devs[1:])
			if a := h.asset(t, devs[0]); a.Status != "active" {
				t.Fatalf("retired again after one miss: %+v", a)
			}
		})
	}
}

func TestLifecycleMovedDeviceKeepsItsAsset(t *testing.T) {
	h := newLifecycleHarness(t, 0)
	devs := testDevices(3, "org-1")
	h.fullSync(t, true, devs)
	first := h.asset(t, devs[0])
	moved := slices.Clone(devs)
	moved[0].OrgExternalID = "org-2"
	for range 3 {
		if res := h.fullSync(t, true, moved); res != (DeviceSyncResult{}) {
			t.Fatalf("sync after the move = %+v, want nothing missing", res)
		}
	}
	a := h.asset(t, devs[0])
	if a.ID != first.ID || a.Status != "active" || a.RMMOrganizationID != "org-2" || *a.ClientID != h.orgs["org-2"] {
		t.Fatalf("moved asset = %+v", a)
	}
}

func TestLifecycleIgnoresUnsyncedOrganisations(t *testing.T) {
	h := newLifecycleHarness(t, 0)
	devs := testDevices(2, "org-1")
	devs[1].OrgExternalID = "org-2"
	h.fullSync(t, true, devs)
	// Syncs of org-1 alone never judge org-2's devices.
	for range 3 {
		ds, err := h.ts.BeginDeviceSync(t.Context(), h.f.tenant, h.f.integration)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.ts.UpsertSyncDevices(t.Context(), ds, "tacticalrmm", h.orgs, devs[:1]); err != nil {
			t.Fatal(err)
		}
		if res, err := h.ts.FinishDeviceSync(t.Context(), ds, []string{"org-1"}, true); err != nil || res != (DeviceSyncResult{}) {
			t.Fatalf("sync of org-1 = %+v, %v", res, err)
		}
	}
	if a := h.asset(t, devs[1]); a.Status != "active" || a.MissingSince != nil {
		t.Fatalf("device of an unsynced organisation = %+v", a)
	}
}

func TestFinishDeviceSyncOnce(t *testing.T) {
	h := newLifecycleHarness(t, 0)
	ctx := t.Context()
	devs := testDevices(3, "org-1")
	h.fullSync(t, true, devs)
	orgs := []string{"org-1", "org-2"}

	ds, err := h.ts.BeginDeviceSync(ctx, h.f.tenant, h.f.integration)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := h.ts.FinishDeviceSync(ctx, ds, orgs, true); err != nil || res.Missing != 3 {
		t.Fatalf("finish = %+v, %v", res, err)
	}
	// Finished twice: a second miss must not be counted.
	if _, err := h.ts.FinishDeviceSync(ctx, ds, orgs, true); !errors.Is(err, ErrConflict) {
		t.Fatalf("second finish = %v, want ErrConflict", err)
	}
	// An older sync finishing after a newer one began marks nothing.
	older, err := h.ts.BeginDeviceSync(ctx, h.f.tenant, h.f.integration)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.ts.UpsertSyncDevices(ctx, older, "tacticalrmm", h.orgs, devs[:1]); err != nil {
		t.Fatal(err)
	}
	newer, err := h.ts.BeginDeviceSync(ctx, h.f.tenant, h.f.integration)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.ts.FinishDeviceSync(ctx, older, orgs, true); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale finish = %v, want ErrConflict", err)
	}
	if n := h.ts.queryInt(t, `SELECT count(*) FROM rmm_device_sync_seen WHERE generation = $1`, older.Generation); n != 0 {
		t.Fatalf("the stale sync left %d seen rows", n)
	}
	if n := h.ts.queryInt(t, `SELECT max(missing_full_syncs) FROM assets`); n != 1 {
		t.Fatalf("missing_full_syncs = %d, want 1", n)
	}
	if h.inactive(t) != 0 {
		t.Fatal("a repeated or stale finish retired assets")
	}
	if _, err := h.ts.FinishDeviceSync(ctx, newer, orgs, false); err != nil {
		t.Fatal(err)
	}
	if n := h.ts.queryInt(t, `SELECT complete_full_syncs FROM rmm_sync_state WHERE kind = 'devices'`); n != 2 {
		t.Fatalf("complete_full_syncs = %d, want 2", n)
	}
}
