package store

import (
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func trig(ext string, at time.Time) rmm.Alert {
	return rmm.Alert{ExternalID: ext, DedupKey: "agent-1/check-7", DeviceExternalID: "agent-0001", Severity: rmm.SeverityMajor,
		Message: "disk C: 95% full", State: rmm.AlertTriggered, TriggeredAt: at}
}

func resolve(ext string, triggered, resolved time.Time) rmm.Alert {
	a := trig(ext, triggered)
	a.State, a.ResolvedAt = rmm.AlertResolved, resolved
	return a
}

func TestFoldAlert(t *testing.T) {
	now := t0.Add(24 * time.Hour)
	open := foldAlert(alertRow{}, trig("A", t0), now)
	closed := foldAlert(open, resolve("A", t0, t0.Add(time.Hour)), now)
	type want struct {
		status string
		count  int
		ext    string
		last   time.Time
	}
	for _, tc := range []struct {
		name string
		from alertRow
		e    rmm.Alert
		want want
	}{
		{"new trigger", alertRow{}, trig("A", t0), want{alertActive, 1, "A", t0}},
		{"new trigger without a time", alertRow{}, trig("A", time.Time{}), want{alertActive, 1, "A", now}},
		{"new resolved alert (backfill)", alertRow{}, resolve("A", t0, t0.Add(time.Hour)), want{alertResolved, 1, "A", t0}},
		{"same alert again", open, trig("A", t0), want{alertActive, 1, "A", t0}},
		{"same alert, time unknown", open, trig("A", time.Time{}), want{alertActive, 1, "A", t0}},
		{"repeat with a newer time", open, trig("A", t0.Add(time.Minute)), want{alertActive, 2, "A", t0.Add(time.Minute)}},
		{"repeat under a new id", open, trig("B", t0.Add(time.Minute)), want{alertActive, 2, "B", t0.Add(time.Minute)}},
		{"new id at the same time", open, trig("B", t0), want{alertActive, 2, "B", t0}},
		{"older alert replayed under another id", open, trig("Z", t0.Add(-time.Hour)), want{alertActive, 1, "A", t0}},
		{"resolve", open, resolve("A", t0, t0.Add(time.Hour)), want{alertResolved, 1, "A", t0}},
		{"resolve without times", open, resolve("A", time.Time{}, time.Time{}), want{alertResolved, 1, "A", t0}},
		{"resolve of an older occurrence", open, resolve("Z", t0.Add(-2*time.Hour), t0.Add(-time.Hour)), want{alertActive, 1, "A", t0}},
		{"resolve again", closed, resolve("A", t0, t0.Add(2*time.Hour)), want{alertResolved, 1, "A", t0}},
		{"trigger replayed after its resolve", closed, trig("A", t0), want{alertResolved, 1, "A", t0}},
		{"trigger after the resolve reopens", closed, trig("B", t0.Add(2*time.Hour)), want{alertActive, 2, "B", t0.Add(2 * time.Hour)}},
		{"trigger before the resolve counts but stays resolved", closed, trig("B", t0.Add(30*time.Minute)), want{alertResolved, 2, "B", t0.Add(30 * time.Minute)}},
		{"a resolved new occurrence (backfill)", closed, resolve("B", t0.Add(2*time.Hour), t0.Add(3*time.Hour)), want{alertResolved, 2, "B", t0.Add(2 * time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ok := normalizeAlert(tc.e)
			if !ok {
				t.Fatal("normalizeAlert refused the event")
			}
			got := foldAlert(tc.from, e, now)
			if got.Status != tc.want.status || got.OccurrenceCount != tc.want.count || got.ExternalID != tc.want.ext || !got.LastOccurrenceAt.Equal(tc.want.last) {
				t.Fatalf("got status %s count %d ext %s last %v; want %+v", got.Status, got.OccurrenceCount, got.ExternalID, got.LastOccurrenceAt, tc.want)
			}
			if (got.Status == alertResolved) == got.ResolvedAt.IsZero() {
				t.Fatalf("status %s with resolved_at %v", got.Status, got.ResolvedAt)
			}
		})
	}
	if _, ok := normalizeAlert(rmm.Alert{Message: "no ids"}); ok {
		t.Fatal("an event without ids was accepted")
	}
}

func TestUpsertAlerts(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	write := func(alerts ...rmm.Alert) Counts {
		t.Helper()
		c, err := ts.UpsertAlerts(ctx, f.tenant, f.integration, alerts)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	only := func() Alert {
		t.Helper()
		list, err := ts.ListAlerts(ctx, f.tenant, AlertFilter{IntegrationID: f.integration})
		if err != nil || len(list) != 1 {
			t.Fatalf("ListAlerts = %+v, %v", list, err)
		}
		return list[0]
	}
	if c := write(trig("A", t0)); c != (Counts{Created: 1}) {
		t.Fatalf("trigger = %+v", c)
	}
	a := only()
	if a.Status != "active" || a.OccurrenceCount != 1 || a.AssetID != nil || a.Severity != "major" || !a.TriggeredAt.Equal(t0) {
		t.Fatalf("alert = %+v", a)
	}

	// A webhook and a backfill of the same alert: one occurrence.
	before := ts.rowVersions(t, "rmm_alerts")
	if c := write(trig("A", t0), trig("A", t0)); c != (Counts{Unchanged: 2}) {
		t.Fatalf("replay = %+v", c)
	}
	if after := ts.rowVersions(t, "rmm_alerts"); !maps.Equal(before, after) {
		t.Fatal("a replay rewrote the alert")
	}

	// The device now has an asset: the next event links it.
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": f.client}, []rmm.Device{testDevice(1, "org-1")}); err != nil {
		t.Fatal(err)
	}
	asset, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, "agent-0001")
	if c := write(trig("B", t0.Add(time.Hour))); c != (Counts{Updated: 1}) {
		t.Fatalf("repeat = %+v", c)
	}
	a = only()
	if a.OccurrenceCount != 2 || a.ExternalAlertID != "B" || a.AssetID == nil || *a.AssetID != asset.ID || !a.LastOccurrenceAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after repeat = %+v", a)
	}

	// Resolve, resolve again, reopen, all in one batch, in order.
	c := write(resolve("B", t0.Add(time.Hour), t0.Add(2*time.Hour)), resolve("B", t0.Add(time.Hour), t0.Add(2*time.Hour)),
		trig("C", t0.Add(3*time.Hour)))
	if c != (Counts{Updated: 2, Unchanged: 1}) {
		t.Fatalf("resolve/reopen = %+v", c)
	}
	a = only()
	if a.Status != "active" || a.OccurrenceCount != 3 || a.ResolvedAt != nil || a.ExternalAlertID != "C" {
		t.Fatalf("after reopen = %+v", a)
	}
	if c := write(resolve("C", t0.Add(3*time.Hour), t0.Add(4*time.Hour))); c != (Counts{Updated: 1}) {
		t.Fatalf("resolve = %+v", c)
	}
	a = only()
	if a.Status != "resolved" || a.ResolvedAt == nil || !a.ResolvedAt.Equal(t0.Add(4*time.Hour)) {
		t.Fatalf("after resolve = %+v", a)
	}

	// A backfill of the whole history, twice: nothing changes.
	history := []rmm.Alert{trig("A", t0), resolve("B", t0.Add(time.Hour), t0.Add(2*time.Hour)), resolve("C", t0.Add(3*time.Hour), t0.Add(4*time.Hour))}
	before = ts.rowVersions(t, "rmm_alerts")
	for range 2 {
		if c := write(history...); c != (Counts{Unchanged: 3}) {
			t.Fatalf("backfill = %+v", c)
		}
	}
	if after := ts.rowVersions(t, "rmm_alerts"); !maps.Equal(before, after) {
		t.Fatal("a backfill of known history rewrote the alert")
	}

	// Into a fresh integration, the same backfill creates one alert per
	// dedup key, and is idempotent from then on.
	other, err := ts.CreateIntegration(ctx, f.tenant, NewIntegration{Provider: "tacticalrmm", Name: "second", AuthMode: "api_key"})
	if err != nil {
		t.Fatal(err)
	}
	second := append(history, rmm.Alert{ExternalID: "X", Severity: rmm.SeverityCritical}, rmm.Alert{Message: "no ids"})
	c, err = ts.UpsertAlerts(ctx, f.tenant, other.ID, second)
	if err != nil || c != (Counts{Created: 2, Updated: 2, Failed: 1}) {
		t.Fatalf("fresh backfill = %+v, %v", c, err)
	}
	c, err = ts.UpsertAlerts(ctx, f.tenant, other.ID, second)
	if err != nil || c != (Counts{Unchanged: 4, Failed: 1}) {
		t.Fatalf("fresh backfill again = %+v, %v", c, err)
	}
	list, _ := ts.ListAlerts(ctx, f.tenant, AlertFilter{IntegrationID: other.ID})
	if len(list) != 2 {
		t.Fatalf("%d alerts, want 2", len(list))
	}

	b := ts.newFixture(t, "b")
	if _, err := ts.UpsertAlerts(ctx, b.tenant, f.integration, history); !errors.Is(err, ErrNotFound) {
		t.Fatalf("into another tenant's integration = %v", err)
	}
}

