package store

import (
	"encoding/json"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Tenant is one MSP using the host.
type Tenant struct {
	ID        string    `json:"tenant_id"`
	Name      string    `json:"tenant_name"`
	CreatedAt time.Time `json:"created_at"`
}

// Client is a PSA company that RMM organisations map to.
type Client struct {
	ID        string    `json:"client_id"`
	Name      string    `json:"client_name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SecretInfo describes a stored secret without revealing it.
type SecretInfo struct {
	Name      string    `json:"name"`
	Masked    string    `json:"masked"` // "****" + last 4, or "****"
	UpdatedAt time.Time `json:"updated_at"`
}

// Integration is one connection to an RMM instance, as the API shows it:
// secrets only masked.
type Integration struct {
	ID             string          `json:"integration_id"`
	Provider       string          `json:"provider"`
	Name           string          `json:"name"`
	InstanceURL    string          `json:"instance_url"`
	AuthMode       rmm.AuthMode    `json:"auth_mode"`
	Settings       json.RawMessage `json:"settings"`
	Revision       int64           `json:"revision"`
	IsActive       bool            `json:"is_active"`
	ConnectedAt    *time.Time      `json:"connected_at"`
	DisconnectedAt *time.Time      `json:"disconnected_at"`
	LastSyncAt     *time.Time      `json:"last_sync_at"`
	SyncStatus     string          `json:"sync_status"`
	SyncError      string          `json:"sync_error,omitempty"`
	Secrets        []SecretInfo    `json:"secrets"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// NewIntegration is what creating an integration takes.
type NewIntegration struct {
	Provider    string
	Name        string
	InstanceURL string
	AuthMode    rmm.AuthMode
	Settings    json.RawMessage
	Secrets     map[string]string
}

// IntegrationPatch changes an integration; nil fields stay as they are.
// Secrets are merged: a key with an empty value deletes that secret.
type IntegrationPatch struct {
	Name        *string
	InstanceURL *string
	AuthMode    *rmm.AuthMode
	Settings    json.RawMessage
	Secrets     map[string]string
	// ReplaceSecrets drops every secret not in Secrets (used when the auth
	// mode changes, so the old mode's credentials do not linger).
	ReplaceSecrets bool
}

// Mapping links an RMM organisation to a PSA client.
type Mapping struct {
	ID                       string          `json:"mapping_id"`
	IntegrationID            string          `json:"integration_id"`
	ExternalOrganizationID   string          `json:"external_organization_id"`
	ExternalOrganizationName string          `json:"external_organization_name"`
	ClientID                 *string         `json:"client_id"`
	AutoSyncAssets           bool            `json:"auto_sync_assets"`
	Metadata                 json.RawMessage `json:"metadata"`
	LastSyncedAt             *time.Time      `json:"last_synced_at"`
}

// MappingPatch changes a mapping; nil fields stay. ClearClient unmaps.
type MappingPatch struct {
	ClientID       *string
	ClearClient    bool
	AutoSyncAssets *bool
}

// Counts are what a write did to the rows it touched.
type Counts struct {
	Created   int64 `json:"created"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Failed    int64 `json:"failed"`
	Deleted   int64 `json:"deleted"`
}

// Add sums two counts.
func (c Counts) Add(o Counts) Counts {
	return Counts{c.Created + o.Created, c.Updated + o.Updated, c.Unchanged + o.Unchanged, c.Failed + o.Failed, c.Deleted + o.Deleted}
}

// Asset is an asset with its RMM-cached fields.
type Asset struct {
	ID                string          `json:"asset_id"`
	ClientID          *string         `json:"client_id"`
	AssetType         string          `json:"asset_type"`
	Name              string          `json:"name"`
	Status            string          `json:"status"` // active, inactive
	SerialNumber      string          `json:"serial_number,omitempty"`
	IntegrationID     *string         `json:"integration_id"`
	RMMProvider       string          `json:"rmm_provider,omitempty"`
	RMMDeviceID       string          `json:"rmm_device_id,omitempty"`
	RMMOrganizationID string          `json:"rmm_organization_id,omitempty"`
	RMMSiteID         string          `json:"rmm_site_id,omitempty"`
	RMMSiteName       string          `json:"rmm_site_name,omitempty"`
	AgentStatus       string          `json:"agent_status,omitempty"`
	LastSeenAt        *time.Time      `json:"last_seen_at"`
	LastRMMSyncAt     *time.Time      `json:"last_rmm_sync_at"`
	MissingSince      *time.Time      `json:"missing_since,omitempty"`
	Details           json.RawMessage `json:"details,omitempty"` // the workstation/server row
	CreatedAt         time.Time       `json:"created_at"`
	UpdatedAt         time.Time       `json:"updated_at"`
}

// AssetFilter narrows ListAssets; empty fields do not filter.
type AssetFilter struct {
	IntegrationID string
	ClientID      string
	AgentStatus   string
	Limit         int
	After         string // asset id to page after
}

// AssetSoftware is one installed product on an asset.
type AssetSoftware struct {
	SoftwareID  string     `json:"software_id"`
	Name        string     `json:"name"`
	Publisher   string     `json:"publisher,omitempty"`
	Version     string     `json:"version,omitempty"`
	InstallDate *time.Time `json:"install_date"`
	SizeBytes   *int64     `json:"size_bytes"`
	InstallPath string     `json:"install_path,omitempty"`
	IsCurrent   bool       `json:"is_current"`
	FirstSeenAt time.Time  `json:"first_seen_at"`
	LastSeenAt  time.Time  `json:"last_seen_at"`
	Uninstalled *time.Time `json:"uninstalled_at"`
}

// Alert is a stored RMM alert.
type Alert struct {
	ID               string          `json:"alert_id"`
	IntegrationID    string          `json:"integration_id"`
	ExternalAlertID  string          `json:"external_alert_id"`
	DedupKey         string          `json:"dedup_key"`
	ExternalDeviceID string          `json:"external_device_id,omitempty"`
	AssetID          *string         `json:"asset_id"`
	Severity         string          `json:"severity"`
	Status           string          `json:"status"` // active, resolved
	AlertClass       string          `json:"alert_class,omitempty"`
	Message          string          `json:"message,omitempty"`
	DeviceName       string          `json:"device_name,omitempty"`
	OccurrenceCount  int             `json:"occurrence_count"`
	TriggeredAt      *time.Time      `json:"triggered_at"`
	ResolvedAt       *time.Time      `json:"resolved_at"`
	LastOccurrenceAt *time.Time      `json:"last_occurrence_at"`
	Metadata         json.RawMessage `json:"metadata,omitempty"`
}

// AlertFilter narrows ListAlerts.
type AlertFilter struct {
	IntegrationID string
	Status        string
	Limit         int
	After         string
}

// Job kinds and statuses.
const (
	JobOrgs     = "orgs"
	JobDevices  = "devices"
	JobAlerts   = "alerts"
	JobSoftware = "software"

	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
)

// Job is one sync run.
type Job struct {
	ID            string     `json:"job_id"`
	IntegrationID string     `json:"integration_id"`
	Kind          string     `json:"kind"`
	Mode          string     `json:"mode"`
	Status        string     `json:"status"`
	Processed     int64      `json:"processed"`
	Total         int64      `json:"total"`
	Counts        Counts     `json:"counts"`
	Error         string     `json:"error,omitempty"`
	Attempts      int        `json:"attempts"`
	RequestedAt   time.Time  `json:"requested_at"`
	StartedAt     *time.Time `json:"started_at"`
	FinishedAt    *time.Time `json:"finished_at"`
	// TenantID is set on claimed jobs so the runner knows whose they are.
	TenantID string `json:"-"`
}
