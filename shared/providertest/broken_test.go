package providertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/shared/providertest/fakeprovider"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// broken is the fake provider with some calls replaced, to break one rule
// of the contract at a time.
type broken struct {
	rmm.Provider
	describe       func(ctx context.Context) (rmm.Metadata, error)
	testConnection func(ctx context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error)
	syncOrgs       func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error)
	syncDevices    func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error)
	syncAgent      func(ctx context.Context, req rmm.SyncAgentRequest) (rmm.SyncAgentResult, error)
	handleWebhook  func(ctx context.Context, req rmm.WebhookRequest) (rmm.WebhookResult, error)
	backfill       func(ctx context.Context, req rmm.BackfillRequest, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error)
	software       func(ctx context.Context, req rmm.SoftwareRequest, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error)
}

func (b *broken) Describe(ctx context.Context) (rmm.Metadata, error) {
	if b.describe != nil {
		return b.describe(ctx)
	}
	return b.Provider.Describe(ctx)
}

func (b *broken) TestConnection(ctx context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
	if b.testConnection != nil {
		return b.testConnection(ctx, req)
	}
	return b.Provider.TestConnection(ctx, req)
}

func (b *broken) SyncOrgs(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
	if b.syncOrgs != nil {
		return b.syncOrgs(ctx, req, out)
	}
	return b.Provider.SyncOrgs(ctx, req, out)
}

func (b *broken) SyncDevices(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
	if b.syncDevices != nil {
		return b.syncDevices(ctx, req, out)
	}
	return b.Provider.SyncDevices(ctx, req, out)
}

func (b *broken) SyncAgent(ctx context.Context, req rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
	if b.syncAgent != nil {
		return b.syncAgent(ctx, req)
	}
	return b.Provider.SyncAgent(ctx, req)
}

func (b *broken) HandleWebhook(ctx context.Context, req rmm.WebhookRequest) (rmm.WebhookResult, error) {
	if b.handleWebhook != nil {
		return b.handleWebhook(ctx, req)
	}
	return b.Provider.HandleWebhook(ctx, req)
}

func (b *broken) BackfillAlerts(ctx context.Context, req rmm.BackfillRequest, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
	if b.backfill != nil {
		return b.backfill(ctx, req, out)
	}
	return b.Provider.BackfillAlerts(ctx, req, out)
}

func (b *broken) IngestSoftware(ctx context.Context, req rmm.SoftwareRequest, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
	if b.software != nil {
		return b.software(ctx, req, out)
	}
	return b.Provider.IngestSoftware(ctx, req, out)
}

// mapSink passes every batch on after changing its items with f, and
// ignores the sink's answer when deaf is set.
func mapSink[T any](out rmm.Sink[T], deaf bool, f func(T) T) rmm.Sink[T] {
	return rmm.SinkFunc[T](func(ctx context.Context, b rmm.Batch[T]) error {
		items := make([]T, len(b.Items))
		for i, it := range b.Items {
			items[i] = f(it)
		}
		b.Items = items
		err := out.Send(ctx, b)
		if deaf {
			return nil
		}
		return err
	})
}

func same[T any](v T) T { return v }

// brokenCase is a provider that breaks one rule, named by the rule.
type brokenCase struct {
	name string
	rule string
	grpc bool // also run it over gRPC
	// before are rules to run first, to make the provider misbehave.
	before []string
	make   func(p *fakeprovider.Provider, logger hclog.Logger) rmm.Provider
}

