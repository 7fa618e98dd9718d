package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// TestAlertEventsNameTheStoredAlert: an alert's events carry the id of
// the alert as stored, whether the batch created it (its id is chosen
// before the write) or found it.
func TestAlertEventsNameTheStoredAlert(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	for _, batch := range [][]rmm.Alert{
		{trig("A", t0)},                         // created
		{trig("B", t0.Add(time.Hour))},          // a repeat of the stored alert
		{resolve("B", t0, t0.Add(2*time.Hour))}, // and its resolve
	} {
		if _, err := ts.UpsertAlerts(ctx, f.tenant, f.integration, batch); err != nil {
			t.Fatal(err)
		}
	}
	var id string
	if err := ts.pool.QueryRow(ctx, `SELECT alert_id::text FROM rmm_alerts WHERE tenant = $1`, f.tenant).Scan(&id); err != nil {
		t.Fatal(err)
	}
	events, err := ts.Events(ctx, f.tenant, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		var p struct {
			AlertID  string `json:"alertId"`
			TenantID string `json:"tenantId"`
			Provider string `json:"provider"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.AlertID == "" {
			continue // not an alert event
		}
		n++
		if p.AlertID != id || p.TenantID != f.tenant || p.Provider != "tacticalrmm" {
			t.Errorf("%s names alert %s of %s (%s), want %s of %s (tacticalrmm)", e.Type, p.AlertID, p.TenantID, p.Provider, id, f.tenant)
		}
	}
	if n != 3 {
		t.Fatalf("%d alert events, want 3 (triggered, triggered, resolved)", n)
	}
}

// TestAlertWriteSkipsEventsOfAnotherAlert: the write joins each event to
// the alert it names, so that an alert stored under another id than the
// batch read (a writer that bypassed the alert lock) gets no event naming
// a wrong id; UpsertAlerts then fails the batch.
func TestAlertWriteSkipsEventsOfAnotherAlert(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	if _, err := ts.UpsertAlerts(ctx, f.tenant, f.integration, []rmm.Alert{trig("A", t0)}); err != nil {
		t.Fatal(err)
	}
	e, _ := normalizeAlert(trig("B", t0.Add(time.Hour)))
	next := foldAlert(alertRow{}, e, t0) // as if the batch had not seen the stored alert
	next.ID = newUUID()
	w := &alertWrite{}
	if err := w.addEvent(e.DedupKey, f.tenant, f.integration, "tacticalrmm", alertRow{}, next); err != nil {
		t.Fatal(err)
	}
	w.add(e.DedupKey, next)
	tx, err := ts.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var written int64
	if err := tx.QueryRow(ctx, writeAlertsSQL, w.args(f.tenant, f.integration)...).Scan(&written); err != nil {
		t.Fatal(err)
	}
	if written != 0 {
		t.Fatalf("%d events written for an alert stored under another id", written)
	}
}

// An alert whose raw record jsonb would refuse (invalid UTF-8, \u0000) is
// stored without it instead of failing its batch.
func TestAlertsWithUnstorableRawAreKeptWithoutIt(t *testing.T) {
	ts := newTestStore(t)
	f := ts.newFixture(t, "a")
	now := time.Now().UTC()
	alerts := []rmm.Alert{
		{ExternalID: "bad-utf8", State: rmm.AlertTriggered, TriggeredAt: now, Raw: []byte("{\"m\":\"caf\xe9\"}")},
		{ExternalID: "nul", State: rmm.AlertTriggered, TriggeredAt: now, Raw: []byte(`{"m":"a\u0000b"}`)},
		{ExternalID: "good", State: rmm.AlertTriggered, TriggeredAt: now, Raw: []byte(`{"m":"ok","m":"dup"}`)},
	}
	c, err := ts.UpsertAlerts(t.Context(), f.tenant, f.integration, alerts)
	if err != nil || c.Created != 3 {
		t.Fatalf("counts %+v, err %v; want 3 created", c, err)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM rmm_alerts WHERE metadata ? 'm'`); n != 1 {
		t.Fatalf("%d alerts kept their raw record, want only the valid one", n)
	}
}
