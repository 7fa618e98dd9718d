DROP TABLE webhook_auth_failures;
DROP TABLE event_outbox;
DROP TABLE webhook_inbox;
DROP TABLE rmm_sync_state;
DROP TABLE sync_jobs;
