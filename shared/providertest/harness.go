package providertest

import (
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Harness is what a provider gives the conformance suite: how to make the
// provider under test and how to start a fake upstream for it.
type Harness struct {
	// New returns a fresh provider instance. Run calls it once per
	// transport; the instance then serves every check of that transport,
	// concurrently where a check needs it, as a plugin process does.
	New func(t testing.TB) rmm.Provider
	// Upstream starts a fresh fake upstream (e.g. an httptest server) for
	// one check and describes it. Stop it with t.Cleanup. It is called
	// several times per run, and twice for the isolation check: every
	// call must give a separate upstream with its own integration IDs.
	Upstream func(t testing.TB) Upstream
	// Logs returns everything the providers made by New have logged so far
	// (optional). The suite scans it for secrets.
	Logs func() string
	// CallTimeout bounds every call of the suite; default 10s.
	CallTimeout time.Duration
	// HangTimeout is the deadline given to calls against Upstream.Hanging;
	// default 1s. The call must return within it plus a grace period.
	HangTimeout time.Duration

	// grace overrides defaultGrace in the suite's own tests.
	grace time.Duration
}

// Upstream describes one fake upstream and what the provider must find in
// it. Every integration here must have its own (ID, Revision), as the host
// guarantees, so that providers caching clients per integration stay
// correct.
type Upstream struct {
	// Valid reaches the upstream with good credentials. Its Secrets should
	// include the webhook secret that the Webhooks cases are signed with.
	Valid rmm.Integration
	// BadCredentials reaches the upstream with a wrong secret.
	BadCredentials rmm.Integration
	// Unreachable points at an address where nothing listens.
	Unreachable rmm.Integration
	// Hanging points at an upstream that accepts requests and never answers.
	Hanging rmm.Integration
	// Failing points at an upstream that answers every request with a 5xx.
	Failing rmm.Integration
	// RateLimited points at an upstream that answers 429 with a
	// Retry-After (optional: a zero BaseURL skips the rate-limit rule).
	RateLimited rmm.Integration

	// Expect is what Valid's upstream holds.
	Expect Expect

	// KnownDeviceID is the ExternalID of a device the upstream holds;
	// UnknownDeviceID is one it does not.
	KnownDeviceID, UnknownDeviceID string

	// Webhooks are valid deliveries (made with Valid) and what they mean.
	Webhooks []WebhookCase
	// BadWebhook is a delivery with a wrong secret or signature.
	BadWebhook rmm.WebhookRequest

	// Secrets are strings that must never appear in an error, a message or
	// a log line, in addition to every value of every integration's
	// Secrets here.
	Secrets []string

	// Mutate changes one device upstream and returns its ExternalID
	// (optional). With it, and when the provider declares
	// sync_devices_incremental, the suite checks that an incremental sync
	// returns that change and not the whole fleet.
	Mutate func(t testing.TB) (deviceID string)
}

// Expect counts what a provider must find in an upstream.
type Expect struct {
	Orgs    int
	Devices int
	// Alerts is how many alerts BackfillAlerts returns for AlertsSince to
	// AlertsUntil with IncludeResolved set. Zero times mean the provider's
	// defaults.
	Alerts                   int
	AlertsSince, AlertsUntil time.Time
	// SoftwareDevices is how many devices IngestSoftware reports on and
	// SoftwareItems the items over all of them.
	SoftwareDevices int
	SoftwareItems   int
}

// WebhookCase is one valid webhook delivery and the alerts it must yield.
type WebhookCase struct {
	Name    string
	Request rmm.WebhookRequest
	// Want are the alerts the delivery must yield, in order.
	Want []WantAlert
	// Ignored is set when the delivery is valid but means nothing.
	Ignored bool
}

// WantAlert is what the suite checks of one normalised alert.
type WantAlert struct {
	DedupKey string
	State    rmm.AlertState
	// DeviceExternalID is checked when non-empty.
	DeviceExternalID string
}

func (h Harness) callTimeout() time.Duration {
	if h.CallTimeout > 0 {
		return h.CallTimeout
	}
	return 10 * time.Second
}

// graceTime is how long a call may outlive its deadline before the suite
// calls it hung.
func (h Harness) graceTime() time.Duration {
	if h.grace > 0 {
		return h.grace
	}
	return defaultGrace
}

func (h Harness) hangTimeout() time.Duration {
	if h.HangTimeout > 0 {
		return h.HangTimeout
	}
	return time.Second
}
