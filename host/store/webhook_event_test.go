package store

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// oldWebhookEventPayload is the payload as first written, decoding the
// whole body: the reference the faster one must agree with.
func oldWebhookEventPayload(d NewInboxDelivery) ([]byte, error) {
	p := map[string]any{"integrationId": d.IntegrationID, "provider": d.Provider, "webhookEventType": "unknown"}
	body := []byte(strings.TrimPrefix(string(d.Body), "\xef\xbb\xbf"))
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

var eventBodies = []string{
	`{"event": "failure", "agent_id": "mkQs", "alert_id": 9021}`,
	`{"id": 1, "activityType": "CONDITION", "statusCode": "TRIGGERED", "deviceId": 42, "type": "Condition"}`,
	`{"hello": "world"}`,
	`event=failure`,
	``,
	`   `,
	`{}`,
	` { } `,
	`[{"event": "x"}]`,
	`"event"`,
	`42`,
	`null`,
	`{"event": null, "type": "t"}`,
	`{"event": "", "state": "open"}`,
	`{"event": true, "agent_id": 1.5e3}`,
	`{"event": "a", "event": "b"}`,
	`{"ev\u0065nt": "escaped key", "agent_\u0069d": "x"}`,
	`{"nested": {"event": "inner", "agent_id": "inner"}, "list": [{"event": 1}, "]}", "{"], "state": "outer"}`,
	`{"s": "quote \" and \\ and }]", "event": "after \"escapes\""}`,
	"\xef\xbb\xbf{\"event\": \"bom\"}",
	"{\n\t\"event\"\r\n:\n\"spaced\" ,\"agent_id\"  :  7 }\n",
	`{"event": "<b>&amp;</b>", "agent_id": "é€😀"}`,
	`{"event": {"not": "scalar"}, "eventType": ["no"], "statusCode": "ok"}`,
	`{"agent_id": -0.0, "deviceId": "later"}`,
	`{"event": "` + strings.Repeat("long", 100) + `"}`,
	`{"a": [[[[{"b": "}"}]]]], "event": "deep"}`,
	`{"a": 1}{"event": "two values"}`,
	`{"event": "trailing comma",}`,
}

func checkEventPayload(t *testing.T, body string) {
	d := NewInboxDelivery{IntegrationID: "2b1c0a52-8f0f-4c1e-9d55-2a6f4d7b9e01", Provider: "tactical<rmm>", Body: []byte(body)}
	got, err := webhookEventPayload(d)
	if err != nil {
		t.Fatalf("%q: %v", body, err)
	}
	want, err := oldWebhookEventPayload(d)
	if err != nil {
		t.Fatalf("%q: reference: %v", body, err)
	}
	var g, w map[string]any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%q: payload %s is not JSON: %v", body, got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%q:\n got %s\nwant %s", body, got, want)
	}
}

func TestWebhookEventPayloadAgreesWithDecodingTheBody(t *testing.T) {
	for _, body := range eventBodies {
		checkEventPayload(t, body)
	}
}

func FuzzWebhookEventPayload(f *testing.F) {
	for _, body := range eventBodies {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if !isJSONBSafe(body) {
			return // covered by TestWebhookEventPayloadLeavesOutWhatJSONBRefuses
		}
		checkEventPayload(t, body)
	})
}

// isJSONBSafe is what PostgreSQL's jsonb takes of a valid JSON text.
func isJSONBSafe(body string) bool {
	return strings.ToValidUTF8(body, "") == body && !strings.Contains(body, `\u0000`)
}

func TestWebhookEventPayloadLeavesOutWhatJSONBRefuses(t *testing.T) {
	for _, body := range []string{`{"event": "nul \u0000 inside", "agent_id": "a1"}`, "{\"event\": \"bad \xff utf-8\"}"} {
		got, err := webhookEventPayload(NewInboxDelivery{IntegrationID: "i", Provider: "p", Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(got, &p); err != nil {
			t.Fatalf("%q: %s: %v", body, got, err)
		}
		if _, ok := p["rawPayload"]; ok || p["webhookEventType"] == "unknown" || strings.Contains(string(got), `\u0000`) {
			t.Fatalf("%q: payload %s; want the labels without rawPayload or NUL", body, got)
		}
	}
}

func TestWebhookLabelKeysAreTheLists(t *testing.T) {
	keys := append(webhookTypeKeys(), webhookDeviceKeys()...)
	for _, k := range keys {
		if !isWebhookLabelKey(k) {
			t.Errorf("%q is listed but not a label key", k)
		}
	}
	for _, k := range []string{"", "Event", "agent", "alert_id", "hostname"} {
		if isWebhookLabelKey(k) {
			t.Errorf("%q is a label key but not listed", k)
		}
	}
}
