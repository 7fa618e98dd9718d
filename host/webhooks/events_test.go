package webhooks

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// A delivery announces itself, then what it changed; processing it again
// changes, and announces, nothing more.
func TestDeliveryWritesItsEvents(t *testing.T) {
	e := newEnv(t)
	e.start(e.st, e.runner(), testOptions("host-a"))
	const device = "acme:dev-1-1"
	body := alertBody(device, "a1", rmm.AlertTriggered)
	id := e.accept(body)
	e.waitStatus(id, store.InboxDone)

	events := func() []store.Event {
		t.Helper()
		list, err := e.st.Events(t.Context(), e.tenant, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	types := func(list []store.Event) []string {
		out := make([]string, len(list))
		for i, ev := range list {
			out[i] = ev.Type
		}
		return out
	}
	got := events()
	// The alert is written before the refresh creates the device's asset.
	want := []string{store.EventWebhookReceived, store.EventAlertTriggered, store.EventDeviceCreated}
	if !slices.Equal(types(got), want) {
		t.Fatalf("events %v, want %v", types(got), want)
	}
	for _, ev := range got {
		if strings.Contains(string(ev.Payload), e.secret) {
			t.Fatalf("%s carries the webhook secret: %s", ev.Type, ev.Payload)
		}
	}
	var received struct {
		TenantID, IntegrationID, Provider, WebhookEventType, ExternalDeviceID, InboxID string
		RawPayload                                                                     json.RawMessage
	}
	if err := json.Unmarshal(got[0].Payload, &received); err != nil {
		t.Fatal(err)
	}
	var sent, kept any
	_ = json.Unmarshal([]byte(body), &sent)
	_ = json.Unmarshal(received.RawPayload, &kept)
	if received.TenantID != e.tenant || received.IntegrationID != e.integration || received.Provider != "fake" ||
		received.WebhookEventType != "triggered" || received.ExternalDeviceID != device || received.InboxID != id ||
		!jsonEqual(sent, kept) {
		t.Fatalf("received event = %s", got[0].Payload)
	}

	if _, err := e.st.ReplayInbox(t.Context(), e.tenant, id); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the replay to run", func() bool { return e.fake.callsFor(body) == 2 })
	e.waitStatus(id, store.InboxDone)
	if again := events(); len(again) != len(got) {
		t.Fatalf("the replay wrote %v", types(again[len(got):]))
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
