-- RMM integrations and what they bring in: organisation mappings, assets
-- with their cached RMM vitals, the external-id crosswalk, software
-- inventory and alerts; plus the integrations' encrypted secrets.
--
-- Where this departs from Alga (see alga-reference.md §1):
--   * several integrations of one provider per tenant: unique (tenant, name),
--     not (tenant, provider);
--   * a device is (tenant, integration_id, external id): assets carry
--     integration_id and that triple is unique; the crosswalk's key has
--     integration_id and no realm, so a device that moves between
--     organisations is updated, not duplicated;
--   * the software catalog deduplicates NULL publishers (NULLS NOT DISTINCT,
--     PostgreSQL 15+);
--   * alerts are upserted on (tenant, integration_id, dedup_key);
--   * optional parents are released with ON DELETE SET NULL (column), which
--     clears only that column and never the tenant.

-- rmm_integrations: one configured connection to an RMM instance. Secrets
-- live in tenant_secrets; revision changes whenever the URL, settings or
-- secrets change, so providers can rebuild cached clients.
CREATE TABLE rmm_integrations (
    tenant                   uuid         NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    integration_id           uuid         NOT NULL DEFAULT gen_random_uuid(),
    provider                 varchar(50)  NOT NULL, -- the plugin's name, e.g. tacticalrmm
    name                     varchar(255) NOT NULL, -- the user's label, unique per tenant
    instance_url             varchar(255),
    auth_mode                varchar(50)  NOT NULL, -- e.g. api_key, password, oauth2
    settings                 jsonb        NOT NULL DEFAULT '{}',
    revision                 bigint       NOT NULL DEFAULT 1,
    is_active                boolean      NOT NULL DEFAULT false,
    connected_at             timestamptz,
    disconnected_at          timestamptz,
    last_sync_at             timestamptz,
    last_full_sync_at        timestamptz,
    last_incremental_sync_at timestamptz,
    sync_status              varchar(20)  NOT NULL DEFAULT 'pending', -- pending, syncing, completed, failed
    sync_error               text,
    created_at               timestamptz  NOT NULL DEFAULT now(),
    updated_at               timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, integration_id)
);
CREATE UNIQUE INDEX uq_rmm_integrations_name ON rmm_integrations (tenant, name);
CREATE INDEX idx_rmm_integrations_provider ON rmm_integrations (tenant, provider);
CREATE INDEX idx_rmm_integrations_active ON rmm_integrations (tenant, is_active);

-- tenant_secrets: an integration's credentials and tokens, encrypted in Go
-- with AES-256-GCM. key_id names the master key used (for rotation); last4
-- is what a masked display may show, NULL for secrets never shown.
CREATE TABLE tenant_secrets (
    tenant         uuid         NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    integration_id uuid         NOT NULL,
    secret_name    varchar(100) NOT NULL, -- e.g. api_key, password, token, webhook_secret
    ciphertext     bytea        NOT NULL,
    nonce          bytea        NOT NULL,
    key_id         varchar(100) NOT NULL,
    last4          varchar(4),
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, integration_id, secret_name),
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id) ON DELETE CASCADE
);

-- rmm_organization_mappings: an RMM organisation (Tactical client, NinjaOne
-- organisation) and the PSA client it maps to; client_id NULL = unmapped.
-- Only mapped organisations with auto_sync_assets have their devices synced.
CREATE TABLE rmm_organization_mappings (
    tenant                     uuid         NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    mapping_id                 uuid         NOT NULL DEFAULT gen_random_uuid(),
    integration_id             uuid         NOT NULL,
    external_organization_id   varchar(255) NOT NULL,
    external_organization_name varchar(255),
    client_id                  uuid,
    auto_sync_assets           boolean      NOT NULL DEFAULT true,
    auto_create_tickets        boolean      NOT NULL DEFAULT false,
    sites                      jsonb        NOT NULL DEFAULT '[]', -- [{external_id, name}]
    metadata                   jsonb        NOT NULL DEFAULT '{}', -- the raw organisation record
    default_contact_id         uuid,
    last_synced_at             timestamptz,
    created_at                 timestamptz  NOT NULL DEFAULT now(),
    updated_at                 timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, mapping_id),
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, client_id) REFERENCES clients (tenant, client_id) ON DELETE SET NULL (client_id)
);
CREATE UNIQUE INDEX idx_rmm_org_mappings_unique_external
    ON rmm_organization_mappings (tenant, integration_id, external_organization_id);
