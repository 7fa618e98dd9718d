-- rmm_schedules: when each periodic job of an integration is next due.
-- Replicas claim due rows with FOR UPDATE SKIP LOCKED and advance
-- next_run_at in the same transaction that queues the job, so a scheduled
-- run is queued once however many hosts share the database.
CREATE TABLE rmm_schedules (
    tenant           uuid        NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    integration_id   uuid        NOT NULL,
    schedule         varchar(30) NOT NULL CHECK (schedule IN ('devices_incremental', 'devices_full', 'alerts_reconcile')),
    interval_seconds integer     NOT NULL CHECK (interval_seconds > 0),
    next_run_at      timestamptz NOT NULL,
    last_run_at      timestamptz,
    last_job_id      uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, integration_id, schedule),
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id) ON DELETE CASCADE
);
-- The claim query runs across tenants.
CREATE INDEX idx_rmm_schedules_due ON rmm_schedules (next_run_at);
