-- Device lifecycle: a full device sync is numbered when it begins
-- (full_sync_generation, the id of its seen-set in rmm_device_sync_seen);
-- these columns record how syncs end, so that a sync is finished once and
-- "missing for at least two complete full syncs" counts complete ones only.
--
--   finished_full_sync_generation  the generation last finished, complete
--                                  or not; a finish for an older or already
--                                  finished generation marks nothing
--   complete_full_syncs            how many full device syncs completed
--                                  (every page read, nothing skipped, no
--                                  error)
--
-- On assets, missing_full_syncs counts the complete full syncs in a row
-- that did not see the device, and missing_since when the first of them
-- ended; an asset missing for at least two of them and longer than the
-- grace period (settings.lifecycle.missing_grace_hours) is made inactive.
ALTER TABLE rmm_sync_state
    ADD COLUMN finished_full_sync_generation bigint NOT NULL DEFAULT 0,
    ADD COLUMN complete_full_syncs           bigint NOT NULL DEFAULT 0;

COMMENT ON COLUMN rmm_sync_state.full_sync_generation IS
    'numbers full device syncs as they begin (started, not completed ones); see complete_full_syncs';
COMMENT ON COLUMN assets.missing_full_syncs IS
    'complete full device syncs in a row that did not see the device; 0 when it was last seen';

-- The retirement query reads only the missing devices of an integration.
CREATE INDEX idx_assets_missing ON assets (tenant, integration_id, missing_since)
    WHERE missing_since IS NOT NULL;
