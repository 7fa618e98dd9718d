package store

import (
	"slices"
	"testing"
)

// A device the RMM reports deleted is retired at once, with one event;
// reporting it again, or an unknown device, changes nothing; another
// tenant cannot retire it; a later sync that delivers it again makes it
// active again.
func TestRetireRemovedDevices(t *testing.T) {
	h := newLifecycleHarness(t, 24)
	ctx := t.Context()
	devs := testDevices(3, "org-1")
	h.fullSync(t, true, devs)
	start := h.ts.lastEventID(t, h.f.tenant)

	other := h.ts.newFixture(t, "b")
	if n, err := h.ts.RetireRemovedDevices(ctx, other.tenant, h.f.integration, []string{devs[0].ExternalID}); err != nil || n != 0 {
		t.Fatalf("another tenant retired %d (%v)", n, err)
	}
	n, err := h.ts.RetireRemovedDevices(ctx, h.f.tenant, h.f.integration, []string{devs[0].ExternalID, "no-such-device"})
	if err != nil || n != 1 {
		t.Fatalf("retired %d (%v), want 1", n, err)
	}
	a := h.asset(t, devs[0])
	if a.Status != "inactive" || a.MissingSince == nil {
		t.Fatalf("removed device's asset = %+v, want inactive with missing_since", a)
	}
	if b := h.asset(t, devs[1]); b.Status != "active" || b.MissingSince != nil {
		t.Fatalf("another device's asset = %+v", b)
	}
	if n, err := h.ts.RetireRemovedDevices(ctx, h.f.tenant, h.f.integration, []string{devs[0].ExternalID}); err != nil || n != 0 {
		t.Fatalf("retiring again retired %d (%v)", n, err)
	}
	got := h.ts.eventsSince(t, h.f.tenant, start)
	noNulls(t, got)
	if !slices.Equal(types(got), []string{EventDeviceDeleted}) {
		t.Fatalf("events %v, want one %s", types(got), EventDeviceDeleted)
	}
	wantFields(t, got[0], map[string]any{"tenantId": h.f.tenant, "integrationId": h.f.integration, "provider": "tacticalrmm",
		"assetId": a.ID, "externalDeviceId": devs[0].ExternalID, "externalOrganizationId": "org-1",
		"deviceName": "host-0000", "deviceType": "workstation", "reason": "deleted in the RMM"})

	h.fullSync(t, true, devs)
	if a := h.asset(t, devs[0]); a.Status != "active" || a.MissingSince != nil {
		t.Fatalf("a device delivered again = %+v, want active", a)
	}
}
