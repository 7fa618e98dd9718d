// Package syncer runs plugin calls for the host: sync jobs claimed from the
// database with leases (so several host replicas share the work and each job
// runs once), and the point calls the API makes on a user's behalf.
package syncer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// Providers finds the plugin serving a provider (host/pluginmgr.Manager).
type Providers interface {
	Provider(name string) (rmm.Provider, error)
}

// Defaults of the Options psa-host serve exposes as flags.
const (
	DefaultLease          = 30 * time.Second
	DefaultSchedulePoll   = 30 * time.Second
	DefaultEventRetention = 30 * 24 * time.Hour
)

// Options tune the runner; zero values take the defaults noted.
type Options struct {
	// Owner names this replica in job leases. Default: hostname-pid-random.
	Owner string
	// Lease is how long a claimed job stays ours without a progress report.
	// Default 30 s; renewed every Lease/3.
	Lease time.Duration
	// Poll is how often idle workers look for queued jobs. Default 1 s.
	Poll time.Duration
	// Workers is how many jobs run at once on this replica. Default 2.
	Workers int
	// CallTimeout bounds point calls (test, single-agent sync). Default 60 s.
	CallTimeout time.Duration
	// AlertWindow is how far back an alert backfill looks. Default 30 days.
	AlertWindow time.Duration
	// SchedulePoll is how often due schedules are looked for. Default 30 s;
	// negative turns the scheduler off on this replica.
	SchedulePoll time.Duration
	// ProgressEvery is how often a running job's progress is written at
	// most. Default 250 ms.
	ProgressEvery time.Duration
	// Writers is how many batches of one job are written at once, for the
	// kinds whose batches are independent. Default 2.
	Writers int
	// EventRetention is how long events stay in the outbox (checked
	// hourly). Default 30 days; negative keeps them forever.
	EventRetention time.Duration
}

func (o Options) withDefaults() Options {
	if o.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 60 * time.Second
	}
	if o.EventRetention == 0 {
		o.EventRetention = DefaultEventRetention
	}
	if o.Writers <= 0 {
		o.Writers = 2
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 250 * time.Millisecond
	}
	if o.AlertWindow <= 0 {
		o.AlertWindow = 30 * 24 * time.Hour
	}
	if o.SchedulePoll == 0 {
		o.SchedulePoll = DefaultSchedulePoll
	}
	return o
}

// Runner claims and runs sync jobs, and serves the API's point calls.
type Runner struct {
	st        *store.Store
	providers Providers
	log       hclog.Logger
	opts      Options
	wake      chan struct{}
	now       func() time.Time
}

// New returns a Runner; call Run to start its workers.
func New(st *store.Store, providers Providers, log hclog.Logger, opts Options) *Runner {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Runner{
		st: st, providers: providers, log: log.Named("syncer"),
		opts: opts.withDefaults(), wake: make(chan struct{}, 1), now: time.Now,
	}
}

// Owner is this replica's lease owner name.
func (r *Runner) Owner() string { return r.opts.Owner }

// Enqueue queues a sync job and wakes a worker. When the same kind of job
// is already queued or running for the integration, it returns that one.
func (r *Runner) Enqueue(ctx context.Context, tenantID, integrationID, kind, mode string) (store.Job, bool, error) {
	job, created, err := r.st.EnqueueJob(ctx, tenantID, integrationID, kind, mode)
	if err != nil {
		return store.Job{}, false, err
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return job, created, nil
}

// Run works jobs until ctx ends, then waits for running jobs to stop.
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range r.opts.Workers {
		wg.Go(func() { r.work(ctx) })
	}
	wg.Go(func() { r.expireLeases(ctx) })
	if r.opts.EventRetention > 0 {
		wg.Go(func() { r.purgeEvents(ctx) })
	}
	if r.opts.SchedulePoll > 0 {
		wg.Go(func() { r.schedule(ctx) })
	}
	wg.Wait()
	return nil
}

func (r *Runner) work(ctx context.Context) {
	for ctx.Err() == nil {
		job, ok, err := r.st.ClaimJob(ctx, r.opts.Owner, r.opts.Lease)
		switch {
		case err != nil && ctx.Err() == nil:
			r.log.Warn("claim job", "error", err)
		case ok:
			r.runJob(ctx, job)
			continue
		}
		select {
		case <-ctx.Done():
		case <-r.wake:
		case <-time.After(r.opts.Poll):
		}
	}
}

// purgeEvents deletes events past Options.EventRetention, hourly. Every
// replica may run it: the deletes are idempotent.
func (r *Runner) purgeEvents(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := r.st.PurgeEvents(ctx, r.opts.EventRetention); err != nil && ctx.Err() == nil {
			r.log.Warn("purge events", "error", err)
		} else if n > 0 {
			r.log.Info("events past their retention deleted", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// expireLeases fails jobs left running by a replica that died.
func (r *Runner) expireLeases(ctx context.Context) {
	t := time.NewTicker(r.opts.Lease / 2)
	defer t.Stop()
	for {
		if n, err := r.st.ExpireJobLeases(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("expire job leases", "error", err)
		} else if n > 0 {
			r.log.Info("jobs whose host stopped were failed", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// errLeaseLost stops a job another replica took over.
var errLeaseLost = errors.New("job lease lost to another host")
