package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// queryer is what both a pool and a transaction offer.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

const integrationColumns = `integration_id, provider, name, coalesce(instance_url, ''), auth_mode, settings,
	revision, is_active, connected_at, disconnected_at, last_sync_at, sync_status, coalesce(sync_error, ''),
	created_at, updated_at`

func scanIntegration(r pgx.CollectableRow) (Integration, error) {
	var in Integration
	var mode string
	err := r.Scan(&in.ID, &in.Provider, &in.Name, &in.InstanceURL, &mode, &in.Settings,
		&in.Revision, &in.IsActive, &in.ConnectedAt, &in.DisconnectedAt, &in.LastSyncAt, &in.SyncStatus, &in.SyncError,
		&in.CreatedAt, &in.UpdatedAt)
	in.AuthMode = rmm.AuthMode(mode)
	return in, err
}

// Column limits of rmm_integrations.
const (
	maxProvider = 50
	maxName     = 255
	maxURL      = 255
	maxAuthMode = 50
)

func validateName(name string) error {
	if name == "" || len(name) > maxName {
		return &InvalidError{Field: "name", Msg: fmt.Sprintf("must be 1 to %d characters", maxName)}
	}
	return nil
}

// validateURL accepts an empty URL (providers that derive it from settings)
// or an absolute http(s) URL with a host.
func validateURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > maxURL {
		return &InvalidError{Field: "instance_url", Msg: "must be an http(s) URL with a host, at most 255 characters"}
	}
	return nil
}

func validateAuthMode(mode rmm.AuthMode) error {
	if mode == "" || len(mode) > maxAuthMode {
		return &InvalidError{Field: "auth_mode", Msg: "is required"}
	}
	return nil
}

// normalizeSettings returns the settings as a JSON object, {} when empty,
// with a valid lifecycle (see LifecycleSettings).
func normalizeSettings(raw json.RawMessage) (json.RawMessage, error) {
	if len(strings.TrimSpace(string(raw))) == 0 {
		return json.RawMessage(`{}`), nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, &InvalidError{Field: "settings", Msg: "must be a JSON object"}
	}
	// The host's own keys are checked here; the rest is the provider's.
	if _, err := ParseLifecycleSettings(raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// nameConflict maps the unique name index to ErrConflict.
func nameConflict(err error) error {
	if pgErrCode(err) == pgUniqueViolation && pgConstraint(err) == "uq_rmm_integrations_name" {
		return fmt.Errorf("%w: an integration with this name exists", ErrConflict)
	}
	return err
}

// CreateIntegration stores a new integration with its secrets sealed. It
// starts inactive: a successful connection test activates it.
func (s *Store) CreateIntegration(ctx context.Context, tenantID string, in NewIntegration) (Integration, error) {
	if !isUUID(tenantID) {
		return Integration{}, ErrNotFound
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Provider == "" || len(in.Provider) > maxProvider {
		return Integration{}, &InvalidError{Field: "provider", Msg: "is required"}
	}
	settings, err := normalizeSettings(in.Settings)
	if err == nil {
		err = errors.Join(validateName(in.Name), validateURL(in.InstanceURL), validateAuthMode(in.AuthMode), validSecretNames(in.Secrets))
	}
	if err != nil {
		return Integration{}, firstInvalid(err)
	}
	var id string
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx,
			`INSERT INTO rmm_integrations (tenant, provider, name, instance_url, auth_mode, settings)
			 VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6) RETURNING integration_id`,
			tenantID, in.Provider, in.Name, in.InstanceURL, string(in.AuthMode), settings).Scan(&id)
		switch {
		case pgErrCode(err) == pgForeignKeyViolation:
			return ErrNotFound
		case err != nil:
			return fmt.Errorf("create integration: %w", nameConflict(err))
		}
		_, err = s.mergeSecrets(ctx, tx, tenantID, id, in.Secrets, false)
		return err
	})
	if err != nil {
		return Integration{}, err
	}
	return s.GetIntegration(ctx, tenantID, id)
}

// firstInvalid returns the first *InvalidError of a joined error.
func firstInvalid(err error) error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			if e != nil {
				return e
			}
		}
	}
	return err
}

// GetIntegration returns one integration, secrets masked.
func (s *Store) GetIntegration(ctx context.Context, tenantID, id string) (Integration, error) {
	if !isUUID(tenantID) || !isUUID(id) {
		return Integration{}, ErrNotFound
	}
	list, err := s.integrations(ctx, tenantID, id)
	if err != nil {
		return Integration{}, err
	}
	if len(list) == 0 {
		return Integration{}, ErrNotFound
	}
	return list[0], nil
}

