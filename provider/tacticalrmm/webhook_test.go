package tacticalrmm

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

const testWebhookSecret = "whsec-0123456789abcdef"

func webhookReq(body string, header http.Header) rmm.WebhookRequest {
	if header == nil {
		header = http.Header{WebhookSecretHeader: {testWebhookSecret}}
	}
	return rmm.WebhookRequest{
		Integration: rmm.Integration{ID: "int-1", AuthMode: rmm.AuthAPIKey,
			Secrets: map[string]string{SecretAPIKey: testAPIKey, SecretWebhookSecret: testWebhookSecret}},
		Method: http.MethodPost, Headers: header, Body: []byte(body),
		ReceivedAt: time.Date(2026, 6, 16, 13, 0, 0, 0, time.UTC),
	}
}

func handle(t *testing.T, body string) rmm.WebhookResult {
	t.Helper()
	p, _ := newTestProvider(t)
	res, err := p.HandleWebhook(t.Context(), webhookReq(body, nil))
	if err != nil {
		t.Fatalf("HandleWebhook(%s): %v", body, err)
	}
	return res
}

func oneAlert(t *testing.T, res rmm.WebhookResult) rmm.Alert {
	t.Helper()
	if len(res.Alerts) != 1 {
		t.Fatalf("got %d alerts, want 1 (ignored=%v %s)", len(res.Alerts), res.Ignored, res.Message)
	}
	return res.Alerts[0]
}

// TestWebhookFixturePayload: the body Tactical POSTs for the fixture's URL
// action, with alert_time as Python str(datetime) (API.md §10.12).
func TestWebhookFixturePayload(t *testing.T) {
	res := handle(t, string(fixture(t, "webhook_payload_example.json")))
	a := oneAlert(t, res)
	raw := a.Raw
	a.Raw = nil
	want := rmm.Alert{
		ExternalID: "9021", DedupKey: "alert:9021", DeviceExternalID: agentLinux, DeviceName: "brightline-web-02",
		Severity: rmm.SeverityCritical, RawSeverity: "error", Class: "availability",
		Message: "brightline-web-02 in Brightline Logistics, Warehouse DC is overdue.",
		State:   rmm.AlertTriggered, TriggeredAt: time.Date(2026, 6, 16, 12, 30, 40, 221904000, time.UTC),
	}
	if !alertsEqual(a, want) {
		t.Errorf("alert:\n got %+v\nwant %+v", a, want)
	}
	if len(res.RefreshDeviceIDs) != 1 || res.RefreshDeviceIDs[0] != agentLinux {
		t.Errorf("RefreshDeviceIDs = %v", res.RefreshDeviceIDs)
	}
	if !json.Valid(raw) || !strings.Contains(string(raw), "alert_time") {
		t.Errorf("Raw = %s", raw)
	}
}

func alertsEqual(a, b rmm.Alert) bool {
	a.Raw, b.Raw = nil, nil
	return a.ExternalID == b.ExternalID && a.DedupKey == b.DedupKey && a.DeviceExternalID == b.DeviceExternalID &&
		a.OrgExternalID == b.OrgExternalID && a.DeviceName == b.DeviceName && a.Severity == b.Severity &&
		a.RawSeverity == b.RawSeverity && a.Class == b.Class && a.Message == b.Message && a.State == b.State &&
		a.TriggeredAt.Equal(b.TriggeredAt) && a.ResolvedAt.Equal(b.ResolvedAt)
}

// TestWebhookBodySentAsOneJSONString: when the rendered template is not
// valid JSON (a quote in the message, a bare None), Tactical posts the
// whole text as a JSON string (issue #2245).
func TestWebhookBodySentAsOneJSONString(t *testing.T) {
	inner := `{"event": "failure", "alert_id": None, "agent_id": "` + agentDC + `", "hostname": "ACME-DC01", ` +
		`"alert_type": "check", "severity": "warning", "check_id": 311, ` +
		`"message": "ACME-DC01 has a diskspace check: Drive "C:" below 10%, see {runbook}"}`
	body, _ := json.Marshal(inner)
	a := oneAlert(t, handle(t, string(body)))
	if a.DeviceExternalID != agentDC || a.Class != "check" || a.Severity != rmm.SeverityModerate {
		t.Errorf("alert = %+v", a)
	}
	if a.Message != `ACME-DC01 has a diskspace check: Drive "C:" below 10%, see {runbook}` {
		t.Errorf("message = %q", a.Message)
	}
	if a.ExternalID != "" || a.DedupKey != "agent:"+agentDC+":check:311" {
		t.Errorf("ExternalID %q DedupKey %q, want no id and agent+condition", a.ExternalID, a.DedupKey)
	}
}

