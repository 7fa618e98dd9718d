package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

func (ts *testStore) deliver(t testing.TB, f fixture, body string) InboxItem {
	t.Helper()
	it, err := ts.InsertInbox(t.Context(), NewInboxDelivery{
		TenantID: f.tenant, IntegrationID: f.integration, Provider: "tacticalrmm", Method: "POST",
		Query: "a=1", Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body),
	})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func (ts *testStore) claim(t testing.TB, owner string, lease time.Duration) (InboxDelivery, bool) {
	t.Helper()
	d, ok, err := ts.ClaimInbox(t.Context(), owner, lease)
	if err != nil {
		t.Fatal(err)
	}
	return d, ok
}

func (ts *testStore) inboxStatus(t testing.TB, f fixture, id string) InboxDelivery {
	t.Helper()
	d, err := ts.GetInbox(t.Context(), f.tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestInboxInsertClaimComplete(t *testing.T) {
	ts := newTestStore(t)
	f := ts.newFixture(t, "a")
	ctx := t.Context()

	it := ts.deliver(t, f, `{"alert_id": 1}`)
	if it.Status != InboxPending || it.Attempts != 0 || it.BodySize != len(`{"alert_id": 1}`) ||
		it.NextAttemptAt == nil || it.ProcessedAt != nil || it.IntegrationID != f.integration {
		t.Fatalf("inserted = %+v", it)
	}

	d, ok := ts.claim(t, "host-1", time.Minute)
	if !ok || d.ID != it.ID || d.TenantID != f.tenant || d.Status != InboxProcessing || d.Attempts != 1 {
		t.Fatalf("claimed = %+v, %v", d.InboxItem, ok)
	}
	if string(d.Body) != `{"alert_id": 1}` || d.Query != "a=1" || d.Headers.Get("Content-Type") != "application/json" || d.Method != "POST" {
		t.Fatalf("content = %q %q %v %q", d.Body, d.Query, d.Headers, d.Method)
	}
	if _, ok := ts.claim(t, "host-2", time.Minute); ok {
		t.Fatal("a processing delivery under a live lease was claimed again")
	}
	if err := ts.CompleteInbox(ctx, f.tenant, d.ID, "host-2"); !errors.Is(err, ErrConflict) {
		t.Fatalf("complete by a non-owner = %v, want ErrConflict", err)
	}
	if err := ts.CompleteInbox(ctx, f.tenant, d.ID, "host-1"); err != nil {
		t.Fatal(err)
	}
	got := ts.inboxStatus(t, f, d.ID)
	if got.Status != InboxDone || got.ProcessedAt == nil || got.NextAttemptAt != nil {
		t.Fatalf("after complete = %+v", got.InboxItem)
	}
	if _, ok := ts.claim(t, "host-1", time.Minute); ok {
		t.Fatal("a done delivery was claimed")
	}
}

func TestInboxConcurrentClaimersTakeEachDeliveryOnce(t *testing.T) {
	ts := newTestStore(t)
	f := ts.newFixture(t, "a")
	const deliveries, claimers = 40, 6
	for n := range deliveries {
		ts.deliver(t, f, fmt.Sprintf(`{"n": %d}`, n))
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var dup []string
	var wg sync.WaitGroup
	for c := range claimers {
		owner := fmt.Sprintf("host-%d", c)
		wg.Go(func() {
			for {
				d, ok, err := ts.ClaimInbox(t.Context(), owner, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				if prev, taken := seen[d.ID]; taken {
					dup = append(dup, d.ID+" by "+prev+" and "+owner)
				}
				seen[d.ID] = owner
				mu.Unlock()
				if err := ts.CompleteInbox(t.Context(), d.TenantID, d.ID, owner); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(dup) > 0 || len(seen) != deliveries {
		t.Fatalf("claimed %d distinct of %d; claimed twice: %v", len(seen), deliveries, dup)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM webhook_inbox WHERE status = 'done' AND attempts = 1`); n != deliveries {
		t.Fatalf("%d done after one attempt, want %d", n, deliveries)
	}
}

func TestInboxExpiredLeaseIsTakenOver(t *testing.T) {
	ts := newTestStore(t)
	f := ts.newFixture(t, "a")
	ctx := t.Context()
	it := ts.deliver(t, f, `{}`)

	if _, ok := ts.claim(t, "dead-host", 50*time.Millisecond); !ok {
		t.Fatal("nothing claimed")
	}
	deadline := time.Now().Add(10 * time.Second)
	var d InboxDelivery
	for ok := false; !ok; {
		if time.Now().After(deadline) {
			t.Fatal("the expired lease was never taken over")
		}
		time.Sleep(20 * time.Millisecond)
		d, ok = ts.claim(t, "live-host", time.Minute)
	}
	if d.ID != it.ID || d.Attempts != 2 {
		t.Fatalf("taken over = %+v", d.InboxItem)
	}
	if err := ts.CompleteInbox(ctx, f.tenant, it.ID, "dead-host"); !errors.Is(err, ErrConflict) {
		t.Fatalf("the old owner completed it: %v", err)
	}
	if err := ts.ParkInbox(ctx, f.tenant, it.ID, "dead-host", "late"); !errors.Is(err, ErrConflict) {
		t.Fatalf("the old owner parked it: %v", err)
	}
	if err := ts.CompleteInbox(ctx, f.tenant, it.ID, "live-host"); err != nil {
		t.Fatal(err)
	}
}

func TestInboxRetryWaitsForItsBackoff(t *testing.T) {
	ts := newTestStore(t)
	f := ts.newFixture(t, "a")
	ctx := t.Context()
	it := ts.deliver(t, f, `{}`)

	d, _ := ts.claim(t, "h", time.Minute)
	before := time.Now()
	if err := ts.RetryInbox(ctx, f.tenant, d.ID, "h", "plugin unavailable", time.Hour); err != nil {
		t.Fatal(err)
	}
	got := ts.inboxStatus(t, f, it.ID)
	if got.Status != InboxFailed || got.LastError != "plugin unavailable" || got.Attempts != 1 || got.NextAttemptAt == nil {
		t.Fatalf("after retry = %+v", got.InboxItem)
	}
	if wait := got.NextAttemptAt.Sub(before); wait < 59*time.Minute || wait > 61*time.Minute {
		t.Fatalf("next attempt in %v, want about an hour", wait)
	}
	if _, ok := ts.claim(t, "h", time.Minute); ok {
		t.Fatal("claimed before its backoff ended")
	}

	// Due again: claimed, and the attempt counted.
	if _, err := ts.pool.Exec(ctx, `UPDATE webhook_inbox SET next_attempt_at = now() WHERE inbox_id = $1`, it.ID); err != nil {
		t.Fatal(err)
	}
	d, ok := ts.claim(t, "h", time.Minute)
	if !ok || d.Attempts != 2 || d.LastError != "plugin unavailable" {
		t.Fatalf("due retry claimed = %+v, %v", d.InboxItem, ok)
	}
}

func TestInboxParkAndReplay(t *testing.T) {
	ts := newTestStore(t)
	f := ts.newFixture(t, "a")
	ctx := t.Context()
	it := ts.deliver(t, f, `{"poison": true}`)

	// Pending and processing deliveries cannot be replayed.
	if _, err := ts.ReplayInbox(ctx, f.tenant, it.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("replay pending = %v, want ErrConflict", err)
	}
	d, _ := ts.claim(t, "h", time.Minute)
	if _, err := ts.ReplayInbox(ctx, f.tenant, it.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("replay processing = %v, want ErrConflict", err)
	}
	if err := ts.ParkInbox(ctx, f.tenant, d.ID, "h", "invalid input: no agent_id"); err != nil {
		t.Fatal(err)
	}
	if _, ok := ts.claim(t, "h", time.Minute); ok {
		t.Fatal("a parked delivery was claimed")
	}
	parked, err := ts.ListInbox(ctx, f.tenant, InboxFilter{Status: InboxParked})
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) != 1 || parked[0].ID != it.ID || parked[0].LastError != "invalid input: no agent_id" || parked[0].NextAttemptAt != nil {
		t.Fatalf("parked list = %+v", parked)
	}

	re, err := ts.ReplayInbox(ctx, f.tenant, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if re.Status != InboxPending || re.Attempts != 0 || re.ProcessedAt != nil || re.LastError != "invalid input: no agent_id" {
		t.Fatalf("replayed = %+v", re)
	}
	d, ok := ts.claim(t, "h", time.Minute)
	if !ok || d.ID != it.ID || d.Attempts != 1 {
		t.Fatalf("replayed claim = %+v, %v", d.InboxItem, ok)
	}
	if err := ts.CompleteInbox(ctx, f.tenant, d.ID, "h"); err != nil {
		t.Fatal(err)
	}
	if re, err := ts.ReplayInbox(ctx, f.tenant, it.ID); err != nil || re.Status != InboxPending {
		t.Fatalf("replay done = %+v, %v", re, err)
	}
}

func TestInboxTenantIsolation(t *testing.T) {
	ts := newTestStore(t)
	a, b := ts.newFixture(t, "a"), ts.newFixture(t, "b")
	ctx := t.Context()
	itA := ts.deliver(t, a, `{"tenant": "a"}`)
	ts.deliver(t, b, `{"tenant": "b"}`)

	if _, err := ts.GetInbox(ctx, b.tenant, itA.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B reads A's delivery: %v", err)
	}
	if _, err := ts.ReplayInbox(ctx, b.tenant, itA.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B replays A's delivery: %v", err)
	}
	listB, err := ts.ListInbox(ctx, b.tenant, InboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(listB) != 1 || listB[0].ID == itA.ID {
		t.Fatalf("B's list = %+v", listB)
	}
	if l, err := ts.ListInbox(ctx, b.tenant, InboxFilter{IntegrationID: a.integration}); err != nil || len(l) != 0 {
		t.Fatalf("B filtering on A's integration = %+v, %v", l, err)
	}
	if _, err := ts.InsertInbox(ctx, NewInboxDelivery{TenantID: b.tenant, IntegrationID: a.integration, Provider: "x", Body: []byte(`{}`)}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a delivery for B to A's integration = %v, want ErrNotFound", err)
	}
	d, _ := ts.claim(t, "h", time.Minute)
	if err := ts.CompleteInbox(ctx, otherTenant(d.TenantID, a, b), d.ID, "h"); !errors.Is(err, ErrConflict) {
		t.Fatalf("complete under the wrong tenant = %v", err)
	}
}

func otherTenant(id string, a, b fixture) string {
	if id == a.tenant {
		return b.tenant
	}
	return a.tenant
}

func TestInboxListPagesNewestFirst(t *testing.T) {
	ts := newTestStore(t)
	f := ts.newFixture(t, "a")
	ctx := t.Context()
	var ids []string
	for n := range 5 {
		ids = append(ids, ts.deliver(t, f, fmt.Sprintf(`{"n": %d}`, n)).ID)
	}
	slices.Reverse(ids)
	var got []string
	after := ""
	for range 4 {
		page, err := ts.ListInbox(ctx, f.tenant, InboxFilter{Limit: 2, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page {
			got = append(got, it.ID)
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("paged %v, want newest first %v", got, ids)
	}
	if _, err := ts.ListInbox(ctx, f.tenant, InboxFilter{Status: "lost"}); err == nil {
		t.Fatal("an unknown status filter was accepted")
	}
}

func TestInboxPurgeKeepsWhatIsNotDone(t *testing.T) {
	ts := newTestStore(t)
	f := ts.newFixture(t, "a")
	ctx := t.Context()
	done, parked := ts.deliver(t, f, `{}`), ts.deliver(t, f, `{}`)
	pending := ts.deliver(t, f, `{}`)
	for range 2 {
		d, _ := ts.claim(t, "h", time.Minute)
		var err error
		if d.ID == done.ID {
			err = ts.CompleteInbox(ctx, f.tenant, d.ID, "h")
		} else {
			err = ts.ParkInbox(ctx, f.tenant, d.ID, "h", "bad")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := ts.PurgeInbox(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("purge of recent = %d, %v", n, err)
	}
	time.Sleep(5 * time.Millisecond)
	if n, err := ts.PurgeInbox(ctx, time.Millisecond); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v; want the done one", n, err)
	}
	if _, err := ts.GetInbox(ctx, f.tenant, done.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("done delivery after purge: %v", err)
	}
	for _, id := range []string{parked.ID, pending.ID} {
		if _, err := ts.GetInbox(ctx, f.tenant, id); err != nil {
			t.Fatalf("purge took a delivery that was not done: %v", err)
		}
	}
}

func TestListenInboxWakesOnInsertAndReplay(t *testing.T) {
	ts := newTestStore(t)
	f := ts.newFixture(t, "a")
	ctx := t.Context()
	woke := make(chan struct{}, 16)
	listenCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- ts.ListenInbox(listenCtx, func() { woke <- struct{}{} }) }()

	waitWake := func(what string) {
		t.Helper()
		select {
		case <-woke:
		case <-time.After(10 * time.Second):
			t.Fatalf("no wake-up for %s", what)
		}
	}
	waitWake("listening") // the catch-up call once LISTEN is in place
	it := ts.deliver(t, f, `{}`)
	waitWake("a new delivery")
	d, _ := ts.claim(t, "h", time.Minute)
	if err := ts.ParkInbox(ctx, f.tenant, d.ID, "h", "bad"); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.ReplayInbox(ctx, f.tenant, it.ID); err != nil {
		t.Fatal(err)
	}
	waitWake("a replay")
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ListenInbox after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ListenInbox did not return after its context ended")
	}
}

func TestWebhookTargetsAndSecretRotation(t *testing.T) {
	ts := newTestStore(t)
	a, b := ts.newFixture(t, "a"), ts.newFixture(t, "b")
	ctx := t.Context()

	targets, err := ts.WebhookTargets(ctx, a.integration)
	if err != nil || len(targets) != 1 {
		t.Fatalf("targets = %+v, %v", targets, err)
	}
	if tg := targets[0]; tg.TenantID != a.tenant || tg.Provider != "tacticalrmm" || tg.Secret != "" || tg.Disconnected {
		t.Fatalf("target without a secret = %+v", tg)
	}

	before, _ := ts.GetIntegration(ctx, a.tenant, a.integration)
	secret, err := ts.RotateWebhookSecret(ctx, a.tenant, a.integration)
	if err != nil || len(secret) != 64 {
		t.Fatalf("rotate = %d chars, %v", len(secret), err)
	}
	after, _ := ts.GetIntegration(ctx, a.tenant, a.integration)
	if after.Revision != before.Revision+1 {
		t.Fatalf("revision %d -> %d, want a bump", before.Revision, after.Revision)
	}
	targets, _ = ts.WebhookTargets(ctx, a.integration)
	if targets[0].Secret != secret {
		t.Fatal("the target does not carry the rotated secret")
	}
	again, err := ts.RotateWebhookSecret(ctx, a.tenant, a.integration)
	if err != nil || again == secret {
		t.Fatalf("second rotation = same %v, %v", again == secret, err)
	}
	if _, err := ts.RotateWebhookSecret(ctx, b.tenant, a.integration); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B rotates A's secret: %v", err)
	}

	if _, err := ts.DisconnectIntegration(ctx, a.tenant, a.integration); err != nil {
		t.Fatal(err)
	}
	targets, _ = ts.WebhookTargets(ctx, a.integration)
	if !targets[0].Disconnected || targets[0].Secret != again {
		t.Fatalf("after disconnect = disconnected %v, secret kept %v", targets[0].Disconnected, targets[0].Secret == again)
	}
	if err := ts.RecordConnectionTest(ctx, a.tenant, a.integration, true, "ok"); err != nil {
		t.Fatal(err)
	}
	if targets, _ = ts.WebhookTargets(ctx, a.integration); targets[0].Disconnected {
		t.Fatal("still disconnected after a passing connection test")
	}

	for _, id := range []string{"not-a-uuid", "7d444840-9dc0-11d1-b245-5ffdce74fad2"} {
		if got, err := ts.WebhookTargets(ctx, id); err != nil || len(got) != 0 {
			t.Fatalf("targets of %q = %+v, %v", id, got, err)
		}
	}
}

func TestWebhookAuthFailuresCount(t *testing.T) {
	ts := newTestStore(t)
	a, b := ts.newFixture(t, "a"), ts.newFixture(t, "b")
	ctx := t.Context()
	if f, err := ts.WebhookAuthFailures(ctx, a.tenant, a.integration); err != nil || f.Count != 0 || f.LastFailureAt != nil {
		t.Fatalf("no failures yet = %+v, %v", f, err)
	}
	for _, addr := range []string{"192.0.2.1", "192.0.2.7"} {
		if err := ts.RecordWebhookAuthFailure(ctx, a.tenant, a.integration, addr); err != nil {
			t.Fatal(err)
		}
	}
	f, err := ts.WebhookAuthFailures(ctx, a.tenant, a.integration)
	if err != nil || f.Count != 2 || f.LastRemoteAddr != "192.0.2.7" || f.FirstFailureAt == nil || f.LastFailureAt.Before(*f.FirstFailureAt) {
		t.Fatalf("failures = %+v, %v", f, err)
	}
	if f, _ := ts.WebhookAuthFailures(ctx, b.tenant, a.integration); f.Count != 0 {
		t.Fatalf("B sees A's failures: %+v", f)
	}
	if err := ts.RecordWebhookAuthFailure(ctx, b.tenant, a.integration, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("counting under the wrong tenant = %v", err)
	}
}
