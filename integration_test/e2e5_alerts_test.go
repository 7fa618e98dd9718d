package integration_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// e5Alert is one rmm_alerts row as these tests read it.
type e5Alert struct {
	DedupKey, ExternalID, DeviceID, OrgID  string
	AssetID                                string // "" when not linked
	Severity, RawSeverity, Status, Class   string
	Message, DeviceName                    string
	Occurrences                            int
	TriggeredAt, ResolvedAt, LastOccurence time.Time // zero when NULL
}

// alerts reads an integration's alerts by dedup key.
func (e *e5Env) alerts(t *testing.T, tenantID, integrationID string) map[string]e5Alert {
	t.Helper()
	rows, err := e.db.Query(t.Context(), `
SELECT dedup_key, external_alert_id, coalesce(external_device_id, ''), coalesce(external_organization_id, ''),
       coalesce(asset_id::text, ''), severity, coalesce(raw_severity, ''), status, coalesce(alert_class, ''),
       coalesce(message, ''), coalesce(device_name, ''), occurrence_count,
       coalesce(triggered_at, 'epoch'), coalesce(resolved_at, 'epoch'), coalesce(last_occurrence_at, 'epoch')
  FROM rmm_alerts WHERE tenant = $1 AND integration_id = $2`, tenantID, integrationID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]e5Alert{}
	for rows.Next() {
		var a e5Alert
		if err := rows.Scan(&a.DedupKey, &a.ExternalID, &a.DeviceID, &a.OrgID, &a.AssetID, &a.Severity, &a.RawSeverity,
			&a.Status, &a.Class, &a.Message, &a.DeviceName, &a.Occurrences, &a.TriggeredAt, &a.ResolvedAt, &a.LastOccurence); err != nil {
			t.Fatal(err)
		}
		for _, tm := range []*time.Time{&a.TriggeredAt, &a.ResolvedAt, &a.LastOccurence} {
			if tm.Equal(time.Unix(0, 0)) {
				*tm = time.Time{}
			}
			*tm = tm.UTC()
		}
		out[a.DedupKey] = a
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// e5Inbox is a webhook delivery as GET /api/v1/webhooks/inbox/{id} shows it.
type e5Inbox struct {
	ID        string `json:"inbox_id"`
	Status    string `json:"status"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error"`
}

// settled waits until a delivery is done or parked and returns it.
func (tn e5Tenant) settled(t *testing.T, inboxID string) e5Inbox {
	t.Helper()
	var it e5Inbox
	e5WaitFor(t, time.Minute, "webhook "+inboxID+" processed", func() (bool, string) {
		if _, err := tn.api.Do(t.Context(), http.MethodGet, "/api/v1/webhooks/inbox/"+inboxID, nil, &it); err != nil {
			t.Fatalf("get inbox %s: %v", inboxID, err)
		}
		return it.Status == "done" || it.Status == "parked", fmt.Sprintf("status %s after %d attempts: %s", it.Status, it.Attempts, it.LastError)
	})
	return it
}

// e5RenderLikeTactical does what Tactical does with a URL action's body
// (API.md §6.6): every {{variable}} is replaced by Python's str() of its
// value, the falsy ones by None, with no escaping; the text is then
// parsed and sent as json.dumps writes it (", " and ": ", non-ASCII as
// \uXXXX), or, when it is not valid JSON, sent as one JSON string.
func e5RenderLikeTactical(template string, values map[string]string) string {
	vars := regexp.MustCompile(`\{\{\s*([a-z_.]+)\s*\}\}`)
	text := vars.ReplaceAllStringFunc(template, func(m string) string {
		if v, ok := values[vars.FindStringSubmatch(m)[1]]; ok && v != "" {
			return v
		}
		return "None"
	})
	// Control characters become spaces first (_sanitize_webhook).
	text = strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, text)
	if json.Valid([]byte(text)) {
		return e5PyDumps(text)
	}
	return e5PyDumps(e5JSON(text))
}

func e5JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// e5PyDumps rewrites valid JSON text the way Python's json.dumps lays it
// out: ", " and ": " between items, non-ASCII escaped.
func e5PyDumps(text string) string {
	var b strings.Builder
	inString, escaped := false, false
	for _, r := range text {
		switch {
		case inString && escaped:
			escaped = false
		case inString && r == '\\':
			escaped = true
		case r == '"':
			inString = !inString
		case !inString && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			continue
		case !inString && r == ',':
			b.WriteString(", ")
			continue
		case !inString && r == ':':
			b.WriteString(": ")
			continue
		}
		if r > 0x7e {
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&b, `\u%04x`, u)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
