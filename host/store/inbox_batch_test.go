package store

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// webhookTarget rotates the webhook secret of f and returns its target.
func (ts *testStore) webhookTarget(t *testing.T, f fixture) WebhookTarget {
	t.Helper()
	if _, err := ts.RotateWebhookSecret(t.Context(), f.tenant, f.integration); err != nil {
		t.Fatal(err)
	}
	targets, err := ts.WebhookTargets(t.Context(), f.integration)
	if err != nil || len(targets) != 1 || len(targets[0].SecretVersion) == 0 {
		t.Fatalf("targets = %+v, %v", targets, err)
	}
	return targets[0]
}

// insertBatch encodes ds and stores them as one batch.
func (ts *testStore) insertBatch(t *testing.T, ds ...NewInboxDelivery) ([]InboxInsert, error) {
	t.Helper()
	rows := make([]InboxRow, len(ds))
	for i, d := range ds {
		var err error
		if rows[i], err = NewInboxRow(d); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	return ts.InsertInboxBatch(t.Context(), rows)
}

func newDelivery(f fixture, body string) NewInboxDelivery {
	return NewInboxDelivery{TenantID: f.tenant, IntegrationID: f.integration, Provider: "tacticalrmm",
		Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
}

func TestInsertInboxBatchStoresEachWithItsOwnOutcome(t *testing.T) {
	ts := newTestStore(t)
	a, b := ts.newFixture(t, "a"), ts.newFixture(t, "b")
	ctx := t.Context()
	target := ts.webhookTarget(t, a)
	afterA, afterB := ts.lastEventID(t, a.tenant), ts.lastEventID(t, b.tenant)

	stale := newDelivery(a, `{"n": "stale"}`)
	stale.SecretVersion = []byte("not the current nonce")
	current := newDelivery(a, `{"n": "current", "agent_id": "agent-7"}`)
	current.SecretVersion = target.SecretVersion
	wrongTenant := newDelivery(b, `{"n": "wrong tenant"}`)
	wrongTenant.IntegrationID = a.integration
	notUUID := newDelivery(a, `{}`)
	notUUID.IntegrationID = "acme"
	if _, err := NewInboxRow(notUUID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an integration id that is not a UUID = %v", err)
	}
	batch := []NewInboxDelivery{
		newDelivery(a, `{"n": 0}`), stale, newDelivery(b, `{"n": 2}`), wrongTenant, current, newDelivery(a, `{"n": 5}`),
	}
	out, err := ts.insertBatch(t, batch...)
	if err != nil || len(out) != len(batch) {
		t.Fatalf("batch = %d outcomes, %v", len(out), err)
	}
	wantErr := map[int]error{1: ErrStaleSecret, 3: ErrNotFound}
	ids := map[string]int{}
	for i, o := range out {
		if want := wantErr[i]; want != nil {
			if !errors.Is(o.Err, want) || o.Item.ID != "" {
				t.Errorf("delivery %d = %+v, %v; want %v", i, o.Item, o.Err, want)
			}
			continue
		}
		if o.Err != nil || o.Item.Status != InboxPending || o.Item.NextAttemptAt == nil || o.Item.BodySize != len(batch[i].Body) {
			t.Fatalf("delivery %d = %+v, %v", i, o.Item, o.Err)
		}
		ids[o.Item.ID] = i
		d, err := ts.GetInbox(ctx, batch[i].TenantID, o.Item.ID)
		if err != nil || string(d.Body) != string(batch[i].Body) || d.IntegrationID != batch[i].IntegrationID ||
			!d.ReceivedAt.Equal(o.Item.ReceivedAt) {
			t.Fatalf("stored %d = %+v %q, %v", i, d.InboxItem, d.Body, err)
		}
	}
	if len(ids) != 4 {
		t.Fatalf("%d distinct ids for 4 stored deliveries", len(ids))
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM webhook_inbox`); n != 4 {
		t.Fatalf("%d rows stored, want 4", n)
	}
	// One RMM_WEBHOOK_RECEIVED event per stored delivery, with its ids.
	for tenant, after := range map[string]int64{a.tenant: afterA, b.tenant: afterB} {
		for _, e := range ts.eventsSince(t, tenant, after) {
			i, ok := ids[fmt.Sprint(e.Payload["inboxId"])]
			if e.Type != EventWebhookReceived || !ok || e.Payload["tenantId"] != tenant || batch[i].TenantID != tenant {
				t.Fatalf("event %+v", e)
			}
			delete(ids, fmt.Sprint(e.Payload["inboxId"]))
		}
	}
	if len(ids) != 0 {
		t.Fatalf("no event for %v", ids)
	}

	// Disconnected: the cached secret no longer lets anything in.
	if _, err := ts.DisconnectIntegration(ctx, a.tenant, a.integration); err != nil {
		t.Fatal(err)
	}
	out, err = ts.insertBatch(t, current)
	if err != nil || !errors.Is(out[0].Err, ErrStaleSecret) {
		t.Fatalf("after disconnect = %+v, %v", out, err)
	}
}

// A row that breaks a constraint in the middle of a batch (its
// integration is deleted while the batch runs) fails alone.
func TestInsertInboxBatchOneRowFailsAlone(t *testing.T) {
	ts := newTestStore(t)
	a, b := ts.newFixture(t, "a"), ts.newFixture(t, "b")
	ctx := t.Context()

	tx, err := ts.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `DELETE FROM rmm_integrations WHERE tenant = $1 AND integration_id = $2`, b.tenant, b.integration); err != nil {
		t.Fatal(err)
	}
	var rows []InboxRow
	for _, d := range []NewInboxDelivery{newDelivery(a, `{"n": 0}`), newDelivery(b, `{"n": 1}`), newDelivery(a, `{"n": 2}`)} {
		r, err := NewInboxRow(d)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	type result struct {
		out []InboxInsert
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := ts.InsertInboxBatch(ctx, rows)
		done <- result{out, err}
	}()
	// The batch saw b's integration, and its foreign key check waits for
	// the delete: commit it now.
	deadline := time.Now().Add(30 * time.Second)
	for ts.queryInt(t, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%webhook_inbox%'`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the batch never waited for the delete")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.out[0].Err != nil || r.out[2].Err != nil || !errors.Is(r.out[1].Err, ErrNotFound) {
		t.Fatalf("outcomes = %+v, %v", r.out, r.err)
	}
	if r.out[0].Item.ID == r.out[2].Item.ID {
		t.Fatal("two deliveries share an id")
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM webhook_inbox`); n != 2 {
		t.Fatalf("%d rows stored, want 2", n)
	}
}

// Each kind of due delivery is claimed oldest first, whatever its status.
func TestInboxClaimTakesTheOldestDueOfAnyKind(t *testing.T) {
	ts := newTestStore(t)
	f := ts.newFixture(t, "a")
	ctx := t.Context()
	var ids []string
	for n := range 5 {
		ids = append(ids, ts.deliver(t, f, fmt.Sprintf(`{"n": %d}`, n)).ID)
	}
	// 0: pending, due in 4 min ago; 1: failed, due 3 min ago; 2: lease ran
	// out, next attempt time 5 min ago; 3: failed, not due; 4: pending, due
	// 1 min ago.
	for _, u := range []struct {
		id, set string
	}{
		{ids[0], `next_attempt_at = now() - interval '4 minutes'`},
		{ids[1], `status = 'failed', next_attempt_at = now() - interval '3 minutes'`},
		{ids[2], `status = 'processing', lease_owner = 'gone', lease_expires_at = now() - interval '1 second',
		          next_attempt_at = now() - interval '5 minutes'`},
		{ids[3], `status = 'failed', next_attempt_at = now() + interval '1 hour'`},
		{ids[4], `next_attempt_at = now() - interval '1 minute'`},
	} {
		if _, err := ts.pool.Exec(ctx, `UPDATE webhook_inbox SET `+u.set+` WHERE inbox_id = $1`, u.id); err != nil {
			t.Fatal(err)
		}
	}
	var order []string
	for {
		d, ok := ts.claim(t, "h", time.Hour)
		if !ok {
			break
		}
		order = append(order, d.ID)
	}
	if want := []string{ids[2], ids[0], ids[1], ids[4]}; !slices.Equal(order, want) {
		t.Fatalf("claimed %v, want %v", order, want)
	}
}

// What PostgreSQL refuses in one delivery fails that one alone; a body
// jsonb cannot hold is still stored, its event without rawPayload.
func TestInsertInboxBatchRefusedRowFailsAlone(t *testing.T) {
	ts := newTestStore(t)
	a := ts.newFixture(t, "a")
	nulQuery := newDelivery(a, `{"n": 1}`)
	nulQuery.Query = "a=\x00"
	nulBody := newDelivery(a, `{"event": "nul \u0000", "n": 2}`)
	out, err := ts.insertBatch(t, newDelivery(a, `{"n": 0}`), nulQuery, nulBody)
	if err != nil || out[0].Err != nil || out[1].Err == nil || out[2].Err != nil {
		t.Fatalf("outcomes = %+v, %v", out, err)
	}
	d, err := ts.GetInbox(t.Context(), a.tenant, out[2].Item.ID)
	if err != nil || string(d.Body) != `{"event": "nul \u0000", "n": 2}` {
		t.Fatalf("stored = %q, %v", d.Body, err)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM webhook_inbox`); n != 2 {
		t.Fatalf("%d rows stored, want 2", n)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM event_outbox WHERE payload->>'inboxId' = $1 AND NOT payload ? 'rawPayload'
	                         AND payload->>'webhookEventType' = 'nul '`, out[2].Item.ID); n != 1 {
		t.Fatal("no event without rawPayload for the body jsonb refuses")
	}
}