func brokenCases() []brokenCase {
	return []brokenCase{
		{name: "invalid-version", rule: "describe",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, describe: func(ctx context.Context) (rmm.Metadata, error) {
					md, err := p.Describe(ctx)
					md.Version = "one"
					return md, err
				}}
			}},
		{name: "unknown-edition", rule: "describe",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, describe: func(ctx context.Context) (rmm.Metadata, error) {
					md, err := p.Describe(ctx)
					md.Editions = []rmm.Edition{"pro"}
					return md, err
				}}
			}},
		{name: "declared-capability-unsupported", rule: "capabilities", grpc: true,
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, software: rmm.Unimplemented{}.IngestSoftware}
			}},
		{name: "undeclared-capability-works", rule: "capabilities",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, describe: func(ctx context.Context) (rmm.Metadata, error) {
					md, err := p.Describe(ctx)
					md.Capabilities = []rmm.Capability{rmm.CapTestConnection, rmm.CapSyncOrgs}
					return md, err
				}}
			}},
		{name: "bad-credentials-as-error", rule: "test-connection", grpc: true,
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, testConnection: func(ctx context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
					res, err := p.TestConnection(ctx, req)
					if err == nil && res.Reason == "unauthorized" {
						return rmm.TestConnectionResult{}, rmm.Errorf(rmm.ErrUnauthorized, "%s", res.Message)
					}
					return res, err
				}}
			}},
		{name: "hangs-past-deadline", rule: "test-connection",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, testConnection: func(ctx context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
					// Ignores ctx, as a client without a timeout would.
					return p.TestConnection(context.WithoutCancel(ctx), req)
				}}
			}},
		{name: "duplicate-org", rule: "sync-orgs",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, syncOrgs: func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
					first := ""
					return p.SyncOrgs(ctx, req, mapSink(out, false, func(o rmm.Org) rmm.Org {
						if first == "" {
							first = o.ExternalID
						}
						o.ExternalID = first
						return o
					}))
				}}
			}},
		{name: "orphan-devices", rule: "sync-devices",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, syncDevices: func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
					return p.SyncDevices(ctx, req, mapSink(out, false, func(d rmm.Device) rmm.Device {
						d.OrgExternalID = "nowhere"
						return d
					}))
				}}
			}},
		{name: "summary-miscounts", rule: "sync-devices",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, syncDevices: func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
					sum, err := p.SyncDevices(ctx, req, out)
					sum.Sent++
					return sum, err
				}}
			}},
		{name: "unstable-ids", rule: "sync-idempotent", grpc: true,
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				var calls atomic.Int64
				return &broken{Provider: p, syncDevices: func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
					n := calls.Add(1)
					return p.SyncDevices(ctx, req, mapSink(out, false, func(d rmm.Device) rmm.Device {
						d.ExternalID = fmt.Sprintf("%s#%d", d.ExternalID, n)
						return d
					}))
				}}
			}},
		{name: "exceeds-max-batch", rule: "max-batch", grpc: true,
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, syncDevices: func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
					req.MaxBatch = 0
					return p.SyncDevices(ctx, req, out)
				}}
			}},
		{name: "org-filter-ignored", rule: "org-filter",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, syncDevices: func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
					req.OrgExternalIDs = nil
					return p.SyncDevices(ctx, req, out)
				}}
			}},
		{name: "incremental-sends-everything", rule: "incremental",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, syncDevices: func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
					req.Cursor = nil
					return p.SyncDevices(ctx, req, out)
				}}
			}},
		// Over gRPC the host's adapter stops the stream itself, so only the
		// in-process leg can see a provider ignoring its sink.
		{name: "ignores-sink-errors", rule: "sink-error",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, syncDevices: func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
					return p.SyncDevices(ctx, req, mapSink(out, true, same[rmm.Device]))
				}}
			}},
		{name: "replaces-sink-error", rule: "sink-error",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, syncOrgs: func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
					sum, err := p.SyncOrgs(ctx, req, out)
					if err != nil {
						err = errors.New("sync failed") // the sink's error is lost
					}
					return sum, err
				}}
			}},
		{name: "ignores-cancel", rule: "sink-cancel",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, backfill: func(ctx context.Context, req rmm.BackfillRequest, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
					return p.BackfillAlerts(context.WithoutCancel(ctx), req, out)
				}}
			}},
		{name: "unknown-agent-not-not-found", rule: "sync-agent", grpc: true,
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, syncAgent: func(ctx context.Context, req rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
					res, err := p.SyncAgent(ctx, req)
					if errors.Is(err, rmm.ErrNotFound) {
						err = errors.New("agent lookup failed")
					}
					return res, err
				}}
			}},
		{name: "leaks-api-key-in-error", rule: "sync-agent", grpc: true,
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, syncAgent: func(ctx context.Context, req rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
					res, err := p.SyncAgent(ctx, req)
					if err != nil {
						err = fmt.Errorf("%w (requested with key %s)", err, req.Integration.Secret("api_key"))
					}
					return res, err
				}}
			}},
		{name: "leaks-api-key-in-message", rule: "test-connection",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, testConnection: func(ctx context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
					res, err := p.TestConnection(ctx, req)
					res.Message += " key=" + req.Integration.Secret("api_key")
					return res, err
				}}
			}},
		{name: "webhook-secret-unchecked", rule: "webhooks",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, handleWebhook: func(ctx context.Context, req rmm.WebhookRequest) (rmm.WebhookResult, error) {
					req.Headers = req.Headers.Clone()
					req.Headers.Set(fakeprovider.WebhookSecretHeader, req.Integration.Secret("webhook_secret"))
					return p.HandleWebhook(ctx, req)
				}}
			}},
		{name: "webhook-unstable-dedup", rule: "webhooks",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				var calls atomic.Int64
				return &broken{Provider: p, handleWebhook: func(ctx context.Context, req rmm.WebhookRequest) (rmm.WebhookResult, error) {
					res, err := p.HandleWebhook(ctx, req)
					for i := range res.Alerts {
						res.Alerts[i].DedupKey += fmt.Sprint(calls.Add(1))
					}
					return res, err
				}}
			}},
		{name: "webhook-panics-on-empty-body", rule: "webhooks", grpc: true,
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, handleWebhook: func(ctx context.Context, req rmm.WebhookRequest) (rmm.WebhookResult, error) {
					_ = req.Body[0] // panics on an empty body
					return p.HandleWebhook(ctx, req)
				}}
			}},
		{name: "backfill-ignores-window", rule: "backfill-alerts",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, backfill: func(ctx context.Context, req rmm.BackfillRequest, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
					req.Since = time.Time{}
					return p.BackfillAlerts(ctx, req, out)
				}}
			}},
		{name: "software-drops-items", rule: "software",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, software: func(ctx context.Context, req rmm.SoftwareRequest, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
					return p.IngestSoftware(ctx, req, mapSink(out, false, func(b rmm.SoftwareBatch) rmm.SoftwareBatch {
						b.Items = b.Items[1:]
						return b
					}))
				}}
			}},
		{name: "failing-upstream-unclassified", rule: "failing-upstream", grpc: true,
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, syncDevices: func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
					sum, err := p.SyncDevices(ctx, req, out)
					if err != nil {
						err = errors.New(err.Error()) // loses the kind
					}
					return sum, err
				}}
			}},
		{name: "rate-limit-without-retry-after", rule: "rate-limited", grpc: true,
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, syncOrgs: func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
					sum, err := p.SyncOrgs(ctx, req, out)
					if errors.Is(err, rmm.ErrRateLimited) {
						err = rmm.Errorf(rmm.ErrRateLimited, "slow down") // but not saying for how long
					}
					return sum, err
				}}
			}},
		{name: "bulk-call-hangs", rule: "hang-safety",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				return &broken{Provider: p, software: func(ctx context.Context, req rmm.SoftwareRequest, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
					return p.IngestSoftware(context.WithoutCancel(ctx), req, out)
				}}
			}},
		{name: "mixes-upstreams", rule: "isolation",
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				// Keeps the first integration it sees, as a provider with
				// one global client would.
				var once sync.Once
				var first rmm.Integration
				return &broken{Provider: p, syncDevices: func(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
					once.Do(func() { first = req.Integration })
					req.Integration = first
					return p.SyncDevices(ctx, req, out)
				}}
			}},
		{name: "ignores-revision", rule: "revision", grpc: true,
			make: func(p *fakeprovider.Provider, _ hclog.Logger) rmm.Provider {
				// Caches credentials by integration ID alone.
				var mu sync.Mutex
				seen := map[string]rmm.Integration{}
				return &broken{Provider: p, testConnection: func(ctx context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
					mu.Lock()
					if in, ok := seen[req.Integration.ID]; ok {
						req.Integration = in
					} else {
						seen[req.Integration.ID] = req.Integration
					}
					mu.Unlock()
					return p.TestConnection(ctx, req)
				}}
			}},
		{name: "logs-api-key", rule: "no-secrets-in-logs", before: []string{"test-connection"},
			make: func(p *fakeprovider.Provider, logger hclog.Logger) rmm.Provider {
				return &broken{Provider: p, testConnection: func(ctx context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
					logger.Debug("testing connection", "secrets", req.Integration.Secrets)
					return p.TestConnection(ctx, req)
				}}
			}},
	}
}
