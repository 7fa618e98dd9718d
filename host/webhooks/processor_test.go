package webhooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/providertest/fakeprovider"
	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestProcessorTurnsDeliveriesIntoAlerts(t *testing.T) {
	e := newEnv(t)
	e.start(e.st, e.runner(), testOptions("host-a"))
	const device, key = "acme:dev-1-1", "acme:dev-1-1|a1"

	first := e.accept(alertBody(device, "a1", rmm.AlertTriggered))
	e.waitStatus(first, store.InboxDone)
	a, ok := e.alert(key)
	if !ok || a.Status != "active" || a.OccurrenceCount != 1 || a.ExternalDeviceID != device {
		t.Fatalf("after the trigger: %+v (found %v)", a, ok)
	}
	// The device was refreshed, and its new asset linked to the alert.
	asset, err := e.st.AssetByDevice(t.Context(), e.tenant, e.integration, device)
	if err != nil {
		t.Fatalf("the device was not refreshed: %v", err)
	}
	if a.AssetID == nil || *a.AssetID != asset.ID || asset.ClientID == nil || *asset.ClientID != e.client {
		t.Fatalf("alert asset %v, device asset %s (client %v)", a.AssetID, asset.ID, asset.ClientID)
	}

	// A repeat counts an occurrence; a resolve resolves the condition.
	e.waitStatus(e.accept(alertBody(device, "a1", rmm.AlertTriggered)), store.InboxDone)
	if a, _ = e.alert(key); a.OccurrenceCount != 2 || a.Status != "active" {
		t.Fatalf("after a repeat: %+v", a)
	}
	e.waitStatus(e.accept(alertBody(device, "a1", rmm.AlertResolved)), store.InboxDone)
	if a, _ = e.alert(key); a.Status != "resolved" || a.ResolvedAt == nil || a.OccurrenceCount != 2 {
		t.Fatalf("after the resolve: %+v", a)
	}

	// Replaying the first delivery processes it again without counting it
	// again or reopening the alert.
	if _, err := e.st.ReplayInbox(t.Context(), e.tenant, first); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the replay to run", func() bool { return e.fake.callsFor(alertBody(device, "a1", rmm.AlertTriggered)) == 3 })
	e.waitStatus(first, store.InboxDone)
	if a, _ = e.alert(key); a.Status != "resolved" || a.OccurrenceCount != 2 {
		t.Fatalf("after replaying the first trigger: %+v", a)
	}

	// A device of an unmapped organisation is not refreshed, and that is
	// no failure of the delivery.
	other := e.accept(alertBody("acme:dev-2-1", "b1", rmm.AlertTriggered))
	if d := e.waitStatus(other, store.InboxDone); d.Attempts != 1 {
		t.Fatalf("unmapped device delivery = %+v", d.InboxItem)
	}
	if a, ok := e.alert("acme:dev-2-1|b1"); !ok || a.AssetID != nil {
		t.Fatalf("unmapped device alert = %+v (found %v)", a, ok)
	}
}

