package integration_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// e5Template is one of the URL action templates the host shows for
// Tactical.
type e5Template struct {
	Name    string `json:"name"`
	Headers string `json:"headers"`
	Body    string `json:"body"`
}

// e5Shapes is the state TestE2E5WebhookShapes' steps share.
type e5Shapes struct {
	env         *e5Env
	tn          e5Tenant
	integration string
	hook        e5Webhook
	agent1      tacticalfake.AgentView // in the mapped organisation
	agent2      tacticalfake.AgentView // in the mapped organisation
	unmapped    tacticalfake.AgentView // in an organisation not mapped
	psaClient   string
	templates   map[string]e5Template
}

// TestE2E5WebhookShapes sends Tactical webhooks of every shape API.md §6.6
// describes through the real host and plugin, one after the other, and
// checks what each did to the alerts and assets: a JSON object, the
// recommended templates rendered as Tactical renders them (as an object,
// and as one JSON string when a quote breaks the JSON), Python's None and
// True, missing fields, a custom alert without an agent, the test button,
// a body without any id, and the deliveries ingress refuses. A resolve
// closes its trigger, with or without an alert id.
func TestE2E5WebhookShapes(t *testing.T) {
	env := e5NewEnv(t, tacticalfake.FleetSpec{Clients: 2, SitesPerClient: 1, Agents: 10, Seed: 5})
	host := env.startHost(t, "host")
	tn := env.tenant(t, host, "Webhook MSP")
	s := &e5Shapes{env: env, tn: tn}
	s.integration = tn.connect(t, env.fake, map[string]any{})

	clients := env.fake.Clients()
	mapped, other := e5AgentsOf(env.fake, clients[0].ID), e5AgentsOf(env.fake, clients[1].ID)
	if len(mapped) < 2 || len(other) < 1 {
		t.Fatalf("the fleet has %d and %d agents in its clients; want 2 and 1", len(mapped), len(other))
	}
	s.agent1, s.agent2, s.unmapped = mapped[0], mapped[1], other[0]
	s.psaClient = tn.mapOrgs(t, s.integration, clients[0].ID)[clients[0].ID]
	s.hook = tn.webhook(t, s.integration)
	s.templates = s.readTemplates(t)

	s.fixtureObject(t)
	s.templatesAsTacticalSendsThem(t)
	s.pythonRenderings(t)
	s.missingFields(t)
	s.refusedDeliveries(t)
}

// e5AgentsOf lists a Tactical client's agents.
func e5AgentsOf(fake *tacticalfake.Server, clientID int) []tacticalfake.AgentView {
	var out []tacticalfake.AgentView
	for i := range fake.NumAgents() {
		if v := fake.Agent(i); v.ClientID == clientID && !v.Removed {
			out = append(out, v)
		}
	}
	return out
}

func (s *e5Shapes) readTemplates(t *testing.T) map[string]e5Template {
	t.Helper()
	var settings struct {
		HeaderName string       `json:"header_name"`
		Templates  []e5Template `json:"templates"`
	}
	if _, err := s.tn.api.Do(t.Context(), http.MethodGet, "/api/v1/integrations/"+s.integration+"/webhook", nil, &settings); err != nil {
		t.Fatalf("webhook settings: %v", err)
	}
	out := map[string]e5Template{}
	for _, tpl := range settings.Templates {
		out[tpl.Name] = tpl
	}
	if settings.HeaderName != e5WebhookHeader || out["failure"].Body == "" || out["resolved"].Body == "" {
		t.Fatalf("webhook settings: header %q, templates %v; want %s and a failure and a resolved template",
			settings.HeaderName, settings.Templates, e5WebhookHeader)
	}
	return out
}

// deliver sends one body, expects 202 and waits until it is processed.
func (s *e5Shapes) deliver(t *testing.T, body string) e5Inbox {
	t.Helper()
	status, id, err := s.hook.send(t.Context(), []byte(body))
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("deliver %.80s: status %d, %v; want 202", body, status, err)
	}
	return s.tn.settled(t, id)
}

