package tacticalfake

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func patchAlerts(t *testing.T, s *Server, body string) resp {
	t.Helper()
	r := do(t, s, req{method: http.MethodPatch, path: "/alerts/", body: body, ctype: "application/json", header: adminKey})
	if r.status != http.StatusOK {
		t.Fatalf("PATCH /alerts/ %s = %d %.300s", body, r.status, r.body)
	}
	return r
}

func alertIDs(t *testing.T, rows []any) []int {
	t.Helper()
	var ids []int
	for _, a := range rows {
		ids = append(ids, mustInt(t, a.(map[string]any)["id"]))
	}
	slices.Sort(ids)
	return ids
}

func TestAlertModes(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now, Fleet: FleetSpec{Clients: 3, SitesPerClient: 2, Agents: 20, Alerts: 120, Seed: 9}})
	all := s.Alerts()
	ids := func(keep func(Alert) bool) []int {
		var out []int
		for _, a := range all {
			if keep(a) {
				out = append(out, a.ID)
			}
		}
		return out
	}
	open := func(a Alert) bool { return !a.Resolved && !a.Snoozed && !a.Hidden }

	// Empty body: every alert, as a plain array.
	if got := alertIDs(t, patchAlerts(t, s, "").arr(t)); !equalInts(got, ids(func(Alert) bool { return true })) {
		t.Fatalf("empty body = %d alerts, want %d", len(got), len(all))
	}
	if got := alertIDs(t, patchAlerts(t, s, "{}").arr(t)); len(got) != len(all) {
		t.Fatalf("{} = %d alerts", len(got))
	}

	// Top mode: open alerts, oldest first, sliced; the count is before slicing.
	r := patchAlerts(t, s, `{"top": 5}`)
	if got := keysOf(t, r.body); !equalStrings(got, []string{"alerts_count", "alerts"}) {
		t.Fatalf("top keys = %v", got)
	}
	m := r.obj(t)
	wantOpen := ids(open)
	if mustInt(t, m["alerts_count"]) != len(wantOpen) || len(m["alerts"].([]any)) != 5 {
		t.Fatalf("top: count %v, %d alerts; want %d, 5", m["alerts_count"], len(m["alerts"].([]any)), len(wantOpen))
	}
	var times []string
	for _, a := range m["alerts"].([]any) {
		times = append(times, a.(map[string]any)["alert_time"].(string))
	}
	if !slices.IsSorted(times) {
		t.Fatalf("top not oldest first: %v", times)
	}
	if r := do(t, s, req{method: http.MethodPatch, path: "/alerts/", body: `{"top": "x"}`, ctype: "application/json", header: adminKey}); r.status != 500 {
		t.Fatalf("top=x = %d, want 500", r.status)
	}

	// Filter mode.
	client := s.Clients()[1].ID
	clientOf := func(a Alert) int {
		if a.AgentPK == 0 {
			return 0
		}
		return s.Agent(a.AgentPK - 1).ClientID
	}
	for _, tc := range []struct {
		body string
		keep func(Alert) bool
	}{
		{`{"snoozedFilter": false, "resolvedFilter": true}`, func(a Alert) bool { return !a.Snoozed }},
		{`{"snoozedFilter": true, "resolvedFilter": false}`, func(a Alert) bool { return !a.Resolved }},
		{`{"snoozedFilter": true, "resolvedFilter": true}`, func(Alert) bool { return true }},
		{`{"severityFilter": ["error", "warning"]}`, func(a Alert) bool { return a.Severity != "info" }},
		{`{"clientFilter": []}`, func(Alert) bool { return false }},
		{`{"clientFilter": [` + itoa(client) + `]}`, func(a Alert) bool { return clientOf(a) == client }},
		{`{"timeFilter": 7}`, func(a Alert) bool { return a.Time.After(refTime.Add(-7 * 24 * time.Hour)) }},
		{`{"snoozedFilter": false, "resolvedFilter": false, "timeFilter": 30, "severityFilter": ["error"]}`, func(a Alert) bool {
			return !a.Snoozed && !a.Resolved && a.Severity == "error" && a.Time.After(refTime.Add(-30*24*time.Hour))
		}},
	} {
		t.Run(tc.body, func(t *testing.T) {
			rows := patchAlerts(t, s, tc.body).arr(t)
			if got, want := alertIDs(t, rows), ids(tc.keep); !equalInts(got, want) {
				t.Fatalf("got %d alerts %v, want %d %v", len(got), got, len(want), want)
			}
		})
	}
	// Hidden alerts stay in filter mode but not in top mode.
	hidden := ids(func(a Alert) bool { return a.Hidden })
	if len(hidden) == 0 {
		t.Fatal("fleet has no hidden alert")
	}
	if got := alertIDs(t, patchAlerts(t, s, `{"resolvedFilter": true}`).arr(t)); !containsInt(got, hidden[0]) {
		t.Fatal("filter mode dropped a hidden alert")
	}
}

