// Package tacticalrmm is the Tactical RMM implementation of rmm.Provider: a
// stateless translator from Tactical's REST API (shared/tactical/API.md) to
// the normalised rmm records. Every call carries the integration it is for;
// the only state kept between calls is a bounded cache of HTTP clients, so
// that connections are reused.
package tacticalrmm

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Version is the provider's semantic version.
const Version = "0.1.0"

// Name is the provider's stable machine name.
const Name = "tacticalrmm"

// Defaults for the options.
const (
	DefaultPageSize    = 1000 // the beta API's maximum (API.md §8)
	DefaultParallelism = 4
	DefaultTimeout     = 60 * time.Second
	// testTimeout bounds each request of TestConnection, which a user waits for.
	testTimeout = 15 * time.Second
	// testAttempts bounds retries in TestConnection, which a user waits for.
	testAttempts = 2
)

// Provider implements rmm.Provider for Tactical RMM. It is safe for
// concurrent use by many integrations.
type Provider struct {
	options
	clients      *clientCache
	cursorMargin time.Duration
}

var _ rmm.Provider = (*Provider)(nil)

// options are what New's Options set.
type options struct {
	log         hclog.Logger
	now         func() time.Time
	pageSize    int
	parallelism int
	timeout     time.Duration
	attempts    int           // 0: the client's default
	retryBase   time.Duration // 0: the client's default
	cacheSize   int
}

// New returns a Provider.
func New(opts ...Option) *Provider {
	o := options{
		log:         hclog.NewNullLogger(),
		now:         time.Now,
		pageSize:    DefaultPageSize,
		parallelism: DefaultParallelism,
		timeout:     DefaultTimeout,
		cacheSize:   64,
	}
	for _, opt := range opts {
		opt(&o)
	}
	// The next incremental sync starts this long before the last one did:
	// room for clock skew between the plugin and Tactical.
	return &Provider{options: o, clients: newClientCache(o.cacheSize), cursorMargin: 10 * time.Minute}
}

// Option configures a Provider.
type Option func(*options)

// WithLogger sets the logger. Secrets are never logged.
func WithLogger(l hclog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithClock sets the clock used for agent status and cursors.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithPageSize sets the beta list page size, clamped to 1..1000.
func WithPageSize(n int) Option {
	return func(o *options) { o.pageSize = clampPageSize(n) }
}

// WithParallelism sets how many agent pages are fetched at once (at least 1).
func WithParallelism(n int) Option {
	return func(o *options) { o.parallelism = max(n, 1) }
}

// WithTimeout sets how long one wait for the server may last (headers, or
// the next bytes of a body).
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithRetry sets the attempts for idempotent reads and the first backoff.
func WithRetry(attempts int, base time.Duration) Option {
	return func(o *options) {
		o.attempts = attempts
		o.retryBase = base
	}
}

// WithClientCacheSize bounds how many integrations' HTTP clients are kept.
func WithClientCacheSize(n int) Option {
	return func(o *options) { o.cacheSize = max(n, 1) }
}

func clampPageSize(n int) int {
	if n <= 0 || n > DefaultPageSize {
		return DefaultPageSize
	}
	return n
}

// Describe says who the provider is and what it can do.
func (p *Provider) Describe(context.Context) (rmm.Metadata, error) {
	return rmm.Metadata{
		Name:            Name,
		DisplayName:     "Tactical RMM",
		Version:         Version,
		ProtocolVersion: rmm.ProtocolVersion,
		Editions:        []rmm.Edition{rmm.EditionCE, rmm.EditionEE},
		Capabilities: []rmm.Capability{
			rmm.CapTestConnection, rmm.CapSyncOrgs, rmm.CapSyncDevices, rmm.CapIncrementalDevices,
			rmm.CapSyncAgent, rmm.CapWebhooks, rmm.CapBackfillAlerts, rmm.CapSoftware,
		},
		AuthModes: []rmm.AuthModeSpec{
			{Mode: rmm.AuthAPIKey, RequiredSecrets: []string{SecretAPIKey}},
			{Mode: rmm.AuthPassword, RequiredSecrets: []string{SecretUsername, SecretPassword}, OptionalSecrets: []string{SecretToken}},
		},
		Webhook: webhookSpec(),
	}, nil
}
