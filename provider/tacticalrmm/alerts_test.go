package tacticalrmm

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func backfill(t *testing.T, f *fixtureServer, req rmm.BackfillRequest) ([]rmm.Alert, rmm.SyncSummary) {
	t.Helper()
	p, _ := newTestProvider(t)
	req.Integration = f.integration()
	out := &collector[rmm.Alert]{}
	sum, err := p.BackfillAlerts(t.Context(), req, out)
	if err != nil {
		t.Fatalf("BackfillAlerts: %v", err)
	}
	return out.items, sum
}

func alertBodies(f *fixtureServer) []map[string]any {
	var out []map[string]any
	for _, r := range f.seen() {
		if r.method == http.MethodPatch && r.path == "/alerts/" {
			var m map[string]any
			_ = json.Unmarshal([]byte(r.body), &m)
			out = append(out, m)
		}
	}
	return out
}

// TestBackfillSendsExplicitFilters: PATCH /alerts/ with an empty body
// returns every alert ever (API.md §6.2).
func TestBackfillSendsExplicitFilters(t *testing.T) {
	tests := []struct {
		name            string
		since           time.Time
		includeResolved bool
		wantDays        float64
	}{
		{"39 hours back", time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), true, 3},
		{"default window", time.Time{}, false, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureServer(t)
			backfill(t, f, rmm.BackfillRequest{Since: tt.since, IncludeResolved: tt.includeResolved})
			bodies := alertBodies(f)
			if len(bodies) != 1 {
				t.Fatalf("PATCH /alerts/ bodies = %v, want one", bodies)
			}
			b := bodies[0]
			if b["timeFilter"] != tt.wantDays || b["resolvedFilter"] != tt.includeResolved || b["snoozedFilter"] != true {
				t.Errorf("filter body = %v, want timeFilter %v, resolvedFilter %v, snoozedFilter true", b, tt.wantDays, tt.includeResolved)
			}
		})
	}
}

