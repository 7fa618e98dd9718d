package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// EventsChannel is the NOTIFY channel announcing new events; its payload
// is empty (listeners read the outbox).
const EventsChannel = "psa_events"

// Event types, named as Alga PSA's event bus names them.
const (
	EventDeviceCreated   = "RMM_DEVICE_CREATED"
	EventDeviceUpdated   = "RMM_DEVICE_UPDATED"
	EventDeviceDeleted   = "RMM_DEVICE_DELETED"
	EventDeviceOnline    = "RMM_DEVICE_ONLINE"
	EventDeviceOffline   = "RMM_DEVICE_OFFLINE"
	EventAlertTriggered  = "RMM_ALERT_TRIGGERED"
	EventAlertResolved   = "RMM_ALERT_RESOLVED"
	EventSyncStarted     = "RMM_SYNC_STARTED"
	EventSyncCompleted   = "RMM_SYNC_COMPLETED"
	EventSyncFailed      = "RMM_SYNC_FAILED"
	EventWebhookReceived = "RMM_WEBHOOK_RECEIVED"
)

// Event is one entry of the outbox.
type Event struct {
	ID        int64           `json:"event_id"`
	Type      string          `json:"event_type"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt time.Time       `json:"created_at"`
}

// Event payloads follow Alga's event bus: camelCase fields, every payload
// with tenantId, optional fields left out rather than null, and times as
// ISO 8601 in UTC.

// eventTimeLayout is how payload times are written, from Go and from SQL
// (sqlEventTime) alike.
const eventTimeLayout = "2006-01-02T15:04:05.000000Z"

// eventTime formats t for a payload.
func eventTime(t time.Time) string { return t.UTC().Format(eventTimeLayout) }

// sqlEventTime is the SQL expression formatting the timestamptz expr for a
// payload; NULL stays NULL (and jsonb_strip_nulls drops it).
func sqlEventTime(expr string) string {
	return `to_char(` + expr + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
}

// sqlSyncType is the syncType of RMM_SYNC_* events, as an SQL expression
// over a job kind: "organizations" for orgs, else the kind.
func sqlSyncType(kind string) string {
	return `CASE ` + kind + ` WHEN '` + JobOrgs + `' THEN 'organizations' ELSE ` + kind + ` END`
}

// notifyEvents announces events written set-based in tx (NOTIFY is
// delivered at commit, and repeated notifications in one transaction are
// folded into one).
func notifyEvents(ctx context.Context, tx queryer) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, EventsChannel)
	return err
}

// Events returns a tenant's events after the given event id, in order. It
// never passes an event whose transaction might still commit with a lower
// id than one already returned, so a consumer that resumes from the last
// id it saw misses nothing.
func (s *Store) Events(ctx context.Context, tenantID string, after int64, limit int) ([]Event, error) {
	if !isUUID(tenantID) {
		return nil, ErrNotFound
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx, `
SELECT event_id, event_type, payload, created_at
  FROM event_outbox
 WHERE tenant = $1 AND event_id > $2
   AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY event_id
 LIMIT $3`, tenantID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		err := r.Scan(&e.ID, &e.Type, &e.Payload, &e.CreatedAt)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return events, nil
}
