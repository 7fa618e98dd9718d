package store

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
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

// isWebhookLabelKey is true for the keys of both lists (a test holds them
// equal): a switch, not a set built per delivery.
func isWebhookLabelKey(k string) bool {
	switch k {
	case "event_type", "eventType", "event", "statusCode", "activityType", "type", "state",
		"agent_id", "agentId", "device_id", "deviceId":
		return true
	}
	return false
}

// webhookEventPayload is the RMM_WEBHOOK_RECEIVED payload of a delivery,
// but for the ids the insert assigns (tenantId, inboxId). The body is
// kept as rawPayload when it is JSON that PostgreSQL's jsonb takes (valid
// UTF-8, no \u0000): the secret travels in a header, which is never part
// of it.
//
// It runs for every delivery ingress takes, so it reads only the body's
// top-level keys it needs instead of decoding the whole body, and embeds
// the body as it came (jsonb normalises it).
func webhookEventPayload(d NewInboxDelivery) ([]byte, error) {
	body := bytes.TrimPrefix(d.Body, []byte("\xef\xbb\xbf"))
	eventType, device := "unknown", ""
	raw := json.Valid(body)
	if raw {
		if fields := topLevelFields(body, isWebhookLabelKey); fields != nil {
			if v := firstScalar(fields, webhookTypeKeys()); v != "" {
				eventType = v
			}
			device = firstScalar(fields, webhookDeviceKeys())
		}
		raw = utf8.Valid(body) && !bytes.Contains(body, []byte(`\u0000`))
	}
	out := make([]byte, 0, 128+len(body))
	out = append(out, '{')
	var err error
	field := func(key string, value string) {
		if err != nil {
			return
		}
		var v []byte
		// jsonb takes no \u0000, which a label decoded from the body may
		// hold.
		if v, err = json.Marshal(strings.ReplaceAll(value, "\x00", "")); err == nil {
			out = append(append(append(append(out, '"'), key...), `":`...), v...)
			out = append(out, ',')
		}
	}
	field("integrationId", d.IntegrationID)
	field("provider", d.Provider)
	field("webhookEventType", eventType)
	if device != "" {
		field("externalDeviceId", device)
	}
	if err != nil {
		return nil, err
	}
	if raw {
		out = append(append(out, `"rawPayload":`...), body...)
	} else {
		out = out[:len(out)-1] // the last comma
	}
	return append(out, '}'), nil
}

// topLevelFields returns the raw values of the top-level members of a
// JSON object whose keys want; nil when body is not an object. As
// with encoding/json, a later duplicate key wins. body must be valid JSON
// (json.Valid), which is what lets the scan skip values without checking
// them.
func topLevelFields(body []byte, want func(key string) bool) map[string]json.RawMessage {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil
	}
	fields := map[string]json.RawMessage{}
	i++
	for {
		i = skipSpace(body, i)
		switch body[i] {
		case '}':
			return fields
		case ',':
			i = skipSpace(body, i+1)
		}
		keyEnd := stringEnd(body, i)
		key := body[i:keyEnd]
		i = skipSpace(body, skipSpace(body, keyEnd)+1) // past the colon
		valueEnd := valueEnd(body, i)
		if name, ok := jsonKey(key); ok && want(name) {
			fields[name] = body[i:valueEnd]
		}
		i = valueEnd
	}
}

// jsonKey decodes a quoted key; most have no escapes and need no decoding.
func jsonKey(quoted []byte) (string, bool) {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return string(quoted[1 : len(quoted)-1]), true
	}
	var s string
	return s, json.Unmarshal(quoted, &s) == nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd is the index just past the string that starts at b[i].
func stringEnd(b []byte, i int) int {
	for i++; b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// valueEnd is the index just past the value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return i
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
