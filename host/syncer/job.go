package syncer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// progress tracks one running job and reports it, renewing the lease.
type progress struct {
	r         *Runner
	job       store.Job
	mu        sync.Mutex
	processed int64
	total     int64
	counts    store.Counts
	reported  time.Time // when progress was last written
	dirty     bool      // progress not written yet
	cancel    context.CancelCauseFunc
}

// add counts a written batch. Progress is written at most every
// Options.ProgressEvery: each report is a commit, and a sync of small
// batches (software inventories) would otherwise pay one per batch.
func (p *progress) add(ctx context.Context, n int, total int64, c store.Counts) error {
	p.mu.Lock()
	p.processed += int64(n)
	if total > 0 {
		p.total = total
	}
	p.counts = p.counts.Add(c)
	p.dirty = true
	recent := p.r.now().Sub(p.reported) < p.r.opts.ProgressEvery
	p.mu.Unlock()
	if recent {
		return nil
	}
	return p.write(ctx)
}

// flush writes progress not written yet.
func (p *progress) flush(ctx context.Context) error {
	p.mu.Lock()
	dirty := p.dirty
	p.mu.Unlock()
	if !dirty {
		return nil
	}
	return p.write(ctx)
}

// write writes the progress now, which also renews the lease.
func (p *progress) write(ctx context.Context) error {
	p.mu.Lock()
	p.reported, p.dirty = p.r.now(), false
	processed, t, counts := p.processed, p.total, p.counts
	p.mu.Unlock()
	return p.report(ctx, processed, t, counts)
}

func (p *progress) snapshot() (int64, int64, store.Counts) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.processed, p.total, p.counts
}

func (p *progress) report(ctx context.Context, processed, total int64, counts store.Counts) error {
	err := p.r.st.ReportJob(ctx, p.job.ID, p.r.opts.Owner, processed, total, counts, p.r.opts.Lease)
	if errors.Is(err, store.ErrConflict) {
		p.cancel(errLeaseLost)
		return errLeaseLost
	}
	return err
}

// renew keeps the lease while a provider is slow between batches.
func (p *progress) renew(ctx context.Context) {
	t := time.NewTicker(p.r.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.write(ctx); err != nil && ctx.Err() == nil {
				p.r.log.Warn("renew job lease", "job_id", p.job.ID, "error", err)
			}
		}
	}
}

func (r *Runner) runJob(parent context.Context, job store.Job) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	p := &progress{r: r, job: job, cancel: cancel}
	renewCtx, stopRenew := context.WithCancel(ctx)
	go p.renew(renewCtx)

	start := r.now()
	log := r.log.With("job_id", job.ID, "integration_id", job.IntegrationID, "kind", job.Kind, "mode", job.Mode)
	log.Info("sync started")
	err := r.execute(ctx, job, p)
	stopRenew()
	if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = fmt.Errorf("%w (%w)", err, cause)
	}

	status, msg := store.JobSucceeded, ""
	if err != nil {
		status, msg = store.JobFailed, err.Error()
		if parent.Err() != nil {
			msg = "the host stopped during the sync; run it again: " + msg
		}
	}
	_, _, counts := p.snapshot()
	// Record the outcome even when the host is shutting down.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(parent), 10*time.Second)
	defer fcancel()
	if ferr := p.flush(fctx); ferr != nil && !errors.Is(ferr, errLeaseLost) {
		log.Warn("record job progress", "error", ferr)
	}
	if ferr := r.st.FinishJob(fctx, job.ID, r.opts.Owner, status, msg, counts); ferr != nil {
		log.Error("record job outcome", "error", ferr)
	}
	log.Info("sync finished", "status", status, "duration", r.now().Sub(start),
		"created", counts.Created, "updated", counts.Updated, "unchanged", counts.Unchanged, "error", msg)
}

// execute runs one job's plugin call, writing each batch as it arrives.
func (r *Runner) execute(ctx context.Context, job store.Job, p *progress) error {
	in, providerName, err := r.st.ProviderIntegration(ctx, job.TenantID, job.IntegrationID)
	if err != nil {
		return fmt.Errorf("load integration: %w", err)
	}
	prov, err := r.providers.Provider(providerName)
	if err != nil {
		return fmt.Errorf("provider %s: %w", providerName, err)
	}
	cursor, err := r.st.Cursor(ctx, job.TenantID, job.IntegrationID, job.Kind)
	if err != nil {
		return fmt.Errorf("load cursor: %w", err)
	}
	mode := rmm.SyncMode(job.Mode)
	if mode == rmm.SyncFull {
		cursor = nil
	}
	tenant, integ := job.TenantID, job.IntegrationID

	var sum rmm.SyncSummary
	switch job.Kind {
	case store.JobOrgs:
		sum, err = prov.SyncOrgs(ctx, rmm.SyncRequest{Integration: in, Mode: mode, Cursor: cursor},
			batchSink(p, func(ctx context.Context, items []rmm.Org) (store.Counts, error) {
				return r.st.UpsertOrgs(ctx, tenant, integ, items)
			}))
	case store.JobDevices:
		sum, err = r.syncDevices(ctx, job, p, prov, in, providerName, mode, cursor)
	case store.JobAlerts:
		now := r.now()
		sum, err = prov.BackfillAlerts(ctx, rmm.BackfillRequest{Integration: in, Since: now.Add(-r.opts.AlertWindow), Until: now, IncludeResolved: true},
			batchSink(p, func(ctx context.Context, items []rmm.Alert) (store.Counts, error) {
				return r.st.UpsertAlerts(ctx, tenant, integ, items)
			}))
	case store.JobSoftware:
		// Inventories of different devices are independent: several
		// writers overlap the database's work with the stream's.
		sum, err = writeConcurrently(ctx, p, r.opts.Writers,
			func(ctx context.Context, items []rmm.SoftwareBatch) (store.Counts, error) {
				return r.st.UpsertSoftware(ctx, tenant, integ, items)
			},
			func(out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
				return prov.IngestSoftware(ctx, rmm.SoftwareRequest{Integration: in}, out)
			})
	default:
		return fmt.Errorf("unknown job kind %q", job.Kind)
	}
	if serr := r.saveSecrets(ctx, tenant, integ, sum.NewSecrets); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	if sum.Cursor != nil {
		if err := r.st.SaveCursor(ctx, tenant, integ, job.Kind, sum.Cursor); err != nil {
			return fmt.Errorf("save cursor: %w", err)
		}
	}
	return nil
}

func (r *Runner) saveSecrets(ctx context.Context, tenantID, integrationID string, secrets map[string]string) error {
	if len(secrets) == 0 {
		return nil
	}
	if err := r.st.SaveSecrets(ctx, tenantID, integrationID, secrets); err != nil {
		return fmt.Errorf("store new credentials: %w", err)
	}
	return nil
}
