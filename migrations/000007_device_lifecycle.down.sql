DROP INDEX idx_assets_missing;
COMMENT ON COLUMN assets.missing_full_syncs IS NULL;
COMMENT ON COLUMN rmm_sync_state.full_sync_generation IS NULL;
ALTER TABLE rmm_sync_state
    DROP COLUMN complete_full_syncs,
    DROP COLUMN finished_full_sync_generation;
