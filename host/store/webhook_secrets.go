package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// WebhookTarget is what webhook ingress knows of an integration before it
// knows the tenant: whose it is, which provider serves it, whether it takes
// deliveries, and the secret they must carry.
type WebhookTarget struct {
	TenantID      string
	IntegrationID string
	Provider      string
	// Disconnected is set after a disconnect, until a connection test
	// passes again.
	Disconnected bool
	// Secret is the decrypted webhook secret; "" when none is stored.
	Secret string
	// SecretVersion names this value of the secret (its nonce, new at
	// every seal): NewInboxDelivery.SecretVersion, so that a delivery
	// checked against a cached secret is refused once it was rotated.
	SecretVersion []byte
}

// Webhook ingress looks the integration up by id alone: the RMM cannot
// know the tenant. The index idx_rmm_integrations_id serves it.
const webhookTargetsSQL = `
SELECT i.tenant, i.provider, NOT i.is_active AND i.disconnected_at IS NOT NULL, s.nonce, s.ciphertext
  FROM rmm_integrations i
  LEFT JOIN tenant_secrets s
    ON s.tenant = i.tenant AND s.integration_id = i.integration_id AND s.secret_name = $2
 WHERE i.integration_id = $1`

// WebhookTargets returns the integrations with this id, of any tenant,
// with their webhook secrets decrypted. Ids are random, so there is at
// most one in practice; the caller must check the secret of each. An id
// that is not a UUID has none.
func (s *Store) WebhookTargets(ctx context.Context, integrationID string) ([]WebhookTarget, error) {
	if !isUUID(integrationID) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, webhookTargetsSQL, integrationID, WebhookSecretName)
	if err != nil {
		return nil, fmt.Errorf("find webhook target: %w", err)
	}
	type row struct {
		t           WebhookTarget
		nonce, data []byte
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.t.TenantID, &x.t.Provider, &x.t.Disconnected, &x.nonce, &x.data)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("find webhook target: %w", err)
	}
	out := make([]WebhookTarget, 0, len(found))
	for _, x := range found {
		x.t.IntegrationID = integrationID
		if x.data != nil {
			plain, err := s.box.Open(x.nonce, x.data, secretAD(x.t.TenantID, integrationID, WebhookSecretName))
			if err != nil {
				return nil, fmt.Errorf("webhook secret of integration %s: %w", integrationID, err)
			}
			x.t.Secret, x.t.SecretVersion = string(plain), x.nonce
		}
		out = append(out, x.t)
	}
	return out, nil
}

// RecordWebhookAuthFailure counts a delivery refused for a missing or
// wrong secret. remoteAddr is the sender's address as the host saw it.
func (s *Store) RecordWebhookAuthFailure(ctx context.Context, tenantID, integrationID, remoteAddr string) error {
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return ErrNotFound
	}
	_, err := s.pool.Exec(ctx, `
INSERT INTO webhook_auth_failures AS f (tenant, integration_id, failure_count, last_remote_addr)
VALUES ($1, $2, 1, NULLIF($3, ''))
ON CONFLICT (tenant, integration_id) DO UPDATE
   SET failure_count = f.failure_count + 1, last_failure_at = now(), last_remote_addr = EXCLUDED.last_remote_addr`,
		tenantID, integrationID, clip(remoteAddr, 255))
	switch {
	case pgErrCode(err) == pgForeignKeyViolation:
		return ErrNotFound
	case err != nil:
		return fmt.Errorf("count webhook auth failure: %w", err)
	}
	return nil
}

// WebhookAuthFailures is how many deliveries were refused for their
// secret, and when.
type WebhookAuthFailures struct {
	Count          int64      `json:"count"`
	FirstFailureAt *time.Time `json:"first_failure_at"`
	LastFailureAt  *time.Time `json:"last_failure_at"`
	LastRemoteAddr string     `json:"last_remote_addr,omitempty"`
}

// WebhookAuthFailures returns the refused deliveries of an integration;
// none is a zero count.
func (s *Store) WebhookAuthFailures(ctx context.Context, tenantID, integrationID string) (WebhookAuthFailures, error) {
	var f WebhookAuthFailures
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return f, nil
	}
	err := s.pool.QueryRow(ctx, `
SELECT failure_count, first_failure_at, last_failure_at, coalesce(last_remote_addr, '')
  FROM webhook_auth_failures WHERE tenant = $1 AND integration_id = $2`,
		tenantID, integrationID).Scan(&f.Count, &f.FirstFailureAt, &f.LastFailureAt, &f.LastRemoteAddr)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return WebhookAuthFailures{}, fmt.Errorf("webhook auth failures: %w", err)
	}
	return f, nil
}

// RotateWebhookSecret replaces the integration's webhook secret with a new
// random one (32 bytes, hex), bumps the revision and returns the secret in
// clear, to be shown once. Deliveries carrying the old secret are refused
// from then on.
func (s *Store) RotateWebhookSecret(ctx context.Context, tenantID, integrationID string) (string, error) {
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return "", ErrNotFound
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	secret := hex.EncodeToString(b)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockIntegration(ctx, tx, tenantID, integrationID); err != nil {
			return err
		}
		if err := s.putSecret(ctx, tx, tenantID, integrationID, WebhookSecretName, secret); err != nil {
			return err
		}
		return bumpRevision(ctx, tx, tenantID, integrationID)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}