// ListIntegrations lists a tenant's integrations by name, secrets masked.
func (s *Store) ListIntegrations(ctx context.Context, tenantID string) ([]Integration, error) {
	if !isUUID(tenantID) {
		return []Integration{}, nil
	}
	return s.integrations(ctx, tenantID, "")
}

// integrations reads one integration (id set) or all of a tenant.
func (s *Store) integrations(ctx context.Context, tenantID, id string) ([]Integration, error) {
	q := psql().Select(integrationColumns).From("rmm_integrations").
		Where("tenant = ?", tenantID).OrderBy("name", "integration_id")
	if id != "" {
		q = q.Where("integration_id = ?", id)
	}
	sqlText, args, err := q.ToSql()
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	rows, err := s.pool.Query(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanIntegration)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	ids := make([]string, len(list))
	for i, in := range list {
		ids[i] = in.ID
	}
	infos, err := s.secretInfos(ctx, s.pool, tenantID, ids)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Secrets = infos[list[i].ID]
		if list[i].Secrets == nil {
			list[i].Secrets = []SecretInfo{}
		}
	}
	return list, nil
}

// lockIntegration takes the integration's row lock for a read-modify-write,
// or answers ErrNotFound.
func lockIntegration(ctx context.Context, tx pgx.Tx, tenantID, id string) error {
	var one int
	err := tx.QueryRow(ctx,
		`SELECT 1 FROM rmm_integrations WHERE tenant = $1 AND integration_id = $2 FOR UPDATE`,
		tenantID, id).Scan(&one)
	if err != nil {
		return notFound(err, "lock integration")
	}
	return nil
}

func bumpRevision(ctx context.Context, tx pgx.Tx, tenantID, id string) error {
	_, err := tx.Exec(ctx,
		`UPDATE rmm_integrations SET revision = revision + 1, updated_at = now()
		  WHERE tenant = $1 AND integration_id = $2`, tenantID, id)
	if err != nil {
		return fmt.Errorf("bump revision: %w", err)
	}
	return nil
}

// UpdateIntegration applies a patch. The revision is bumped when the URL,
// auth mode, settings or secrets actually change (a rename alone does not:
// providers do not see names). ReplaceSecrets keeps the webhook secret.
func (s *Store) UpdateIntegration(ctx context.Context, tenantID, id string, p IntegrationPatch) (Integration, error) {
	if !isUUID(tenantID) || !isUUID(id) {
		return Integration{}, ErrNotFound
	}
	var errs []error
	if p.Name != nil {
		trimmed := strings.TrimSpace(*p.Name)
		p.Name = &trimmed
		errs = append(errs, validateName(trimmed))
	}
	if p.InstanceURL != nil {
		errs = append(errs, validateURL(*p.InstanceURL))
	}
	if p.AuthMode != nil {
		errs = append(errs, validateAuthMode(*p.AuthMode))
	}
	var settings json.RawMessage
	if p.Settings != nil {
		var err error
		settings, err = normalizeSettings(p.Settings)
		errs = append(errs, err)
	}
	errs = append(errs, validSecretNames(p.Secrets))
	if err := errors.Join(errs...); err != nil {
		return Integration{}, firstInvalid(err)
	}
	var settingsArg any // NULL keeps the stored settings
	if settings != nil {
		settingsArg = string(settings)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Read what providers see, under the row lock, to tell whether the
		// patch changes it.
		var curURL, curMode string
		var sameSettings bool
		err := tx.QueryRow(ctx,
			`SELECT coalesce(instance_url, ''), auth_mode, settings = coalesce($3::jsonb, settings)
			   FROM rmm_integrations WHERE tenant = $1 AND integration_id = $2 FOR UPDATE`,
			tenantID, id, settingsArg).Scan(&curURL, &curMode, &sameSettings)
		if err != nil {
			return notFound(err, "update integration")
		}
		fieldsMoved := !sameSettings ||
			(p.InstanceURL != nil && *p.InstanceURL != curURL) ||
			(p.AuthMode != nil && string(*p.AuthMode) != curMode)
		q := psql().Update("rmm_integrations").
			Where("tenant = ? AND integration_id = ?", tenantID, id).
			Set("updated_at", sq.Expr("now()"))
		if p.Name != nil {
			q = q.Set("name", *p.Name)
		}
		if p.InstanceURL != nil {
			q = q.Set("instance_url", sq.Expr("NULLIF(?, '')", *p.InstanceURL))
		}
		if p.AuthMode != nil {
			q = q.Set("auth_mode", string(*p.AuthMode))
		}
		if settings != nil {
			q = q.Set("settings", sq.Expr("?::jsonb", string(settings)))
		}
		sqlText, args, err := q.ToSql()
		if err != nil {
			return fmt.Errorf("update integration: %w", err)
		}
		if _, err := tx.Exec(ctx, sqlText, args...); err != nil {
			return fmt.Errorf("update integration: %w", nameConflict(err))
		}
		secretsMoved, err := s.mergeSecrets(ctx, tx, tenantID, id, p.Secrets, p.ReplaceSecrets)
		if err != nil {
			return err
		}
		if fieldsMoved || secretsMoved {
			return bumpRevision(ctx, tx, tenantID, id)
		}
		return nil
	})
	if err != nil {
		return Integration{}, err
	}
	return s.GetIntegration(ctx, tenantID, id)
}

