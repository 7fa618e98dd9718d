package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// A device batch is written in one transaction with a fixed number of
// statements whatever its size: stage (COPY), merge assets, look up the
// ids of unchanged ones, merge the detail rows, the crosswalk and the
// seen-set in one statement, write the events and count, and announce the
// events. Rows whose values are unchanged are neither written nor locked,
// and yield no event. Each step compares what it wrote with the rows as
// they were before (a statement reads its target tables as of its start,
// whatever its own CTEs write), to name the changed columns.

// assetSyncCols are the assets columns a device sync owns. asset_tag is
// written only when the asset is created: the PSA user may change it.
// last_rmm_sync_at is when the RMM last changed the asset's data.
func assetSyncCols() []col {
	return []col{
		{"client_id", "s.client_id::uuid"},
		{"asset_type", "s.asset_type"},
		{"name", "s.name"},
		{"serial_number", "s.serial_number"},
		{"status", "'active'"},
		{"rmm_provider", "$3::text"},
		{"rmm_organization_id", "s.org_id"},
		{"rmm_site_id", "s.site_id"},
		{"rmm_site_name", "s.site_name"},
		{"agent_status", "s.agent_status"},
		{"last_seen_at", "s.last_seen_at"},
		// A device seen again is no longer missing.
		{"missing_since", "NULL::timestamptz"},
		{"missing_full_syncs", "0"},
	}
}

// detailCols are the workstation_assets or server_assets columns.
func detailCols(server bool) []col {
	cols := []col{
		{"os_type", "s.os_type"},
		{"os_version", "s.os_version"},
		{"cpu_model", "s.cpu_model"},
		{"cpu_cores", "s.cpu_cores"},
		{"ram_gb", "s.ram_gb"},
		{"agent_version", "s.agent_version"},
		{"last_reboot_at", "s.last_reboot_at"},
		{"system_info", "s.system_info"},
		{`"current_user"`, "s.logged_in_user"},
		{"last_user", "s.last_user"},
		{"uptime_seconds", "s.uptime_seconds"},
		{"lan_ip", "s.lan_ip"},
		{"wan_ip", "s.wan_ip"},
		{"disk_usage", "s.disk_usage"},
	}
	if server {
		return append(cols, col{"primary_ip", "s.lan_ip"})
	}
	return append(cols, col{"storage_capacity_gb", "s.storage_capacity_gb"})
}

// crosswalkCols are the tenant_external_entity_mappings columns.
func crosswalkCols() []col {
	return []col{
		{"integration_type", "$3::text"},
		{"alga_entity_id", "s.asset_id::text"},
		{"external_realm_id", "s.org_id"},
		{"sync_status", "'synced'"},
		{"metadata", "s.mapping_meta"},
	}
}

// mergeAssetsSQL creates or updates the assets of a batch ($1 tenant,
// $2 integration, $3 provider) and notes which ones it wrote, with their
// agent status before and the columns that changed. cur pairs each device
// with its asset as it was (a join on the device identity, which the
// planner sizes right; an anti-join on every column it estimates at one
// row and scans the whole table per device) and keeps the ones to write.
func mergeAssetsSQL() string {
	cols := assetSyncCols()
	return `
WITH src AS (
    SELECT DISTINCT ON (ext_id) * FROM stg_devices ORDER BY ext_id, ord DESC
), cur AS (
    SELECT s.ext_id, o.agent_status AS prev_status, ` + changedFromSource("o", cols) + ` AS changes
      FROM src s
      LEFT JOIN assets o ON o.tenant = $1 AND o.integration_id = $2 AND o.rmm_device_id = s.ext_id
     WHERE o.asset_id IS NULL OR ` + differsFromSource("o", cols) + `
), up AS (
    INSERT INTO assets AS t (tenant, integration_id, rmm_device_id, asset_tag, ` + colNames(cols, "") + `, last_rmm_sync_at)
    SELECT $1::uuid, $2::uuid, s.ext_id, s.asset_tag, ` + colExprs(cols) + `, now()
      FROM src s JOIN cur USING (ext_id)
    ON CONFLICT (tenant, integration_id, rmm_device_id) WHERE rmm_device_id IS NOT NULL DO UPDATE
       SET ` + setExcluded(cols) + `, last_rmm_sync_at = now(), updated_at = now()
     WHERE ` + differsFromExcluded(cols) + `
    RETURNING t.rmm_device_id, t.asset_id, (t.xmax = 0) AS inserted
)
UPDATE stg_devices s SET asset_id = up.asset_id, created = up.inserted, changed = true, prev_status = cur.prev_status,
       changes = CASE WHEN up.inserted THEN '{}' ELSE cur.changes END
  FROM up JOIN cur ON cur.ext_id = up.rmm_device_id
 WHERE s.ext_id = up.rmm_device_id`
}

