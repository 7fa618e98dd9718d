// Package api is the host's HTTP API: what a settings UI or an API client
// calls to manage clients, RMM integrations, sync jobs, organisation
// mappings, and to read the assets and alerts the plugins brought in.
//
// Every /api/v1/ route takes `Authorization: Bearer <key>` and is scoped to
// the key's tenant; another tenant's ids answer 404. Answers are JSON, and
// errors are {"error":{"code","message","field"}}. Secrets are accepted on
// the way in and never shown on the way out, except masked.
package api

import (
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/host/webhooks"
)

// Defaults for the Config fields left zero.
const (
	DefaultMaxBodyBytes    = 1 << 20
	DefaultHealthTimeout   = 2 * time.Second
	DefaultDescribeTimeout = 5 * time.Second
	DefaultCallTimeout     = 2 * time.Minute
)

// Config wires the API to the rest of the host.
type Config struct {
	Store     Store
	Syncer    Syncer
	Providers Providers
	Logger    hclog.Logger
	// MaxBodyBytes caps a request body; larger bodies answer 413.
	MaxBodyBytes int64
	// HealthTimeout bounds the database check of /healthz.
	HealthTimeout time.Duration
	// DescribeTimeout bounds one plugin Describe call.
	DescribeTimeout time.Duration
	// CallTimeout bounds a plugin call made while the client waits
	// (test connection, refresh one device); past it the answer is 504.
	CallTimeout time.Duration
	// Webhooks is the webhook ingress (webhooks.Ingress), served without an
	// API key at /api/webhooks/{provider}/{integration_id}; nil leaves the
	// route out.
	Webhooks http.Handler
	// WebhookStore serves the webhook settings and inbox routes; nil takes
	// Store when it has these methods (host/store does).
	WebhookStore WebhookStore
	// PublicURL is the base URL RMMs reach this host at, for the webhook
	// URL shown to users; "" takes the scheme and host of each request.
	PublicURL string
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.HealthTimeout <= 0 {
		c.HealthTimeout = DefaultHealthTimeout
	}
	if c.DescribeTimeout <= 0 {
		c.DescribeTimeout = DefaultDescribeTimeout
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.WebhookStore == nil {
		c.WebhookStore, _ = c.Store.(WebhookStore)
	}
	return c
}

// server holds the API's dependencies; it is read-only after New.
type server struct {
	cfg    Config
	log    hclog.Logger
	mux    *http.ServeMux
	health pinger
}

// New returns the API's handler.
func New(cfg Config) http.Handler {
	cfg = cfg.withDefaults()
	s := &server{
		cfg:    cfg,
		log:    cfg.Logger.Named("api"),
		mux:    http.NewServeMux(),
		health: storePinger(cfg.Store),
	}
	s.routes()
	return s.logRequests(s.recoverPanics(s.mux))
}

func (s *server) routes() {
	s.mux.Handle("GET /healthz", s.open(s.healthz))

	s.mux.Handle("GET /api/v1/providers", s.authed(s.listProviders))

	s.mux.Handle("GET /api/v1/clients", s.authed(s.listClients))
	s.mux.Handle("POST /api/v1/clients", s.authed(s.createClient))
	s.mux.Handle("GET /api/v1/clients/{id}", s.authed(s.getClient))

	s.mux.Handle("GET /api/v1/integrations", s.authed(s.listIntegrations))
	s.mux.Handle("POST /api/v1/integrations", s.authed(s.createIntegration))
	s.mux.Handle("GET /api/v1/integrations/{id}", s.authed(s.getIntegration))
	s.mux.Handle("PATCH /api/v1/integrations/{id}", s.authed(s.patchIntegration))
	s.mux.Handle("DELETE /api/v1/integrations/{id}", s.authed(s.disconnectIntegration))
	s.mux.Handle("POST /api/v1/integrations/{id}/test", s.authed(s.testConnection))
	s.mux.Handle("POST /api/v1/integrations/{id}/sync", s.authed(s.startSync))
	s.mux.Handle("POST /api/v1/integrations/{id}/devices/{external_id}/sync", s.authed(s.syncDevice))
	s.mux.Handle("GET /api/v1/integrations/{id}/mappings", s.authed(s.listMappings))
	s.mux.Handle("PATCH /api/v1/integrations/{id}/mappings/{mapping_id}", s.authed(s.patchMapping))

	s.mux.Handle("GET /api/v1/jobs/{job_id}", s.authed(s.getJob))

	s.mux.Handle("GET /api/v1/assets", s.authed(s.listAssets))
	s.mux.Handle("GET /api/v1/assets/{id}", s.authed(s.getAsset))
	s.mux.Handle("GET /api/v1/assets/{id}/software", s.authed(s.assetSoftware))

	s.mux.Handle("GET /api/v1/alerts", s.authed(s.listAlerts))
	s.mux.Handle("GET /api/v1/events", s.authed(s.listEvents))

	// Webhooks: the ingress authenticates each delivery by its secret, not
	// by an API key, and answers every method itself (405 but for POST).
	if s.cfg.Webhooks != nil {
		s.mux.Handle(webhooks.RoutePattern, s.cfg.Webhooks)
	}
	s.mux.Handle("GET /api/v1/integrations/{id}/webhook", s.authed(s.getWebhookSettings))
	s.mux.Handle("POST /api/v1/integrations/{id}/webhook/rotate", s.authed(s.rotateWebhookSecret))
	s.mux.Handle("GET /api/v1/webhooks/inbox", s.authed(s.listInbox))
	s.mux.Handle("GET /api/v1/webhooks/inbox/{id}", s.authed(s.getInbox))
	s.mux.Handle("POST /api/v1/webhooks/inbox/{id}/replay", s.authed(s.replayInbox))

	// Everything else: a JSON 404, or a 405 with Allow when the path is
	// known under other methods.
	s.mux.HandleFunc("/", s.unmatched)
}