func TestProcessingTwiceCountsOnce(t *testing.T) {
	e := newEnv(t)
	body := alertBody("acme:dev-1-2", "x1", rmm.AlertTriggered)
	id := e.accept(body)
	p := NewProcessor(e.st, e.providers, e.runner(), e.log, testOptions("host-a"))
	d := e.delivery(id)
	// Two workers handling one delivery, as when a lease expires while the
	// first is still at it.
	for range 2 {
		if err := p.handle(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	a, ok := e.alert("acme:dev-1-2|x1")
	if !ok || a.OccurrenceCount != 1 || a.AssetID == nil {
		t.Fatalf("after handling twice: %+v (found %v)", a, ok)
	}
	if n := e.count(`SELECT count(*) FROM rmm_alerts`); n != 1 {
		t.Fatalf("%d alerts, want 1", n)
	}
}

func TestProcessorWaitsForThePlugin(t *testing.T) {
	e := newEnv(t)
	e.fake.setDown(true)
	opts := testOptions("host-a")
	opts.Backoff = Backoff{Base: 50 * time.Millisecond, Max: 200 * time.Millisecond}
	opts.MaxAttempts = 1000
	e.start(e.st, e.runner(), opts)

	id := e.accept(alertBody("acme:dev-1-1", "a1", rmm.AlertTriggered))
	var d store.InboxDelivery
	e.waitFor("a failed attempt", func() bool {
		d = e.delivery(id)
		return d.Status == store.InboxFailed && d.Attempts >= 2
	})
	if !strings.Contains(d.LastError, "plugin unavailable") || d.NextAttemptAt == nil {
		t.Fatalf("while the plugin is down: %+v", d.InboxItem)
	}
	if _, ok := e.alert("acme:dev-1-1|a1"); ok {
		t.Fatal("an alert was written while the plugin was down")
	}

	e.fake.setDown(false)
	d = e.waitStatus(id, store.InboxDone)
	if d.LastError != "" || d.ProcessedAt == nil {
		t.Fatalf("once the plugin is back: %+v", d.InboxItem)
	}
	if a, ok := e.alert("acme:dev-1-1|a1"); !ok || a.OccurrenceCount != 1 || a.AssetID == nil {
		t.Fatalf("alert after the plugin came back = %+v (found %v)", a, ok)
	}
}

func TestProcessorRetriesWhileTheDatabaseIsUnavailable(t *testing.T) {
	e := newEnv(t)
	flaky := &flakyStore{ProcessorStore: e.st}
	flaky.failures.Store(2)
	e.start(flaky, nil, testOptions("host-a"))

	d := e.waitStatus(e.accept(alertBody("acme:dev-1-1", "a1", rmm.AlertTriggered)), store.InboxDone)
	if d.Attempts != 3 {
		t.Fatalf("done after %d attempts, want 3 (two failed writes)", d.Attempts)
	}
	if a, ok := e.alert("acme:dev-1-1|a1"); !ok || a.OccurrenceCount != 1 {
		t.Fatalf("alert = %+v (found %v)", a, ok)
	}
}

func TestPoisonDeliveriesAreParkedAndReplayed(t *testing.T) {
	e := newEnv(t)
	opts := testOptions("host-a")
	opts.MaxAttempts = 3
	e.start(e.st, nil, opts)

	// A body the provider refuses is parked at once: it would be refused
	// again.
	invalid := e.accept(`{"device_id": "acme:dev-1-1"}`)
	d := e.waitStatus(invalid, store.InboxParked)
	if d.Attempts != 1 || !strings.Contains(d.LastError, "invalid input") {
		t.Fatalf("refused body: %+v", d.InboxItem)
	}

	// A body that makes the plugin fail is retried, then parked.
	poison := alertBody("acme:dev-1-1", "crash", rmm.AlertTriggered)
	e.fake.setFail(func(body []byte) error {
		if strings.Contains(string(body), "crash") {
			return errors.New("rpc error: code = Unavailable desc = error reading from server: EOF")
		}
		return nil
	})
	id := e.accept(poison)
	d = e.waitStatus(id, store.InboxParked)
	if d.Attempts != 3 || e.fake.callsFor(poison) != 3 || !strings.Contains(d.LastError, "EOF") {
		t.Fatalf("poison: %+v after %d calls", d.InboxItem, e.fake.callsFor(poison))
	}
	parked, err := e.st.ListInbox(t.Context(), e.tenant, store.InboxFilter{Status: store.InboxParked})
	if err != nil || len(parked) != 2 {
		t.Fatalf("parked list = %+v, %v", parked, err)
	}

	// Fixed, and replayed.
	e.fake.setFail(nil)
	if _, err := e.st.ReplayInbox(t.Context(), e.tenant, id); err != nil {
		t.Fatal(err)
	}
	if d = e.waitStatus(id, store.InboxDone); d.Attempts != 1 {
		t.Fatalf("replayed: %+v", d.InboxItem)
	}
	if _, ok := e.alert("acme:dev-1-1|crash"); !ok {
		t.Fatal("the replayed delivery wrote no alert")
	}
}

func TestExpiredLeasesAreParkedAfterTooManyAttempts(t *testing.T) {
	e := newEnv(t)
	id := e.accept(alertBody("acme:dev-1-1", "a1", rmm.AlertTriggered))
	// Three hosts died while processing it.
	if _, err := e.st.Pool().Exec(t.Context(),
		`UPDATE webhook_inbox SET status = 'processing', attempts = 3, lease_owner = 'dead', lease_expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	opts := testOptions("host-a")
	opts.MaxAttempts = 3
	e.start(e.st, nil, opts)
	d := e.waitStatus(id, store.InboxParked)
	if !strings.Contains(d.LastError, "did not finish in 3 attempts") || e.fake.callsFor(alertBody("acme:dev-1-1", "a1", rmm.AlertTriggered)) != 0 {
		t.Fatalf("parked = %+v", d.InboxItem)
	}
}

func TestConcurrentDeliveriesAreEachStoredAndProcessedOnce(t *testing.T) {
	e := newEnv(t)
	opts := testOptions("host-a")
	opts.Workers = 4
	e.start(e.st, nil, opts)

	const n = 200
	devices := []string{"acme:dev-1-1", "acme:dev-1-2", "acme:dev-1-3", "acme:dev-1-4", "acme:dev-2-1"}
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			a := e.post(e.integration, e.secret, alertBody(devices[i%len(devices)], fmt.Sprintf("c%d", i), rmm.AlertTriggered))
			statuses[i] = a.status
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 202 {
			t.Fatalf("delivery %d = %d", i, s)
		}
	}
	if got := e.count(`SELECT count(*) FROM webhook_inbox`); got != n {
		t.Fatalf("%d rows stored, want %d", got, n)
	}
	e.waitFor("every delivery to be done", func() bool {
		return e.count(`SELECT count(*) FROM webhook_inbox WHERE status = 'done'`) == n
	})
	if got := e.count(`SELECT count(*) FROM rmm_alerts WHERE occurrence_count = 1`); got != n {
		t.Fatalf("%d alerts counted once, want %d", got, n)
	}
	if got := e.count(`SELECT count(*) FROM webhook_inbox WHERE attempts <> 1`); got != 0 {
		t.Fatalf("%d deliveries took more than one attempt", got)
	}
}

func TestTwoReplicasNeverProcessOneDeliveryTwice(t *testing.T) {
	e := newEnv(t)
	const n = 60
	bodies := make([]string, n)
	for i := range n {
		bodies[i] = alertBody("acme:dev-1-1", fmt.Sprintf("r%d", i), rmm.AlertTriggered)
		e.accept(bodies[i])
	}
	// Two replicas, each with its own pool, start together on a full inbox.
	e.start(e.st, nil, testOptions("replica-a"))
	e.start(e.openStore(), nil, testOptions("replica-b"))
	e.waitFor("every delivery to be done", func() bool {
		return e.count(`SELECT count(*) FROM webhook_inbox WHERE status = 'done'`) == n
	})
	for i, b := range bodies {
		if c := e.fake.callsFor(b); c != 1 {
			t.Errorf("delivery %d handled %d times", i, c)
		}
	}
	if got := e.count(`SELECT count(*) FROM webhook_inbox WHERE attempts <> 1`); got != 0 {
		t.Fatalf("%d deliveries claimed more than once", got)
	}
}

func TestAnotherReplicaIsWokenThroughTheDatabase(t *testing.T) {
	e := newEnv(t)
	opts := testOptions("replica-b")
	opts.Poll = time.Hour // only a notification can start the work
	e.start(e.openStore(), nil, opts)
	// The ingress's own wake-up goes to no processor here.
	id := e.accept(alertBody("acme:dev-1-1", "a1", rmm.AlertTriggered))
	e.waitStatus(id, store.InboxDone)
}

func TestIngressWakesItsOwnReplica(t *testing.T) {
	e := newEnv(t)
	opts := testOptions("replica-a")
	opts.Poll = time.Hour
	p := e.start(deafStore{e.st}, nil, opts)
	in := NewIngress(e.st, e.providers, e.log, IngressOptions{Wake: p.Wake})
	// The processor looks once when it starts; let it go idle first.
	time.Sleep(100 * time.Millisecond)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/",
		strings.NewReader(alertBody("acme:dev-1-1", "a1", rmm.AlertTriggered)))
	req.SetPathValue("provider", "fake")
	req.SetPathValue("integration_id", e.integration)
	req.Header.Set(fakeprovider.WebhookSecretHeader, e.secret)
	w := httptest.NewRecorder()
	in.ServeHTTP(w, req)
	var got accepted
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusAccepted {
		t.Fatalf("POST = %d: %s", w.Code, w.Body)
	}
	e.waitStatus(got.InboxID, store.InboxDone)
}

func TestRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{rmm.Errorf(rmm.ErrPluginUnavailable, "restarting"), true},
		{rmm.Errorf(rmm.ErrUpstreamUnavailable, "503"), true},
		{rmm.RateLimited(time.Second, "429"), true},
		{fmt.Errorf("handle webhook: %w", errors.New("context deadline exceeded")), true},
		{errors.New("write alerts: connection refused"), true},
		{rmm.Errorf(rmm.ErrInvalidInput, "no agent_id"), false},
		{fmt.Errorf("handle webhook: %w", rmm.Errorf(rmm.ErrUnauthorized, "bad secret")), false},
		{rmm.Errorf(rmm.ErrInvalidConfig, "no fleet"), false},
		{rmm.Errorf(rmm.ErrUnsupported, "no webhooks"), false},
		{rmm.Errorf(rmm.ErrNotFound, "no device"), false},
		{store.ErrNotFound, false},
		{&store.InvalidError{Field: "x", Msg: "bad"}, false},
	} {
		if got := retryable(c.err); got != c.want {
			t.Errorf("retryable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestBackoffDoublesWithinJitter(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 30 * time.Second, Jitter: 0.2}
	for _, c := range []struct {
		attempt int
		want    time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {5, 16 * time.Second},
		{6, 30 * time.Second}, {40, 30 * time.Second},
	} {
		lo, hi := time.Duration(float64(c.want)*0.8), time.Duration(float64(c.want)*1.2)
		seen := map[time.Duration]bool{}
		for range 50 {
			d := b.Delay(c.attempt)
			if d < lo || d > hi {
				t.Fatalf("Delay(%d) = %v, want within [%v, %v]", c.attempt, d, lo, hi)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("Delay(%d) has no jitter", c.attempt)
		}
	}
	if d := (Backoff{}).Delay(1); d < 4*time.Second || d > 6*time.Second {
		t.Errorf("default first delay = %v, want about 5 s", d)
	}
}