func TestBackfillKeepsTheWindowAndMapsFields(t *testing.T) {
	f := newFixtureServer(t)
	since := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	until := time.Date(2026, 6, 16, 12, 0, 0, 0, time.UTC)
	got, sum := backfill(t, f, rmm.BackfillRequest{Since: since, Until: until, IncludeResolved: true})
	byID := map[string]rmm.Alert{}
	for _, a := range got {
		byID[a.ExternalID] = a
		if a.TriggeredAt.Before(since) && (a.ResolvedAt.Before(since) || !a.ResolvedAt.Before(until)) {
			t.Errorf("alert %s outside [since, until)", a.ExternalID)
		}
	}
	if _, ok := byID["9021"]; ok {
		t.Errorf("alert 9021 (12:30) is after until (12:00)")
	}
	want := map[string]rmm.Alert{
		"9018": {ExternalID: "9018", DedupKey: "alert:9018", DeviceExternalID: agentDC, OrgExternalID: "3",
			DeviceName: "ACME-DC01", Severity: rmm.SeverityModerate, RawSeverity: "warning", Class: "check",
			Message: "ACME-DC01 has a diskspace check: Disk Space Check: Drive C: -  Warning Threshold: 25% Error Threshold: 10% that failed.",
			State:   rmm.AlertTriggered, TriggeredAt: time.Date(2026, 6, 16, 9, 12, 3, 558210000, time.UTC)},
		// Raised before the window, resolved inside it: kept so the host
		// can close it.
		"8990": {ExternalID: "8990", DedupKey: "alert:8990", DeviceExternalID: agentWS, OrgExternalID: "3",
			DeviceName: "ACME-WS-014", Severity: rmm.SeverityCritical, RawSeverity: "error", Class: "availability",
			Message: "ACME-WS-014 in Acme Dental, Main Office is overdue.", State: rmm.AlertResolved,
			TriggeredAt: time.Date(2026, 6, 14, 22, 5, 17, 9981000, time.UTC),
			ResolvedAt:  time.Date(2026, 6, 15, 12, 41, 30, 447129000, time.UTC)},
	}
	if len(byID) != len(want) {
		t.Fatalf("got alerts %v, want 9018 and 8990", keys(byID))
	}
	for id, w := range want {
		if !alertsEqual(byID[id], w) {
			t.Errorf("alert %s:\n got %+v\nwant %+v", id, byID[id], w)
		}
		if !json.Valid(byID[id].Raw) || !strings.Contains(string(byID[id].Raw), `"assigned_check"`) {
			t.Errorf("alert %s Raw = %s", id, byID[id].Raw)
		}
	}
	if sum.Sent != 2 || sum.Cursor == nil {
		t.Errorf("summary = %+v", sum)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestBackfillClosesAlertsResolvedWithoutWebhook: resolving through the
// API or UI fires no webhook (API.md §10.14); the backfill is how the host
// learns of it.
func TestBackfillClosesAlertsResolvedWithoutWebhook(t *testing.T) {
	f := newFixtureServer(t)
	got, _ := backfill(t, f, rmm.BackfillRequest{Since: time.Date(2026, 6, 14, 0, 0, 0, 0, time.UTC), IncludeResolved: true})
	var resolved int
	for _, a := range got {
		if a.State == rmm.AlertResolved {
			resolved++
			if a.ResolvedAt.IsZero() {
				t.Errorf("alert %s resolved without ResolvedAt", a.ExternalID)
			}
		}
	}
	if resolved != 1 || len(got) != 3 {
		t.Errorf("got %d alerts, %d resolved; want 3 and 1", len(got), resolved)
	}
	f2 := newFixtureServer(t)
	open, _ := backfill(t, f2, rmm.BackfillRequest{Since: time.Date(2026, 6, 14, 0, 0, 0, 0, time.UTC)})
	for _, a := range open {
		if a.State == rmm.AlertResolved {
			t.Errorf("IncludeResolved=false returned resolved alert %s", a.ExternalID)
		}
	}
}

// TestBackfillAlertWithoutAgent: rows of alerts without an agent lack the
// hostname, agent_id, client and site keys (API.md §10.10).
func TestBackfillAlertWithoutAgent(t *testing.T) {
	f := newFixtureServer(t)
	f.set(func(f *fixtureServer) {
		f.alerts = []byte(`[{"id":9100,"alert_time":"2026-06-16T10:00:00Z","alert_type":"custom","message":"Backup job failed",` +
			`"snoozed":false,"snooze_until":null,"resolved":false,"resolved_on":null,"severity":"info","hidden":true,` +
			`"agent":null,"assigned_check":null,"assigned_task":null}]`)
	})
	got, _ := backfill(t, f, rmm.BackfillRequest{Since: time.Date(2026, 6, 16, 0, 0, 0, 0, time.UTC)})
	if len(got) != 1 {
		t.Fatalf("got %d alerts", len(got))
	}
	a := got[0]
	if a.DeviceExternalID != "" || a.DeviceName != "" || a.OrgExternalID != "" || a.DedupKey != "alert:9100" ||
		a.Severity != rmm.SeverityMinor || a.Class != "custom" {
		t.Errorf("alert = %+v", a)
	}
}

// TestBackfillAndWebhookAgreeOnDedupKey: the same Tactical alert must get
// the same key from either path.
func TestBackfillAndWebhookAgreeOnDedupKey(t *testing.T) {
	f := newFixtureServer(t)
	got, _ := backfill(t, f, rmm.BackfillRequest{Since: time.Date(2026, 6, 16, 0, 0, 0, 0, time.UTC)})
	hook := oneAlert(t, handle(t, string(fixture(t, "webhook_payload_example.json"))))
	for _, a := range got {
		if a.ExternalID == "9021" {
			if a.DedupKey != hook.DedupKey {
				t.Errorf("backfill key %q, webhook key %q", a.DedupKey, hook.DedupKey)
			}
			if a.Severity != hook.Severity || a.DeviceExternalID != hook.DeviceExternalID || !a.TriggeredAt.Equal(hook.TriggeredAt) {
				t.Errorf("backfill %+v\nwebhook %+v", a, hook)
			}
			return
		}
	}
	t.Fatal("alert 9021 not in the backfill")
}

func TestBackfillWithoutClientPermissionStillWorks(t *testing.T) {
	f := newFixtureServer(t)
	f.set(func(f *fixtureServer) { f.forbidden["/beta/v1/client/"] = true })
	got, sum := backfill(t, f, rmm.BackfillRequest{Since: time.Date(2026, 6, 16, 0, 0, 0, 0, time.UTC)})
	if len(got) != 2 || got[0].OrgExternalID != "" {
		t.Errorf("alerts = %+v", got)
	}
	if len(sum.Warnings) == 0 {
		t.Errorf("no warning about the missing organisations")
	}
}

func TestBackfillEmptyWindowIsInvalidInput(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	now := fixtureNow
	_, err := p.BackfillAlerts(t.Context(), rmm.BackfillRequest{Integration: f.integration(), Since: now, Until: now.Add(-time.Hour)},
		&collector[rmm.Alert]{})
	if !errors.Is(err, rmm.ErrInvalidInput) {
		t.Fatalf("error = %v, want ErrInvalidInput", err)
	}
}

func TestBackfillAlertsForbidden(t *testing.T) {
	f := newFixtureServer(t)
	f.set(func(f *fixtureServer) { f.forbidden["PATCH /alerts/"] = true })
	p, _ := newTestProvider(t)
	_, err := p.BackfillAlerts(t.Context(), rmm.BackfillRequest{Integration: f.integration()}, &collector[rmm.Alert]{})
	if !errors.Is(err, rmm.ErrForbidden) || !strings.Contains(err.Error(), "alerts") {
		t.Fatalf("error = %v, want ErrForbidden naming alerts", err)
	}
}