// lookupAssetsSQL finds the assets the merge left alone. It is a statement
// of its own so that it sees rows a concurrent batch committed meanwhile.
const lookupAssetsSQL = `
UPDATE stg_devices s SET asset_id = t.asset_id
  FROM assets t
 WHERE s.asset_id IS NULL AND t.tenant = $1 AND t.integration_id = $2 AND t.rmm_device_id = s.ext_id`

// mergeDetailsSQL writes, in one statement, each asset's workstation or
// server row (moving it when the device changed kind), its crosswalk row
// and, during a full sync ($4 > 0), its seen mark; then flags the devices
// whose rows changed and adds the changed detail columns to their changes
// ("mapping" for the crosswalk; none for a new row). Each cur_ CTE pairs
// a device with its row as it was, as in mergeAssetsSQL.
func mergeDetailsSQL() string {
	ws, sv, cw := detailCols(false), detailCols(true), crosswalkCols()
	current := func(table string, cols []col, where string) string {
		return `
    SELECT s.asset_id, CASE WHEN o.asset_id IS NOT NULL THEN ` + changedFromSource("o", cols) + ` END AS ch
      FROM src s LEFT JOIN ` + table + ` o ON o.tenant = $1 AND o.asset_id = s.asset_id
     WHERE ` + where + ` AND (o.asset_id IS NULL OR ` + differsFromSource("o", cols) + `)`
	}
	upsert := func(table, cur string, cols []col) string {
		return `
    INSERT INTO ` + table + ` AS t (tenant, asset_id, ` + colNames(cols, "") + `)
    SELECT $1::uuid, s.asset_id, ` + colExprs(cols) + `
      FROM src s JOIN ` + cur + ` USING (asset_id)
    ON CONFLICT (tenant, asset_id) DO UPDATE SET ` + setExcluded(cols) + `
     WHERE ` + differsFromExcluded(cols) + `
    RETURNING t.asset_id`
	}
	return `
WITH src AS (
    SELECT DISTINCT ON (asset_id) * FROM stg_devices WHERE asset_id IS NOT NULL ORDER BY asset_id, ord DESC
), gone_w AS (
    DELETE FROM workstation_assets t USING src s
     WHERE t.tenant = $1 AND t.asset_id = s.asset_id AND s.is_server RETURNING t.asset_id
), gone_s AS (
    DELETE FROM server_assets t USING src s
     WHERE t.tenant = $1 AND t.asset_id = s.asset_id AND NOT s.is_server RETURNING t.asset_id
), cur_w AS (` + current("workstation_assets", ws, "NOT s.is_server") + `
), cur_s AS (` + current("server_assets", sv, "s.is_server") + `
), up_w AS (` + upsert("workstation_assets", "cur_w", ws) + `
), up_s AS (` + upsert("server_assets", "cur_s", sv) + `
), cur_m AS (
    SELECT s.asset_id
      FROM src s
      LEFT JOIN tenant_external_entity_mappings o
        ON o.tenant = $1 AND o.integration_id = $2 AND o.alga_entity_type = 'asset' AND o.external_entity_id = s.ext_id
     WHERE o.id IS NULL OR ` + differsFromSource("o", cw) + `
), up_m AS (
    INSERT INTO tenant_external_entity_mappings AS t
           (tenant, integration_id, alga_entity_type, external_entity_id, ` + colNames(cw, "") + `, last_synced_at)
    SELECT $1::uuid, $2::uuid, 'asset', s.ext_id, ` + colExprs(cw) + `, now()
      FROM src s JOIN cur_m USING (asset_id)
    ON CONFLICT (tenant, integration_id, alga_entity_type, external_entity_id) DO UPDATE
       SET ` + setExcluded(cw) + `, last_synced_at = now(), updated_at = now()
     WHERE ` + differsFromExcluded(cw) + `
    RETURNING t.alga_entity_id::uuid AS asset_id
), seen AS (
    INSERT INTO rmm_device_sync_seen (tenant, integration_id, generation, asset_id)
    SELECT $1::uuid, $2::uuid, $4::bigint, s.asset_id FROM src s WHERE $4::bigint > 0
    ON CONFLICT DO NOTHING
), changed_rows AS (
    SELECT asset_id, cur_w.ch FROM up_w JOIN cur_w USING (asset_id)
    UNION ALL SELECT asset_id, cur_s.ch FROM up_s JOIN cur_s USING (asset_id)
    UNION ALL SELECT asset_id, ARRAY['mapping'] FROM up_m
    UNION ALL SELECT asset_id, '{}' FROM gone_w
    UNION ALL SELECT asset_id, '{}' FROM gone_s
), touched AS (
    SELECT r.asset_id, coalesce(array_agg(DISTINCT c) FILTER (WHERE c IS NOT NULL), '{}') AS ch
      FROM changed_rows r LEFT JOIN LATERAL unnest(r.ch) AS c ON true
     GROUP BY r.asset_id
)
UPDATE stg_devices s SET changed = true, changes = s.changes || c.ch
  FROM touched c WHERE s.asset_id = c.asset_id AND (NOT s.changed OR cardinality(c.ch) > 0)`
}

