package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// DefaultLease is how long a claimed delivery stays a replica's unless
// Options.Lease says otherwise.
const DefaultLease = 2 * time.Minute

// Options tune the processor; zero values take the defaults noted.
type Options struct {
	// Owner names this replica in inbox leases. Default: hostname-pid-random.
	Owner string
	// Workers is how many deliveries are processed at once. Default 2.
	Workers int
	// Lease is how long a claimed delivery stays this replica's. Processing
	// is cut off at three quarters of it, so a lease expires only when its
	// host stopped. Default 2 min.
	Lease time.Duration
	// Poll is how often idle workers look for due deliveries besides being
	// woken. Retries become due on their own, so this also bounds how late
	// one starts. Default 2 s.
	Poll time.Duration
	// MaxAttempts is how many times a delivery is tried before it is
	// parked. Default 8.
	MaxAttempts int
	// Backoff spaces the retries.
	Backoff Backoff
	// CallTimeout bounds one plugin call. Default 30 s.
	CallTimeout time.Duration
	// Retention is how long done deliveries are kept; parked ones stay
	// until replayed. Default 7 days; negative keeps them all.
	Retention time.Duration
	// ListenRetry is the pause before listening again after the database
	// connection dropped. Default 5 s.
	ListenRetry time.Duration
}

func (o Options) withDefaults() Options {
	if o.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	o.Backoff = o.Backoff.withDefaults()
	if o.CallTimeout <= 0 {
		o.CallTimeout = 30 * time.Second
	}
	if o.Retention == 0 {
		o.Retention = 7 * 24 * time.Hour
	}
	if o.ListenRetry <= 0 {
		o.ListenRetry = 5 * time.Second
	}
	return o
}

// Processor works the webhook inbox. Run it on every replica: deliveries
// are claimed with leases, so each is processed by one of them.
type Processor struct {
	st        ProcessorStore
	providers Providers
	agents    AgentSyncer // nil: devices are not refreshed
	log       hclog.Logger
	opts      Options
	wake      chan struct{}
}

// NewProcessor returns a Processor; call Run to start it. agents may be
// nil, and then the devices a webhook names are not refreshed.
func NewProcessor(st ProcessorStore, providers Providers, agents AgentSyncer, log hclog.Logger, opts Options) *Processor {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Processor{
		st: st, providers: providers, agents: agents, log: log.Named("webhooks"),
		opts: opts.withDefaults(), wake: make(chan struct{}, 1),
	}
}

// Owner is this replica's lease owner name.
func (p *Processor) Owner() string { return p.opts.Owner }

// Wake has an idle worker look for deliveries now. It never blocks.
func (p *Processor) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run processes deliveries until ctx ends, then waits for the ones in
// hand to be recorded.
func (p *Processor) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range p.opts.Workers {
		wg.Go(func() { p.work(ctx) })
	}
	wg.Go(func() { p.listen(ctx) })
	if p.opts.Retention > 0 {
		wg.Go(func() { p.purge(ctx) })
	}
	wg.Wait()
	return nil
}

func (p *Processor) work(ctx context.Context) {
	for ctx.Err() == nil {
		d, ok, err := p.st.ClaimInbox(ctx, p.opts.Owner, p.opts.Lease)
		switch {
		case err != nil && ctx.Err() == nil:
			p.log.Warn("claim webhook", "error", err)
		case ok:
			p.Wake() // there may be more: let another idle worker look too
			p.process(ctx, d)
			continue
		}
		select {
		case <-ctx.Done():
		case <-p.wake:
		case <-time.After(p.opts.Poll):
		}
	}
}

// listen wakes workers when any replica stores or replays a delivery.
func (p *Processor) listen(ctx context.Context) {
	for ctx.Err() == nil {
		if err := p.st.ListenInbox(ctx, p.Wake); err != nil {
			p.log.Warn("listen for webhooks; polling meanwhile", "error", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(p.opts.ListenRetry):
		}
	}
}

// purge deletes done deliveries past their retention, hourly.
func (p *Processor) purge(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := p.st.PurgeInbox(ctx, p.opts.Retention); err != nil && ctx.Err() == nil {
			p.log.Warn("purge webhooks", "error", err)
		} else if n > 0 {
			p.log.Debug("done webhooks purged", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
