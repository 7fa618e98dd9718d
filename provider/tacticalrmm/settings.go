package tacticalrmm

import (
	"bytes"
	"encoding/json"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Secret names in rmm.Integration.Secrets.
const (
	SecretAPIKey        = "api_key"
	SecretUsername      = "username"
	SecretPassword      = "password"
	SecretToken         = "token" // a Knox token the provider obtained
	SecretWebhookSecret = "webhook_secret"
)

// Settings are the provider's part of rmm.Integration.Settings. Every field
// is optional.
type Settings struct {
	// CACertPEM is a CA certificate (PEM) to trust besides the system roots,
	// for instances behind a private CA.
	CACertPEM string `json:"ca_cert_pem,omitempty"`
	// PageSize overrides the provider's page size (1..1000).
	PageSize int `json:"page_size,omitempty"`
	// Parallelism overrides how many pages are fetched at once.
	Parallelism int `json:"parallelism,omitempty"`
}

func parseSettings(raw json.RawMessage) (Settings, error) {
	var s Settings
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return s, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, rmm.Errorf(rmm.ErrInvalidConfig, "the Tactical settings are not a valid JSON object: %v", err)
	}
	if s.PageSize < 0 || s.PageSize > DefaultPageSize {
		return s, rmm.Errorf(rmm.ErrInvalidConfig, "page_size must be between 1 and %d", DefaultPageSize)
	}
	if s.Parallelism < 0 || s.Parallelism > 16 {
		return s, rmm.Errorf(rmm.ErrInvalidConfig, "parallelism must be between 1 and 16")
	}
	return s, nil
}