func TestWebhookStringHoldingValidJSON(t *testing.T) {
	inner := `{"event":"failure","alert_id":"9018","agent_id":"` + agentDC + `","severity":"warning","alert_type":"check"}`
	body, _ := json.Marshal(inner)
	a := oneAlert(t, handle(t, string(body)))
	if a.ExternalID != "9018" || a.DedupKey != "alert:9018" || a.DeviceExternalID != agentDC {
		t.Errorf("alert = %+v", a)
	}
}

func TestWebhookPythonRenderings(t *testing.T) {
	tests := []struct {
		name string
		body string
		want func(rmm.Alert) bool
	}{
		{"None means empty (hostname)", `{"alert_id": "1", "agent_id": "` + agentWS + `", "hostname": "None"}`,
			func(a rmm.Alert) bool { return a.DeviceName == "" }},
		{"quoted and unquoted ids agree", `{"alert_id": 9021, "agent_id": "` + agentWS + `"}`,
			func(a rmm.Alert) bool { return a.DedupKey == "alert:9021" && a.ExternalID == "9021" }},
		{"quoted id", `{"alert_id": "9021", "agent_id": "` + agentWS + `"}`,
			func(a rmm.Alert) bool { return a.DedupKey == "alert:9021" }},
		{"resolved True", `{"alert_id": "5", "agent_id": "` + agentWS + `", "resolved": "True", "resolved_on": "2026-06-16 12:41:30.447129+00:00"}`,
			func(a rmm.Alert) bool {
				return a.State == rmm.AlertResolved && a.ResolvedAt.Equal(time.Date(2026, 6, 16, 12, 41, 30, 447129000, time.UTC))
			}},
		{"resolved False stays triggered", `{"alert_id": "5", "agent_id": "` + agentWS + `", "resolved": "False"}`,
			func(a rmm.Alert) bool { return a.State == rmm.AlertTriggered && a.ResolvedAt.IsZero() }},
		{"open alert renders resolved as None", `{"alert_id": "5", "agent_id": "` + agentWS + `", "resolved": "None", "resolved_on": "None"}`,
			func(a rmm.Alert) bool { return a.State == rmm.AlertTriggered }},
		{"resolved_on alone resolves", `{"alert_id": "5", "agent_id": "` + agentWS + `", "resolved_on": "2026-06-16T12:41:30Z"}`,
			func(a rmm.Alert) bool { return a.State == rmm.AlertResolved }},
		{"event resolved without a time uses the receive time", `{"event": "resolved", "alert_id": "5", "agent_id": "` + agentWS + `"}`,
			func(a rmm.Alert) bool {
				return a.State == rmm.AlertResolved && a.ResolvedAt.Equal(time.Date(2026, 6, 16, 13, 0, 0, 0, time.UTC))
			}},
		{"bare True unquoted in invalid JSON", `"{\"alert_id\": 7, \"agent_id\": \"` + agentWS + `\", \"resolved\": True}"`,
			func(a rmm.Alert) bool { return a.State == rmm.AlertResolved && a.DedupKey == "alert:7" }},
		{"custom alert without agent", `{"alert_id": "77", "agent_id": "None", "alert_type": "custom", "severity": "info"}`,
			func(a rmm.Alert) bool {
				return a.DeviceExternalID == "" && a.DedupKey == "alert:77" && a.Severity == rmm.SeverityMinor
			}},
		{"client id", `{"alert_id": "1", "agent_id": "` + agentWS + `", "client_id": "3"}`,
			func(a rmm.Alert) bool { return a.OrgExternalID == "3" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := oneAlert(t, handle(t, tt.body))
			if !tt.want(a) {
				t.Errorf("alert = %+v", a)
			}
		})
	}
}

