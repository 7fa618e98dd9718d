package main

import (
	"context"
	"fmt"
	"time"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/host/syncer"
)

// jobPoll is how often a running job's status is read; it bounds the
// error of a measured wall time.
const jobPoll = 5 * time.Millisecond

// runOurs runs one sync job the way the product does: queued in the
// database, claimed by the host's syncer, streamed from a freshly
// launched plugin, written by the host's store. The clock runs from the
// enqueue to the job's recorded end.
func (e *env) runOurs(ctx context.Context, fx fixture, kind, mode string) (measurement, error) {
	return e.runOursWithFake(ctx, fx, kind, mode, 0)
}

func (e *env) runOursWithFake(ctx context.Context, fx fixture, kind, mode string, fakePID int) (measurement, error) {
	var m measurement
	st, err := e.openStore(ctx, fx.db)
	if err != nil {
		return m, err
	}
	defer st.Close()
	ps, err := startProviders(ctx, e.cfg, e.pluginDir, e.log)
	if err != nil {
		return m, err
	}
	defer ps.close(ctx)
	runner := syncer.New(st, ps, e.log, syncer.Options{SchedulePoll: -1, AlertWindow: e.cfg.alertWindow})
	runCtx, stopRunner := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = runner.Run(runCtx)
	}()
	defer func() {
		stopRunner()
		<-done
	}()

	p, err := e.startProbe(ps.pluginPID, fakePID)
	if err != nil {
		return m, err
	}
	job, _, err := runner.Enqueue(ctx, fx.tenantID, fx.integrationID, kind, mode)
	if err != nil {
		return m, fmt.Errorf("enqueue %s job: %w", kind, err)
	}
	for job.Status != store.JobSucceeded && job.Status != store.JobFailed {
		select {
		case <-ctx.Done():
			return m, ctx.Err()
		case <-time.After(jobPoll):
		}
		if job, err = st.GetJob(ctx, fx.tenantID, job.ID); err != nil {
			return m, fmt.Errorf("read %s job: %w", kind, err)
		}
	}
	if err := p.stop(&m); err != nil {
		return m, err
	}
	m.processed, m.counts = job.Processed, job.Counts
	if job.Status == store.JobFailed {
		return m, fmt.Errorf("%s job failed: %s", kind, job.Error)
	}
	return m, nil
}
