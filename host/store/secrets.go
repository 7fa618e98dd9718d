package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/host/secrets"
)

// WebhookSecretName is the secret that authenticates the RMM's webhooks.
// Disconnecting and replacing credentials keep it, so the webhook settings
// pasted into the RMM stay valid.
const WebhookSecretName = "webhook_secret"

const maxSecretName = 100

// secretAD binds a ciphertext to its row: copied to another tenant,
// integration or name, it will not open.
func secretAD(tenantID, integrationID, name string) []byte {
	return []byte(tenantID + "|" + integrationID + "|" + name)
}

func validSecretNames(m map[string]string) error {
	for name := range m {
		if name == "" || len(name) > maxSecretName {
			return &InvalidError{Field: "secrets", Msg: fmt.Sprintf("a secret name must be 1 to %d bytes", maxSecretName)}
		}
	}
	return nil
}

// loadSecrets decrypts every secret of an integration.
func (s *Store) loadSecrets(ctx context.Context, q pgx.Tx, tenantID, integrationID string) (map[string]string, error) {
	rows, err := q.Query(ctx,
		`SELECT secret_name, nonce, ciphertext FROM tenant_secrets WHERE tenant = $1 AND integration_id = $2`,
		tenantID, integrationID)
	if err != nil {
		return nil, fmt.Errorf("load secrets: %w", err)
	}
	type sealed struct {
		name        string
		nonce, data []byte
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealed, error) {
		var x sealed
		err := r.Scan(&x.name, &x.nonce, &x.data)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("load secrets: %w", err)
	}
	out := make(map[string]string, len(all))
	for _, x := range all {
		plain, err := s.box.Open(x.nonce, x.data, secretAD(tenantID, integrationID, x.name))
		if err != nil {
			return nil, fmt.Errorf("secret %q of integration %s: %w", x.name, integrationID, err)
		}
		out[x.name] = string(plain)
	}
	return out, nil
}

// mergeSecrets writes changes: a non-empty value is stored (sealed) unless
// it equals the stored one, an empty value deletes. With replace, every
// stored secret not named in changes is deleted too, except the webhook
// secret. It reports whether anything changed.
func (s *Store) mergeSecrets(ctx context.Context, tx pgx.Tx, tenantID, integrationID string, changes map[string]string, replace bool) (bool, error) {
	if len(changes) == 0 && !replace {
		return false, nil
	}
	current, err := s.loadSecrets(ctx, tx, tenantID, integrationID)
	if err != nil {
		return false, err
	}
	var drop []string
	if replace {
		for name := range current {
			if _, named := changes[name]; !named && name != WebhookSecretName {
				drop = append(drop, name)
			}
		}
	}
	changed := false
	for _, name := range slices.Sorted(maps.Keys(changes)) {
		value := changes[name]
		old, had := current[name]
		switch {
		case value == "" && had:
			drop = append(drop, name)
		case value != "" && (!had || old != value):
			if err := s.putSecret(ctx, tx, tenantID, integrationID, name, value); err != nil {
				return false, err
			}
			changed = true
		}
	}
	if len(drop) > 0 {
		_, err := tx.Exec(ctx,
			`DELETE FROM tenant_secrets WHERE tenant = $1 AND integration_id = $2 AND secret_name = ANY($3)`,
			tenantID, integrationID, drop)
		if err != nil {
			return false, fmt.Errorf("delete secrets: %w", err)
		}
		changed = true
	}
	return changed, nil
}

func (s *Store) putSecret(ctx context.Context, tx pgx.Tx, tenantID, integrationID, name, value string) error {
	nonce, ct, err := s.box.Seal([]byte(value), secretAD(tenantID, integrationID, name))
	if err != nil {
		return fmt.Errorf("seal secret %q: %w", name, err)
	}
	var last4 *string
	if l := secrets.Last4(value); l != "" {
		last4 = &l
	}
	_, err = tx.Exec(ctx,
		`INSERT INTO tenant_secrets (tenant, integration_id, secret_name, ciphertext, nonce, key_id, last4)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)
		 ON CONFLICT (tenant, integration_id, secret_name) DO UPDATE
		   SET ciphertext = EXCLUDED.ciphertext, nonce = EXCLUDED.nonce, key_id = EXCLUDED.key_id,
		       last4 = EXCLUDED.last4, updated_at = now()`,
		tenantID, integrationID, name, ct, nonce, s.box.KeyID(), last4)
	if err != nil {
		return fmt.Errorf("store secret %q: %w", name, err)
	}
	return nil
}

// secretInfos lists the masked secrets of several integrations at once.
func (s *Store) secretInfos(ctx context.Context, q queryer, tenantID string, integrationIDs []string) (map[string][]SecretInfo, error) {
	rows, err := q.Query(ctx,
		`SELECT integration_id, secret_name, last4, updated_at FROM tenant_secrets
		  WHERE tenant = $1 AND integration_id = ANY($2::text[]::uuid[]) ORDER BY integration_id, secret_name`,
		tenantID, integrationIDs)
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	out := make(map[string][]SecretInfo, len(integrationIDs))
	var integrationID, name string
	var last4 *string
	var updated time.Time
	_, err = pgx.ForEachRow(rows, []any{&integrationID, &name, &last4, &updated}, func() error {
		masked := "****"
		if last4 != nil {
			masked += *last4
		}
		out[integrationID] = append(out[integrationID], SecretInfo{Name: name, Masked: masked, UpdatedAt: updated})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	return out, nil
}

// SaveSecrets merges secrets a plugin obtained (NewSecrets) and bumps the
// revision when any of them changed. An empty value deletes that secret.
func (s *Store) SaveSecrets(ctx context.Context, tenantID, id string, newSecrets map[string]string) error {
	if !isUUID(tenantID) || !isUUID(id) {
		return ErrNotFound
	}
	if err := validSecretNames(newSecrets); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockIntegration(ctx, tx, tenantID, id); err != nil {
			return err
		}
		changed, err := s.mergeSecrets(ctx, tx, tenantID, id, newSecrets, false)
		if err != nil || !changed {
			return err
		}
		return bumpRevision(ctx, tx, tenantID, id)
	})
}