// DisconnectIntegration clears the credentials (keeping synced data and the
// webhook secret), marks the integration inactive and cancels its queued
// jobs, which could only fail without credentials.
func (s *Store) DisconnectIntegration(ctx context.Context, tenantID, id string) (Integration, error) {
	if !isUUID(tenantID) || !isUUID(id) {
		return Integration{}, ErrNotFound
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockIntegration(ctx, tx, tenantID, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx,
			`DELETE FROM tenant_secrets WHERE tenant = $1 AND integration_id = $2 AND secret_name <> $3`,
			tenantID, id, WebhookSecretName)
		if err != nil {
			return fmt.Errorf("disconnect: %w", err)
		}
		_, err = tx.Exec(ctx,
			`UPDATE rmm_integrations
			    SET is_active = false, disconnected_at = now(), revision = revision + 1, updated_at = now()
			  WHERE tenant = $1 AND integration_id = $2`, tenantID, id)
		if err != nil {
			return fmt.Errorf("disconnect: %w", err)
		}
		_, err = tx.Exec(ctx,
			`UPDATE sync_jobs SET status = 'cancelled', finished_at = now(), error = 'the integration was disconnected'
			  WHERE tenant = $1 AND integration_id = $2 AND status = 'queued'`, tenantID, id)
		if err != nil {
			return fmt.Errorf("disconnect: %w", err)
		}
		return nil
	})
	if err != nil {
		return Integration{}, err
	}
	return s.GetIntegration(ctx, tenantID, id)
}

// RecordConnectionTest stores the outcome of a connection test. Success
// activates the integration (connected_at now, disconnected_at and the
// error cleared); failure deactivates it and keeps message as sync_error,
// so scheduled syncs stop until the user fixes the connection.
func (s *Store) RecordConnectionTest(ctx context.Context, tenantID, id string, ok bool, message string) error {
	if !isUUID(tenantID) || !isUUID(id) {
		return ErrNotFound
	}
	var tag pgconn.CommandTag
	var err error
	if ok {
		tag, err = s.pool.Exec(ctx,
			`UPDATE rmm_integrations
			    SET is_active = true, connected_at = now(), disconnected_at = NULL, sync_error = NULL, updated_at = now()
			  WHERE tenant = $1 AND integration_id = $2`, tenantID, id)
	} else {
		tag, err = s.pool.Exec(ctx,
			`UPDATE rmm_integrations
			    SET is_active = false, sync_error = $3, updated_at = now()
			  WHERE tenant = $1 AND integration_id = $2`, tenantID, id, "connection test failed: "+message)
	}
	if err != nil {
		return fmt.Errorf("record connection test: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// ProviderIntegration returns what a plugin call needs: the integration with
// its secrets decrypted, and the provider's name.
func (s *Store) ProviderIntegration(ctx context.Context, tenantID, id string) (rmm.Integration, string, error) {
	if !isUUID(tenantID) || !isUUID(id) {
		return rmm.Integration{}, "", ErrNotFound
	}
	var out rmm.Integration
	var provider, mode string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx,
			`SELECT provider, revision, coalesce(instance_url, ''), auth_mode, settings
			   FROM rmm_integrations WHERE tenant = $1 AND integration_id = $2`,
			tenantID, id).Scan(&provider, &out.Revision, &out.BaseURL, &mode, &out.Settings)
		if err != nil {
			return notFound(err, "load integration")
		}
		out.Secrets, err = s.loadSecrets(ctx, tx, tenantID, id)
		return err
	})
	if err != nil {
		return rmm.Integration{}, "", err
	}
	out.ID, out.TenantID, out.AuthMode = id, tenantID, rmm.AuthMode(mode)
	return out, provider, nil
}

// timePtr returns nil for the zero time.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