CREATE INDEX idx_rmm_org_mappings_client ON rmm_organization_mappings (tenant, client_id);

-- assets: the PSA's assets; an RMM device is one with integration_id and
-- rmm_device_id set. Device lifecycle: a full sync stamps the devices it saw
-- with its generation (rmm_sync_state.full_sync_generation); a device a
-- complete full sync did not see gets missing_since and missing_full_syncs
-- incremented, and is marked inactive after enough misses.
CREATE TABLE assets (
    tenant                    uuid         NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    asset_id                  uuid         NOT NULL DEFAULT gen_random_uuid(),
    asset_type                text         NOT NULL, -- workstation, server, network_device, mobile_device, printer, unknown
    client_id                 uuid,
    asset_tag                 text         NOT NULL,
    serial_number             text,
    name                      text         NOT NULL,
    status                    text         NOT NULL DEFAULT 'active', -- active, inactive, pending
    location                  text,
    purchase_date             date,
    warranty_end_date         date,
    attributes                jsonb        NOT NULL DEFAULT '{}',
    notes                     text,
    created_at                timestamptz  NOT NULL DEFAULT now(),
    updated_at                timestamptz  NOT NULL DEFAULT now(),
    -- RMM (Alga's names)
    rmm_provider              varchar(50),
    rmm_device_id             varchar(255),
    rmm_organization_id       varchar(255),
    agent_status              varchar(20), -- online, offline, overdue, unknown
    last_seen_at              timestamptz,
    last_rmm_sync_at          timestamptz,
    -- RMM (ours)
    integration_id            uuid,
    rmm_site_id               varchar(255),
    rmm_site_name             varchar(255),
    last_full_sync_generation bigint,
    missing_since             timestamptz,
    missing_full_syncs        integer      NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, asset_id),
    FOREIGN KEY (tenant, client_id) REFERENCES clients (tenant, client_id) ON DELETE SET NULL (client_id),
    -- Deleting an integration keeps its assets (tickets may point at them).
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id)
        ON DELETE SET NULL (integration_id)
);
-- The device identity, and the upsert target of a device sync:
-- ON CONFLICT (tenant, integration_id, rmm_device_id) WHERE rmm_device_id IS NOT NULL
CREATE UNIQUE INDEX uq_assets_rmm_device ON assets (tenant, integration_id, rmm_device_id)
    WHERE rmm_device_id IS NOT NULL;
CREATE INDEX idx_assets_client ON assets (tenant, client_id);
CREATE INDEX idx_assets_agent_status ON assets (tenant, agent_status);
CREATE INDEX idx_assets_integration_status ON assets (tenant, integration_id, agent_status);

-- workstation_assets: workstation details and the vitals an RMM sync caches
-- ("as of the last sync"), one row per workstation asset.
-- "current_user" must be double-quoted in SQL: unquoted it is the SQL
-- function CURRENT_USER and silently yields the database role.
CREATE TABLE workstation_assets (
    tenant                   uuid          NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    asset_id                 uuid          NOT NULL,
    os_type                  varchar(255), -- platform: windows, linux, darwin
    os_version               varchar(255),
    cpu_model                varchar(255),
    cpu_cores                integer,
    ram_gb                   integer,
    storage_type             varchar(255),
    storage_capacity_gb      integer,
    gpu_model                varchar(255),
    last_login               timestamptz,  -- when last_user last logged in, if the RMM says
    installed_software       jsonb         NOT NULL DEFAULT '[]',
    agent_version            varchar(255),
    antivirus_status         varchar(50),
    antivirus_product        varchar(255),
    last_reboot_at           timestamptz,
    pending_patches          integer,
    failed_patches           integer,
    last_patch_scan_at       timestamptz,
    system_info              jsonb         NOT NULL DEFAULT '{}', -- serial, manufacturer, model, cpu_threads, lan_ips, needs_reboot, maintenance_mode, ...
    "current_user"           varchar(255), -- logged in now; NULL when nobody is
    last_user                varchar(255), -- the last user to log in
    uptime_seconds           bigint,
    lan_ip                   varchar(45),
    wan_ip                   varchar(45),
    memory_used_gb           numeric(10,2),
    pending_os_patches       integer,
    pending_software_patches integer,
    cpu_utilization_percent  numeric(5,2),
    memory_usage_percent     numeric(5,2),
    disk_usage               jsonb         NOT NULL DEFAULT '[]', -- [{name, fs_type, total_gb, free_gb, utilization_percent}]
    PRIMARY KEY (tenant, asset_id),
    FOREIGN KEY (tenant, asset_id) REFERENCES assets (tenant, asset_id) ON DELETE CASCADE
);
CREATE INDEX idx_workstation_assets_os_type ON workstation_assets (tenant, os_type);
CREATE INDEX idx_workstation_assets_current_user ON workstation_assets (tenant, "current_user");