// deviceEventsSQL writes the batch's events ($1 tenant, $2 integration,
// $3 provider), in batch order: RMM_DEVICE_CREATED or RMM_DEVICE_UPDATED
// (with the changed columns) for each device whose rows changed, then
// RMM_DEVICE_ONLINE or RMM_DEVICE_OFFLINE for each existing device that
// came online or stopped being online (offline, overdue or unknown). It
// returns the batch's counts and how many events it wrote.
func deviceEventsSQL() string {
	base := `jsonb_strip_nulls(jsonb_build_object('tenantId', $1::uuid, 'integrationId', $2::uuid, 'provider', $3::text,
               'assetId', d.asset_id, 'externalDeviceId', d.ext_id, 'externalOrganizationId', d.org_id,
               'deviceName', d.name, 'deviceType', d.asset_type`
	return `
WITH d AS (
    SELECT DISTINCT ON (ext_id) ext_id, ord, created, changed, asset_id, org_id, name, asset_type, agent_status,
           prev_status, last_seen_at, changes
      FROM stg_devices ORDER BY ext_id, ord DESC
), ev AS (
    INSERT INTO event_outbox (tenant, event_type, payload)
    SELECT $1::uuid, e.event_type, e.payload FROM (
        SELECT d.ord, 0 AS seq,
               CASE WHEN d.created THEN '` + EventDeviceCreated + `' ELSE '` + EventDeviceUpdated + `' END AS event_type,
               ` + base + `,
               'changes', CASE WHEN NOT d.created AND cardinality(d.changes) > 0 THEN to_jsonb(d.changes) END)) AS payload
          FROM d WHERE d.changed
        UNION ALL
        SELECT d.ord, 1,
               CASE WHEN d.agent_status = 'online' THEN '` + EventDeviceOnline + `' ELSE '` + EventDeviceOffline + `' END,
               ` + base + `,
               'previousStatus', d.prev_status, 'currentStatus', d.agent_status,
               'lastSeenAt', ` + sqlEventTime("d.last_seen_at") + `))
          FROM d WHERE NOT d.created AND d.prev_status IS NOT NULL
           AND (d.prev_status = 'online') <> (d.agent_status = 'online')
    ) e
    ORDER BY e.ord, e.seq
    RETURNING 1
)
SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE changed AND NOT created), count(*) FILTER (WHERE NOT changed),
       (SELECT count(*) FROM ev)
  FROM d`
}

