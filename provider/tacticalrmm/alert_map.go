package tacticalrmm

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// alertEvent is an alert as read from a backfill row or a webhook, before
// it becomes an rmm.Alert. Both sources go through it so that the same
// Tactical alert gets the same DedupKey from either.
type alertEvent struct {
	id         string // Tactical's alert pk; "" when the sender gave none
	agentID    string
	hostname   string
	clientID   string
	alertType  string // availability | check | task | custom
	severity   string // info | warning | error
	message    string
	checkID    string
	taskID     string
	alertTime  time.Time
	resolvedOn time.Time
	resolved   bool
}

// dedupKey names the condition across events. Tactical reuses one alert
// row per agent and condition while it is open and starts a new row after
// a resolve (API.md §6.1), so the pk is the key when known. A sender
// without the pk falls back to agent + condition, which a resolve for the
// same condition reproduces.
func (e alertEvent) dedupKey() string {
	if e.id != "" {
		return "alert:" + e.id
	}
	switch {
	case e.checkID != "":
		return "agent:" + e.agentID + ":check:" + e.checkID
	case e.taskID != "":
		return "agent:" + e.agentID + ":task:" + e.taskID
	}
	return "agent:" + e.agentID + ":" + e.alertType
}

func (e alertEvent) toAlert(raw json.RawMessage) rmm.Alert {
	a := rmm.Alert{
		ExternalID:       e.id,
		DedupKey:         e.dedupKey(),
		DeviceExternalID: e.agentID,
		OrgExternalID:    e.clientID,
		DeviceName:       e.hostname,
		Severity:         mapSeverity(e.severity),
		RawSeverity:      e.severity,
		Class:            e.alertType,
		Message:          e.message,
		State:            rmm.AlertTriggered,
		TriggeredAt:      e.alertTime,
		Raw:              raw,
	}
	if e.resolved || !e.resolvedOn.IsZero() {
		a.State = rmm.AlertResolved
		a.ResolvedAt = e.resolvedOn
	}
	return a
}

// mapSeverity maps Tactical's three severities onto the PSA scale, top to
// top, middle to middle, bottom to the lowest real level:
//
//	error   → critical (e.g. an agent overdue, a failed check at error level)
//	warning → moderate
//	info    → minor
//
// "none" stays free for events without a severity. Values that already
// use the PSA names (a hand-edited webhook template) pass through; the
// original is always kept as RawSeverity.
func mapSeverity(s string) rmm.Severity {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error", "critical":
		return rmm.SeverityCritical
	case "major", "high":
		return rmm.SeverityMajor
	case "warning", "moderate", "medium":
		return rmm.SeverityModerate
	case "info", "minor", "low":
		return rmm.SeverityMinor
	}
	return rmm.SeverityNone
}

func formatID(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}
