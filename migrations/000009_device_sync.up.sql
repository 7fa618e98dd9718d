-- Device sync at fleet scale: a full sync writes a workstation or server
-- row, a crosswalk row and a seen mark for each device, 100,000 of them
-- at the largest fleets, and every row inserted pays one foreign-key check
-- per key and one entry per index.
--
-- 1. The direct foreign keys to tenants go where a tenant-led key to a
--    parent already ties each row to its tenant and deletion cascades
--    through that parent, as migration 000008 did for asset_software:
--
--      workstation_assets, server_assets   -> assets (tenant, asset_id)
--      tenant_external_entity_mappings,
--      webhook_inbox                       -> rmm_integrations (tenant, integration_id)
--
--    Each of those keys is over NOT NULL columns with ON DELETE CASCADE,
--    so deleting the tenant still removes the rows (the schema rule in
--    migrations/schema_test.go checks the chains).
ALTER TABLE workstation_assets DROP CONSTRAINT workstation_assets_tenant_fkey;
ALTER TABLE server_assets DROP CONSTRAINT server_assets_tenant_fkey;
ALTER TABLE tenant_external_entity_mappings DROP CONSTRAINT tenant_external_entity_mappings_tenant_fkey;
ALTER TABLE webhook_inbox DROP CONSTRAINT webhook_inbox_tenant_fkey;

-- 2. rmm_device_sync_seen holds one row per batch of a full sync, with the
--    assets the batch wrote, instead of one per asset: every full sync,
--    an unchanged one too, wrote (and then deleted) a row, an index entry
--    and two key checks per device. The sync's end reads the sync's rows
--    once (an anti-join on their unnested ids). Rows of syncs in progress
--    are kept.
CREATE TEMP TABLE seen_v5 AS
SELECT tenant, integration_id, generation, array_agg(asset_id ORDER BY asset_id) AS asset_ids
  FROM rmm_device_sync_seen GROUP BY tenant, integration_id, generation;
DROP TABLE rmm_device_sync_seen;
CREATE TABLE rmm_device_sync_seen (
    tenant         uuid   NOT NULL,
    integration_id uuid   NOT NULL,
    generation     bigint NOT NULL, -- rmm_sync_state.full_sync_generation of the sync
    seen_id        uuid   NOT NULL DEFAULT gen_random_uuid(),
    asset_ids      uuid[] NOT NULL, -- the assets one batch wrote, changed or not
    PRIMARY KEY (tenant, integration_id, generation, seen_id),
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id) ON DELETE CASCADE
    -- No foreign key to assets, as before: a deleted asset's id is
    -- dropped with its generation.
);
INSERT INTO rmm_device_sync_seen (tenant, integration_id, generation, asset_ids)
SELECT tenant, integration_id, generation, asset_ids FROM seen_v5;
DROP TABLE seen_v5;
