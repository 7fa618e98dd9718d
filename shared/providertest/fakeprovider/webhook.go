package fakeprovider

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// WebhookPayload is the body the fake RMM posts for an alert event.
type WebhookPayload struct {
	DeviceID string         `json:"device_id"`
	AlertID  string         `json:"alert_id"`
	State    rmm.AlertState `json:"state"` // "triggered" or "resolved"
}

// HandleWebhook implements rmm.Provider. The header X-Fake-Secret must equal
// the integration's "webhook_secret".
func (p *Provider) HandleWebhook(ctx context.Context, req rmm.WebhookRequest) (rmm.WebhookResult, error) {
	if err := p.require(rmm.CapWebhooks, "HandleWebhook"); err != nil {
		return rmm.WebhookResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return rmm.WebhookResult{}, err
	}
	want := req.Integration.Secret("webhook_secret")
	if want == "" {
		return rmm.WebhookResult{}, rmm.Errorf(rmm.ErrInvalidConfig, "the integration has no webhook_secret")
	}
	if subtle.ConstantTimeCompare([]byte(req.Headers.Get(WebhookSecretHeader)), []byte(want)) != 1 {
		return rmm.WebhookResult{}, rmm.Errorf(rmm.ErrUnauthorized, "the %s header does not match the webhook secret", WebhookSecretHeader)
	}
	pl, err := parseWebhook(req.Body)
	if err != nil {
		return rmm.WebhookResult{}, err
	}
	s, err := p.open(req.Integration)
	if err != nil {
		return rmm.WebhookResult{}, err
	}
	if s.fleet == nil {
		return rmm.WebhookResult{}, rmm.Errorf(rmm.ErrInvalidConfig, "fake://%s holds no fleet", s.name)
	}
	d, ok := s.fleet.device(pl.DeviceID)
	if !ok {
		return rmm.WebhookResult{Ignored: true, Message: fmt.Sprintf("device %q is unknown", pl.DeviceID)}, nil
	}
	at := req.ReceivedAt
	if at.IsZero() {
		at = time.Now()
	}
	a := rmm.Alert{
		ExternalID:       pl.AlertID,
		DedupKey:         dedupKey(d.ExternalID, pl.AlertID),
		DeviceExternalID: d.ExternalID,
		OrgExternalID:    d.OrgExternalID,
		DeviceName:       d.Hostname,
		Severity:         rmm.SeverityMajor,
		RawSeverity:      "error",
		Class:            "check",
		Message:          "alert " + pl.AlertID + " " + string(pl.State),
		State:            pl.State,
		TriggeredAt:      at,
		Raw:              bytes.Clone(req.Body),
	}
	if pl.State == rmm.AlertResolved {
		a.TriggeredAt, a.ResolvedAt = time.Time{}, at
	}
	return rmm.WebhookResult{Alerts: []rmm.Alert{a}, RefreshDeviceIDs: []string{d.ExternalID}}, nil
}

func parseWebhook(body []byte) (WebhookPayload, error) {
	if len(body) > MaxWebhookBody {
		return WebhookPayload{}, rmm.Errorf(rmm.ErrInvalidInput, "webhook body is %d bytes, more than %d", len(body), MaxWebhookBody)
	}
	var pl WebhookPayload
	if err := json.Unmarshal(body, &pl); err != nil {
		return WebhookPayload{}, rmm.Errorf(rmm.ErrInvalidInput, "webhook body is not the expected JSON: %w", err)
	}
	if pl.DeviceID == "" || pl.AlertID == "" {
		return WebhookPayload{}, rmm.Errorf(rmm.ErrInvalidInput, "webhook body lacks device_id or alert_id")
	}
	if pl.State != rmm.AlertTriggered && pl.State != rmm.AlertResolved {
		return WebhookPayload{}, rmm.Errorf(rmm.ErrInvalidInput, "webhook state %q is neither triggered nor resolved", pl.State)
	}
	return pl, nil
}
