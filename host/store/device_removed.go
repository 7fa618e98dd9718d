package store

import (
	"context"
	"fmt"
)

// retireRemovedSQL retires the assets of devices ($3) the RMM reports
// deleted and writes an RMM_DEVICE_DELETED event for each, as
// retireMissingSQL does for devices missing from full syncs.
func retireRemovedSQL() string {
	return `
WITH gone AS (
    UPDATE assets t SET status = 'inactive', missing_since = coalesce(t.missing_since, now()), updated_at = now()
     WHERE t.tenant = $1 AND t.integration_id = $2 AND t.rmm_device_id = ANY($3::text[]) AND t.status <> 'inactive'
    RETURNING t.asset_id, t.rmm_device_id, t.rmm_organization_id, t.rmm_provider, t.name, t.asset_type
), ev AS (
    INSERT INTO event_outbox (tenant, event_type, payload)
    SELECT $1::uuid, '` + EventDeviceDeleted + `', ` + deviceDeletedPayloadSQL(`'reason', 'deleted in the RMM'`) + `
      FROM gone g ORDER BY g.rmm_device_id
), announce AS MATERIALIZED (
    SELECT pg_notify('` + EventsChannel + `', '') IS NULL AS notified WHERE EXISTS (SELECT 1 FROM gone)
)
SELECT count(*) FROM gone LEFT JOIN announce ON true`
}

// RetireRemovedDevices retires the assets of devices the RMM reports
// deleted (NinjaOne's NODE_DELETED webhook, for one): status inactive,
// missing_since set if it was not, and an RMM_DEVICE_DELETED event each.
// Absence from a sync proves nothing until the grace period passes (see
// FinishDeviceSync), but this is the RMM's own word, so the asset does
// not linger. A device a later sync delivers again is active again, as
// any retired device is. Devices without an asset, or already retired,
// are left alone; it returns how many were retired.
func (s *Store) RetireRemovedDevices(ctx context.Context, tenantID, integrationID string, externalIDs []string) (int64, error) {
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return 0, ErrNotFound
	}
	if len(externalIDs) == 0 {
		return 0, nil
	}
	var n int64
	if err := s.pool.QueryRow(ctx, retireRemovedSQL(), tenantID, integrationID, externalIDs).Scan(&n); err != nil {
		return 0, fmt.Errorf("retire removed devices: %w", err)
	}
	return n, nil
}
