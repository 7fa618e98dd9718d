package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// event is an outbox entry with its payload decoded.
type event struct {
	ID      int64
	Type    string
	Payload map[string]any
}

// eventsSince returns the tenant's events after id, through Store.Events.
func (ts *testStore) eventsSince(t *testing.T, tenantID string, after int64) []event {
	t.Helper()
	var out []event
	for {
		page, err := ts.Events(t.Context(), tenantID, after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		for _, e := range page {
			var p map[string]any
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatalf("event %d payload %s: %v", e.ID, e.Payload, err)
			}
			out = append(out, event{ID: e.ID, Type: e.Type, Payload: p})
			after = e.ID
		}
	}
}

// lastEventID is the tenant's newest event id, 0 when none.
func (ts *testStore) lastEventID(t *testing.T, tenantID string) int64 {
	t.Helper()
	return ts.queryInt(t, `SELECT coalesce(max(event_id), 0) FROM event_outbox WHERE tenant = $1`, tenantID)
}

func types(events []event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

// wantFields fails unless p holds each field with the value given (nil:
// any value but absent and null).
func wantFields(t *testing.T, e event, fields map[string]any) {
	t.Helper()
	for k, want := range fields {
		got, ok := e.Payload[k]
		switch {
		case !ok || got == nil:
			t.Errorf("%s: %s missing in %v", e.Type, k, e.Payload)
		case want != nil && fmt.Sprint(got) != fmt.Sprint(want):
			t.Errorf("%s: %s = %v, want %v", e.Type, k, got, want)
		}
	}
}

// noNulls fails when a payload carries a null: optional fields are left
// out.
func noNulls(t *testing.T, events []event) {
	t.Helper()
	for _, e := range events {
		for k, v := range e.Payload {
			if v == nil {
				t.Errorf("%s %d: %s is null", e.Type, e.ID, k)
			}
		}
	}
}

func TestDeviceEvents(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	other := ts.newFixture(t, "b") // its events must stay its own
	orgs := map[string]string{"org-1": f.client}
	up := func(devs ...rmm.Device) []event {
		t.Helper()
		after := ts.lastEventID(t, f.tenant)
		if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", orgs, devs); err != nil {
			t.Fatal(err)
		}
		got := ts.eventsSince(t, f.tenant, after)
		noNulls(t, got)
		return got
	}
	devs := testDevices(3, "org-1")
	devs[2].Kind = rmm.KindServer
	devs[1].OrgExternalID = "" // no organisation: never written, no event

	created := up(devs...)
	if !slices.Equal(types(created), []string{EventDeviceCreated, EventDeviceCreated}) {
		t.Fatalf("first sync: %v", types(created))
	}
	a0, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, devs[0].ExternalID)
	a2, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, devs[2].ExternalID)
	wantFields(t, created[0], map[string]any{"tenantId": f.tenant, "integrationId": f.integration, "provider": "tacticalrmm",
		"assetId": a0.ID, "externalDeviceId": devs[0].ExternalID, "externalOrganizationId": "org-1",
		"deviceName": "host-0000", "deviceType": "workstation"})
	wantFields(t, created[1], map[string]any{"assetId": a2.ID, "deviceType": "server"})
	if _, ok := created[0].Payload["changes"]; ok {
		t.Errorf("a created device lists changes: %v", created[0].Payload)
	}
	if created[0].ID >= created[1].ID {
		t.Error("events are not in batch order")
	}

	if got := up(devs...); len(got) != 0 {
		t.Fatalf("an unchanged re-sync wrote %v", types(got))
	}

	for _, tc := range []struct {
		name    string
		change  func(d *rmm.Device)
		types   []string
		changes []string
		status  map[string]any // fields of the online/offline event
	}{
		{"a detail", func(d *rmm.Device) { d.AgentVersion = "3.0" }, []string{EventDeviceUpdated}, []string{"agent_version"}, nil},
		{"asset and details", func(d *rmm.Device) { d.DisplayName = "renamed"; d.CPUCores = 4 },
			[]string{EventDeviceUpdated}, []string{"name", "cpu_cores"}, nil},
		{"goes offline", func(d *rmm.Device) { d.Status = rmm.StatusOffline },
			[]string{EventDeviceUpdated, EventDeviceOffline}, []string{"agent_status"},
			map[string]any{"previousStatus": "online", "currentStatus": "offline", "lastSeenAt": "2026-05-03T09:00:00.000000Z"}},
		{"offline to overdue is no news", func(d *rmm.Device) { d.Status = rmm.StatusOverdue },
			[]string{EventDeviceUpdated}, []string{"agent_status"}, nil},
		{"back online", func(d *rmm.Device) { d.Status = rmm.StatusOnline; d.LastSeen = d.LastSeen.Add(time.Hour) },
			[]string{EventDeviceUpdated, EventDeviceOnline}, []string{"agent_status", "last_seen_at", "uptime_seconds"},
			map[string]any{"previousStatus": "overdue", "currentStatus": "online", "lastSeenAt": "2026-05-03T10:00:00.000000Z"}},
		{"unknown is not online", func(d *rmm.Device) { d.Status = rmm.StatusUnknown },
			[]string{EventDeviceUpdated, EventDeviceOffline}, []string{"agent_status"},
			map[string]any{"previousStatus": "online", "currentStatus": "unknown"}},
		{"moves organisation", func(d *rmm.Device) { d.OrgExternalID = "org-2" },
			[]string{EventDeviceUpdated}, []string{"rmm_organization_id", "mapping"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orgs["org-2"] = f.client
			tc.change(&devs[0])
			got := up(devs...)
			if !slices.Equal(types(got), tc.types) {
				t.Fatalf("events %v, want %v", types(got), tc.types)
			}
			wantFields(t, got[0], map[string]any{"assetId": a0.ID, "externalDeviceId": devs[0].ExternalID})
			changes, _ := got[0].Payload["changes"].([]any)
			for _, c := range tc.changes {
				if !slices.Contains(changes, any(c)) {
					t.Errorf("changes %v lack %s", changes, c)
				}
			}
			if len(changes) > len(tc.changes)+1 { // a move also changes the crosswalk's realm
				t.Errorf("changes %v, want %v", changes, tc.changes)
			}
			if tc.status != nil {
				wantFields(t, got[1], tc.status)
				wantFields(t, got[1], map[string]any{"assetId": a0.ID, "tenantId": f.tenant, "provider": "tacticalrmm"})
			}
			if got := up(devs...); len(got) != 0 {
				t.Fatalf("the same batch again wrote %v", types(got))
			}
		})
	}
	if n := ts.lastEventID(t, other.tenant); n != 0 {
		t.Fatal("another tenant got events")
	}
}

