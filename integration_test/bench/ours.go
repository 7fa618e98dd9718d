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

// measurement is what one measured run observed.
type measurement struct {
	wall       time.Duration
	processed  int64 // records the run handled (devices, inventories, alerts)
	counts     store.Counts
	hostPeak   int64 // bytes; VmHWM of this process during the run
	pluginPeak int64 // bytes; 0 when there is no plugin process
	hostCPU    time.Duration
	pluginCPU  time.Duration
	fakeCPU    time.Duration
	pgCPU      time.Duration // the postmaster and its backends
	// machineCPU is every process's CPU on the machine, so that other
	// work running at the same time shows.
	machineCPU time.Duration
}

// probe samples the processes around a measured run. Peak RSS is reset
// before the run, so the reading after it is the run's own peak.
type probe struct {
	pluginPID, fakePID int
	pgPID              int
	pg0                time.Duration
	start              time.Time
	host0, plug0, fk0  time.Duration
	machine0           time.Duration
}

func (e *env) startProbe(pluginPID, fakePID int) (*probe, error) {
	p := &probe{pluginPID: pluginPID, fakePID: fakePID, pgPID: e.pg.pid()}
	if p.pgPID != 0 {
		p.pg0, _ = treeCPU(p.pgPID)
	}
	if err := resetPeakRSS(0); err != nil {
		return nil, err
	}
	if pluginPID != 0 {
		if err := resetPeakRSS(pluginPID); err != nil {
			return nil, err
		}
		p.plug0, _ = cpuTime(pluginPID)
	}
	if fakePID != 0 {
		p.fk0, _ = cpuTime(fakePID)
	}
	p.host0, _ = cpuTime(0)
	p.machine0, _ = machineBusy()
	p.start = time.Now()
	return p, nil
}

func (p *probe) stop(m *measurement) error {
	m.wall = time.Since(p.start)
	var err error
	if m.hostPeak, err = peakRSS(0); err != nil {
		return err
	}
	h, _ := cpuTime(0)
	m.hostCPU = h - p.host0
	mc, _ := machineBusy()
	m.machineCPU = mc - p.machine0
	if p.pgPID != 0 {
		c, _ := treeCPU(p.pgPID)
		m.pgCPU = c - p.pg0
	}
	if p.pluginPID != 0 {
		if m.pluginPeak, err = peakRSS(p.pluginPID); err != nil {
			return err
		}
		c, _ := cpuTime(p.pluginPID)
		m.pluginCPU = c - p.plug0
	}
	if p.fakePID != 0 {
		c, _ := cpuTime(p.fakePID)
		m.fakeCPU = c - p.fk0
	}
	return nil
}

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
