package store

import (
	"encoding/json"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Alert statuses the store writes. Others (acknowledged, suppressed) are
// set by people and count as open.
const (
	alertActive       = "active"
	alertResolved     = "resolved"
	alertAutoResolved = "auto_resolved"
)

// alertRow is one rmm_alerts row as the fold sees it. Zero values stand
// for NULL.
type alertRow struct {
	exists           bool
	ID               string // alert_id; not state
	ExternalID       string
	ExternalDeviceID string
	ExternalOrgID    string
	AssetID          string
	Severity         string
	RawSeverity      string
	Status           string
	Class            string
	Message          string
	DeviceName       string
	OccurrenceCount  int
	TriggeredAt      time.Time
	ResolvedAt       time.Time
	LastOccurrenceAt time.Time
	// Metadata is the raw payload of the event that last described the
	// alert. It is not compared: a payload that differs only in fields the
	// row does not keep is no change.
	Metadata json.RawMessage
}

// sameState compares everything but the metadata.
func (a alertRow) sameState(b alertRow) bool {
	return a.exists == b.exists && a.ExternalID == b.ExternalID && a.ExternalDeviceID == b.ExternalDeviceID &&
		a.ExternalOrgID == b.ExternalOrgID && a.AssetID == b.AssetID && a.Severity == b.Severity &&
		a.RawSeverity == b.RawSeverity && a.Status == b.Status && a.Class == b.Class && a.Message == b.Message &&
		a.DeviceName == b.DeviceName && a.OccurrenceCount == b.OccurrenceCount &&
		a.TriggeredAt.Equal(b.TriggeredAt) && a.ResolvedAt.Equal(b.ResolvedAt) &&
		a.LastOccurrenceAt.Equal(b.LastOccurrenceAt)
}

func isOpen(status string) bool { return status != alertResolved && status != alertAutoResolved }

// dbTime is t as the database keeps it (UTC, microseconds), so that an
// event read back compares equal to the one written.
func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// normalizeAlert clips and normalises an event; ok is false when it has
// neither a dedup key nor an external id.
func normalizeAlert(e rmm.Alert) (rmm.Alert, bool) {
	if e.DedupKey == "" {
		e.DedupKey = e.ExternalID
	}
	if e.ExternalID == "" {
		e.ExternalID = e.DedupKey
	}
	if e.DedupKey == "" {
		return e, false
	}
	if e.State != rmm.AlertResolved {
		e.State = rmm.AlertTriggered
	}
	if e.Severity == "" {
		e.Severity = rmm.SeverityNone
	}
	e.DedupKey, e.ExternalID = clip(e.DedupKey, 255), clip(e.ExternalID, 255)
	e.DeviceExternalID, e.OrgExternalID = clip(e.DeviceExternalID, 255), clip(e.OrgExternalID, 255)
	e.Severity, e.RawSeverity, e.Class = rmm.Severity(clip(string(e.Severity), 20)), clip(e.RawSeverity, 50), clip(e.Class, 100)
	e.TriggeredAt, e.ResolvedAt = dbTime(e.TriggeredAt), dbTime(e.ResolvedAt)
	if !storableJSON(e.Raw) {
		e.Raw = nil
	}
	return e, true
}

// describe copies what an event says about the alert.
func (a *alertRow) describe(e rmm.Alert) {
	a.ExternalID, a.ExternalDeviceID, a.ExternalOrgID = e.ExternalID, e.DeviceExternalID, e.OrgExternalID
	a.Severity, a.RawSeverity, a.Class = string(e.Severity), e.RawSeverity, e.Class
	a.Message, a.DeviceName = e.Message, e.DeviceName
	if e.Raw != nil {
		a.Metadata = e.Raw
	}
}

// newOccurrence reports whether event e is a new occurrence of the
// condition row r tracks, rather than an event r has already counted.
// The same external alert seen twice (a backfill run twice, a webhook and
// a backfill of one alert) is one occurrence. A newer trigger time is a
// new occurrence; an older one is a replay, even under another external
// id, so that replaying history never counts twice. Without comparable
// times, a different external id decides. A resolve without a trigger time
// only resolves.
func newOccurrence(r alertRow, e rmm.Alert) bool {
	if e.State == rmm.AlertResolved && e.TriggeredAt.IsZero() {
		return false
	}
	if e.TriggeredAt.IsZero() || r.LastOccurrenceAt.IsZero() {
		return e.ExternalID != r.ExternalID
	}
	return e.TriggeredAt.After(r.LastOccurrenceAt) ||
		(e.TriggeredAt.Equal(r.LastOccurrenceAt) && e.ExternalID != r.ExternalID)
}

// foldAlert applies one normalised event to a row. now stands in for
// times the event does not carry.
func foldAlert(r alertRow, e rmm.Alert, now time.Time) alertRow {
	orNow := func(t time.Time) time.Time {
		if t.IsZero() {
			return now
		}
		return t
	}
	if !r.exists {
		n := alertRow{exists: true, OccurrenceCount: 1, Status: alertActive}
		n.describe(e)
		n.TriggeredAt = e.TriggeredAt
		if e.State == rmm.AlertTriggered {
			n.TriggeredAt = orNow(e.TriggeredAt)
		}
		n.LastOccurrenceAt = n.TriggeredAt
		if e.State == rmm.AlertResolved {
			n.Status, n.ResolvedAt = alertResolved, orNow(e.ResolvedAt)
		}
		return n
	}
	n := r
	switch {
	case newOccurrence(r, e):
		at := orNow(e.TriggeredAt)
		n.describe(e)
		n.OccurrenceCount++
		n.LastOccurrenceAt = at
		if n.TriggeredAt.IsZero() {
			n.TriggeredAt = at
		}
		switch {
		case e.State == rmm.AlertResolved:
			n.Status, n.ResolvedAt = alertResolved, orNow(e.ResolvedAt)
		case !isOpen(r.Status) && (r.ResolvedAt.IsZero() || !at.Before(r.ResolvedAt)):
			// Triggered after it was resolved: the condition is back.
			n.Status, n.ResolvedAt = alertActive, time.Time{}
		}
	case e.State == rmm.AlertTriggered && e.ExternalID == r.ExternalID:
		// The occurrence already counted, seen again: refresh what it says.
		n.describe(e)
		if n.TriggeredAt.IsZero() {
			n.TriggeredAt = e.TriggeredAt
		}
		if n.LastOccurrenceAt.IsZero() {
			n.LastOccurrenceAt = e.TriggeredAt
		}
	case e.State == rmm.AlertResolved && isOpen(r.Status) &&
		(e.ExternalID == r.ExternalID || e.ResolvedAt.IsZero() || r.LastOccurrenceAt.IsZero() ||
			!e.ResolvedAt.Before(r.LastOccurrenceAt)):
		// A resolve older than the current occurrence belongs to an
		// earlier one and must not close it.
		n.Status, n.ResolvedAt = alertResolved, orNow(e.ResolvedAt)
	}
	return n
}