-- server_assets: the same for servers, with Alga's server-only columns.
CREATE TABLE server_assets (
    tenant                   uuid          NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    asset_id                 uuid          NOT NULL,
    os_type                  varchar(255),
    os_version               varchar(255),
    cpu_model                varchar(255),
    cpu_cores                integer,
    ram_gb                   integer,
    storage_config           jsonb         NOT NULL DEFAULT '[]',
    raid_config              varchar(255),
    is_virtual               boolean       NOT NULL DEFAULT false,
    hypervisor               varchar(255),
    network_interfaces       jsonb         NOT NULL DEFAULT '[]',
    primary_ip               varchar(255),
    installed_services       jsonb         NOT NULL DEFAULT '[]',
    installed_software       jsonb         NOT NULL DEFAULT '[]',
    agent_version            varchar(255),
    antivirus_status         varchar(50),
    antivirus_product        varchar(255),
    last_reboot_at           timestamptz,
    pending_patches          integer,
    failed_patches           integer,
    last_patch_scan_at       timestamptz,
    system_info              jsonb         NOT NULL DEFAULT '{}',
    "current_user"           varchar(255),
    last_user                varchar(255),
    last_login               timestamptz,
    uptime_seconds           bigint,
    lan_ip                   varchar(45),
    wan_ip                   varchar(45),
    memory_used_gb           numeric(10,2),
    pending_os_patches       integer,
    pending_software_patches integer,
    cpu_usage_percent        numeric(5,2),
    memory_usage_percent     numeric(5,2),
    disk_usage               jsonb         NOT NULL DEFAULT '[]',
    PRIMARY KEY (tenant, asset_id),
    FOREIGN KEY (tenant, asset_id) REFERENCES assets (tenant, asset_id) ON DELETE CASCADE
);
CREATE INDEX idx_server_assets_os_type ON server_assets (tenant, os_type);
CREATE INDEX idx_server_assets_current_user ON server_assets (tenant, "current_user");

-- tenant_external_entity_mappings: the crosswalk from a PSA entity (an
-- asset: alga_entity_type 'asset', alga_entity_id its asset_id as text) to
-- the RMM's id for it. external_realm_id is the RMM organisation, kept as
-- data, not as part of the identity.
CREATE TABLE tenant_external_entity_mappings (
    tenant             uuid         NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    id                 uuid         NOT NULL DEFAULT gen_random_uuid(),
    integration_id     uuid         NOT NULL,
    integration_type   varchar(50)  NOT NULL, -- the provider, e.g. tacticalrmm
    alga_entity_type   varchar(50)  NOT NULL,
    alga_entity_id     varchar(255) NOT NULL,
    external_entity_id varchar(255) NOT NULL,
    external_realm_id  varchar(255),
    sync_status        varchar(20)  NOT NULL DEFAULT 'pending', -- pending, synced, error
    last_synced_at     timestamptz,
    metadata           jsonb        NOT NULL DEFAULT '{}',
    created_at         timestamptz  NOT NULL DEFAULT now(),
    updated_at         timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, id),
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_unique_external_mapping
    ON tenant_external_entity_mappings (tenant, integration_id, alga_entity_type, external_entity_id);
CREATE UNIQUE INDEX idx_unique_alga_mapping
    ON tenant_external_entity_mappings (tenant, integration_id, alga_entity_type, alga_entity_id);
CREATE INDEX idx_external_mappings_type ON tenant_external_entity_mappings (tenant, integration_type);

-- software_catalog: one row per distinct product per tenant, across devices
-- and integrations. normalized_name is the matching key (lower case, trimmed,
-- whitespace collapsed: one normalisation for every provider).
CREATE TABLE software_catalog (
    tenant               uuid         NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    software_id          uuid         NOT NULL DEFAULT gen_random_uuid(),
    name                 varchar(500) NOT NULL,
    publisher            varchar(255),
    normalized_name      varchar(500) NOT NULL,
    category             varchar(100),
    software_type        varchar(50)  NOT NULL DEFAULT 'application', -- application, driver, update, system
    is_managed           boolean      NOT NULL DEFAULT false,
    is_security_relevant boolean      NOT NULL DEFAULT false,
    created_at           timestamptz  NOT NULL DEFAULT now(),
    updated_at           timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, software_id)
);
-- Upsert target: ON CONFLICT (tenant, normalized_name, publisher).
CREATE UNIQUE INDEX uq_software_catalog_product
    ON software_catalog (tenant, normalized_name, publisher) NULLS NOT DISTINCT;