func TestDeviceEventsOfAFullSyncLifecycle(t *testing.T) {
	h := newLifecycleHarness(t, 0)
	devs := testDevices(3, "org-1")
	h.fullSync(t, true, devs)
	start := h.ts.lastEventID(t, h.f.tenant)
	h.fullSync(t, true, devs[1:])
	if got := h.ts.eventsSince(t, h.f.tenant, start); len(got) != 0 {
		t.Fatalf("marking missing wrote %v", types(got))
	}
	h.fullSync(t, true, devs[1:])
	h.fullSync(t, true, devs[1:]) // already retired: no second event
	got := h.ts.eventsSince(t, h.f.tenant, start)
	noNulls(t, got)
	if !slices.Equal(types(got), []string{EventDeviceDeleted}) {
		t.Fatalf("events %v, want one %s", types(got), EventDeviceDeleted)
	}
	a := h.asset(t, devs[0])
	wantFields(t, got[0], map[string]any{"tenantId": h.f.tenant, "integrationId": h.f.integration, "provider": "tacticalrmm",
		"assetId": a.ID, "externalDeviceId": devs[0].ExternalID, "externalOrganizationId": "org-1",
		"deviceName": "host-0000", "deviceType": "workstation", "missingSince": nil, "missingFullSyncs": 2})

	start = got[0].ID
	h.fullSync(t, true, devs)
	got = h.ts.eventsSince(t, h.f.tenant, start)
	if !slices.Equal(types(got), []string{EventDeviceUpdated}) {
		t.Fatalf("return: events %v", types(got))
	}
	changes, _ := got[0].Payload["changes"].([]any)
	if !slices.Contains(changes, any("status")) || !slices.Contains(changes, any("missing_since")) {
		t.Fatalf("return: changes %v", changes)
	}
}

