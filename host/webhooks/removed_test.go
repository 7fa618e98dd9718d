package webhooks

import (
	"testing"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// A delivery in which the RMM reports a device deleted (NinjaOne's
// NODE_DELETED) retires its asset at once, with an RMM_DEVICE_DELETED
// event; the other devices stay active.
func TestRemovedDevicesAreRetired(t *testing.T) {
	e := newEnv(t)
	e.start(e.st, e.runner(), testOptions("host-a"))
	const gone, kept = "acme:dev-1-1", "acme:dev-1-2"
	for _, dev := range []string{gone, kept} { // a trigger refreshes the device: its asset exists
		e.waitStatus(e.accept(alertBody(dev, "a1", rmm.AlertTriggered)), store.InboxDone)
	}
	const removal = `{"event": "NODE_DELETED", "device_id": "acme:dev-1-1"}`
	e.fake.mu.Lock()
	e.fake.answer = func(body []byte) (rmm.WebhookResult, bool) {
		if string(body) != removal {
			return rmm.WebhookResult{}, false
		}
		return rmm.WebhookResult{RemovedDeviceIDs: []string{gone, "acme:never-seen"}}, true
	}
	e.fake.mu.Unlock()

	e.waitStatus(e.accept(removal), store.InboxDone)
	a, err := e.st.AssetByDevice(t.Context(), e.tenant, e.integration, gone)
	if err != nil || a.Status != "inactive" || a.MissingSince == nil {
		t.Fatalf("removed device's asset = %+v (%v), want inactive", a, err)
	}
	if b, err := e.st.AssetByDevice(t.Context(), e.tenant, e.integration, kept); err != nil || b.Status != "active" {
		t.Fatalf("other device's asset = %+v (%v), want active", b, err)
	}
	if n := e.count(`SELECT count(*) FROM event_outbox WHERE event_type = $1 AND payload->>'externalDeviceId' = $2`,
		store.EventDeviceDeleted, gone); n != 1 {
		t.Fatalf("%d %s events, want 1", n, store.EventDeviceDeleted)
	}
}