// deliverDone is deliver for a body that must be processed without error.
func (s *e5Shapes) deliverDone(t *testing.T, body string) e5Inbox {
	t.Helper()
	it := s.deliver(t, body)
	if it.Status != "done" || it.Attempts != 1 {
		t.Fatalf("delivery %.80s: %s after %d attempts (%s); want done at the first", body, it.Status, it.Attempts, it.LastError)
	}
	return it
}

// alert returns the alert with a dedup key, failing the test without one.
func (s *e5Shapes) alert(t *testing.T, key string) e5Alert {
	t.Helper()
	a, ok := s.env.alerts(t, s.tn.id, s.integration)[key]
	if !ok {
		t.Fatalf("no alert with dedup key %q", key)
	}
	return a
}

// assetOf returns the asset id of an agent and its PSA client, "" for none.
func (s *e5Shapes) assetOf(t *testing.T, agentID string) (asset, client string) {
	t.Helper()
	err := s.env.db.QueryRow(t.Context(), `SELECT asset_id::text, coalesce(client_id::text, '') FROM assets
		WHERE tenant = $1 AND integration_id = $2 AND rmm_device_id = $3`, s.tn.id, s.integration, agentID).Scan(&asset, &client)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatal(err)
	}
	return asset, client
}

func e5Time(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fixtureObject: the body of API.md's example URL action, a JSON object
// with a bare integer id, about an agent of a mapped organisation that was
// never synced: the refresh the webhook triggers creates its asset and
// the alert is linked to it. The same delivery again changes nothing.
func (s *e5Shapes) fixtureObject(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(), "provider", "tacticalrmm", "testdata", "webhook_payload_example.json"))
	if err != nil {
		t.Fatal(err)
	}
	body := strings.ReplaceAll(string(raw), "mkQsFifxdeNmjLOxAiNiXNUVPJEcyoqnFEpCTQsJ", s.agent1.AgentID)
	if asset, _ := s.assetOf(t, s.agent1.AgentID); asset != "" {
		t.Fatalf("agent %s has an asset before any sync or webhook", s.agent1.AgentID)
	}
	s.deliverDone(t, body)
	asset, client := s.assetOf(t, s.agent1.AgentID)
	if asset == "" || client != s.psaClient {
		t.Fatalf("after its webhook, agent %s has asset %q of client %q; want one of client %s (the refresh creates it)",
			s.agent1.AgentID, asset, client, s.psaClient)
	}
	want := e5Alert{DedupKey: "alert:9021", ExternalID: "9021", DeviceID: s.agent1.AgentID, AssetID: asset,
		Severity: "critical", RawSeverity: "error", Status: "active", Class: "availability",
		Message: "brightline-web-02 in Brightline Logistics, Warehouse DC is overdue.", DeviceName: "brightline-web-02",
		Occurrences: 1, TriggeredAt: e5Time(t, "2026-06-16T12:30:40.221904Z"), LastOccurence: e5Time(t, "2026-06-16T12:30:40.221904Z")}
	if got := s.alert(t, want.DedupKey); got != want {
		t.Errorf("fixture webhook:\n got %+v\nwant %+v", got, want)
	}

	s.deliverDone(t, body)
	if got := s.alert(t, want.DedupKey); got != want {
		t.Errorf("the same delivery twice:\n got %+v\nwant %+v (one occurrence)", got, want)
	}
}

