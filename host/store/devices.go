package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// A device batch is written in one transaction with a fixed number of
// statements whatever its size: stage (COPY), merge assets, merge the
// detail rows, the crosswalk and the seen-set and write the events in one
// statement, and announce the events. Rows whose values are unchanged are
// neither written nor locked, and yield no event. Each step compares what
// it wrote with the rows as they were before (a statement reads its target
// tables as of its start, whatever its own CTEs write), to name the
// changed columns.
//
// Every read of a stored table is by the batch's keys (= ANY of an array
// on the columns of a unique index), so that a batch costs a few index
// probes per device however large the tables are. Joined on the key
// alone, the planner hashed whole tables per batch whenever a growing
// table's statistics were stale, which made a first sync quadratic in the
// fleet.

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
// $2 integration, $3 provider, $4 the batch's external ids) and records on
// each staged device its asset; on the ones it wrote, whether it created
// the asset, its agent status before and the columns that changed. old
// pairs each device with its asset as it was, found by the device
// identity; only the devices to write go to the INSERT, so that an
// unchanged asset is not even locked. A device whose asset another
// transaction created after this statement began is left without one
// (the caller looks it up).
func mergeAssetsSQL() string {
	cols := assetSyncCols()
	return `
WITH old AS (
    SELECT s.ext_id, o.asset_id, o.agent_status AS prev_status,
           o.asset_id IS NULL OR ` + differsFromSource("o", cols) + ` AS write,
           ` + changedFromSource("o", cols) + ` AS changes
      FROM stg_devices s
      LEFT JOIN assets o ON o.tenant = $1 AND o.integration_id = $2 AND o.rmm_device_id = s.ext_id
                        AND o.rmm_device_id = ANY ($4::text[])
), up AS (
    INSERT INTO assets AS t (tenant, integration_id, rmm_device_id, asset_tag, ` + colNames(cols, "") + `, last_rmm_sync_at)
    SELECT $1::uuid, $2::uuid, s.ext_id, s.asset_tag, ` + colExprs(cols) + `, now()
      FROM stg_devices s JOIN old USING (ext_id)
     WHERE old.write
     ORDER BY s.ext_id
    ON CONFLICT (tenant, integration_id, rmm_device_id) WHERE rmm_device_id IS NOT NULL DO UPDATE
       SET ` + setExcluded(cols) + `, last_rmm_sync_at = now(), updated_at = now()
     WHERE ` + differsFromExcluded(cols) + `
    RETURNING t.rmm_device_id, t.asset_id, (t.xmax = 0) AS inserted
)
UPDATE stg_devices s
   SET asset_id = coalesce(up.asset_id, old.asset_id), created = coalesce(up.inserted, false),
       changed = up.asset_id IS NOT NULL,
       prev_status = CASE WHEN up.asset_id IS NOT NULL THEN old.prev_status END,
       changes = CASE WHEN NOT up.inserted THEN old.changes ELSE '{}' END
  FROM old LEFT JOIN up ON up.rmm_device_id = old.ext_id
 WHERE s.ext_id = old.ext_id AND coalesce(up.asset_id, old.asset_id) IS NOT NULL`
}

// lookupAssetsSQL finds the assets that mergeAssetsSQL left without one
// because another transaction committed them meanwhile: a statement of
// its own sees them.
const lookupAssetsSQL = `
UPDATE stg_devices s SET asset_id = t.asset_id
  FROM assets t
 WHERE s.asset_id IS NULL AND t.tenant = $1 AND t.integration_id = $2 AND t.rmm_device_id = s.ext_id
   AND t.rmm_device_id = ANY ($3::text[])`

