// Package webhooks receives RMM webhooks and processes them durably.
//
// Ingress (POST /api/webhooks/{provider}/{integration_id}) checks the
// shared secret itself, against the integration's stored webhook secret
// and in constant time, so it works while the provider's plugin is down.
// It stores the delivery in the webhook inbox and answers 202 only once
// the row is committed: a delivery that got a 2xx is never lost.
// Deliveries that arrive while others are being written are stored
// together, by one statement and one commit (group commit), and the
// decrypted secret is cached: the database checks, in that statement,
// that the secret a delivery matched is still the integration's.
//
// The Processor, on every replica, claims due deliveries with a lease,
// has the provider's plugin translate each one (HandleWebhook), upserts
// the alerts, refreshes the devices it names, and marks it done. A
// delivery that fails for a passing reason (plugin restarting, RMM or
// database unavailable) is retried with exponential backoff and jitter; one
// the provider refuses, or that keeps failing, is parked with its error
// until someone replays it.
package webhooks

import (
	"context"
	"time"

	"github.com/msp-psa/psa-host/host/pluginmgr"
	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// IngressStore is what ingress reads and writes (host/store).
type IngressStore interface {
	WebhookTargets(ctx context.Context, integrationID string) ([]store.WebhookTarget, error)
	RecordWebhookAuthFailure(ctx context.Context, tenantID, integrationID, remoteAddr string) error
	InsertInboxBatch(ctx context.Context, rows []store.InboxRow) ([]store.InboxInsert, error)
}

// ProcessorStore is what the processor reads and writes (host/store).
type ProcessorStore interface {
	ClaimInbox(ctx context.Context, owner string, lease time.Duration) (store.InboxDelivery, bool, error)
	CompleteInbox(ctx context.Context, tenantID, inboxID, owner string) error
	RetryInbox(ctx context.Context, tenantID, inboxID, owner, errMsg string, delay time.Duration) error
	ParkInbox(ctx context.Context, tenantID, inboxID, owner, errMsg string) error
	PurgeInbox(ctx context.Context, age time.Duration) (int64, error)
	ListenInbox(ctx context.Context, wake func()) error
	ProviderIntegration(ctx context.Context, tenantID, id string) (rmm.Integration, string, error)
	UpsertAlerts(ctx context.Context, tenantID, integrationID string, alerts []rmm.Alert) (store.Counts, error)
	RetireRemovedDevices(ctx context.Context, tenantID, integrationID string, externalIDs []string) (int64, error)
}

// Providers is the loaded plugins (host/pluginmgr.Manager). List tells
// each provider's secret header even while its plugin is down.
type Providers interface {
	Provider(name string) (rmm.Provider, error)
	List() []pluginmgr.PluginInfo
}

// AgentSyncer refreshes one device now (host/syncer.Runner).
type AgentSyncer interface {
	SyncAgent(ctx context.Context, tenantID, integrationID, externalID string) (store.Asset, error)
}

var (
	_ IngressStore   = (*store.Store)(nil)
	_ ProcessorStore = (*store.Store)(nil)
	_ Providers      = (*pluginmgr.Manager)(nil)
)
