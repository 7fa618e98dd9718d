package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/host/secrets"
)

// apiKeyTouchEvery limits how often a key's last_used_at is written, so a
// busy client does not turn every request into a row update.
const apiKeyTouchEvery = "1 minute"

// CreateTenant creates a tenant and its first API key, returned in clear once.
func (s *Store) CreateTenant(ctx context.Context, name string) (Tenant, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Tenant{}, "", &InvalidError{Field: "name", Msg: "a tenant needs a name"}
	}
	var t Tenant
	var plain string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx,
			`INSERT INTO tenants (tenant_name) VALUES ($1) RETURNING tenant, tenant_name, created_at`,
			name).Scan(&t.ID, &t.Name, &t.CreatedAt)
		if err != nil {
			return fmt.Errorf("create tenant: %w", err)
		}
		plain, err = insertAPIKey(ctx, tx, t.ID, "default")
		return err
	})
	if err != nil {
		return Tenant{}, "", err
	}
	return t, plain, nil
}

// TenantByName finds a tenant by name (for `make run`'s default tenant).
// Names are not unique; the oldest tenant of that name wins.
func (s *Store) TenantByName(ctx context.Context, name string) (Tenant, error) {
	var t Tenant
	err := s.pool.QueryRow(ctx,
		`SELECT tenant, tenant_name, created_at FROM tenants
		 WHERE tenant_name = $1 ORDER BY created_at, tenant LIMIT 1`,
		name).Scan(&t.ID, &t.Name, &t.CreatedAt)
	if err != nil {
		return Tenant{}, notFound(err, "find tenant")
	}
	return t, nil
}

// CreateAPIKey adds an API key to a tenant, returned in clear once.
func (s *Store) CreateAPIKey(ctx context.Context, tenantID, name string) (string, error) {
	if !isUUID(tenantID) {
		return "", ErrNotFound
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", &InvalidError{Field: "name", Msg: "an API key needs a name"}
	}
	plain, err := insertAPIKey(ctx, s.pool, tenantID, name)
	if pgErrCode(err) == pgForeignKeyViolation {
		return "", ErrNotFound
	}
	return plain, err
}

func insertAPIKey(ctx context.Context, db queryer, tenantID, name string) (string, error) {
	key, err := secrets.NewAPIKey()
	if err != nil {
		return "", err
	}
	_, err = db.Exec(ctx,
		`INSERT INTO api_keys (tenant, name, key_prefix, key_hash) VALUES ($1, $2, $3, $4)`,
		tenantID, name, key.ID, key.Hash)
	if err != nil {
		return "", fmt.Errorf("create api key: %w", err)
	}
	return key.Plain, nil
}

// AuthenticateAPIKey returns the tenant of a presented key, or ErrNotFound.
// The lookup by the key's public id is the one query not scoped to a
// tenant: the key is what tells us the tenant.
func (s *Store) AuthenticateAPIKey(ctx context.Context, plain string) (string, error) {
	id := secrets.APIKeyID(plain)
	if id == "" {
		return "", ErrNotFound
	}
	rows, err := s.pool.Query(ctx,
		`SELECT k.tenant, k.api_key_id, k.key_hash,
		        k.last_used_at IS NULL OR k.last_used_at < now() - $2::interval
		   FROM api_keys k JOIN tenants t ON t.tenant = k.tenant
		  WHERE k.key_prefix = $1 AND k.revoked_at IS NULL
		    AND (k.expires_at IS NULL OR k.expires_at > now()) AND t.is_active`,
		id, apiKeyTouchEvery)
	if err != nil {
		return "", fmt.Errorf("authenticate: %w", err)
	}
	type candidate struct {
		tenant, keyID, hash string
		stale               bool
	}
	cands, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (candidate, error) {
		var c candidate
		err := r.Scan(&c.tenant, &c.keyID, &c.hash, &c.stale)
		return c, err
	})
	if err != nil {
		return "", fmt.Errorf("authenticate: %w", err)
	}
	for _, c := range cands {
		if !secrets.EqualHash(plain, c.hash) {
			continue
		}
		if c.stale {
			// Guarded again in SQL so concurrent requests write once.
			_, err := s.pool.Exec(ctx,
				`UPDATE api_keys SET last_used_at = now()
				  WHERE tenant = $1 AND api_key_id = $2
				    AND (last_used_at IS NULL OR last_used_at < now() - $3::interval)`,
				c.tenant, c.keyID, apiKeyTouchEvery)
			if err != nil {
				return "", fmt.Errorf("authenticate: %w", err)
			}
		}
		return c.tenant, nil
	}
	return "", ErrNotFound
}
