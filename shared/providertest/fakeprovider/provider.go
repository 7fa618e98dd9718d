// Package fakeprovider is an in-memory rmm.Provider backed by a fake RMM
// with deterministic fleets. It exists to test what sits around providers:
// the conformance suite, the gRPC adapters and the host's plugin manager
// (through the plugin main in cmd/rmm-provider-fake).
//
// An integration reaches the fleet "acme" at BaseURL "fake://acme" with
// the secret "api_key" set to the Config's APIKey. A few names stand for a
// broken upstream instead of a fleet:
//
//	fake://unreachable  every call fails with rmm.ErrUpstreamUnavailable
//	fake://hang         every call blocks until its ctx is done
//	fake://failing      the upstream answers 503: rmm.ErrUpstreamUnavailable
//	fake://ratelimited  the upstream answers 429: rmm.ErrRateLimited, RetryAfter 2s
package fakeprovider

import (
	"context"
	"slices"
	"sync"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Provider is the fake rmm.Provider. It is safe for concurrent use.
type Provider struct {
	cfg Config

	mu       sync.Mutex
	sessions map[sessionKey]*session
}

var _ rmm.Provider = (*Provider)(nil)

// New returns a Provider shaped by cfg.
func New(cfg Config) *Provider {
	return &Provider{cfg: cfg.withDefaults(), sessions: map[sessionKey]*session{}}
}

// Backend returns the fake RMM the provider talks to, to shape or mutate
// its fleets in tests.
func (p *Provider) Backend() *Backend { return p.cfg.Backend }

// Touch changes one device upstream; see Backend.Touch.
func (p *Provider) Touch(deviceID string) bool { return p.cfg.Backend.Touch(deviceID) }

// Describe implements rmm.Provider.
func (p *Provider) Describe(ctx context.Context) (rmm.Metadata, error) {
	if err := ctx.Err(); err != nil {
		return rmm.Metadata{}, err
	}
	md := rmm.Metadata{
		Name:            p.cfg.Name,
		DisplayName:     p.cfg.DisplayName,
		Version:         p.cfg.Version,
		ProtocolVersion: rmm.ProtocolVersion,
		Editions:        slices.Clone(p.cfg.Editions),
		Capabilities:    slices.Clone(p.cfg.Capabilities),
		AuthModes:       []rmm.AuthModeSpec{{Mode: rmm.AuthAPIKey, RequiredSecrets: []string{"api_key"}, OptionalSecrets: []string{"webhook_secret"}}},
	}
	if md.Supports(rmm.CapWebhooks) {
		md.Webhook = &rmm.WebhookSpec{
			SecretHeader: WebhookSecretHeader,
			Templates: []rmm.WebhookTemplate{{
				Name:    "alert",
				Method:  "POST",
				URL:     rmm.WebhookURLPlaceholder,
				Headers: `{"` + WebhookSecretHeader + `": "` + rmm.WebhookSecretPlaceholder + `"}`,
				Body:    `{"device_id": "...", "alert_id": "...", "state": "triggered"}`,
				Notes:   "state is triggered or resolved",
			}},
		}
	}
	return md, nil
}

// require fails with ErrUnsupported unless the provider declares c.
func (p *Provider) require(c rmm.Capability, call string) error {
	if slices.Contains(p.cfg.Capabilities, c) {
		return nil
	}
	return rmm.Errorf(rmm.ErrUnsupported, "%s is not supported by this provider", call)
}
