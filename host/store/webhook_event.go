package store

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Keys a webhook body may name its event type or device with, tried in
// order: Tactical's alert action ("event", "agent_id"), NinjaOne's
// activities ("statusCode", "deviceId") and common spellings. The
// provider alone understands a delivery; these only label the
// RMM_WEBHOOK_RECEIVED event, written before the provider sees it.
func webhookTypeKeys() []string {
	return []string{"event_type", "eventType", "event", "statusCode", "activityType", "type", "state"}
}

func webhookDeviceKeys() []string {
	return []string{"agent_id", "agentId", "device_id", "deviceId"}
}

// webhookEventPayload is the RMM_WEBHOOK_RECEIVED payload of a delivery,
// but for the ids the insert assigns (tenantId, inboxId). The body is
// kept as rawPayload when it is JSON: the secret travels in a header,
// which is never part of it.
func webhookEventPayload(d NewInboxDelivery) ([]byte, error) {
	p := map[string]any{"integrationId": d.IntegrationID, "provider": d.Provider, "webhookEventType": "unknown"}
	body := bytes.TrimPrefix(d.Body, []byte("\xef\xbb\xbf"))
	if json.Valid(body) {
		p["rawPayload"] = json.RawMessage(body)
		var fields map[string]json.RawMessage
		if json.Unmarshal(body, &fields) == nil {
			if v := firstScalar(fields, webhookTypeKeys()); v != "" {
				p["webhookEventType"] = v
			}
			if v := firstScalar(fields, webhookDeviceKeys()); v != "" {
				p["externalDeviceId"] = v
			}
		}
	}
	return json.Marshal(p)
}

// firstScalar returns the first of keys whose value is a non-empty string
// or a number, as text (clipped: it labels, it is not data).
func firstScalar(fields map[string]json.RawMessage, keys []string) string {
	for _, k := range keys {
		raw, ok := fields[k]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return clip(s, 255)
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			if _, err := strconv.ParseFloat(n.String(), 64); err == nil {
				return clip(n.String(), 255)
			}
		}
	}
	return ""
}