// failAtCommit makes every transaction that writes a row of table with
// the given name fail at commit, after all its statements ran.
func (ts *testStore) failAtCommit(t *testing.T, table, column, value string) {
	t.Helper()
	_, err := ts.pool.Exec(t.Context(), `
CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT OR UPDATE ON `+pgx.Identifier{table}.Sanitize()+`
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.`+column+` = '`+value+`') EXECUTE FUNCTION fail_at_commit()`)
	if err != nil {
		t.Fatal(err)
	}
}

func TestRolledBackBatchesWriteNoEvents(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	ts.failAtCommit(t, "assets", "name", "poison")
	if _, err := ts.pool.Exec(ctx, `
CREATE CONSTRAINT TRIGGER fail_alert_at_commit AFTER INSERT OR UPDATE ON rmm_alerts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.message = 'poison') EXECUTE FUNCTION fail_at_commit()`); err != nil {
		t.Fatal(err)
	}
	orgs := map[string]string{"org-1": f.client}
	devs := testDevices(3, "org-1")
	devs[2].DisplayName = "poison"
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", orgs, devs); err == nil ||
		!strings.Contains(err.Error(), "refused at commit") {
		t.Fatalf("UpsertDevices = %v, want the commit refused", err)
	}
	alerts := []rmm.Alert{{ExternalID: "a1", Severity: rmm.SeverityMajor, Message: "ok"}, {ExternalID: "a2", Message: "poison"}}
	if _, err := ts.UpsertAlerts(ctx, f.tenant, f.integration, alerts); err == nil {
		t.Fatal("UpsertAlerts committed")
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM event_outbox`); n != 0 {
		t.Fatalf("%d events of rolled-back batches", n)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM assets`) + ts.queryInt(t, `SELECT count(*) FROM rmm_alerts`); n != 0 {
		t.Fatalf("%d rows of rolled-back batches", n)
	}
	// The same batches without the poison commit, with their events.
	devs[2].DisplayName = ""
	alerts[1].Message = "fine"
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", orgs, devs); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.UpsertAlerts(ctx, f.tenant, f.integration, alerts); err != nil {
		t.Fatal(err)
	}
	if got := types(ts.eventsSince(t, f.tenant, 0)); !slices.Equal(got, []string{EventDeviceCreated, EventDeviceCreated,
		EventDeviceCreated, EventAlertTriggered, EventAlertTriggered}) {
		t.Fatalf("events %v", got)
	}
}