func TestWebhookTimeFormats(t *testing.T) {
	want := time.Date(2026, 6, 16, 12, 30, 40, 0, time.UTC)
	wantMicro := want.Add(221904 * time.Microsecond)
	tests := []struct {
		in   any
		want time.Time
	}{
		{"2026-06-16 12:30:40.221904+00:00", wantMicro},
		{"2026-06-16 12:30:40+00:00", want},
		{"2026-06-16 14:30:40+02:00", want},
		{"2026-06-16 12:30:40.221904", wantMicro},
		{"2026-06-16T12:30:40.221904Z", wantMicro},
		{"2026-06-16T12:30:40Z", want},
		{json.Number("1781613040"), want},
		{"1781613040", want},
		{json.Number("1781613040221"), want.Add(221 * time.Millisecond)},
		{"1781613040221", want.Add(221 * time.Millisecond)},
		{float64(1781613040), want},
		{"None", time.Time{}},
		{"{{alert.alert_time}}", time.Time{}},
		{"not a time", time.Time{}},
		{nil, time.Time{}},
	}
	for _, tt := range tests {
		if got := pyTime(tt.in); !got.Equal(tt.want) {
			t.Errorf("pyTime(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestWebhookResolveFindsItsTrigger: without an alert id, a failure and
// its resolve get the same DedupKey (agent + condition), unlike Alga's
// agent:event:time key that never matched.
func TestWebhookResolveFindsItsTrigger(t *testing.T) {
	fail := oneAlert(t, handle(t, `{"event": "failure", "agent_id": "`+agentDC+`", "alert_type": "check", "check_id": "311", "alert_time": "2026-06-16 09:12:03+00:00"}`))
	res := oneAlert(t, handle(t, `{"event": "resolved", "agent_id": "`+agentDC+`", "alert_type": "check", "check_id": "311", "alert_time": "2026-06-16 09:12:03+00:00", "resolved_on": "2026-06-16 10:00:00+00:00"}`))
	other := oneAlert(t, handle(t, `{"event": "failure", "agent_id": "`+agentDC+`", "alert_type": "check", "check_id": "312"}`))
	if fail.DedupKey != res.DedupKey {
		t.Errorf("trigger key %q != resolve key %q", fail.DedupKey, res.DedupKey)
	}
	if fail.State != rmm.AlertTriggered || res.State != rmm.AlertResolved {
		t.Errorf("states %s, %s", fail.State, res.State)
	}
	if other.DedupKey == fail.DedupKey {
		t.Errorf("another check shares the key %q", other.DedupKey)
	}
	if again := oneAlert(t, handle(t, `{"event": "failure", "agent_id": "`+agentDC+`", "alert_type": "check", "check_id": "311"}`)); again.DedupKey != fail.DedupKey {
		t.Errorf("the same payload twice gave keys %q and %q", fail.DedupKey, again.DedupKey)
	}
}

func TestWebhookSecret(t *testing.T) {
	body := string(fixture(t, "webhook_payload_example.json"))
	tests := []struct {
		name    string
		header  http.Header
		secrets map[string]string
		ok      bool
	}{
		{"right secret", http.Header{WebhookSecretHeader: {testWebhookSecret}}, nil, true},
		{"lower-case header name", http.Header{"x-psa-webhook-secret": {testWebhookSecret}}, nil, true},
		{"missing header", http.Header{}, nil, false},
		{"wrong secret", http.Header{WebhookSecretHeader: {"whsec-wrong"}}, nil, false},
		{"prefix of the secret", http.Header{WebhookSecretHeader: {testWebhookSecret[:10]}}, nil, false},
		{"no secret configured", http.Header{WebhookSecretHeader: {""}}, map[string]string{}, false},
		{"no secret configured, any header", http.Header{WebhookSecretHeader: {"anything"}}, map[string]string{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newTestProvider(t)
			req := webhookReq(body, tt.header)
			if tt.secrets != nil {
				req.Integration.Secrets = tt.secrets
			}
			_, err := p.HandleWebhook(t.Context(), req)
			if tt.ok && err != nil {
				t.Fatalf("error = %v", err)
			}
			if !tt.ok && !errors.Is(err, rmm.ErrUnauthorized) {
				t.Fatalf("error = %v, want ErrUnauthorized", err)
			}
			if err != nil && strings.Contains(err.Error(), testWebhookSecret) {
				t.Errorf("error leaks the secret")
			}
		})
	}
}

func TestWebhookWithoutAgentOrAlertIDIsInvalidInput(t *testing.T) {
	p, _ := newTestProvider(t)
	_, err := p.HandleWebhook(t.Context(), webhookReq(`{"event": "failure", "message": "hello", "agent_id": "None"}`, nil))
	if !errors.Is(err, rmm.ErrInvalidInput) {
		t.Fatalf("error = %v, want ErrInvalidInput", err)
	}
	for _, field := range []string{"agent_id", "alert_id"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
}

func TestWebhookGarbageIsInvalidInput(t *testing.T) {
	for _, body := range []string{"", "   ", "not json at all", "[1,2,3]", `"just a string"`, "{", strings.Repeat("x", maxWebhookBody+1)} {
		p, _ := newTestProvider(t)
		_, err := p.HandleWebhook(t.Context(), webhookReq(body, nil))
		if !errors.Is(err, rmm.ErrInvalidInput) {
			t.Errorf("body %.20q: error = %v, want ErrInvalidInput", body, err)
		}
	}
}

// TestWebhookTestButtonIsIgnored: Tactical's test button sends the
// template without filling in the variables.
func TestWebhookTestButtonIsIgnored(t *testing.T) {
	res := handle(t, `{"event": "failure", "alert_id": "{{alert.id}}", "agent_id": "{{agent.agent_id}}"}`)
	if !res.Ignored || len(res.Alerts) != 0 || res.Message == "" {
		t.Errorf("result = %+v, want ignored with a message", res)
	}
}

func TestSeverityMapping(t *testing.T) {
	tests := map[string]rmm.Severity{
		"error": rmm.SeverityCritical, "ERROR": rmm.SeverityCritical, "warning": rmm.SeverityModerate,
		"info": rmm.SeverityMinor, "": rmm.SeverityNone, "None": rmm.SeverityNone, "major": rmm.SeverityMajor,
	}
	for in, want := range tests {
		if got := mapSeverity(in); got != want {
			t.Errorf("mapSeverity(%q) = %s, want %s", in, got, want)
		}
	}
}

// renderLikeTactical does what Tactical does with a URL action body: plain
// text substitution of {{...}} with Python str() values, then json.loads,
// or, when that fails, the text as one JSON string (API.md §6.6).
func renderLikeTactical(t *testing.T, template string, values map[string]string) string {
	t.Helper()
	vars := regexp.MustCompile(`\{\{\s*([a-z_.]+)\s*\}\}`)
	text := vars.ReplaceAllStringFunc(template, func(m string) string {
		name := vars.FindStringSubmatch(m)[1]
		if v, ok := values[name]; ok {
			return v
		}
		return "None" // every falsy value
	})
	var v any
	if json.Unmarshal([]byte(text), &v) == nil {
		out, _ := json.Marshal(v)
		return string(out)
	}
	out, _ := json.Marshal(text)
	return string(out)
}

// TestRecommendedTemplatesSurviveTacticalRendering renders the templates
// from Describe the way Tactical does, with the worst values it produces,
// and checks that every field arrives.
func TestRecommendedTemplatesSurviveTacticalRendering(t *testing.T) {
	p, _ := newTestProvider(t)
	md, _ := p.Describe(t.Context())
	if md.Webhook == nil || md.Webhook.SecretHeader != WebhookSecretHeader || len(md.Webhook.Templates) != 2 {
		t.Fatalf("webhook spec = %+v", md.Webhook)
	}
	values := map[string]string{
		"alert.id": "9021", "agent.agent_id": agentDC, "agent.hostname": "ACME-DC01",
		"client.id": "3", "client.name": "Acme Dental", "site.id": "7", "site.name": "Main Office",
		"alert.alert_type": "check", "alert.severity": "warning",
		"alert.alert_time":        "2026-06-16 09:12:03.558210+00:00",
		"alert.assigned_check.id": "311",
		"alert.resolved":          "True", "alert.resolved_on": "2026-06-16 10:00:00.000001+00:00",
		// A message that breaks the JSON: Tactical then sends a string.
		"alert.message": `ACME-DC01 has a diskspace check: Drive "C:" that failed.`,
	}
	for _, tpl := range md.Webhook.Templates {
		t.Run(tpl.Name, func(t *testing.T) {
			headers := strings.ReplaceAll(tpl.Headers, rmm.WebhookSecretPlaceholder, testWebhookSecret)
			var h map[string]string
			if err := json.Unmarshal([]byte(headers), &h); err != nil {
				t.Fatalf("headers are not a JSON object (Tactical would fail the request): %v", err)
			}
			if tpl.URL != rmm.WebhookURLPlaceholder || tpl.Method != "POST" {
				t.Errorf("URL %q method %q", tpl.URL, tpl.Method)
			}
			body := renderLikeTactical(t, tpl.Body, values)
			if !strings.HasPrefix(body, `"`) {
				t.Fatalf("the quote in the message should have made Tactical send a string: %s", body)
			}
			req := webhookReq(body, http.Header{WebhookSecretHeader: {h[WebhookSecretHeader]}})
			res, err := p.HandleWebhook(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			a := oneAlert(t, res)
			want := rmm.Alert{ExternalID: "9021", DedupKey: "alert:9021", DeviceExternalID: agentDC, OrgExternalID: "3",
				DeviceName: "ACME-DC01", Severity: rmm.SeverityModerate, RawSeverity: "warning", Class: "check",
				Message: values["alert.message"], State: rmm.AlertTriggered,
				TriggeredAt: time.Date(2026, 6, 16, 9, 12, 3, 558210000, time.UTC)}
			if tpl.Name == "resolved" {
				want.State = rmm.AlertResolved
				want.ResolvedAt = time.Date(2026, 6, 16, 10, 0, 0, 1000, time.UTC)
			}
			if !alertsEqual(a, want) {
				t.Errorf("alert:\n got %+v\nwant %+v", a, want)
			}
		})
	}
}

// TestRecommendedTemplatesWithFalsyValues: an open availability alert has
// no check and no resolve time; those render as None and must not break
// the body or the key.
func TestRecommendedTemplatesWithFalsyValues(t *testing.T) {
	p, _ := newTestProvider(t)
	md, _ := p.Describe(t.Context())
	body := renderLikeTactical(t, md.Webhook.Templates[0].Body, map[string]string{
		"alert.id": "9021", "agent.agent_id": agentLinux, "alert.alert_type": "availability", "alert.severity": "error",
		"alert.message": "brightline-web-02 in Brightline Logistics, Warehouse DC is overdue.",
	})
	if strings.HasPrefix(body, `"`) {
		t.Errorf("a clean render should stay a JSON object: %s", body)
	}
	a := oneAlert(t, handle(t, body))
	if a.DedupKey != "alert:9021" || a.State != rmm.AlertTriggered || a.DeviceName != "" || a.Severity != rmm.SeverityCritical {
		t.Errorf("alert = %+v", a)
	}
}

func TestTemplatesQuoteEveryVariable(t *testing.T) {
	p, _ := newTestProvider(t)
	md, _ := p.Describe(t.Context())
	all := regexp.MustCompile(`\{\{[^}]*\}\}`)
	quoted := regexp.MustCompile(`"\{\{[^}]*\}\}"`)
	for _, tpl := range md.Webhook.Templates {
		for _, text := range []string{tpl.Body, tpl.Headers} {
			if a, q := len(all.FindAllString(text, -1)), len(quoted.FindAllString(text, -1)); a != q || a == 0 {
				t.Errorf("%s: %d variables, %d quoted:\n%s", tpl.Name, a, q, text)
			}
			if !json.Valid([]byte(text)) {
				t.Errorf("%s template is not JSON before rendering:\n%s", tpl.Name, text)
			}
		}
		if !strings.Contains(tpl.Body, `"agent_id": "{{agent.agent_id}}"`) || !strings.Contains(tpl.Body, `"alert_id": "{{alert.id}}"`) {
			t.Errorf("%s body lacks agent_id or alert_id", tpl.Name)
		}
	}
}
