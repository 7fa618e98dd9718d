package tacticalrmm

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// WebhookSecretHeader carries the shared secret. Tactical has no signing,
// but its URL actions send custom headers from a JSON template.
const WebhookSecretHeader = "X-PSA-Webhook-Secret"

// HandleWebhook verifies and normalises one delivery of a Tactical alert
// URL action.
func (p *Provider) HandleWebhook(_ context.Context, req rmm.WebhookRequest) (rmm.WebhookResult, error) {
	if err := verifySecret(req.Integration.Secret(SecretWebhookSecret), req.Headers); err != nil {
		return rmm.WebhookResult{}, err
	}
	obj, err := parseWebhookBody(req.Body)
	if err != nil {
		return rmm.WebhookResult{}, err
	}
	e := webhookEvent(obj)
	if e.id == "" && e.agentID == "" {
		if templateOnly(obj) {
			return rmm.WebhookResult{Ignored: true, Message: "a test delivery: Tactical's test button sends the " +
				"template without filling in its variables; the URL and the secret work"}, nil
		}
		return rmm.WebhookResult{}, rmm.Errorf(rmm.ErrInvalidInput,
			`the webhook body has neither "agent_id" nor "alert_id": the URL action's body must send `+
				`"agent_id": "{{agent.agent_id}}" and "alert_id": "{{alert.id}}"`)
	}
	if e.resolved && e.resolvedOn.IsZero() && !req.ReceivedAt.IsZero() {
		e.resolvedOn = req.ReceivedAt.UTC()
	}
	raw, _ := json.Marshal(obj)
	res := rmm.WebhookResult{Alerts: []rmm.Alert{e.toAlert(raw)}}
	if e.agentID != "" {
		res.RefreshDeviceIDs = []string{e.agentID}
	}
	return res, nil
}

// verifySecret compares the secret header with the configured secret in
// constant time (hashing first, so the length does not leak either). No
// configured secret refuses every delivery.
func verifySecret(want string, h http.Header) error {
	if want == "" {
		return rmm.Errorf(rmm.ErrUnauthorized, "no webhook secret is configured for this integration")
	}
	got := headerValue(h, WebhookSecretHeader)
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	if got == "" || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return rmm.Errorf(rmm.ErrUnauthorized, "the %s header is missing or wrong", WebhookSecretHeader)
	}
	return nil
}

// headerValue finds a header whatever the case its name arrived in (the
// host may pass names lower-cased, as gRPC metadata has them).
func headerValue(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return strings.TrimSpace(v)
	}
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return strings.TrimSpace(vs[0])
		}
	}
	return ""
}

// webhookEvent reads the fields of the recommended templates, and the
// names other templates commonly use for them.
func webhookEvent(obj map[string]any) alertEvent {
	get := func(keys ...string) any {
		for _, k := range keys {
			if v, ok := obj[k]; ok && pyString(v) != "" {
				return v
			}
		}
		return nil
	}
	e := alertEvent{
		id:         pyID(get("alert_id", "alertId", "id")),
		agentID:    pyString(get("agent_id", "agentId")),
		hostname:   pyString(get("hostname", "agent_hostname")),
		clientID:   pyID(get("client_id", "clientId")),
		alertType:  pyString(get("alert_type", "alertType", "type")),
		severity:   pyString(get("severity")),
		message:    pyString(get("message")),
		checkID:    pyID(get("check_id", "assigned_check")),
		taskID:     pyID(get("task_id", "assigned_task")),
		alertTime:  pyTime(get("alert_time", "alertTime", "timestamp", "time")),
		resolvedOn: pyTime(get("resolved_on", "resolvedOn")),
		resolved:   pyBool(get("resolved")),
	}
	switch ev := strings.ToLower(pyString(get("event", "event_type", "action"))); {
	case strings.Contains(ev, "resol"), ev == "reset", ev == "cleared", ev == "recovered":
		e.resolved = true
	case strings.Contains(ev, "fail"), strings.Contains(ev, "trigger"), ev == "alert", ev == "open":
		// An explicit failure event wins over leftovers from the alert row.
		e.resolved, e.resolvedOn = false, time.Time{}
	}
	return e
}

// templateOnly reports whether the body's id fields still hold template
// variables, as the test button sends them.
func templateOnly(obj map[string]any) bool {
	for _, k := range []string{"agent_id", "alert_id"} {
		if s, ok := obj[k].(string); ok && unrendered(s) {
			return true
		}
	}
	return false
}
