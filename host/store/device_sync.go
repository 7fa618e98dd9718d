package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// DeviceSync is a full device sync in progress. Devices written through
// it are recorded as seen (in rmm_device_sync_seen, never on the asset
// row, so an unchanged device is still not rewritten); FinishDeviceSync
// then marks the devices the sync did not see as missing.
//
//	ds, _ := st.BeginDeviceSync(ctx, tenant, integration)
//	for each batch: st.UpsertSyncDevices(ctx, ds, provider, orgClients, batch)
//	st.FinishDeviceSync(ctx, ds, orgs, summary.Skipped == 0 && no error)
type DeviceSync struct {
	TenantID      string
	IntegrationID string
	// Generation numbers the integration's full device syncs: it is
	// rmm_sync_state.full_sync_generation, counted up when a sync begins.
	Generation int64
}

// BeginDeviceSync starts a full device sync.
func (s *Store) BeginDeviceSync(ctx context.Context, tenantID, integrationID string) (DeviceSync, error) {
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return DeviceSync{}, ErrNotFound
	}
	ds := DeviceSync{TenantID: tenantID, IntegrationID: integrationID}
	err := s.pool.QueryRow(ctx, `
INSERT INTO rmm_sync_state AS t (tenant, integration_id, kind, full_sync_generation) VALUES ($1, $2, 'devices', 1)
ON CONFLICT (tenant, integration_id, kind) DO UPDATE
   SET full_sync_generation = t.full_sync_generation + 1, updated_at = now()
RETURNING full_sync_generation`, tenantID, integrationID).Scan(&ds.Generation)
	if pgErrCode(err) == pgForeignKeyViolation {
		return DeviceSync{}, ErrNotFound
	}
	if err != nil {
		return DeviceSync{}, fmt.Errorf("begin device sync: %w", err)
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

// FinishDeviceSync ends a full device sync. When complete (every device
// of orgs was delivered: no provider skips, no error), every asset of the
// integration in one of orgs (external org ids, the sync's targets) that
// the sync did not see gets missing_since (kept from an earlier miss) and
// missing_full_syncs + 1; it returns how many. An incomplete sync marks
// nothing. Either way the sync's seen-set, and that of any older sync that
// never finished, is dropped.
func (s *Store) FinishDeviceSync(ctx context.Context, ds DeviceSync, orgs []string, complete bool) (missing int64, err error) {
	if !isUUID(ds.TenantID) || !isUUID(ds.IntegrationID) {
		return 0, ErrNotFound
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if complete {
			tag, err := tx.Exec(ctx, `
UPDATE assets t
   SET missing_since = coalesce(t.missing_since, now()), missing_full_syncs = t.missing_full_syncs + 1,
       updated_at = now()
 WHERE t.tenant = $1 AND t.integration_id = $2 AND t.rmm_device_id IS NOT NULL
   AND t.rmm_organization_id = ANY($4::text[])
   AND NOT EXISTS (SELECT 1 FROM rmm_device_sync_seen s
                    WHERE s.tenant = $1 AND s.integration_id = $2 AND s.generation = $3 AND s.asset_id = t.asset_id)`,
				ds.TenantID, ds.IntegrationID, ds.Generation, orgs)
			if err != nil {
				return fmt.Errorf("mark missing devices: %w", err)
			}
			missing = tag.RowsAffected()
		}
		_, err := tx.Exec(ctx,
			`DELETE FROM rmm_device_sync_seen WHERE tenant = $1 AND integration_id = $2 AND generation <= $3`,
			ds.TenantID, ds.IntegrationID, ds.Generation)
		if err != nil {
			return fmt.Errorf("finish device sync: %w", err)
		}
		return nil
	})
	return missing, err
}
