package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// DeviceSync is a full device sync in progress. Devices written through
// it are recorded as seen (in rmm_device_sync_seen, a row per batch, never
// on the asset row, so an unchanged device is still not rewritten);
// FinishDeviceSync then marks the devices the sync did not see as missing
// and retires the ones missing for long enough (see lifecycle.go).
//
//	ds, _ := st.BeginDeviceSync(ctx, tenant, integration)
//	for each batch: st.UpsertSyncDevices(ctx, ds, provider, orgClients, batch)
//	st.FinishDeviceSync(ctx, ds, orgs, summary.Skipped == 0 && no error)
type DeviceSync struct {
	TenantID      string
	IntegrationID string
	// Generation numbers the integration's full device syncs as they
	// begin: it is rmm_sync_state.full_sync_generation, counted up by
	// BeginDeviceSync. Complete syncs are counted apart.
	Generation int64
	// Grace is how long a device must have been missing before its asset
	// is retired, from the integration's settings.lifecycle.
	Grace time.Duration
}

// DeviceSyncResult is what finishing a full device sync did.
type DeviceSyncResult struct {
	Missing int64 // assets marked missing (again) by this sync
	Retired int64 // assets made inactive by this sync
}

// BeginDeviceSync starts a full device sync. It fails with an
// *InvalidError when the integration's lifecycle settings are invalid:
// guessing a grace period could retire devices too early.
func (s *Store) BeginDeviceSync(ctx context.Context, tenantID, integrationID string) (DeviceSync, error) {
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return DeviceSync{}, ErrNotFound
	}
	ds := DeviceSync{TenantID: tenantID, IntegrationID: integrationID}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var settings []byte
		err := tx.QueryRow(ctx, `SELECT settings FROM rmm_integrations WHERE tenant = $1 AND integration_id = $2`,
			tenantID, integrationID).Scan(&settings)
		if err != nil {
			return notFound(err, "begin device sync")
		}
		lc, err := ParseLifecycleSettings(settings)
		if err != nil {
			return err
		}
		ds.Grace = lc.MissingGrace()
		err = tx.QueryRow(ctx, `
INSERT INTO rmm_sync_state AS t (tenant, integration_id, kind, full_sync_generation) VALUES ($1, $2, 'devices', 1)
ON CONFLICT (tenant, integration_id, kind) DO UPDATE
   SET full_sync_generation = t.full_sync_generation + 1, updated_at = now()
RETURNING full_sync_generation`, tenantID, integrationID).Scan(&ds.Generation)
		if err != nil {
			return fmt.Errorf("begin device sync: %w", err)
		}
		return nil
	})
	if err != nil {
		return DeviceSync{}, err
	}
	return ds, nil
}

// UpsertSyncDevices is UpsertDevices within a full sync: the devices it
// writes (changed or not) are also recorded as seen by ds.
func (s *Store) UpsertSyncDevices(ctx context.Context, ds DeviceSync, provider string, orgClients map[string]string, devices []rmm.Device) (Counts, error) {
	if ds.Generation <= 0 {
		return Counts{}, &InvalidError{Field: "generation", Msg: "use BeginDeviceSync"}
	}
	return s.upsertDevices(ctx, ds.TenantID, ds.IntegrationID, provider, ds.Generation, orgClients, devices)
}

// finishSyncSQL records that generation $3 ended, complete ($4) or not. It
// matches nothing when a newer sync has begun since, or when this one was
// finished already: such a finish must mark nothing.
const finishSyncSQL = `
UPDATE rmm_sync_state
   SET finished_full_sync_generation = $3, complete_full_syncs = complete_full_syncs + CASE WHEN $4 THEN 1 ELSE 0 END,
       updated_at = now()
 WHERE tenant = $1 AND integration_id = $2 AND kind = 'devices'
   AND full_sync_generation = $3 AND finished_full_sync_generation < $3`

// markMissingSQL marks the active assets of the synced organisations ($4)
// that sync $3 did not see (in none of its batches' rows, read once and
// hashed). Retired assets are left alone, so that a full sync does not
// rewrite them every time.
const markMissingSQL = `
UPDATE assets t
   SET missing_since = coalesce(t.missing_since, now()), missing_full_syncs = t.missing_full_syncs + 1,
       updated_at = now()
 WHERE t.tenant = $1 AND t.integration_id = $2 AND t.rmm_device_id IS NOT NULL AND t.status <> 'inactive'
   AND t.rmm_organization_id = ANY($4::text[])
   AND NOT EXISTS (SELECT 1 FROM rmm_device_sync_seen s CROSS JOIN LATERAL unnest(s.asset_ids) AS seen(asset_id)
                    WHERE s.tenant = $1 AND s.integration_id = $2 AND s.generation = $3 AND seen.asset_id = t.asset_id)`

