package providertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/shared/providertest/fakeprovider"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// The fleet every fake upstream of the self-tests holds.
var testSpec = fakeprovider.FleetSpec{Orgs: 3, DevicesPerOrg: 4, AlertsPerDevice: 2, SoftwarePerDevice: 40}

const (
	testAPIKey        = "providertest-api-key-8d1f27"
	testWebhookSecret = "providertest-webhook-secret-4b9e"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeEnv is a fake RMM shared by every provider of one test, and the log
// they all write to.
type fakeEnv struct {
	backend *fakeprovider.Backend
	logs    *syncBuffer
	logger  hclog.Logger
	next    atomic.Int64
}

func newFakeEnv() *fakeEnv {
	logs := &syncBuffer{}
	return &fakeEnv{
		backend: fakeprovider.NewBackend(),
		logs:    logs,
		logger:  hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Trace, JSONFormat: true}),
	}
}

func (e *fakeEnv) provider() *fakeprovider.Provider {
	return fakeprovider.New(fakeprovider.Config{Backend: e.backend, APIKey: testAPIKey, Logger: e.logger})
}

// harness returns the Harness around fakeprovider; wrap, when set, makes
// the provider under test out of a plain fake one.
func (e *fakeEnv) harness(wrap func(p *fakeprovider.Provider, logger hclog.Logger) rmm.Provider) Harness {
	return Harness{
		New: func(testing.TB) rmm.Provider {
			p := e.provider()
			if wrap == nil {
				return p
			}
			return wrap(p, e.logger)
		},
		Upstream:    e.upstream,
		Logs:        e.logs.String,
		CallTimeout: 10 * time.Second,
		HangTimeout: 200 * time.Millisecond,
		grace:       2 * time.Second,
	}
}

// upstream defines a fresh fleet and describes it.
func (e *fakeEnv) upstream(t testing.TB) Upstream {
	n := e.next.Add(1)
	name := fmt.Sprintf("fleet%d", n)
	e.backend.Define(name, testSpec)
	integration := func(role, base string, secrets map[string]string) rmm.Integration {
		return rmm.Integration{
			ID: fmt.Sprintf("%s-%s", name, role), TenantID: "tenant-1", Revision: 1,
			BaseURL: base, AuthMode: rmm.AuthAPIKey, Secrets: secrets,
		}
	}
	good := map[string]string{"api_key": testAPIKey, "webhook_secret": testWebhookSecret}
	valid := integration("valid", "fake://"+name, good)
	device := name + ":dev-2-3"
	alert := device + ":alert-0"
	delivery := func(state rmm.AlertState, secret string) rmm.WebhookRequest {
		body, err := json.Marshal(fakeprovider.WebhookPayload{DeviceID: device, AlertID: alert, State: state})
		if err != nil {
			t.Fatal(err)
		}
		return rmm.WebhookRequest{
			Integration: valid, Method: http.MethodPost, Body: body,
			Headers:    http.Header{fakeprovider.WebhookSecretHeader: {secret}},
			ReceivedAt: fakeprovider.Epoch().Add(time.Hour),
		}
	}
	unknown, err := json.Marshal(fakeprovider.WebhookPayload{DeviceID: name + ":dev-9-9", AlertID: "x", State: rmm.AlertTriggered})
	if err != nil {
		t.Fatal(err)
	}
	ignored := delivery(rmm.AlertTriggered, testWebhookSecret)
	ignored.Body = unknown
	since, until := fakeprovider.Epoch().Add(2*time.Hour), fakeprovider.Epoch().Add(20*time.Hour)
	return Upstream{
		Valid:          valid,
		BadCredentials: integration("bad", "fake://"+name, map[string]string{"api_key": "wrong-key-" + name}),
		Unreachable:    integration("unreachable", "fake://unreachable", good),
		Hanging:        integration("hanging", "fake://hang", good),
		Failing:        integration("failing", "fake://failing", good),
		RateLimited:    integration("ratelimited", "fake://ratelimited", good),
		Expect: Expect{
			Orgs: testSpec.Orgs, Devices: testSpec.Devices(),
			Alerts: 18, AlertsSince: since, AlertsUntil: until, // alerts fire hourly from Epoch
			SoftwareDevices: testSpec.Devices(), SoftwareItems: testSpec.SoftwareItems(),
		},
		KnownDeviceID:   name + ":dev-1-1",
		UnknownDeviceID: name + ":dev-99-99",
		Webhooks: []WebhookCase{
			{Name: "triggered", Request: delivery(rmm.AlertTriggered, testWebhookSecret),
				Want: []WantAlert{{DedupKey: device + "|" + alert, State: rmm.AlertTriggered, DeviceExternalID: device}}},
			{Name: "resolved", Request: delivery(rmm.AlertResolved, testWebhookSecret),
				Want: []WantAlert{{DedupKey: device + "|" + alert, State: rmm.AlertResolved, DeviceExternalID: device}}},
			{Name: "unknown-device", Request: ignored, Ignored: true},
		},
		BadWebhook: delivery(rmm.AlertTriggered, "not-the-secret"),
		Secrets:    []string{testAPIKey, testWebhookSecret},
		Mutate: func(t testing.TB) string {
			id := name + ":dev-2-2"
			if !e.backend.Touch(id) {
				t.Fatalf("Touch(%q): no such device", id)
			}
			return id
		},
	}
}

// TestRunFake: the fake provider passes the whole suite, in-process and
// over gRPC.
func TestRunFake(t *testing.T) {
	Run(t, newFakeEnv().harness(nil))
}