func TestAlertsWithoutAgentOmitAgentKeys(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now, Fleet: smallFleet(4)})
	custom := s.AddAlert(Alert{Type: "custom", Severity: "warning", Message: "Backup failed"})
	withAgent := s.AddAlert(Alert{AgentPK: 2, Type: "availability"})
	rows := map[int]rawKVs{}
	r := patchAlerts(t, s, "{}")
	for _, raw := range rawArray(t, r.body) {
		obj := orderedObject(t, raw)
		rows[mustInt(t, jsonNumber(t, obj[0].val))] = obj
	}
	want := []string{"id", "alert_time", "alert_type", "message", "snoozed", "snooze_until", "resolved", "resolved_on", "severity",
		"email_sent", "resolved_email_sent", "sms_sent", "resolved_sms_sent", "hidden",
		"action_run", "action_stdout", "action_stderr", "action_retcode", "action_execution_time",
		"resolved_action_run", "resolved_action_stdout", "resolved_action_stderr", "resolved_action_retcode", "resolved_action_execution_time",
		"agent", "assigned_check", "assigned_task"}
	if got := rows[custom].keys(); !equalStrings(got, want) {
		t.Fatalf("custom alert keys = %v", got)
	}
	withKeys := append([]string{"id", "hostname", "agent_id", "client", "site"}, want[1:]...)
	if got := rows[withAgent].keys(); !equalStrings(got, withKeys) {
		t.Fatalf("agent alert keys = %v", got)
	}
	a := s.Agent(1)
	m := patchAlerts(t, s, "{}").arr(t)
	for _, x := range m {
		row := x.(map[string]any)
		if mustInt(t, row["id"]) == withAgent {
			msg := a.Hostname + " in " + a.ClientName + ", " + a.SiteName + " is overdue."
			if row["message"] != msg || row["agent"] != jsonInt(2) || row["agent_id"] != a.AgentID {
				t.Fatalf("row = %v", row)
			}
		}
	}
	// Alerts of a removed agent go with it.
	s.RemoveAgent(1)
	if got := alertIDs(t, patchAlerts(t, s, "{}").arr(t)); containsInt(got, withAgent) {
		t.Fatal("a removed agent's alert is still listed")
	}
}

func TestResolveAlert(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now, Fleet: smallFleet(4)})
	id := s.AddAlert(Alert{AgentPK: 1, Type: "check", Severity: "error", Snoozed: true, SnoozeUntil: refTime.Add(time.Hour)})
	clock.Advance(time.Minute)
	if err := s.ResolveAlert(id); err != nil {
		t.Fatal(err)
	}
	r := getJSON(t, s, "/alerts/"+itoa(id)+"/").obj(t)
	if r["resolved"] != true || r["resolved_on"] != drfTime(refTime.Add(time.Minute)) || r["snoozed"] != false || r["snooze_until"] != nil {
		t.Fatalf("resolved alert = %v", r)
	}
	// The updated row moves to the end of the unordered list.
	rows := patchAlerts(t, s, "{}").arr(t)
	if last := mustInt(t, rows[len(rows)-1].(map[string]any)["id"]); last != id {
		t.Fatalf("last row = %d, want %d", last, id)
	}
	if err := s.ResolveAlert(999999); err == nil {
		t.Fatal("resolving an unknown alert succeeded")
	}
	wantDetail(t, do(t, s, req{path: "/alerts/999999/", header: adminKey}), http.StatusNotFound, "No Alert matches the given query.")
}
