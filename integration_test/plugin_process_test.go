package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/host/pluginmgr"
	"github.com/msp-psa/psa-host/shared/providertest"
	"github.com/msp-psa/psa-host/shared/providertest/fakeprovider"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// lockedBuffer collects log output from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// startManager launches the test plugin directory through the host's
// plugin manager, as psa-host serve does.
func startManager(t *testing.T, edition rmm.Edition) (*pluginmgr.Manager, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	mgr, err := pluginmgr.New(t.Context(), pluginmgr.Config{
		Dir: built.pluginDir, Edition: edition, Strict: true,
		Logger: hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug, JSONFormat: true}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 20*time.Second)
		defer cancel()
		if err := mgr.Close(ctx); err != nil {
			t.Errorf("close plugins: %v", err)
		}
	})
	return mgr, logs
}

// TestConformanceThroughPluginProcess runs the conformance suite against
// the fake provider running as a real plugin process launched by the
// host's plugin manager: every RPC, streaming included, crosses a process
// boundary over AutoMTLS gRPC, and errors must keep their identity.
func TestConformanceThroughPluginProcess(t *testing.T) {
	mgr, logs := startManager(t, rmm.EditionCE)
	prov, err := mgr.Provider("fake")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "integration-webhook-secret-7c1d"
	spec := fakeprovider.FleetSpec{Orgs: 3, DevicesPerOrg: 5, AlertsPerDevice: 2, SoftwarePerDevice: 30}
	settings, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	var next atomic.Int64
	upstream := func(tb testing.TB) providertest.Upstream {
		n := next.Add(1)
		name := fmt.Sprintf("proc%d", n)
		integ := func(role, base string, secrets map[string]string) rmm.Integration {
			return rmm.Integration{ID: name + "-" + role, TenantID: "t1", Revision: 1, BaseURL: base,
				AuthMode: rmm.AuthAPIKey, Secrets: secrets, Settings: settings}
		}
		good := map[string]string{"api_key": fakeprovider.DefaultAPIKey, "webhook_secret": secret}
		valid := integ("valid", "fake://"+name, good)
		device, alert := name+":dev-2-3", name+":dev-2-3:alert-0"
		delivery := func(state rmm.AlertState, s string) rmm.WebhookRequest {
			body, _ := json.Marshal(fakeprovider.WebhookPayload{DeviceID: device, AlertID: alert, State: state})
			return rmm.WebhookRequest{Integration: valid, Method: "POST", Body: body,
				Headers: map[string][]string{fakeprovider.WebhookSecretHeader: {s}}, ReceivedAt: fakeprovider.Epoch()}
		}
		return providertest.Upstream{
			Valid:          valid,
			BadCredentials: integ("bad", "fake://"+name, map[string]string{"api_key": "wrong-key-" + name}),
			Unreachable:    integ("unreachable", "fake://unreachable", good),
			Hanging:        integ("hanging", "fake://hang", good),
			Failing:        integ("failing", "fake://failing", good),
			Expect: providertest.Expect{
				Orgs: spec.Orgs, Devices: spec.Devices(), Alerts: spec.Alerts(),
				AlertsSince: fakeprovider.Epoch(), AlertsUntil: fakeprovider.Epoch().Add(24 * time.Hour * 365),
				SoftwareDevices: spec.Devices(), SoftwareItems: spec.SoftwareItems(),
			},
			KnownDeviceID:   name + ":dev-1-1",
			UnknownDeviceID: name + ":dev-99-99",
			Webhooks: []providertest.WebhookCase{
				{Name: "triggered", Request: delivery(rmm.AlertTriggered, secret),
					Want: []providertest.WantAlert{{DedupKey: device + "|" + alert, State: rmm.AlertTriggered, DeviceExternalID: device}}},
				{Name: "resolved", Request: delivery(rmm.AlertResolved, secret),
					Want: []providertest.WantAlert{{DedupKey: device + "|" + alert, State: rmm.AlertResolved, DeviceExternalID: device}}},
			},
			BadWebhook: delivery(rmm.AlertTriggered, "not-the-secret"),
			Secrets:    []string{fakeprovider.DefaultAPIKey, secret},
		}
	}
	providertest.Run(t, providertest.Harness{
		New:      func(testing.TB) rmm.Provider { return prov },
		Upstream: upstream,
		Logs:     logs.String,
	})
}
