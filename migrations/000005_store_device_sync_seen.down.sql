DROP TABLE rmm_device_sync_seen;
