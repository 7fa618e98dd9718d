package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Alert events change a row depending on its current state (a repeat, a
// replay, a resolve, a reopen), so a batch is folded in Go over the rows
// it touches, read under lock, and only the rows that changed are written
// back, in one statement. A batch costs a fixed number of statements.

// lockAlertsSQL serialises alert writes per integration: a webhook and a
// backfill delivering the same new alert must not both insert it, nor
// both count the same repeat. Rows are read without FOR UPDATE, which
// would write a lock into every row of a batch that changes nothing; any
// other writer of rmm_alerts rows must take this lock too.
const lockAlertsSQL = `SELECT pg_advisory_xact_lock(hashtextextended('rmm_alerts/' || $1::text || '/' || $2::text, 0))`

const currentAlertsSQL = `
SELECT dedup_key, alert_id::text, external_alert_id, coalesce(external_device_id, ''), coalesce(external_organization_id, ''),
       coalesce(asset_id::text, ''), severity, coalesce(raw_severity, ''), status, coalesce(alert_class, ''),
       coalesce(message, ''), coalesce(device_name, ''), occurrence_count, triggered_at, resolved_at, last_occurrence_at,
       metadata
  FROM rmm_alerts
 WHERE tenant = $1 AND integration_id = $2 AND dedup_key = ANY($3::text[])`

const alertAssetsSQL = `
SELECT rmm_device_id, asset_id::text FROM assets
 WHERE tenant = $1 AND integration_id = $2 AND rmm_device_id = ANY($3::text[])`

// writeAlertsSQL writes the changed alerts ($3 their ids, as the batch
// read them or new) and, joined on their dedup keys and ids ($20, $21),
// the events they caused ($22 types, $23 payloads, in order). It returns
// how many events it wrote: fewer than given when an alert was not the
// one the batch read (a writer that did not take lockAlertsSQL).
const writeAlertsSQL = `
WITH w AS (
INSERT INTO rmm_alerts AS t (tenant, alert_id, integration_id, dedup_key, external_alert_id, external_device_id,
       external_organization_id, asset_id, severity, raw_severity, status, alert_class, message, device_name,
       occurrence_count, triggered_at, resolved_at, last_occurrence_at, metadata)
SELECT $1::uuid, u.alert_id::uuid, $2::uuid, u.dedup_key, u.external_alert_id, u.external_device_id,
       u.external_organization_id, u.asset_id::uuid, u.severity, u.raw_severity, u.status, u.alert_class, u.message,
       u.device_name, u.occurrence_count, u.triggered_at, u.resolved_at, u.last_occurrence_at, u.metadata
  FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
              $11::text[], $12::text[], $13::text[], $14::text[], $15::int[], $16::timestamptz[],
              $17::timestamptz[], $18::timestamptz[], $19::jsonb[])
       AS u(alert_id, dedup_key, external_alert_id, external_device_id, external_organization_id, asset_id, severity,
            raw_severity, status, alert_class, message, device_name, occurrence_count, triggered_at,
            resolved_at, last_occurrence_at, metadata)
ON CONFLICT (tenant, integration_id, dedup_key) DO UPDATE SET
       external_alert_id = EXCLUDED.external_alert_id, external_device_id = EXCLUDED.external_device_id,
       external_organization_id = EXCLUDED.external_organization_id, asset_id = EXCLUDED.asset_id,
       severity = EXCLUDED.severity, raw_severity = EXCLUDED.raw_severity, status = EXCLUDED.status,
       alert_class = EXCLUDED.alert_class, message = EXCLUDED.message, device_name = EXCLUDED.device_name,
       occurrence_count = EXCLUDED.occurrence_count, triggered_at = EXCLUDED.triggered_at,
       resolved_at = EXCLUDED.resolved_at, last_occurrence_at = EXCLUDED.last_occurrence_at,
       metadata = EXCLUDED.metadata, updated_at = now()
RETURNING t.dedup_key, t.alert_id
), ev AS (
    INSERT INTO event_outbox (tenant, event_type, payload)
    SELECT $1::uuid, e.event_type, e.payload
      FROM unnest($20::text[], $21::text[], $22::text[], $23::jsonb[]) WITH ORDINALITY
           AS e(dedup_key, alert_id, event_type, payload, ord)
      JOIN w ON w.dedup_key = e.dedup_key AND w.alert_id = e.alert_id::uuid
     ORDER BY e.ord
    RETURNING 1
)
SELECT count(*) FROM ev`

// integrationProviderSQL checks that the integration is the tenant's and
// returns its provider, which the alert events name.
const integrationProviderSQL = `SELECT provider FROM rmm_integrations WHERE tenant = $1 AND integration_id = $2`

// UpsertAlerts writes alert events, in order, on their dedup keys (an
// event without one uses its external id):
//   - a new key inserts an alert: active, or resolved for a resolve event,
//     with occurrence_count 1;
//   - a new occurrence (see newOccurrence) of an open alert counts one more
//     and moves last_occurrence_at; of a resolved alert it also reopens it;
//   - the same occurrence seen again changes nothing (it may refresh the
//     message and severity);
//   - a resolve closes the open alert, unless it is older than the current
//     occurrence.
//
// The asset is linked through the device's external id. Counts are per
// event: created, updated (it changed the alert), unchanged, failed
// (neither dedup key nor external id). Replaying events is idempotent.
//
// In the same transaction, each event that opens an occurrence of an
// alert (a new alert, a repeat, a reopen) writes RMM_ALERT_TRIGGERED, and
// each that closes an open alert (or brings one already resolved)
// RMM_ALERT_RESOLVED; an event that changes nothing writes none.
func (s *Store) UpsertAlerts(ctx context.Context, tenantID, integrationID string, alerts []rmm.Alert) (Counts, error) {
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return Counts{}, ErrNotFound
	}
	var c Counts
	events := make([]rmm.Alert, 0, len(alerts))
	keySet, deviceSet := map[string]bool{}, map[string]bool{}
	var keys, devices []string
	for _, a := range alerts {
		e, ok := normalizeAlert(a)
		if !ok {
			c.Failed++
			continue
		}
		events = append(events, e)
		if !keySet[e.DedupKey] {
			keySet[e.DedupKey] = true
			keys = append(keys, e.DedupKey)
		}
		if e.DeviceExternalID != "" && !deviceSet[e.DeviceExternalID] {
			deviceSet[e.DeviceExternalID] = true
			devices = append(devices, e.DeviceExternalID)
		}
	}
	if len(events) == 0 {
		return c, nil
	}
	now := dbTime(s.now())
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var provider string
		if err := tx.QueryRow(ctx, integrationProviderSQL, tenantID, integrationID).Scan(&provider); err != nil {
			return notFound(err, "find integration")
		}
		if _, err := tx.Exec(ctx, lockAlertsSQL, tenantID, integrationID); err != nil {
			return fmt.Errorf("lock alerts: %w", err)
		}
		before, err := currentAlerts(ctx, tx, tenantID, integrationID, keys)
		if err != nil {
			return err
		}
		assets, err := alertAssets(ctx, tx, tenantID, integrationID, devices)
		if err != nil {
			return err
		}
		state := make(map[string]alertRow, len(keys))
		for k, r := range before {
			state[k] = r
		}
		w := &alertWrite{}
		for _, e := range events {
			prev := state[e.DedupKey]
			next := foldAlert(prev, e, now)
			next.AssetID = assets[next.ExternalDeviceID]
			if next.ID = prev.ID; next.ID == "" {
				next.ID = newUUID()
			}
			if err := w.addEvent(e.DedupKey, tenantID, integrationID, provider, prev, next); err != nil {
				return err
			}
			switch {
			case !prev.exists:
				c.Created++
			case !prev.sameState(next):
				c.Updated++
			default:
				c.Unchanged++
			}
			state[e.DedupKey] = next
		}
		for _, k := range keys {
			if next := state[k]; !before[k].sameState(next) {
				w.add(k, next)
			}
		}
		if w.len() == 0 {
			return nil
		}
		var written int64
		if err := tx.QueryRow(ctx, writeAlertsSQL, w.args(tenantID, integrationID)...).Scan(&written); err != nil {
			return fmt.Errorf("write alerts: %w", err)
		}
		if written != int64(len(w.eventTypes)) {
			return fmt.Errorf("write alerts: %w: alerts were written meanwhile without the alert lock", ErrConflict)
		}
		if written > 0 {
			if err := notifyEvents(ctx, tx); err != nil {
				return fmt.Errorf("write alerts: %w", err)
			}
		}
		// A backfill fills rmm_alerts from nothing in small batches: without
		// fresh statistics the next batch's read by dedup key scans every
		// alert of the integration.
		return analyzeIfDoubled(ctx, tx, "rmm_alerts", c.Created, "tenant", "integration_id", "dedup_key")
	})
	if err != nil {
		return Counts{}, err
	}
	return c, nil
}