// UpsertDevices writes one batch of devices in one transaction: each
// device's asset, its workstation_assets or server_assets row (kind
// "other" is kept as a workstation; system_info.kind says "other") and its
// crosswalk row. A device is identified by (integration, external id), so
// one that moved to another organisation updates its asset.
//
// Devices whose organisation is not in orgClients (external org id ->
// client id, see SyncTargets) are left out and not counted: a device is
// never attached to a client its organisation is not mapped to. Devices
// without an external id count as failed. Within the batch the last
// occurrence of a device wins.
//
// Counts are per device: created (new asset), updated (any of its rows
// changed), unchanged (nothing written).
//
// A device written is an active asset that is not missing: one that was
// missing or retired is the same asset again. The batch's events
// (RMM_DEVICE_CREATED, _UPDATED, _ONLINE, _OFFLINE; see deviceEventsSQL)
// are written in its transaction; an unchanged device yields none.
func (s *Store) UpsertDevices(ctx context.Context, tenantID, integrationID, provider string, orgClients map[string]string, devices []rmm.Device) (Counts, error) {
	return s.upsertDevices(ctx, tenantID, integrationID, provider, 0, orgClients, devices)
}

func (s *Store) upsertDevices(ctx context.Context, tenantID, integrationID, provider string, generation int64, orgClients map[string]string, devices []rmm.Device) (Counts, error) {
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return Counts{}, ErrNotFound
	}
	var c Counts
	rows := make([][]any, 0, len(devices))
	for i, d := range devices {
		if d.ExternalID == "" {
			c.Failed++
			continue
		}
		client, ok := orgClients[d.OrgExternalID]
		if !ok || !isUUID(client) {
			continue
		}
		row, err := deviceRow(d, i, client)
		if err != nil {
			return Counts{}, fmt.Errorf("device %q: %w", d.ExternalID, err)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return c, nil
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, stageDevicesSQL); err != nil {
			return fmt.Errorf("stage devices: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stg_devices"}, deviceCopyColumns(), pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("stage devices: %w", err)
		}
		written, err := tx.Exec(ctx, mergeAssetsSQL(), tenantID, integrationID, provider)
		if err != nil {
			return fmt.Errorf("merge assets: %w", err)
		}
		// Rows written bound the rows added; close enough to tell growth.
		if err := analyzeIfGrown(ctx, tx, "assets", written.RowsAffected()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, lookupAssetsSQL, tenantID, integrationID); err != nil {
			return fmt.Errorf("find assets: %w", err)
		}
		if _, err := tx.Exec(ctx, mergeDetailsSQL(), tenantID, integrationID, provider, generation); err != nil {
			return fmt.Errorf("merge asset details: %w", err)
		}
		var created, updated, unchanged, events int64
		err = tx.QueryRow(ctx, deviceEventsSQL(), tenantID, integrationID, provider).Scan(&created, &updated, &unchanged, &events)
		if err != nil {
			return fmt.Errorf("device events: %w", err)
		}
		c.Created, c.Updated, c.Unchanged = created, updated, unchanged
		if events > 0 {
			if err := notifyEvents(ctx, tx); err != nil {
				return fmt.Errorf("device events: %w", err)
			}
		}
		return nil
	})
	if pgErrCode(err) == pgForeignKeyViolation {
		// The integration or a client is not the tenant's.
		return Counts{}, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if err != nil {
		return Counts{}, err
	}
	return c, nil
}