CREATE INDEX idx_software_catalog_publisher ON software_catalog (tenant, publisher);

-- asset_software: which product is installed on which asset. One row per
-- product per asset; is_current false with uninstalled_at is a product the
-- RMM no longer lists (a soft delete, so history survives).
CREATE TABLE asset_software (
    tenant         uuid         NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    asset_id       uuid         NOT NULL,
    software_id    uuid         NOT NULL,
    version        varchar(100),
    install_date   date,
    install_path   text,
    size_bytes     bigint,
    first_seen_at  timestamptz  NOT NULL DEFAULT now(),
    last_seen_at   timestamptz  NOT NULL DEFAULT now(),
    is_current     boolean      NOT NULL DEFAULT true,
    uninstalled_at timestamptz,
    PRIMARY KEY (tenant, asset_id, software_id),
    FOREIGN KEY (tenant, asset_id) REFERENCES assets (tenant, asset_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, software_id) REFERENCES software_catalog (tenant, software_id) ON DELETE CASCADE
);
CREATE INDEX idx_asset_software_current ON asset_software (tenant, asset_id, is_current);
CREATE INDEX idx_asset_software_product ON asset_software (tenant, software_id, is_current);

-- rmm_alerts: one row per alert condition (dedup_key), upserted by every
-- trigger and resolve event: a repeat increments occurrence_count, a resolve
-- sets status and resolved_at, a trigger after a resolve reopens the row.
-- external_alert_id is the RMM's id of the latest event.
CREATE TABLE rmm_alerts (
    tenant                   uuid         NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    alert_id                 uuid         NOT NULL DEFAULT gen_random_uuid(),
    integration_id           uuid         NOT NULL,
    dedup_key                varchar(255) NOT NULL,
    external_alert_id        varchar(255) NOT NULL,
    external_device_id       varchar(255),
    external_organization_id varchar(255),
    asset_id                 uuid,
    severity                 varchar(20)  NOT NULL, -- critical, major, moderate, minor, none
    raw_severity             varchar(50),           -- as the RMM sent it
    priority                 varchar(20),
    status                   varchar(20)  NOT NULL DEFAULT 'active', -- active, acknowledged, suppressed, resolved, auto_resolved
    source_type              varchar(50),
    alert_class              varchar(100),
    activity_type            varchar(100),
    message                  text,
    device_name              text,
    ticket_id                uuid,
    triggered_at             timestamptz,
    resolved_at              timestamptz,
    acknowledged_at          timestamptz,
    acknowledged_by          uuid,
    occurrence_count         integer      NOT NULL DEFAULT 1,
    last_occurrence_at       timestamptz,
    matched_rule_id          uuid,
    auto_ticket_created      boolean      NOT NULL DEFAULT false,
    suppressed_by_window_id  uuid,
    metadata                 jsonb        NOT NULL DEFAULT '{}', -- the raw provider payload
    created_at               timestamptz  NOT NULL DEFAULT now(),
    updated_at               timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, alert_id),
    FOREIGN KEY (tenant, integration_id) REFERENCES rmm_integrations (tenant, integration_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, asset_id) REFERENCES assets (tenant, asset_id) ON DELETE SET NULL (asset_id)
);
-- Upsert target: ON CONFLICT (tenant, integration_id, dedup_key).
CREATE UNIQUE INDEX uq_rmm_alerts_dedup ON rmm_alerts (tenant, integration_id, dedup_key);
CREATE INDEX idx_rmm_alerts_external ON rmm_alerts (tenant, integration_id, external_alert_id);
CREATE INDEX idx_rmm_alerts_integration_status ON rmm_alerts (tenant, integration_id, status);
CREATE INDEX idx_rmm_alerts_status ON rmm_alerts (tenant, status);
CREATE INDEX idx_rmm_alerts_severity ON rmm_alerts (tenant, severity);
CREATE INDEX idx_rmm_alerts_asset ON rmm_alerts (tenant, asset_id);
CREATE INDEX idx_rmm_alerts_triggered ON rmm_alerts (tenant, triggered_at);
