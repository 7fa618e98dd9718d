package fakeprovider

import (
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// DefaultAPIKey is the "api_key" secret a Provider accepts when its Config
// names none.
const DefaultAPIKey = "fake-rmm-api-key-5f3a9c"

// WebhookSecretHeader is the header that carries the webhook secret; it is
// compared with the integration's "webhook_secret".
const WebhookSecretHeader = "X-Fake-Secret"

// MaxWebhookBody is the largest webhook body the provider reads.
const MaxWebhookBody = 1 << 20

// Config shapes a fake Provider and the fleets it serves.
type Config struct {
	Name        string        // machine name; default "fake"
	DisplayName string        // default "Fake RMM"
	Version     string        // semver; default "1.0.0"
	Editions    []rmm.Edition // default ce and ee
	// Capabilities to declare and honour; nil declares all of them.
	Capabilities []rmm.Capability

	// Fleet shape for fleets whose integration Settings do not set one.
	// Zero values take the defaults 3, 4, 2 and 5.
	Orgs              int
	DevicesPerOrg     int
	AlertsPerDevice   int
	SoftwarePerDevice int

	// APIKey is the valid value of the integration secret "api_key";
	// default DefaultAPIKey.
	APIKey string
	// Latency is waited before every simulated upstream request (each page
	// of a stream, each point call), honouring ctx.
	Latency time.Duration
	// Logger receives the provider's logs; default a null logger.
	Logger hclog.Logger
	// Backend holds the fleets; nil gives the Provider a private one. Share
	// one Backend between Providers to let them see the same fleets.
	Backend *Backend
}

// allCapabilities is every capability the fake can honour.
func allCapabilities() []rmm.Capability {
	return []rmm.Capability{
		rmm.CapTestConnection, rmm.CapSyncOrgs, rmm.CapSyncDevices, rmm.CapIncrementalDevices,
		rmm.CapSyncAgent, rmm.CapWebhooks, rmm.CapBackfillAlerts, rmm.CapSoftware,
	}
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "fake"
	}
	if c.DisplayName == "" {
		c.DisplayName = "Fake RMM"
	}
	if c.Version == "" {
		c.Version = "1.0.0"
	}
	if len(c.Editions) == 0 {
		c.Editions = []rmm.Edition{rmm.EditionCE, rmm.EditionEE}
	}
	if c.Capabilities == nil {
		c.Capabilities = allCapabilities()
	}
	c.Orgs = orDefault(c.Orgs, 3)
	c.DevicesPerOrg = orDefault(c.DevicesPerOrg, 4)
	c.AlertsPerDevice = orDefault(c.AlertsPerDevice, 2)
	c.SoftwarePerDevice = orDefault(c.SoftwarePerDevice, 5)
	if c.APIKey == "" {
		c.APIKey = DefaultAPIKey
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.Backend == nil {
		c.Backend = NewBackend()
	}
	return c
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