func TestListAlertsFiltersAndPages(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	b := ts.newFixture(t, "b")
	var events []rmm.Alert
	for i := range 5 {
		e := trig(string(rune('a'+i)), t0)
		e.DedupKey = e.ExternalID
		if i == 0 {
			e.State, e.ResolvedAt = rmm.AlertResolved, t0.Add(time.Hour)
		}
		events = append(events, e)
		// Separate batches, so creation times differ.
		if _, err := ts.UpsertAlerts(ctx, f.tenant, f.integration, []rmm.Alert{e}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ts.UpsertAlerts(ctx, b.tenant, b.integration, events); err != nil {
		t.Fatal(err)
	}
	var seen []string
	after := ""
	for {
		page, err := ts.ListAlerts(ctx, f.tenant, AlertFilter{Limit: 2, After: after})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, a := range page {
			seen = append(seen, a.ExternalAlertID)
		}
		after = page[len(page)-1].ID
	}
	if got := len(seen); got != 5 || seen[0] != "e" || seen[4] != "a" {
		t.Fatalf("pages = %v, want e..a newest first", seen)
	}
	resolved, _ := ts.ListAlerts(ctx, f.tenant, AlertFilter{Status: "resolved"})
	if len(resolved) != 1 || resolved[0].ExternalAlertID != "a" {
		t.Fatalf("resolved = %+v", resolved)
	}
	if list, _ := ts.ListAlerts(ctx, f.tenant, AlertFilter{IntegrationID: b.integration}); len(list) != 0 {
		t.Fatal("another tenant's alerts are listed")
	}
	var inv *InvalidError
	if _, err := ts.ListAlerts(ctx, f.tenant, AlertFilter{After: "x"}); !errors.As(err, &inv) || inv.Field != "after" {
		t.Fatalf("bad after = %v", err)
	}
}

// TestUpsertAlertsKeepsStatisticsOfAYoungTable: a backfill into an empty
// rmm_alerts leaves statistics that know its rows, so that the next
// batch's read by dedup key is planned on them.
func TestUpsertAlertsKeepsStatisticsOfAYoungTable(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	if _, err := ts.pool.Exec(ctx, `ALTER TABLE rmm_alerts SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	var batch []rmm.Alert
	for i := range 300 {
		e := trig(fmt.Sprint("a-", i), t0)
		e.DedupKey = e.ExternalID
		batch = append(batch, e)
	}
	if c, err := ts.UpsertAlerts(ctx, f.tenant, f.integration, batch); err != nil || c != (Counts{Created: 300}) {
		t.Fatalf("UpsertAlerts = %+v, %v", c, err)
	}
	if n := ts.queryInt(t, `SELECT reltuples::bigint FROM pg_class WHERE oid = 'rmm_alerts'::regclass`); n != 300 {
		t.Fatalf("statistics know %d alerts, want 300", n)
	}
}