func TestAlertEvents(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": f.client},
		[]rmm.Device{testDevice(1, "org-1")}); err != nil {
		t.Fatal(err)
	}
	asset, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, "agent-0001")
	t0 := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	trigger := func(id string, at time.Time) rmm.Alert {
		return rmm.Alert{ExternalID: id, DedupKey: "disk-c", DeviceExternalID: "agent-0001", Severity: rmm.SeverityMajor,
			Class: "check", Message: "disk C: full", State: rmm.AlertTriggered, TriggeredAt: at}
	}
	resolve := func(id string, at, resolved time.Time) rmm.Alert {
		a := trigger(id, at)
		a.State, a.ResolvedAt = rmm.AlertResolved, resolved
		return a
	}
	other := rmm.Alert{ExternalID: "cpu-1", Severity: rmm.SeverityMinor, TriggeredAt: t0}
	for _, step := range []struct {
		name   string
		alerts []rmm.Alert
		types  []string
		fields map[string]any
	}{
		{"new alerts", []rmm.Alert{trigger("e1", t0), other}, []string{EventAlertTriggered, EventAlertTriggered},
			map[string]any{"externalAlertId": "e1", "externalDeviceId": "agent-0001", "assetId": asset.ID, "severity": "major",
				"message": "disk C: full", "alertClass": "check", "triggeredAt": "2026-06-01T10:00:00.000000Z", "occurrenceCount": 1}},
		{"identical replay", []rmm.Alert{trigger("e1", t0), other}, nil, nil},
		{"same occurrence refreshed", []rmm.Alert{func() rmm.Alert { a := trigger("e1", t0); a.Message = "disk C: 99%"; return a }()}, nil, nil},
		{"repeat", []rmm.Alert{trigger("e2", t0.Add(time.Hour))}, []string{EventAlertTriggered},
			map[string]any{"externalAlertId": "e2", "occurrenceCount": 2}},
		{"resolve", []rmm.Alert{resolve("e2", t0.Add(time.Hour), t0.Add(2*time.Hour))}, []string{EventAlertResolved},
			map[string]any{"externalAlertId": "e2", "resolvedAt": "2026-06-01T12:00:00.000000Z", "occurrenceCount": 2}},
		{"resolve replayed", []rmm.Alert{resolve("e2", t0.Add(time.Hour), t0.Add(2*time.Hour))}, nil, nil},
		{"reopen, resolve and reopen in one batch", []rmm.Alert{trigger("e3", t0.Add(3*time.Hour)),
			resolve("e3", t0.Add(3*time.Hour), t0.Add(4*time.Hour)), trigger("e4", t0.Add(5*time.Hour))},
			[]string{EventAlertTriggered, EventAlertResolved, EventAlertTriggered}, map[string]any{"externalAlertId": "e3"}},
	} {
		t.Run(step.name, func(t *testing.T) {
			after := ts.lastEventID(t, f.tenant)
			if _, err := ts.UpsertAlerts(ctx, f.tenant, f.integration, step.alerts); err != nil {
				t.Fatal(err)
			}
			got := ts.eventsSince(t, f.tenant, after)
			noNulls(t, got)
			if !slices.Equal(types(got), step.types) {
				t.Fatalf("events %v, want %v", types(got), step.types)
			}
			if len(got) == 0 {
				return
			}
			var alertID string
			if err := ts.pool.QueryRow(ctx, `SELECT alert_id FROM rmm_alerts WHERE dedup_key = 'disk-c'`).Scan(&alertID); err != nil {
				t.Fatal(err)
			}
			wantFields(t, got[0], map[string]any{"tenantId": f.tenant, "integrationId": f.integration,
				"provider": "tacticalrmm", "alertId": alertID})
			wantFields(t, got[0], step.fields)
			if got[0].Type == EventAlertTriggered {
				if _, ok := got[0].Payload["resolvedAt"]; ok {
					t.Errorf("an open alert has resolvedAt: %v", got[0].Payload)
				}
			}
		})
	}
}

