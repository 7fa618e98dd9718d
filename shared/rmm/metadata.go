package rmm

import "slices"

// Edition is an edition of the host. A provider lists the editions it may
// run in, and the host refuses to enable it elsewhere.
type Edition string

// The host editions.
const (
	EditionCE Edition = "ce" // Community
	EditionEE Edition = "ee" // Enterprise
)

// ParseEdition validates an edition name.
func ParseEdition(s string) (Edition, error) {
	switch e := Edition(s); e {
	case EditionCE, EditionEE:
		return e, nil
	}
	return "", Errorf(ErrInvalidConfig, "unknown edition %q: use %q or %q", s, EditionCE, EditionEE)
}

// Capability names one thing a provider can do. A call whose capability is
// not listed must return ErrUnsupported.
type Capability string

// The capabilities a provider may declare.
const (
	CapTestConnection     Capability = "test_connection"
	CapSyncOrgs           Capability = "sync_orgs"
	CapSyncDevices        Capability = "sync_devices"
	CapIncrementalDevices Capability = "sync_devices_incremental"
	CapSyncAgent          Capability = "sync_agent"
	CapWebhooks           Capability = "webhooks"
	CapBackfillAlerts     Capability = "backfill_alerts"
	CapSoftware           Capability = "software"
)

// AuthMode names one way of authenticating to the RMM. Which secrets each
// mode needs is the provider's to say (AuthModeSpec).
type AuthMode string

// Common auth modes. Providers may define others.
const (
	AuthAPIKey   AuthMode = "api_key"
	AuthPassword AuthMode = "password" // username and password, maybe a one-time code
	AuthOAuth2   AuthMode = "oauth2"
)

// Metadata describes a provider.
type Metadata struct {
	Name            string // stable machine name, e.g. "tacticalrmm"
	DisplayName     string // e.g. "Tactical RMM"
	Version         string // the plugin's semantic version
	ProtocolVersion int    // the contract version it was built against
	Editions        []Edition
	Capabilities    []Capability
	AuthModes       []AuthModeSpec
	Webhook         *WebhookSpec // nil when the provider takes no webhooks
}

// Supports reports whether the provider declares capability c.
func (m Metadata) Supports(c Capability) bool { return slices.Contains(m.Capabilities, c) }

// RunsIn reports whether the provider may run in edition e.
func (m Metadata) RunsIn(e Edition) bool { return slices.Contains(m.Editions, e) }

// AuthModeSpec says which secrets an auth mode needs, so the host can
// validate a new integration before calling the provider.
type AuthModeSpec struct {
	Mode            AuthMode
	RequiredSecrets []string // e.g. "api_key", or "username" and "password"
	OptionalSecrets []string
}

// WebhookSpec tells the host how the provider's webhooks are authenticated
// and what the user must paste into the RMM to send them.
type WebhookSpec struct {
	// SecretHeader is the HTTP header that carries the shared secret.
	SecretHeader string
	// Templates are ready-to-paste settings for the RMM. The host replaces
	// the placeholders WebhookURLPlaceholder and WebhookSecretPlaceholder.
	Templates []WebhookTemplate
}

// Placeholders in WebhookTemplate text that the host fills in.
const (
	WebhookURLPlaceholder    = "{{psa.webhook_url}}"
	WebhookSecretPlaceholder = "{{psa.webhook_secret}}"
)

// WebhookTemplate is one piece of webhook configuration to paste into the
// RMM, e.g. Tactical's URL action for failures, and another for resolves.
type WebhookTemplate struct {
	Name    string // e.g. "failure", "resolved"
	Method  string // e.g. "POST"
	URL     string
	Headers string // as the RMM expects them, e.g. a JSON object text
	Body    string
	Notes   string
}
