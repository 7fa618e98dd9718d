package syncer

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/host/store"
)

// gone are the devices the tests remove from the RMM.
func gone() []string { return []string{deviceID(1, 1), deviceID(1, 2), deviceID(2, devicesPerOrg)} }

// ageMissing moves every missing device's first miss past the default
// 24-hour grace period.
func (h *harness) ageMissing(t *testing.T) {
	t.Helper()
	if _, err := h.st.Pool().Exec(t.Context(),
		`UPDATE assets SET missing_since = now() - interval '25 hours' WHERE missing_since IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
}

func wantJob(t *testing.T, j store.Job, status string, processed int64, counts store.Counts) {
	t.Helper()
	if j.Status != status || j.Processed != processed || j.Counts != counts {
		t.Fatalf("job = status %s, processed %d, counts %+v, error %q; want %s, %d, %+v",
			j.Status, j.Processed, j.Counts, j.Error, status, processed, counts)
	}
}

func TestFullDeviceSyncJob(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	after := h.lastEventID(t)

	j := h.run(t, store.JobDevices, "full")
	wantJob(t, j, store.JobSucceeded, fleetDevices, store.Counts{Created: fleetDevices})
	if j.Total != fleetDevices {
		t.Fatalf("total = %d, want %d", j.Total, fleetDevices)
	}
	if n := h.count(t, `SELECT count(*) FROM assets WHERE status = 'active' AND client_id IS NOT NULL`); n != fleetDevices {
		t.Fatalf("%d active assets, want %d", n, fleetDevices)
	}
	cursor, err := h.st.Cursor(ctx, h.tenant, h.integration, store.JobDevices)
	if err != nil || !bytes.HasPrefix(cursor, []byte("fakev1:")) {
		t.Fatalf("saved cursor = %q, %v", cursor, err)
	}
	if n := h.count(t, `SELECT count(*) FROM rmm_device_sync_seen`); n != 0 {
		t.Fatalf("%d seen rows left", n)
	}
	evs := h.events(t, after)
	if evs[0].Type != store.EventSyncStarted || evs[len(evs)-1].Type != store.EventSyncCompleted ||
		countType(evs, store.EventDeviceCreated) != fleetDevices {
		t.Fatalf("events: first %s, last %s, %d created", evs[0].Type, evs[len(evs)-1].Type, countType(evs, store.EventDeviceCreated))
	}
	done := evs[len(evs)-1].Payload
	if done["jobId"] != j.ID || done["syncType"] != "devices" || done["syncMode"] != "full" ||
		done["itemsProcessed"] != float64(fleetDevices) || done["itemsCreated"] != float64(fleetDevices) {
		t.Fatalf("completed event = %v", done)
	}
	ids := map[string]string{}
	for _, d := range gone() {
		a, err := h.st.AssetByDevice(ctx, h.tenant, h.integration, d)
		if err != nil {
			t.Fatal(err)
		}
		ids[d] = a.ID
	}

	// Three agents leave the RMM: marked missing, kept within the grace.
	h.fleet.remove(gone()...)
	for sync := 1; sync <= 2; sync++ {
		j = h.run(t, store.JobDevices, "full")
		wantJob(t, j, store.JobSucceeded, fleetDevices-3, store.Counts{Unchanged: fleetDevices - 3})
		if h.missing(t) != 3 || h.inactive(t) != 0 {
			t.Fatalf("sync %d: %d missing, %d inactive; want 3, 0", sync, h.missing(t), h.inactive(t))
		}
	}
	// Past the grace period, after two complete syncs: retired.
	h.ageMissing(t)
	after = h.lastEventID(t)
	j = h.run(t, store.JobDevices, "full")
	wantJob(t, j, store.JobSucceeded, fleetDevices-3, store.Counts{Unchanged: fleetDevices - 3, Deleted: 3})
	if h.inactive(t) != 3 {
		t.Fatalf("%d inactive, want 3", h.inactive(t))
	}
	evs = h.events(t, after)
	var deleted []string
	for _, e := range evs {
		if e.Type == store.EventDeviceDeleted {
			deleted = append(deleted, e.Payload["externalDeviceId"].(string))
		}
	}
	slices.Sort(deleted)
	if want := slices.Sorted(slices.Values(gone())); !slices.Equal(deleted, want) {
		t.Fatalf("deleted events for %v, want %v", deleted, want)
	}
	if d := lastOf(t, evs, store.EventSyncCompleted).Payload["itemsDeleted"]; d != float64(3) {
		t.Fatalf("completed itemsDeleted = %v", d)
	}
	// Retired once: the next sync retires nothing more.
	j = h.run(t, store.JobDevices, "full")
	wantJob(t, j, store.JobSucceeded, fleetDevices-3, store.Counts{Unchanged: fleetDevices - 3})

	// They come back, one refreshed alone, the others by a full sync:
	// the same assets, active again.
	h.fleet.restore(gone()...)
	if _, err := h.r.SyncAgent(ctx, h.tenant, h.integration, gone()[0]); err != nil {
		t.Fatal(err)
	}
	j = h.run(t, store.JobDevices, "full")
	wantJob(t, j, store.JobSucceeded, fleetDevices, store.Counts{Updated: 2, Unchanged: fleetDevices - 2})
	for d, id := range ids {
		a, err := h.st.AssetByDevice(ctx, h.tenant, h.integration, d)
		if err != nil || a.ID != id || a.Status != "active" || a.MissingSince != nil {
			t.Fatalf("returned device %s = %+v, %v; want asset %s active", d, a, err, id)
		}
	}
	if n := h.count(t, `SELECT count(*) FROM assets`); n != fleetDevices {
		t.Fatalf("%d assets, want %d", n, fleetDevices)
	}
}

func TestFailedOrPartialFullSyncRetiresNothing(t *testing.T) {
	h := newHarness(t)
	h.run(t, store.JobDevices, "full")
	h.fleet.remove(gone()...)
	h.run(t, store.JobDevices, "full")
	h.run(t, store.JobDevices, "full")
	h.ageMissing(t) // the next complete sync would retire them
	after := h.lastEventID(t)

	h.fleet.set(1, 0) // the RMM fails after the first page
	j := h.run(t, store.JobDevices, "full")
	// The first page held 500 agents, two of them the removed ones.
	if j.Status != store.JobFailed || !strings.Contains(j.Error, "502") || j.Processed != 498 || j.Counts.Deleted != 0 {
		t.Fatalf("job = %+v", j)
	}
	failed := lastOf(t, h.events(t, after), store.EventSyncFailed).Payload
	if msg, _ := failed["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "502") || failed["jobId"] != j.ID {
		t.Fatalf("failed event = %v", failed)
	}
	if h.inactive(t) != 0 || h.count(t, `SELECT max(missing_full_syncs) FROM assets`) != 2 {
		t.Fatal("a failed sync retired or counted a miss")
	}
	if n := h.count(t, `SELECT count(*) FROM rmm_device_sync_seen`); n != 0 {
		t.Fatalf("the failed sync left %d seen rows", n)
	}

	h.fleet.set(-1, 1) // every page read, but one agent not translated
	j = h.run(t, store.JobDevices, "full")
	wantJob(t, j, store.JobSucceeded, fleetDevices-3, store.Counts{Unchanged: fleetDevices - 3})
	if h.inactive(t) != 0 || h.count(t, `SELECT max(missing_full_syncs) FROM assets`) != 2 {
		t.Fatal("a sync with skipped agents retired or counted a miss")
	}

	h.fleet.set(-1, 0)
	j = h.run(t, store.JobDevices, "incremental")
	if j.Status != store.JobSucceeded || h.inactive(t) != 0 {
		t.Fatalf("incremental sync = %+v, %d inactive", j, h.inactive(t))
	}
	if evs := h.events(t, after); countType(evs, store.EventDeviceDeleted) != 0 {
		t.Fatal("a device was deleted")
	}

	j = h.run(t, store.JobDevices, "full")
	wantJob(t, j, store.JobSucceeded, fleetDevices-3, store.Counts{Unchanged: fleetDevices - 3, Deleted: 3})
}

func TestRunnerRunsAQueuedDeviceSync(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	h.r.opts.Poll = 20 * time.Millisecond
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { _ = h.r.Run(runCtx); close(stopped) }()
	defer func() { stop(); <-stopped }()

	queued, _, err := h.r.Enqueue(ctx, h.tenant, h.integration, store.JobDevices, "full")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute) // hang detection only
	for {
		j, err := h.st.GetJob(ctx, h.tenant, queued.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.FinishedAt != nil {
			wantJob(t, j, store.JobSucceeded, fleetDevices, store.Counts{Created: fleetDevices})
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s after a minute: %+v", j.Status, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeviceSyncNeedsAMappedOrganisation(t *testing.T) {
	h := newHarness(t)
	if _, err := h.st.Pool().Exec(t.Context(), `UPDATE rmm_organization_mappings SET client_id = NULL`); err != nil {
		t.Fatal(err)
	}
	j := h.run(t, store.JobDevices, "full")
	if j.Status != store.JobFailed || !strings.Contains(j.Error, "no organisation is mapped") {
		t.Fatalf("job = %+v", j)
	}
	if n := h.count(t, `SELECT count(*) FROM rmm_sync_state WHERE kind = 'devices'`); n != 0 {
		t.Fatal("a full device sync began without a mapped organisation")
	}
}

// Progress written at most every ProgressEvery still ends complete: the
// last batches' counts are flushed before the job is finished.
func TestThrottledProgressIsFlushedAtTheEnd(t *testing.T) {
	h := newHarness(t)
	h.r.opts.ProgressEvery = time.Hour // only the first batch reports on its own
	j := h.run(t, store.JobDevices, "full")
	wantJob(t, j, store.JobSucceeded, fleetDevices, store.Counts{Created: fleetDevices})
	if j.Total != fleetDevices {
		t.Fatalf("total = %d, want %d", j.Total, fleetDevices)
	}
}

// A running Runner deletes events past their retention.
func TestRunnerPurgesOldEvents(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	if _, err := h.st.Pool().Exec(ctx, `
INSERT INTO event_outbox (tenant, event_type, payload, created_at) VALUES
    ($1, 'RMM_DEVICE_UPDATED', '{}', now() - interval '2 hours'), ($1, 'RMM_DEVICE_UPDATED', '{"new":true}', now())`, h.tenant); err != nil {
		t.Fatal(err)
	}
	r := New(h.st, providers{h.fleet}, nil, Options{Owner: "purger", SchedulePoll: -1, EventRetention: time.Hour})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(runCtx) }()
	defer func() { stop(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for h.count(t, `SELECT count(*) FROM event_outbox WHERE created_at < now() - interval '1 hour'`) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the old event was not purged")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := h.count(t, `SELECT count(*) FROM event_outbox WHERE payload ? 'new'`); n != 1 {
		t.Fatalf("%d new events left, want 1", n)
	}
}