// templatesAsTacticalSendsThem renders the templates the host shows the
// way Tactical renders them: a clean failure stays a JSON object; a
// message with a quote makes Tactical send the text as one JSON string,
// and every field still arrives; the resolved template closes the
// failure's alert.
func (s *e5Shapes) templatesAsTacticalSendsThem(t *testing.T) {
	values := func(id, message string) map[string]string {
		return map[string]string{
			"alert.id": id, "agent.agent_id": s.agent2.AgentID, "agent.hostname": s.agent2.Hostname,
			"client.id": strconv.Itoa(s.agent2.ClientID), "client.name": s.agent2.ClientName, "site.id": strconv.Itoa(s.agent2.SiteID), "site.name": s.agent2.SiteName,
			"alert.alert_type": "check", "alert.severity": "warning",
			"alert.alert_time": "2026-06-16 09:12:03.558210+00:00", "alert.assigned_check.id": "311",
			"alert.message": message,
		}
	}
	clean := values("9100", "Café-Büro: disk C: below 10% – see runbook")
	body := e5RenderLikeTactical(s.templates["failure"].Body, clean)
	if !strings.HasPrefix(body, "{") || !strings.Contains(body, `\u00e9`) {
		t.Fatalf("a clean render should be a JSON object with non-ASCII escaped: %s", body)
	}
	s.deliverDone(t, body)
	agent2Asset, _ := s.assetOf(t, s.agent2.AgentID)
	if agent2Asset == "" {
		t.Fatalf("agent %s has no asset after its webhook", s.agent2.AgentID)
	}
	triggered := e5Time(t, "2026-06-16T09:12:03.55821Z")
	want := e5Alert{DedupKey: "alert:9100", ExternalID: "9100", DeviceID: s.agent2.AgentID, OrgID: strconv.Itoa(s.agent2.ClientID), AssetID: agent2Asset,
		Severity: "moderate", RawSeverity: "warning", Status: "active", Class: "check", Message: clean["alert.message"],
		DeviceName: s.agent2.Hostname, Occurrences: 1, TriggeredAt: triggered, LastOccurence: triggered}
	if got := s.alert(t, "alert:9100"); got != want {
		t.Errorf("failure template as an object:\n got %+v\nwant %+v", got, want)
	}

	quoted := values("9101", `ACME-DC01 has a diskspace check: Drive "C:" below 10%, see {runbook}`)
	body = e5RenderLikeTactical(s.templates["failure"].Body, quoted)
	if !strings.HasPrefix(body, `"`) {
		t.Fatalf("the quote in the message should have made Tactical send a string: %s", body)
	}
	s.deliverDone(t, body)
	want.DedupKey, want.ExternalID, want.Message = "alert:9101", "9101", quoted["alert.message"]
	if got := s.alert(t, "alert:9101"); got != want {
		t.Errorf("failure template sent as one JSON string:\n got %+v\nwant %+v", got, want)
	}

	resolved := values("9100", clean["alert.message"])
	resolved["alert.resolved"], resolved["alert.resolved_on"] = "True", "2026-06-16 10:00:00.000001+00:00"
	s.deliverDone(t, e5RenderLikeTactical(s.templates["resolved"].Body, resolved))
	want = s.alert(t, "alert:9100")
	if want.Status != "resolved" || !want.ResolvedAt.Equal(e5Time(t, "2026-06-16T10:00:00.000001Z")) || want.Occurrences != 1 ||
		!want.TriggeredAt.Equal(triggered) {
		t.Errorf("after the resolved template: %+v; want resolved at 10:00:00.000001, triggered at 09:12:03.55821, one occurrence", want)
	}
	if other := s.alert(t, "alert:9101"); other.Status != "active" {
		t.Errorf("resolving alert 9100 changed alert 9101 to %s", other.Status)
	}
}