func currentAlerts(ctx context.Context, tx pgx.Tx, tenantID, integrationID string, keys []string) (map[string]alertRow, error) {
	rows, err := tx.Query(ctx, currentAlertsSQL, tenantID, integrationID, keys)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	out := make(map[string]alertRow, len(keys))
	var key string
	var r alertRow
	var trig, res, last *time.Time
	// Into bytes, a copy: as a json.RawMessage pgx would parse it again.
	var meta []byte
	_, err = pgx.ForEachRow(rows, []any{&key, &r.ID, &r.ExternalID, &r.ExternalDeviceID, &r.ExternalOrgID, &r.AssetID,
		&r.Severity, &r.RawSeverity, &r.Status, &r.Class, &r.Message, &r.DeviceName, &r.OccurrenceCount,
		&trig, &res, &last, &meta}, func() error {
		r.exists = true
		r.Metadata = meta
		r.TriggeredAt, r.ResolvedAt, r.LastOccurrenceAt = derefTime(trig), derefTime(res), derefTime(last)
		out[key] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	return out, nil
}

func alertAssets(ctx context.Context, tx pgx.Tx, tenantID, integrationID string, devices []string) (map[string]string, error) {
	out := map[string]string{}
	if len(devices) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, alertAssetsSQL, tenantID, integrationID, devices)
	if err != nil {
		return nil, fmt.Errorf("find alert assets: %w", err)
	}
	var device, asset string
	_, err = pgx.ForEachRow(rows, []any{&device, &asset}, func() error {
		out[device] = asset
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find alert assets: %w", err)
	}
	return out, nil
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return dbTime(*t)
}

// alertWrite holds the changed rows as one array per column, and the
// events they caused.
type alertWrite struct {
	ids, keys, extIDs, devices, orgs, assets, severities, rawSeverities, statuses, classes, messages, names []*string
	counts                                                                                                  []int32
	triggered, resolved, last                                                                               []*time.Time
	metadata                                                                                                []string

	eventKeys, eventIDs, eventTypes, eventPayloads []string
}

func (w *alertWrite) len() int { return len(w.keys) }

func (w *alertWrite) add(key string, r alertRow) {
	w.ids = append(w.ids, &r.ID)
	w.keys = append(w.keys, &key)
	w.extIDs = append(w.extIDs, &r.ExternalID)
	w.devices = append(w.devices, textPtr(r.ExternalDeviceID))
	w.orgs = append(w.orgs, textPtr(r.ExternalOrgID))
	w.assets = append(w.assets, textPtr(r.AssetID))
	w.severities = append(w.severities, &r.Severity)
	w.rawSeverities = append(w.rawSeverities, textPtr(r.RawSeverity))
	w.statuses = append(w.statuses, &r.Status)
	w.classes = append(w.classes, textPtr(r.Class))
	w.messages = append(w.messages, textPtr(r.Message))
	w.names = append(w.names, textPtr(r.DeviceName))
	w.counts = append(w.counts, int32(r.OccurrenceCount))
	w.triggered = append(w.triggered, timePtr(r.TriggeredAt))
	w.resolved = append(w.resolved, timePtr(r.ResolvedAt))
	w.last = append(w.last, timePtr(r.LastOccurrenceAt))
	meta := string(r.Metadata)
	if meta == "" {
		meta = "{}"
	}
	w.metadata = append(w.metadata, meta)
}

func (w *alertWrite) args(tenantID, integrationID string) []any {
	return []any{tenantID, integrationID, w.ids, w.keys, w.extIDs, w.devices, w.orgs, w.assets, w.severities,
		w.rawSeverities, w.statuses, w.classes, w.messages, w.names, w.counts, w.triggered, w.resolved,
		w.last, w.metadata, w.eventKeys, w.eventIDs, w.eventTypes, w.eventPayloads}
}

// alertPayload is the payload of an alert event; unknown values are left
// out.
type alertPayload struct {
	TenantID         string `json:"tenantId"`
	IntegrationID    string `json:"integrationId"`
	Provider         string `json:"provider"`
	AlertID          string `json:"alertId"`
	ExternalAlertID  string `json:"externalAlertId"`
	Severity         string `json:"severity"`
	OccurrenceCount  int    `json:"occurrenceCount"`
	ExternalDeviceID string `json:"externalDeviceId,omitempty"`
	AssetID          string `json:"assetId,omitempty"`
	Message          string `json:"message,omitempty"`
	AlertClass       string `json:"alertClass,omitempty"`
	TriggeredAt      string `json:"triggeredAt,omitempty"`
	ResolvedAt       string `json:"resolvedAt,omitempty"`
}

// addEvent records the event, if any, of one alert event that took the
// alert from prev to next.
func (w *alertWrite) addEvent(key, tenantID, integrationID, provider string, prev, next alertRow) error {
	typ := alertEventType(prev, next)
	if typ == "" {
		return nil
	}
	p := alertPayload{
		TenantID: tenantID, IntegrationID: integrationID, Provider: provider, AlertID: next.ID,
		ExternalAlertID: next.ExternalID, Severity: next.Severity, OccurrenceCount: next.OccurrenceCount,
		ExternalDeviceID: next.ExternalDeviceID, AssetID: next.AssetID, Message: next.Message, AlertClass: next.Class,
	}
	if !next.TriggeredAt.IsZero() {
		p.TriggeredAt = eventTime(next.TriggeredAt)
	}
	if !isOpen(next.Status) && !next.ResolvedAt.IsZero() {
		p.ResolvedAt = eventTime(next.ResolvedAt)
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("alert event: %w", err)
	}
	w.eventKeys, w.eventIDs, w.eventTypes = append(w.eventKeys, key), append(w.eventIDs, next.ID), append(w.eventTypes, typ)
	w.eventPayloads = append(w.eventPayloads, string(data))
	return nil
}

// newUUID returns a random (version 4) UUID: new alerts get their ids
// here, so that their events can name them before they are written.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// alertEventType names the event of an alert going from prev to next:
// triggered when an occurrence opens (a new alert, a repeat, a reopen),
// resolved when an open alert closes or a new one arrives resolved, none
// otherwise (a replay, a refresh of the same occurrence).
func alertEventType(prev, next alertRow) string {
	newOccurrence := !prev.exists || next.OccurrenceCount > prev.OccurrenceCount
	wasOpen := prev.exists && isOpen(prev.Status)
	switch {
	case isOpen(next.Status) && newOccurrence:
		return EventAlertTriggered
	case !isOpen(next.Status) && (wasOpen || !prev.exists):
		return EventAlertResolved
	}
	return ""
}
