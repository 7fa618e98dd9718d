package rmm

import (
	"encoding/json"
	"net/http"
	"time"
)

// Integration is one configured connection to an RMM instance. Every
// request carries it, so the provider needs no state of its own.
type Integration struct {
	ID       string // the host's id for this connection
	TenantID string // the tenant the connection belongs to
	// Revision changes whenever the URL, settings or secrets change; a
	// provider that caches per-integration clients rebuilds them on a new
	// revision.
	Revision int64
	BaseURL  string
	AuthMode AuthMode
	// Secrets are credentials and tokens, e.g. "api_key", "username",
	// "password", "token", "webhook_secret". Never log them.
	Secrets map[string]string
	// Settings are provider-specific, validated by the provider.
	Settings json.RawMessage
}

// Secret returns one secret, or "" when absent.
func (i Integration) Secret(name string) string { return i.Secrets[name] }

// TestConnectionRequest asks the provider to check an integration.
type TestConnectionRequest struct {
	Integration Integration
	// OneTimeCode is a code the user typed for this attempt only, such as a
	// TOTP code. It is never stored.
	OneTimeCode string
}

// TestConnectionResult is the outcome of a connection test. OK=false with a
// Message is the normal answer to bad credentials or a misconfigured server.
type TestConnectionResult struct {
	OK      bool
	Message string // what is wrong and what to do, or a success line
	// Reason is a stable machine-readable code for the failure, e.g.
	// "unauthorized", "one_time_code_required", "beta_api_disabled".
	Reason string
	// OneTimeCodeRequired is set when the user must supply a one-time code
	// (TOTP) and test again.
	OneTimeCodeRequired bool
	ServerVersion       string
	Warnings            []string
	Details             map[string]string
	// NewSecrets are credentials obtained during the call (e.g. a session
	// token) for the host to store; nil when there are none.
	NewSecrets map[string]string
}

// SyncMode is a full or an incremental sync.
type SyncMode string

// The sync modes.
const (
	SyncFull        SyncMode = "full"
	SyncIncremental SyncMode = "incremental"
)

// SyncRequest starts SyncOrgs or SyncDevices.
type SyncRequest struct {
	Integration Integration
	Mode        SyncMode
	// Cursor is what an earlier summary or batch returned; nil on a first
	// sync. Its content belongs to the provider.
	Cursor []byte
	// OrgExternalIDs limits SyncDevices to these organisations; empty means
	// all of them.
	OrgExternalIDs []string
	// MaxBatch caps the records in one batch; 0 leaves it to the provider.
	MaxBatch int
}

// SyncSummary closes a bulk call.
type SyncSummary struct {
	// Cursor resumes from the end of this call (for an incremental sync).
	Cursor []byte
	Sent   int64 // records sent in all batches
	// Skipped counts upstream records the provider could not translate.
	// A full sync with skips is not complete: the host must not retire
	// devices it did not see.
	Skipped    int64
	Warnings   []string
	NewSecrets map[string]string
}

// SyncAgentRequest refreshes one device.
type SyncAgentRequest struct {
	Integration      Integration
	DeviceExternalID string
}

// SyncAgentResult carries the refreshed device.
type SyncAgentResult struct {
	Device     Device
	NewSecrets map[string]string
}

// WebhookRequest is one webhook delivery as the host received it.
type WebhookRequest struct {
	Integration Integration
	Method      string
	Headers     http.Header
	Query       string // the raw query string
	Body        []byte
	ReceivedAt  time.Time
}

// WebhookResult is what a delivery means.
type WebhookResult struct {
	// Alerts are the alert events in the delivery, triggered or resolved,
	// each with a DedupKey so that a resolve finds its trigger.
	Alerts []Alert
	// RefreshDeviceIDs are devices the host should refresh (SyncAgent).
	RefreshDeviceIDs []string
	// RemovedDeviceIDs are devices the RMM says were deleted.
	RemovedDeviceIDs []string
	// Ignored is set when the delivery is valid but carries nothing to act
	// on; Message says why.
	Ignored bool
	Message string
}

// BackfillRequest asks for the alerts of a time window.
type BackfillRequest struct {
	Integration Integration
	Since       time.Time // inclusive; zero means the provider's default window
	Until       time.Time // exclusive; zero means now
	// IncludeResolved also returns alerts that are already resolved, so the
	// host can close what it missed.
	IncludeResolved bool
	Cursor          []byte
	MaxBatch        int
}

// SoftwareRequest asks for software inventories.
type SoftwareRequest struct {
	Integration Integration
	// DeviceExternalIDs limits the ingest to these devices; empty means all.
	DeviceExternalIDs []string
	Cursor            []byte
	MaxBatch          int
}