// pythonRenderings: None for an empty value, True unquoted in text that
// is therefore not JSON (sent as a string), a quoted id.
func (s *e5Shapes) pythonRenderings(t *testing.T) {
	a1 := s.agent1.AgentID
	s.deliverDone(t, `{"event": "failure", "alert_id": "9102", "agent_id": "`+a1+`", "hostname": "None", "alert_type": "task", `+
		`"severity": "info", "alert_time": "2026-06-16 11:00:00+00:00", "resolved": "None", "resolved_on": "None", "task_id": "None", "message": "Task failed"}`)
	got := s.alert(t, "alert:9102")
	if got.Status != "active" || got.DeviceName != "" || got.Severity != "minor" || got.Class != "task" || got.ExternalID != "9102" ||
		!got.TriggeredAt.Equal(e5Time(t, "2026-06-16T11:00:00Z")) || !got.ResolvedAt.IsZero() {
		t.Errorf("None renderings: %+v; want active, no device name, minor, task, triggered 11:00, not resolved", got)
	}

	// Tactical sends text that is not JSON (a bare True) as one JSON string.
	inner := `{"event": "resolved", "alert_id": 9103, "agent_id": "` + a1 + `", "alert_type": "availability", "severity": "error", "resolved": True}`
	it := s.deliverDone(t, e5JSON(inner))
	got = s.alert(t, "alert:9103")
	var received time.Time
	if err := s.env.db.QueryRow(t.Context(), `SELECT received_at FROM webhook_inbox WHERE tenant = $1 AND inbox_id = $2`,
		s.tn.id, it.ID).Scan(&received); err != nil {
		t.Fatal(err)
	}
	if got.Status != "resolved" || got.Severity != "critical" || !got.ResolvedAt.Equal(received.UTC()) {
		t.Errorf("bare True in a string body: %+v; want resolved at the receive time %v (the body has no resolved_on)", got, received.UTC())
	}
}

// missingFields: no alert id (the key is agent + condition, and the
// resolve without an id finds its trigger), no agent (a custom alert),
// nothing but the ids, an agent of an organisation not mapped, the test
// button's unrendered template, and a body without any id, which is
// parked with an error that says what to send.
func (s *e5Shapes) missingFields(t *testing.T) {
	a2 := s.agent2.AgentID
	before := len(s.env.alerts(t, s.tn.id, s.integration))

	s.deliverDone(t, `{"event": "failure", "agent_id": "`+a2+`", "alert_type": "check", "check_id": "311", "severity": "warning", `+
		`"alert_time": "2026-06-16 09:12:03+00:00", "message": "Disk check failing"}`)
	key := "agent:" + a2 + ":check:311"
	if got := s.alert(t, key); got.Status != "active" || got.ExternalID != key || got.Occurrences != 1 {
		t.Errorf("failure without an alert id: %+v; want active under key %s", got, key)
	}
	s.deliverDone(t, `{"event": "resolved", "agent_id": "`+a2+`", "alert_type": "check", "check_id": "311", `+
		`"alert_time": "2026-06-16 09:12:03+00:00", "resolved_on": "2026-06-16 10:00:00+00:00"}`)
	if got := s.alert(t, key); got.Status != "resolved" || !got.ResolvedAt.Equal(e5Time(t, "2026-06-16T10:00:00Z")) || got.Occurrences != 1 {
		t.Errorf("resolve without an alert id: %+v; want its trigger resolved at 10:00", got)
	}

	s.deliverDone(t, `{"alert_id": "9104", "agent_id": "None", "alert_type": "custom", "severity": "info", "message": "Backup job failed"}`)
	if got := s.alert(t, "alert:9104"); got.DeviceID != "" || got.AssetID != "" || got.Class != "custom" || got.Status != "active" {
		t.Errorf("custom alert without an agent: %+v; want no device and no asset", got)
	}

	start := time.Now()
	s.deliverDone(t, `{"alert_id": "9105", "agent_id": "`+s.agent1.AgentID+`"}`)
	got := s.alert(t, "alert:9105")
	if got.Severity != "none" || got.Status != "active" || got.TriggeredAt.Before(start.Add(-time.Minute)) || got.TriggeredAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("ids only: %+v; want severity none, active, triggered about now", got)
	}

	s.deliverDone(t, `{"alert_id": "9106", "agent_id": "`+s.unmapped.AgentID+`", "alert_type": "availability", "severity": "error"}`)
	if got := s.alert(t, "alert:9106"); got.DeviceID != s.unmapped.AgentID || got.AssetID != "" {
		t.Errorf("agent of an unmapped organisation: %+v; want the device id and no asset", got)
	}
	if asset, _ := s.assetOf(t, s.unmapped.AgentID); asset != "" {
		t.Errorf("a webhook created an asset for agent %s of an organisation not mapped", s.unmapped.AgentID)
	}

	n := len(s.env.alerts(t, s.tn.id, s.integration))
	s.deliverDone(t, strings.ReplaceAll(s.templates["failure"].Body, "\n", " "))
	if after := len(s.env.alerts(t, s.tn.id, s.integration)); after != n {
		t.Errorf("the test button's unrendered template added %d alerts", after-n)
	}

	it := s.deliver(t, `{"event": "failure", "message": "hello", "agent_id": "None"}`)
	if it.Status != "parked" || !strings.Contains(it.LastError, "agent_id") || !strings.Contains(it.LastError, "alert_id") {
		t.Errorf("a body without ids: %s after %d attempts, error %q; want parked at once, naming agent_id and alert_id",
			it.Status, it.Attempts, it.LastError)
	}
	if it.Attempts != 1 {
		t.Errorf("a body without ids was tried %d times; the provider refuses it, so once", it.Attempts)
	}
	if after := len(s.env.alerts(t, s.tn.id, s.integration)); after != n {
		t.Errorf("a body without ids added %d alerts", after-n)
	}
	if n != before+4 {
		t.Errorf("%d alerts were added by the missing-field deliveries, want 4", n-before)
	}
}

