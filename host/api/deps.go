package api

import (
	"context"

	"github.com/msp-psa/psa-host/host/pluginmgr"
	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// Store is the part of host/store the API reads and writes. Every method is
// tenant-scoped: another tenant's ids are store.ErrNotFound.
type Store interface {
	AuthenticateAPIKey(ctx context.Context, plain string) (string, error)

	CreateClient(ctx context.Context, tenantID, name string) (store.Client, error)
	ListClients(ctx context.Context, tenantID string) ([]store.Client, error)
	GetClient(ctx context.Context, tenantID, clientID string) (store.Client, error)

	CreateIntegration(ctx context.Context, tenantID string, in store.NewIntegration) (store.Integration, error)
	GetIntegration(ctx context.Context, tenantID, id string) (store.Integration, error)
	ListIntegrations(ctx context.Context, tenantID string) ([]store.Integration, error)
	UpdateIntegration(ctx context.Context, tenantID, id string, p store.IntegrationPatch) (store.Integration, error)
	DisconnectIntegration(ctx context.Context, tenantID, id string) (store.Integration, error)

	ListMappings(ctx context.Context, tenantID, integrationID string) ([]store.Mapping, error)
	UpdateMapping(ctx context.Context, tenantID, integrationID, mappingID string, p store.MappingPatch) (store.Mapping, error)

	ListAssets(ctx context.Context, tenantID string, f store.AssetFilter) ([]store.Asset, error)
	GetAsset(ctx context.Context, tenantID, assetID string) (store.Asset, error)
	AssetSoftware(ctx context.Context, tenantID, assetID string) ([]store.AssetSoftware, error)
	ListAlerts(ctx context.Context, tenantID string, f store.AlertFilter) ([]store.Alert, error)

	GetJob(ctx context.Context, tenantID, jobID string) (store.Job, error)

	Events(ctx context.Context, tenantID string, after int64, limit int) ([]store.Event, error)
}

// Syncer runs plugin calls for the API (implemented by host/syncer).
type Syncer interface {
	// Enqueue queues a sync job, or returns the queued or running job of
	// the same integration and kind with created=false.
	Enqueue(ctx context.Context, tenantID, integrationID, kind, mode string) (job store.Job, created bool, err error)
	// SyncAgent refreshes one device now and returns its asset.
	SyncAgent(ctx context.Context, tenantID, integrationID, externalID string) (store.Asset, error)
	// TestConnection checks an integration's credentials and records the
	// outcome (is_active, connected_at, any new secrets).
	TestConnection(ctx context.Context, tenantID, integrationID, oneTimeCode string) (rmm.TestConnectionResult, error)
}

// Providers is the loaded plugins (implemented by *pluginmgr.Manager).
type Providers interface {
	Provider(name string) (rmm.Provider, error)
	List() []pluginmgr.PluginInfo
}

// pinger is what the health check needs; the store gets one through
// storePinger when it has no Ping of its own.
type pinger interface {
	Ping(ctx context.Context) error
}

var (
	_ Store     = (*store.Store)(nil)
	_ Providers = (*pluginmgr.Manager)(nil)
)