// mergeDetailsSQL writes, in one statement, each asset's workstation or
// server row (moving it when the device changed kind), its crosswalk row
// and, during a full sync ($4 > 0), the batch's seen mark (one row for
// the batch, with every asset it wrote, changed or not); then the batch's
// events, and returns its counts. $5 are the batch's external ids.
//
// Each cur_ CTE pairs a device with its row as it was, read by the key
// (asset ids: those of the assets this batch did not create, which alone
// can have rows), and keeps the rows to write. A device is changed when
// its asset was written (mergeAssetsSQL) or any of these rows was; its
// changes add the changed detail columns ("mapping" for the crosswalk;
// none for a new row).
//
// The events, in batch order: RMM_DEVICE_CREATED or RMM_DEVICE_UPDATED
// (with the changed columns) for each changed device, then
// RMM_DEVICE_ONLINE or RMM_DEVICE_OFFLINE for each existing device that
// came online or stopped being online (offline, overdue or unknown).
func mergeDetailsSQL() string {
	ws, sv, cw := detailCols(false), detailCols(true), crosswalkCols()
	const known = `ARRAY(SELECT asset_id FROM stg_devices WHERE asset_id IS NOT NULL AND NOT created)`
	current := func(table string, cols []col, where string) string {
		return `
    SELECT s.asset_id, CASE WHEN o.asset_id IS NOT NULL THEN ` + changedFromSource("o", cols) + ` END AS ch
      FROM src s LEFT JOIN ` + table + ` o ON o.tenant = $1 AND o.asset_id = s.asset_id AND o.asset_id = ANY (` + known + `)
     WHERE ` + where + ` AND (o.asset_id IS NULL OR ` + differsFromSource("o", cols) + `)`
	}
	upsert := func(table, cur string, cols []col) string {
		return `
    INSERT INTO ` + table + ` AS t (tenant, asset_id, ` + colNames(cols, "") + `)
    SELECT $1::uuid, s.asset_id, ` + colExprs(cols) + `
      FROM src s JOIN ` + cur + ` USING (asset_id)
     ORDER BY s.asset_id
    ON CONFLICT (tenant, asset_id) DO UPDATE SET ` + setExcluded(cols) + `
     WHERE ` + differsFromExcluded(cols) + `
    RETURNING t.asset_id`
	}
	// moved deletes the detail rows of the kind a device no longer is.
	moved := func(table string, server bool) string {
		cond := "is_server"
		if !server {
			cond = "NOT is_server"
		}
		return `
    DELETE FROM ` + table + ` t
     WHERE t.tenant = $1 AND t.asset_id = ANY (ARRAY(SELECT asset_id FROM stg_devices
                                                      WHERE asset_id IS NOT NULL AND NOT created AND ` + cond + `))
    RETURNING t.asset_id`
	}
	base := `jsonb_strip_nulls(jsonb_build_object('tenantId', $1::uuid, 'integrationId', $2::uuid, 'provider', $3::text,
               'assetId', d.asset_id, 'externalDeviceId', d.ext_id, 'externalOrganizationId', d.org_id,
               'deviceName', d.name, 'deviceType', d.asset_type`
	return `
WITH src AS (
    SELECT * FROM stg_devices WHERE asset_id IS NOT NULL
), gone_w AS (` + moved("workstation_assets", true) + `
), gone_s AS (` + moved("server_assets", false) + `
), cur_w AS (` + current("workstation_assets", ws, "NOT s.is_server") + `
), cur_s AS (` + current("server_assets", sv, "s.is_server") + `
), up_w AS (` + upsert("workstation_assets", "cur_w", ws) + `
), up_s AS (` + upsert("server_assets", "cur_s", sv) + `
), cur_m AS (
    SELECT s.asset_id
      FROM src s
      LEFT JOIN tenant_external_entity_mappings o
        ON o.tenant = $1 AND o.integration_id = $2 AND o.alga_entity_type = 'asset' AND o.external_entity_id = s.ext_id
       AND o.external_entity_id = ANY ($5::text[])
     WHERE o.id IS NULL OR ` + differsFromSource("o", cw) + `
), up_m AS (
    INSERT INTO tenant_external_entity_mappings AS t
           (tenant, integration_id, alga_entity_type, external_entity_id, ` + colNames(cw, "") + `, last_synced_at)
    SELECT $1::uuid, $2::uuid, 'asset', s.ext_id, ` + colExprs(cw) + `, now()
      FROM src s JOIN cur_m USING (asset_id)
     ORDER BY s.ext_id
    ON CONFLICT (tenant, integration_id, alga_entity_type, external_entity_id) DO UPDATE
       SET ` + setExcluded(cw) + `, last_synced_at = now(), updated_at = now()
     WHERE ` + differsFromExcluded(cw) + `
    RETURNING t.alga_entity_id::uuid AS asset_id
), seen AS (
    INSERT INTO rmm_device_sync_seen (tenant, integration_id, generation, asset_ids)
    SELECT $1::uuid, $2::uuid, $4::bigint, array_agg(s.asset_id) FROM src s HAVING $4::bigint > 0 AND count(*) > 0
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
), d AS (
    SELECT s.ext_id, s.ord, s.created, s.changed OR c.asset_id IS NOT NULL AS changed, s.asset_id, s.org_id, s.name,
           s.asset_type, s.agent_status, s.prev_status, s.last_seen_at,
           s.changes || coalesce(c.ch, '{}') AS changes
      FROM src s LEFT JOIN touched c USING (asset_id)
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

// deviceSyncTables are the tables a first sync fills, with the key columns of
// the batch's look-ups (and of markMissingSQL's, on assets). Their
// statistics are refreshed as they grow: with none, the planner takes a
// tenant's rows for one and reads the batch's keys off whichever index
// leads with tenant, as a filter over every row.
func deviceSyncTables() []keyedTable {
	return []keyedTable{
		{"assets", []string{"tenant", "integration_id", "rmm_device_id", "rmm_organization_id"}},
		{"workstation_assets", []string{"tenant", "asset_id"}},
		{"server_assets", []string{"tenant", "asset_id"}},
		{"tenant_external_entity_mappings", []string{"tenant", "integration_id", "alga_entity_type", "external_entity_id"}},
	}
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
// (RMM_DEVICE_CREATED, _UPDATED, _ONLINE, _OFFLINE; see mergeDetailsSQL)
// are written in its transaction; an unchanged device yields none.
func (s *Store) UpsertDevices(ctx context.Context, tenantID, integrationID, provider string, orgClients map[string]string, devices []rmm.Device) (Counts, error) {
	return s.upsertDevices(ctx, tenantID, integrationID, provider, 0, orgClients, devices)
}

func (s *Store) upsertDevices(ctx context.Context, tenantID, integrationID, provider string, generation int64, orgClients map[string]string, devices []rmm.Device) (Counts, error) {
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return Counts{}, ErrNotFound
	}
	var c Counts
	// The last occurrence of a device wins: only that one is staged, so
	// that every statement sees each device once.
	last := make(map[string]int, len(devices))
	for i, d := range devices {
		if d.ExternalID == "" {
			c.Failed++
			continue
		}
		if client, ok := orgClients[d.OrgExternalID]; ok && isUUID(client) {
			last[clip(d.ExternalID, maxExternalID)] = i
		}
	}
	if len(last) == 0 {
		return c, nil
	}
	rows := make([][]any, 0, len(last))
	extIDs := make([]string, 0, len(last))
	for i, d := range devices {
		id := clip(d.ExternalID, maxExternalID)
		if j, ok := last[id]; !ok || j != i {
			continue
		}
		row, err := deviceRow(d, i, orgClients[d.OrgExternalID])
		if err != nil {
			return Counts{}, fmt.Errorf("device %q: %w", d.ExternalID, err)
		}
		rows = append(rows, row)
		extIDs = append(extIDs, id)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, indexProbeCostSQL+"; SET LOCAL client_min_messages = warning;"+stageDevicesSQL); err != nil {
			return fmt.Errorf("stage devices: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stg_devices"}, deviceCopyColumns(), pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("stage devices: %w", err)
		}
		merged, err := tx.Exec(ctx, mergeAssetsSQL(), tenantID, integrationID, provider, extIDs)
		if err != nil {
			return fmt.Errorf("merge assets: %w", err)
		}
		if merged.RowsAffected() < int64(len(rows)) {
			if _, err := tx.Exec(ctx, lookupAssetsSQL, tenantID, integrationID, extIDs); err != nil {
				return fmt.Errorf("find assets: %w", err)
			}
		}
		var events int64
		err = tx.QueryRow(ctx, mergeDetailsSQL(), tenantID, integrationID, provider, generation, extIDs).
			Scan(&c.Created, &c.Updated, &c.Unchanged, &events)
		if err != nil {
			return fmt.Errorf("merge asset details: %w", err)
		}
		if c.Created > 0 {
			if err := analyzeDoubled(ctx, tx, deviceSyncTables()...); err != nil {
				return err
			}
		}
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