// retireMissingSQL makes inactive the assets of the synced organisations
// ($3) missing for at least $4 complete syncs and longer than $5
// microseconds, and writes an RMM_DEVICE_DELETED event for each.
func retireMissingSQL() string {
	return `
WITH gone AS (
    UPDATE assets t SET status = 'inactive', updated_at = now()
     WHERE t.tenant = $1 AND t.integration_id = $2 AND t.missing_since IS NOT NULL
       AND t.rmm_device_id IS NOT NULL AND t.status <> 'inactive'
       AND t.rmm_organization_id = ANY($3::text[])
       AND t.missing_full_syncs >= $4
       AND t.missing_since <= now() - $5::bigint * interval '1 microsecond'
    RETURNING t.asset_id, t.rmm_device_id, t.rmm_organization_id, t.rmm_provider, t.name, t.asset_type,
              t.missing_since, t.missing_full_syncs
), ev AS (
    INSERT INTO event_outbox (tenant, event_type, payload)
    SELECT $1::uuid, '` + EventDeviceDeleted + `', ` + deviceDeletedPayloadSQL(
		`'missingSince', `+sqlEventTime("g.missing_since")+`, 'missingFullSyncs', g.missing_full_syncs`) + `
      FROM gone g ORDER BY g.rmm_device_id
)
SELECT count(*) FROM gone`
}

// deviceDeletedPayloadSQL builds an RMM_DEVICE_DELETED payload from gone
// g (the retired assets, $1 tenant, $2 integration), with extra members.
func deviceDeletedPayloadSQL(extra string) string {
	return `jsonb_strip_nulls(jsonb_build_object(
               'tenantId', $1::uuid, 'integrationId', $2::uuid, 'provider', g.rmm_provider,
               'assetId', g.asset_id, 'externalDeviceId', g.rmm_device_id,
               'externalOrganizationId', g.rmm_organization_id, 'deviceName', g.name, 'deviceType', g.asset_type,
               ` + extra + `))`
}

// FinishDeviceSync ends a full device sync. When complete (every device
// of orgs was delivered: no provider skips, no error), every active asset
// of the integration in one of orgs (external org ids, the sync's
// targets) that the sync did not see gets missing_since (kept from an
// earlier miss) and missing_full_syncs + 1; then every asset of orgs
// missing for at least MinMissingFullSyncs complete syncs and longer than
// ds.Grace is retired (status inactive, an RMM_DEVICE_DELETED event). An
// incomplete sync marks and retires nothing. Either way the sync's
// seen-set, and that of any older sync that never finished, is dropped.
//
// Finishing a sync twice, or after a newer one began, marks nothing and
// is ErrConflict.
func (s *Store) FinishDeviceSync(ctx context.Context, ds DeviceSync, orgs []string, complete bool) (DeviceSyncResult, error) {
	if !isUUID(ds.TenantID) || !isUUID(ds.IntegrationID) {
		return DeviceSyncResult{}, ErrNotFound
	}
	var res DeviceSyncResult
	stale := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, finishSyncSQL, ds.TenantID, ds.IntegrationID, ds.Generation, complete)
		if err != nil {
			return fmt.Errorf("finish device sync: %w", err)
		}
		if tag.RowsAffected() == 0 {
			// Still drop the seen-set, which no finish will read.
			stale = true
			return dropSeen(ctx, tx, ds)
		}
		if complete {
			tag, err := tx.Exec(ctx, markMissingSQL, ds.TenantID, ds.IntegrationID, ds.Generation, orgs)
			if err != nil {
				return fmt.Errorf("mark missing devices: %w", err)
			}
			res.Missing = tag.RowsAffected()
			// Devices missed by earlier syncs may be past the grace now.
			err = tx.QueryRow(ctx, retireMissingSQL(), ds.TenantID, ds.IntegrationID, orgs,
				MinMissingFullSyncs, micros(max(ds.Grace, 0))).Scan(&res.Retired)
			if err != nil {
				return fmt.Errorf("retire missing devices: %w", err)
			}
			if res.Retired > 0 {
				if err := notifyEvents(ctx, tx); err != nil {
					return fmt.Errorf("retire missing devices: %w", err)
				}
			}
		}
		return dropSeen(ctx, tx, ds)
	})
	if err != nil {
		return DeviceSyncResult{}, err
	}
	if stale {
		return DeviceSyncResult{}, fmt.Errorf("%w: full device sync %d was finished already or a newer one began", ErrConflict, ds.Generation)
	}
	return res, nil
}

func dropSeen(ctx context.Context, tx pgx.Tx, ds DeviceSync) error {
	_, err := tx.Exec(ctx,
		`DELETE FROM rmm_device_sync_seen WHERE tenant = $1 AND integration_id = $2 AND generation <= $3`,
		ds.TenantID, ds.IntegrationID, ds.Generation)
	if err != nil {
		return fmt.Errorf("finish device sync: %w", err)
	}
	return nil
}
