package syncer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// finishTimeout bounds closing a failed full sync, which must happen even
// when the job was stopped.
const finishTimeout = 10 * time.Second

// syncDevices runs a device sync of the mapped organisations. A full sync
// is a store.DeviceSync: once the provider has delivered every device
// (no error, nothing skipped, no device refused), the devices it did not
// see are marked missing and those missing long enough are retired
// (counted as deleted). A partial or failed full sync marks and retires
// nothing.
func (r *Runner) syncDevices(ctx context.Context, job store.Job, p *progress, prov rmm.Provider, in rmm.Integration,
	providerName string, mode rmm.SyncMode, cursor []byte) (rmm.SyncSummary, error) {
	tenant, integ := job.TenantID, job.IntegrationID
	targets, err := r.st.SyncTargets(ctx, tenant, integ)
	if err != nil {
		return rmm.SyncSummary{}, fmt.Errorf("load mapped organisations: %w", err)
	}
	if len(targets) == 0 {
		return rmm.SyncSummary{}, errors.New("no organisation is mapped to a client with auto-sync on: map one first (PATCH /api/v1/integrations/{id}/mappings/{mapping_id})")
	}
	orgs := make([]string, 0, len(targets))
	for id := range targets {
		orgs = append(orgs, id)
	}
	req := rmm.SyncRequest{Integration: in, Mode: mode, Cursor: cursor, OrgExternalIDs: orgs}
	// Batches of devices are independent (the provider sends each device
	// once; the store orders its writes so that concurrent batches do not
	// wait on each other crosswise), so several writers overlap the
	// database's work with the stream's.
	write := func(ctx context.Context, items []rmm.Device) (store.Counts, error) {
		return r.st.UpsertDevices(ctx, tenant, integ, providerName, targets, items)
	}
	var ds store.DeviceSync
	if mode == rmm.SyncFull {
		if ds, err = r.st.BeginDeviceSync(ctx, tenant, integ); err != nil {
			return rmm.SyncSummary{}, fmt.Errorf("begin full device sync: %w", err)
		}
		write = func(ctx context.Context, items []rmm.Device) (store.Counts, error) {
			return r.st.UpsertSyncDevices(ctx, ds, providerName, targets, items)
		}
	}
	sum, err := writeConcurrently(ctx, p, r.opts.Writers, write,
		func(out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) { return prov.SyncDevices(ctx, req, out) })
	if mode != rmm.SyncFull {
		return sum, err
	}
	_, _, counts := p.snapshot()
	log := r.log.With("job_id", job.ID, "integration_id", integ)
	if err != nil {
		// Drop the sync's seen-set even when the job was stopped.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		defer cancel()
		if _, ferr := r.st.FinishDeviceSync(fctx, ds, orgs, false); ferr != nil {
			log.Warn("close failed full device sync", "error", ferr)
		}
		return sum, err
	}
	complete := sum.Skipped == 0 && counts.Failed == 0
	res, err := r.st.FinishDeviceSync(ctx, ds, orgs, complete)
	if err != nil {
		return sum, fmt.Errorf("finish full device sync: %w", err)
	}
	if !complete {
		log.Warn("full device sync incomplete: no device is marked missing or retired",
			"skipped", sum.Skipped, "failed", counts.Failed)
		return sum, nil
	}
	if res.Missing > 0 || res.Retired > 0 {
		log.Info("devices missing from the RMM", "missing", res.Missing, "retired", res.Retired)
	}
	if res.Retired > 0 {
		if err := p.add(ctx, 0, 0, store.Counts{Deleted: res.Retired}); err != nil {
			return sum, err
		}
	}
	return sum, nil
}
