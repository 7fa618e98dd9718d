-- rmm_device_sync_seen: the devices a full device sync in progress has
-- written, one row per (sync generation, asset). The store records "seen"
-- here instead of stamping assets.last_full_sync_generation, so that a
-- re-sync of unchanged devices rewrites no asset row. When the sync ends,
-- assets of the synced organisations with no row for its generation are
-- the missing ones (an anti-join), and the generation's rows are deleted.
CREATE TABLE rmm_device_sync_seen (
    tenant         uuid   NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    integration_id uuid   NOT NULL,
    generation     bigint NOT NULL, -- rmm_sync_state.full_sync_generation of the sync
    asset_id       uuid   NOT NULL,
    PRIMARY KEY (tenant, integration_id, generation, asset_id),
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id) ON DELETE CASCADE
    -- No foreign key to assets on purpose: its check would lock (and so
    -- write to) every asset row the sync saw. A deleted asset's row is
    -- dropped with its generation.
);
