CREATE TEMP TABLE seen_v9 AS
SELECT DISTINCT tenant, integration_id, generation, unnest(asset_ids) AS asset_id FROM rmm_device_sync_seen;
DROP TABLE rmm_device_sync_seen;
CREATE TABLE rmm_device_sync_seen (
    tenant         uuid   NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    integration_id uuid   NOT NULL,
    generation     bigint NOT NULL, -- rmm_sync_state.full_sync_generation of the sync
    asset_id       uuid   NOT NULL,
    PRIMARY KEY (tenant, integration_id, generation, asset_id),
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id) ON DELETE CASCADE
);
INSERT INTO rmm_device_sync_seen (tenant, integration_id, generation, asset_id)
SELECT tenant, integration_id, generation, asset_id FROM seen_v9;
DROP TABLE seen_v9;

ALTER TABLE webhook_inbox ADD CONSTRAINT webhook_inbox_tenant_fkey
    FOREIGN KEY (tenant) REFERENCES tenants (tenant) ON DELETE CASCADE;
ALTER TABLE tenant_external_entity_mappings ADD CONSTRAINT tenant_external_entity_mappings_tenant_fkey
    FOREIGN KEY (tenant) REFERENCES tenants (tenant) ON DELETE CASCADE;
ALTER TABLE server_assets ADD CONSTRAINT server_assets_tenant_fkey
    FOREIGN KEY (tenant) REFERENCES tenants (tenant) ON DELETE CASCADE;
ALTER TABLE workstation_assets ADD CONSTRAINT workstation_assets_tenant_fkey
    FOREIGN KEY (tenant) REFERENCES tenants (tenant) ON DELETE CASCADE;