func TestSyncJobEvents(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	run := func(kind, mode string) Job {
		t.Helper()
		if _, _, err := ts.EnqueueJob(ctx, f.tenant, f.integration, kind, mode); err != nil {
			t.Fatal(err)
		}
		j, ok, err := ts.ClaimJob(ctx, "host-1", time.Minute)
		if err != nil || !ok {
			t.Fatalf("claim = %v, %v", ok, err)
		}
		return j
	}
	base := map[string]any{"tenantId": f.tenant, "integrationId": f.integration, "provider": "tacticalrmm"}

	j := run(JobOrgs, "full")
	if err := ts.ReportJob(ctx, j.ID, "host-1", 7, 7, Counts{Created: 5, Updated: 1, Unchanged: 1}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := ts.FinishJob(ctx, j.ID, "host-1", JobSucceeded, "", Counts{Created: 5, Updated: 1, Unchanged: 1}); err != nil {
		t.Fatal(err)
	}
	j2 := run(JobDevices, "incremental")
	if err := ts.FinishJob(ctx, j2.ID, "host-1", JobFailed, "upstream unavailable", Counts{Failed: 2}); err != nil {
		t.Fatal(err)
	}
	j3 := run(JobAlerts, "")
	if err := ts.FinishJob(ctx, j3.ID, "host-1", JobCancelled, "", Counts{}); err != nil {
		t.Fatal(err)
	}
	got := ts.eventsSince(t, f.tenant, 0)
	noNulls(t, got)
	if want := []string{EventSyncStarted, EventSyncCompleted, EventSyncStarted, EventSyncFailed, EventSyncStarted, EventSyncFailed}; !slices.Equal(types(got), want) {
		t.Fatalf("events %v, want %v", types(got), want)
	}
	for i, e := range got {
		wantFields(t, e, base)
		wantFields(t, e, map[string]any{"jobId": []string{j.ID, j2.ID, j3.ID}[i/2]})
	}
	wantFields(t, got[0], map[string]any{"syncType": "organizations", "syncMode": "full", "attempt": 1})
	wantFields(t, got[1], map[string]any{"syncType": "organizations", "itemsProcessed": 7, "itemsCreated": 5,
		"itemsUpdated": 1, "itemsFailed": 0})
	if _, ok := got[1].Payload["error"]; ok {
		t.Errorf("a completed sync has an error: %v", got[1].Payload)
	}
	wantFields(t, got[2], map[string]any{"syncType": "devices", "syncMode": "incremental"})
	wantFields(t, got[3], map[string]any{"itemsFailed": 2, "error": map[string]any{"message": "upstream unavailable"}})
	wantFields(t, got[5], map[string]any{"syncType": "alerts",
		"error": map[string]any{"message": "the sync was cancelled", "code": "cancelled"}})

	// A job whose hosts kept stopping fails when its lease expires.
	j4 := run(JobSoftware, "full")
	for attempt := 1; ; attempt++ {
		if _, err := ts.pool.Exec(ctx, `UPDATE sync_jobs SET lease_expires_at = now() - interval '1 second' WHERE job_id = $1`, j4.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.ExpireJobLeases(ctx); err != nil {
			t.Fatal(err)
		}
		if attempt == maxJobAttempts {
			break
		}
		if _, ok, err := ts.ClaimJob(ctx, "host-1", time.Minute); err != nil || !ok {
			t.Fatalf("claim again = %v, %v", ok, err)
		}
	}
	got = ts.eventsSince(t, f.tenant, got[len(got)-1].ID)
	if want := []string{EventSyncStarted, EventSyncStarted, EventSyncStarted, EventSyncFailed}; !slices.Equal(types(got), want) {
		t.Fatalf("expiry events %v, want %v", types(got), want)
	}
	wantFields(t, got[3], map[string]any{"jobId": j4.ID, "syncType": "software", "provider": "tacticalrmm",
		"error": map[string]any{"message": jobHostStopped}})
	wantFields(t, got[2], map[string]any{"attempt": 3})
}

func TestWebhookReceivedEvent(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	for _, tc := range []struct {
		name   string
		body   string
		fields map[string]any
		absent []string
	}{
		{"tactical", `{"event": "failure", "agent_id": "mkQs", "alert_id": 9021}`,
			map[string]any{"webhookEventType": "failure", "externalDeviceId": "mkQs"}, nil},
		{"ninjaone", `{"id": 1, "activityType": "CONDITION", "statusCode": "TRIGGERED", "deviceId": 42, "type": "Condition"}`,
			map[string]any{"webhookEventType": "TRIGGERED", "externalDeviceId": "42"}, nil},
		{"nothing known", `{"hello": "world"}`, map[string]any{"webhookEventType": "unknown"}, []string{"externalDeviceId"}},
		{"not json", `event=failure`, map[string]any{"webhookEventType": "unknown"}, []string{"rawPayload", "externalDeviceId"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after := ts.lastEventID(t, f.tenant)
			it, err := ts.InsertInbox(ctx, NewInboxDelivery{TenantID: f.tenant, IntegrationID: f.integration,
				Provider: "tacticalrmm", Body: []byte(tc.body)})
			if err != nil {
				t.Fatal(err)
			}
			got := ts.eventsSince(t, f.tenant, after)
			noNulls(t, got)
			if !slices.Equal(types(got), []string{EventWebhookReceived}) {
				t.Fatalf("events %v", types(got))
			}
			wantFields(t, got[0], map[string]any{"tenantId": f.tenant, "integrationId": f.integration,
				"provider": "tacticalrmm", "inboxId": it.ID})
			wantFields(t, got[0], tc.fields)
			for _, k := range tc.absent {
				if _, ok := got[0].Payload[k]; ok {
					t.Errorf("%s present: %v", k, got[0].Payload)
				}
			}
			if !slices.Contains(tc.absent, "rawPayload") {
				raw, _ := json.Marshal(got[0].Payload["rawPayload"])
				var want any
				_ = json.Unmarshal([]byte(tc.body), &want)
				wantJSON, _ := json.Marshal(want)
				if string(raw) != string(wantJSON) {
					t.Errorf("rawPayload = %s, want %s", raw, wantJSON)
				}
			}
		})
	}
}

func TestEventsAreAnnouncedAtCommit(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	conn, err := pgx.Connect(ctx, ts.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `LISTEN `+EventsChannel); err != nil {
		t.Fatal(err)
	}
	// announced reads the notifications up to a sentinel sent after the
	// write: notifications arrive in commit order.
	announced := func() bool {
		t.Helper()
		if _, err := ts.pool.Exec(ctx, `SELECT pg_notify($1, 'sentinel')`, EventsChannel); err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second) // hang detection only
		defer cancel()
		got := false
		for {
			n, err := conn.WaitForNotification(wctx)
			if err != nil {
				t.Fatal(err)
			}
			if n.Payload == "sentinel" {
				return got
			}
			got = true
		}
	}
	for _, tc := range []struct {
		name     string
		write    func() error
		announce bool
	}{
		{"devices", func() error {
			_, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": f.client}, testDevices(2, "org-1"))
			return err
		}, true},
		{"unchanged devices", func() error {
			_, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": f.client}, testDevices(2, "org-1"))
			return err
		}, false},
		{"removed device retired", func() error {
			_, err := ts.RetireRemovedDevices(ctx, f.tenant, f.integration, []string{testDevices(1, "org-1")[0].ExternalID})
			return err
		}, true},
		{"nothing to retire", func() error {
			_, err := ts.RetireRemovedDevices(ctx, f.tenant, f.integration, []string{testDevices(1, "org-1")[0].ExternalID})
			return err
		}, false},
		{"alerts", func() error {
			_, err := ts.UpsertAlerts(ctx, f.tenant, f.integration, []rmm.Alert{{ExternalID: "x"}})
			return err
		}, true},
		{"webhook", func() error {
			_, err := ts.InsertInbox(ctx, NewInboxDelivery{TenantID: f.tenant, IntegrationID: f.integration, Provider: "p", Body: []byte(`{}`)})
			return err
		}, true},
		{"job claimed", func() error {
			if _, _, err := ts.EnqueueJob(ctx, f.tenant, f.integration, JobOrgs, "full"); err != nil {
				return err
			}
			_, _, err := ts.ClaimJob(ctx, "h", time.Minute)
			return err
		}, true},
		{"no job to claim", func() error { _, _, err := ts.ClaimJob(ctx, "h", time.Minute); return err }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.write(); err != nil {
				t.Fatal(err)
			}
			if got := announced(); got != tc.announce {
				t.Fatalf("announced = %v, want %v", got, tc.announce)
			}
		})
	}
}