// refusedDeliveries: a wrong or missing secret answers 401 and is counted;
// a body that is not JSON answers 400; none is stored. After a rotation
// the old secret is refused and the new one works.
func (s *e5Shapes) refusedDeliveries(t *testing.T) {
	inbox := func() int {
		return s.env.count(t, `SELECT count(*) FROM webhook_inbox WHERE tenant = $1`, s.tn.id)
	}
	before := inbox()
	body := []byte(`{"alert_id": "9200", "agent_id": "None", "alert_type": "custom"}`)
	tests := []struct {
		name   string
		body   []byte
		secret string
		want   int
	}{
		{"wrong secret", body, "not-the-secret", http.StatusUnauthorized},
		{"no secret", body, "", http.StatusUnauthorized},
		{"not JSON", []byte("alert 9200 failed"), s.hook.secret, http.StatusBadRequest},
		{"empty body", nil, s.hook.secret, http.StatusBadRequest},
	}
	for _, tt := range tests {
		status, _, err := s.hook.sendWith(t.Context(), tt.body, tt.secret)
		if err != nil || status != tt.want {
			t.Errorf("%s: status %d, %v; want %d", tt.name, status, err, tt.want)
		}
	}
	if n := inbox(); n != before {
		t.Errorf("refused deliveries stored %d inbox rows", n-before)
	}
	var settings struct {
		AuthFailures struct {
			Count int `json:"count"`
		} `json:"auth_failures"`
	}
	if _, err := s.tn.api.Do(t.Context(), http.MethodGet, "/api/v1/integrations/"+s.integration+"/webhook", nil, &settings); err != nil {
		t.Fatal(err)
	}
	if settings.AuthFailures.Count != 2 {
		t.Errorf("auth_failures.count = %d, want 2", settings.AuthFailures.Count)
	}

	old := s.hook
	s.hook = s.tn.webhook(t, s.integration)
	if status, _, err := old.send(t.Context(), body); err != nil || status != http.StatusUnauthorized {
		t.Errorf("the secret before the rotation: status %d, %v; want 401", status, err)
	}
	s.deliverDone(t, string(body))
	if got := s.alert(t, "alert:9200"); got.Class != "custom" {
		t.Errorf("a delivery with the new secret: %+v", got)
	}
}
