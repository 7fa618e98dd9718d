package store

import (
	"testing"
	"time"
)

// Events older than the retention go, in batches, and newer ones stay, of
// every tenant.
func TestPurgeEvents(t *testing.T) {
	ts := newTestStore(t)
	a, b := ts.newFixture(t, "a"), ts.newFixture(t, "b")
	ctx := t.Context()
	for _, tenant := range []string{a.tenant, b.tenant} {
		// Old events, more than one purge batch of them, then new ones.
		if _, err := ts.pool.Exec(ctx, `
INSERT INTO event_outbox (tenant, event_type, payload, created_at)
SELECT $1, 'RMM_DEVICE_UPDATED', '{}', now() - interval '40 days' FROM generate_series(1, $2)`,
			tenant, purgeEventsBatch/2+7); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.pool.Exec(ctx, `
INSERT INTO event_outbox (tenant, event_type, payload) SELECT $1, 'RMM_DEVICE_UPDATED', '{}' FROM generate_series(1, 5)`,
			tenant); err != nil {
			t.Fatal(err)
		}
	}
	n, err := ts.PurgeEvents(ctx, 30*24*time.Hour)
	if err != nil || n != 2*(purgeEventsBatch/2+7) {
		t.Fatalf("purged %d (%v), want %d", n, err, 2*(purgeEventsBatch/2+7))
	}
	if left := ts.queryInt(t, `SELECT count(*) FROM event_outbox`); left != 10 {
		t.Fatalf("%d events left, want the 10 new ones", left)
	}
	if n, err := ts.PurgeEvents(ctx, 30*24*time.Hour); err != nil || n != 0 {
		t.Fatalf("a second purge deleted %d (%v)", n, err)
	}
}
