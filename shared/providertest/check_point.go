package providertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// checkSyncAgent: a known device comes back; an unknown one is ErrNotFound.
func checkSyncAgent(t testing.TB, l *leg) {
	l.require(t, rmm.CapSyncAgent)
	u := l.upstream(t)
	if u.KnownDeviceID == "" || u.UnknownDeviceID == "" {
		t.Fatal("harness: Upstream.KnownDeviceID and Upstream.UnknownDeviceID are required with sync_agent")
	}
	subtest(t, "known", func(t testing.TB) {
		res, err := l.syncAgent(t, u.Valid, u.KnownDeviceID)
		if err != nil {
			t.Fatalf("SyncAgent(%q): %s", u.KnownDeviceID, describeErr(err))
		}
		if res.Device.ExternalID != u.KnownDeviceID {
			t.Errorf("SyncAgent(%q) returned device %q", u.KnownDeviceID, res.Device.ExternalID)
		}
		if !l.supports(rmm.CapSyncDevices) {
			return
		}
		all, err := l.syncDevices(t, full(u.Valid))
		if err != nil {
			t.Fatalf("SyncDevices: %s", describeErr(err))
		}
		i := slices.IndexFunc(all.items, func(d rmm.Device) bool { return d.ExternalID == u.KnownDeviceID })
		switch {
		case i < 0:
			t.Errorf("SyncDevices does not send the known device %q", u.KnownDeviceID)
		case all.items[i].OrgExternalID != res.Device.OrgExternalID:
			t.Errorf("SyncAgent puts device %q in org %q, SyncDevices in org %q", u.KnownDeviceID, res.Device.OrgExternalID, all.items[i].OrgExternalID)
		}
	})
	subtest(t, "unknown", func(t testing.TB) {
		_, err := l.syncAgent(t, u.Valid, u.UnknownDeviceID)
		if !errors.Is(err, rmm.ErrNotFound) {
			t.Errorf("SyncAgent(%q): want ErrNotFound, got %s", u.UnknownDeviceID, describeErr(err))
		}
	})
}

func (l *leg) syncAgent(t testing.TB, in rmm.Integration, id string) (rmm.SyncAgentResult, error) {
	t.Helper()
	return call(t, l, "SyncAgent", l.h.callTimeout(), func(ctx context.Context) (rmm.SyncAgentResult, error) {
		return l.p.SyncAgent(ctx, rmm.SyncAgentRequest{Integration: in, DeviceExternalID: id})
	})
}

func (l *leg) handleWebhook(t testing.TB, req rmm.WebhookRequest) (rmm.WebhookResult, error) {
	t.Helper()
	res, err := call(t, l, "HandleWebhook", l.h.callTimeout(), func(ctx context.Context) (rmm.WebhookResult, error) {
		return l.p.HandleWebhook(ctx, req)
	})
	l.scan(t, "HandleWebhook Message", res.Message)
	return res, err
}

// checkWebhooks: valid deliveries mean what the harness says, the same one
// twice gives the same dedup keys, and bad ones are refused.
func checkWebhooks(t testing.TB, l *leg) {
	l.require(t, rmm.CapWebhooks)
	u := l.upstream(t)
	if len(u.Webhooks) == 0 {
		t.Fatal("harness: Upstream.Webhooks is required with the webhooks capability")
	}
	for i, c := range u.Webhooks {
		name := c.Name
		if name == "" {
			name = fmt.Sprintf("case-%d", i+1)
		}
		subtest(t, name, func(t testing.TB) {
			first, err := l.handleWebhook(t, c.Request)
			if err != nil {
				t.Fatalf("HandleWebhook: %s", describeErr(err))
			}
			if first.Ignored != c.Ignored {
				t.Errorf("Ignored is %v, want %v (message %q)", first.Ignored, c.Ignored, first.Message)
			}
			checkAlerts(t, first.Alerts, c.Want)
			again, err := l.handleWebhook(t, c.Request)
			if err != nil {
				t.Fatalf("HandleWebhook, the same delivery again: %s", describeErr(err))
			}
			if a, b := dedupKeys(first.Alerts), dedupKeys(again.Alerts); !slices.Equal(a, b) {
				t.Errorf("the same delivery twice gave dedup keys %q, then %q", a, b)
			}
		})
	}
	subtest(t, "bad-secret", func(t testing.TB) {
		_, err := l.handleWebhook(t, u.BadWebhook)
		if !errors.Is(err, rmm.ErrUnauthorized) {
			t.Errorf("a delivery with a bad secret: want ErrUnauthorized, got %s", describeErr(err))
		}
	})
	bodies := []struct {
		name string
		body []byte
	}{
		{"empty-body", nil},
		{"garbage-body", []byte("\x00\x01\xfe not a webhook {\"")},
		{"oversized-body", bytes.Repeat([]byte("junk"), (2<<20)/4)},
	}
	for _, bad := range bodies {
		subtest(t, bad.name, func(t testing.TB) {
			req := u.Webhooks[0].Request
			req.Body = bad.body
			res, err := l.handleWebhook(t, req)
			if err == nil {
				t.Fatalf("a delivery with a bad body must fail; got %d alerts, ignored %v", len(res.Alerts), res.Ignored)
			}
			if !errors.Is(err, rmm.ErrInvalidInput) {
				t.Logf("note: ErrInvalidInput is the expected kind for a bad body, got %s", describeErr(err))
			}
		})
	}
}

// checkAlerts compares normalised alerts with what the harness wants.
func checkAlerts(t testing.TB, got []rmm.Alert, want []WantAlert) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d alerts %q, want %d", len(got), dedupKeys(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.DedupKey == "" {
			t.Errorf("alert %d has no DedupKey", i+1)
		}
		if g.DedupKey != w.DedupKey || g.State != w.State {
			t.Errorf("alert %d is %q %s, want %q %s", i+1, g.DedupKey, g.State, w.DedupKey, w.State)
		}
		if w.DeviceExternalID != "" && g.DeviceExternalID != w.DeviceExternalID {
			t.Errorf("alert %d is for device %q, want %q", i+1, g.DeviceExternalID, w.DeviceExternalID)
		}
	}
}

func dedupKeys(alerts []rmm.Alert) []string {
	keys := make([]string, len(alerts))
	for i, a := range alerts {
		keys[i] = a.DedupKey
	}
	return keys
}
