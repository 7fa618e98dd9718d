-- Core tables: tenants, the PSA's clients, and API keys.
--
-- Conventions for every migration in this directory (the schema follows
-- Alga PSA's table and column names; see shared/design/alga-reference.md):
--   * every table has tenant uuid NOT NULL, and every primary key and unique
--     index starts with tenant, so the schema can be distributed by tenant
--     (Citus); only tenants itself is keyed by tenant alone;
--   * foreign keys carry the tenant: (tenant, x_id) -> parent (tenant, x_id);
--   * updated_at is set by the application (no triggers, as Alga moved to).

-- tenants: one MSP using the host; the root every other row hangs from.
CREATE TABLE tenants (
    tenant      uuid        NOT NULL DEFAULT gen_random_uuid(),
    tenant_name text        NOT NULL,
    email       text,
    is_active   boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant)
);

-- clients: the MSP's customers (Alga's clients, formerly companies). RMM
-- organisations are mapped onto them and their devices become their assets.
CREATE TABLE clients (
    tenant      uuid        NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    client_id   uuid        NOT NULL DEFAULT gen_random_uuid(),
    client_name text        NOT NULL,
    url         text,
    notes       text,
    is_inactive boolean     NOT NULL DEFAULT false,
    properties  jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, client_id)
);
CREATE INDEX idx_clients_name ON clients (tenant, client_name);

-- api_keys: credentials for the host's HTTP API. The key itself is never
-- stored: key_hash is the hex SHA-256 of the whole key, key_prefix its
-- leading part, used to find the row (and shown to the user to tell keys
-- apart) before the hash is compared in constant time.
CREATE TABLE api_keys (
    tenant       uuid        NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    api_key_id   uuid        NOT NULL DEFAULT gen_random_uuid(),
    name         text        NOT NULL,
    key_prefix   text        NOT NULL,
    key_hash     text        NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (tenant, api_key_id)
);
CREATE UNIQUE INDEX uq_api_keys_prefix ON api_keys (tenant, key_prefix);
-- Authentication starts from the key alone, before the tenant is known.
CREATE INDEX idx_api_keys_lookup ON api_keys (key_prefix);
