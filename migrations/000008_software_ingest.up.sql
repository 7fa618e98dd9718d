-- Software ingest at fleet scale (issue #6): asset_software is the largest
-- table (a row per product per device, a million at 10,000 devices), and
-- every row an ingest inserts pays one foreign-key check per foreign key
-- and one insert per index.
--
--   * The direct foreign key to tenants goes: the one to assets, led by
--     tenant, already ties each row to an asset of its own tenant, and
--     deleting the tenant still removes the rows (tenants -> assets ->
--     asset_software, ON DELETE CASCADE at each step). The schema rule
--     accepts such a cascading chain (migrations/schema_test.go).
--   * idx_asset_software_current (tenant, asset_id, is_current) goes: the
--     primary key (tenant, asset_id, software_id) serves every look-up by
--     asset, ON DELETE CASCADE from assets included, and an asset has only
--     a few hundred rows to filter on is_current.
ALTER TABLE asset_software DROP CONSTRAINT asset_software_tenant_fkey;
DROP INDEX idx_asset_software_current;

-- rmm_alerts likewise: its key to rmm_integrations (tenant, integration_id
-- NOT NULL, ON DELETE CASCADE) ties each alert to its tenant, and a
-- backfill inserts alerts by the hundred thousand.
ALTER TABLE rmm_alerts DROP CONSTRAINT rmm_alerts_tenant_fkey;
