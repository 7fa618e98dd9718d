-- The host's own machinery: sync jobs and their cursors, the webhook inbox,
-- the event outbox and the webhook authentication-failure counters.
-- Several host replicas may share the database: work is claimed with a
-- lease (lease_owner, lease_expires_at) and an expired lease may be taken
-- over.

-- sync_jobs: one requested run of a bulk or point sync. target is '' for
-- kinds that cover the whole integration, and the device's external id for
-- kind 'agent', so refreshes of different devices do not block each other.
CREATE TABLE sync_jobs (
    tenant           uuid         NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    job_id           uuid         NOT NULL DEFAULT gen_random_uuid(),
    integration_id   uuid         NOT NULL,
    kind             varchar(20)  NOT NULL CHECK (kind IN ('orgs', 'devices', 'alerts', 'software', 'agent')),
    mode             varchar(20)  NOT NULL DEFAULT 'full' CHECK (mode IN ('full', 'incremental')),
    target           varchar(255) NOT NULL DEFAULT '',
    params           jsonb        NOT NULL DEFAULT '{}', -- e.g. org filter, backfill window
    status           varchar(20)  NOT NULL DEFAULT 'queued'
                         CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    items_processed  bigint       NOT NULL DEFAULT 0,
    items_total      bigint,      -- NULL while unknown
    items_created    bigint       NOT NULL DEFAULT 0,
    items_updated    bigint       NOT NULL DEFAULT 0,
    items_unchanged  bigint       NOT NULL DEFAULT 0,
    items_failed     bigint       NOT NULL DEFAULT 0,
    items_deleted    bigint       NOT NULL DEFAULT 0,
    items_skipped    bigint       NOT NULL DEFAULT 0, -- upstream records the provider could not translate
    warnings         jsonb        NOT NULL DEFAULT '[]',
    error            text,
    cursor           bytea,       -- resume point, advanced after each committed batch
    requested_by     varchar(255), -- a user, an API key, 'schedule' or 'webhook'
    lease_owner      varchar(255),
    lease_expires_at timestamptz,
    attempts         integer      NOT NULL DEFAULT 0,
    run_after        timestamptz  NOT NULL DEFAULT now(), -- not claimed before (retry backoff)
    requested_at     timestamptz  NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    PRIMARY KEY (tenant, job_id),
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id) ON DELETE CASCADE,
    CHECK ((status IN ('queued', 'running')) = (finished_at IS NULL))
);
-- At most one queued-or-running job per integration, kind and target: a
-- second request finds the first (INSERT ... ON CONFLICT DO NOTHING).
CREATE UNIQUE INDEX uq_sync_jobs_active ON sync_jobs (tenant, integration_id, kind, target)
    WHERE status IN ('queued', 'running');
CREATE INDEX idx_sync_jobs_lookup ON sync_jobs (tenant, integration_id, kind, status);
-- The claim query runs across tenants.
CREATE INDEX idx_sync_jobs_claim ON sync_jobs (run_after) WHERE status = 'queued';
CREATE INDEX idx_sync_jobs_leases ON sync_jobs (lease_expires_at) WHERE status = 'running';

-- rmm_sync_state: per integration and kind, the provider's opaque cursor and
-- when syncs last succeeded. full_sync_generation counts completed full
-- syncs; assets.last_full_sync_generation records which one last saw a
-- device.
CREATE TABLE rmm_sync_state (
    tenant                   uuid        NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    integration_id           uuid        NOT NULL,
    kind                     varchar(20) NOT NULL CHECK (kind IN ('orgs', 'devices', 'alerts', 'software')),
    cursor                   bytea,
    last_full_sync_at        timestamptz,
    last_incremental_sync_at timestamptz,
    full_sync_generation     bigint      NOT NULL DEFAULT 0,
    updated_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, integration_id, kind),
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id) ON DELETE CASCADE
);

-- webhook_inbox: every webhook delivery, stored before the 2xx answer so it
-- is never lost, then processed (and retried with backoff) by a worker.
-- 'parked' is a delivery that failed too often and waits for a human.
CREATE TABLE webhook_inbox (
    tenant           uuid        NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    inbox_id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    integration_id   uuid        NOT NULL,
    provider         varchar(50) NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    method           varchar(10) NOT NULL DEFAULT 'POST',
    query            text        NOT NULL DEFAULT '',
    headers          jsonb       NOT NULL DEFAULT '{}', -- without the authentication header
    body             bytea       NOT NULL,
    status           varchar(20) NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'processing', 'done', 'failed', 'parked')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    processed_at     timestamptz,
    lease_owner      varchar(255),
    lease_expires_at timestamptz,
    PRIMARY KEY (tenant, inbox_id),
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id) ON DELETE CASCADE
);
-- The worker's claim query runs across tenants.
CREATE INDEX idx_webhook_inbox_due ON webhook_inbox (status, next_attempt_at);
CREATE INDEX idx_webhook_inbox_integration ON webhook_inbox (tenant, integration_id, received_at);

-- event_outbox: domain events (RMM_DEVICE_CREATED, RMM_ALERT_TRIGGERED, ...)
-- written in the transaction that caused them, read in event_id order.
-- event_id comes from one global sequence; ids are assigned before commit,
-- so a reader must not pass an id whose transaction may still commit: read
-- only rows with tx_id < pg_snapshot_xmin(pg_current_snapshot()).
CREATE TABLE event_outbox (
    tenant     uuid         NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    event_id   bigserial    NOT NULL,
    tx_id      xid8         NOT NULL DEFAULT pg_current_xact_id(),
    event_type varchar(100) NOT NULL,
    payload    jsonb        NOT NULL,
    created_at timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, event_id)
);
-- Readers page through all tenants by event_id.
CREATE INDEX idx_event_outbox_order ON event_outbox (event_id);

-- webhook_auth_failures: deliveries refused for a missing or wrong secret,
-- per integration, so a misconfigured RMM (or an attack) is visible.
CREATE TABLE webhook_auth_failures (
    tenant           uuid        NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    integration_id   uuid        NOT NULL,
    failure_count    bigint      NOT NULL DEFAULT 0,
    first_failure_at timestamptz NOT NULL DEFAULT now(),
    last_failure_at  timestamptz NOT NULL DEFAULT now(),
    last_remote_addr varchar(255),
    PRIMARY KEY (tenant, integration_id),
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id) ON DELETE CASCADE
);
