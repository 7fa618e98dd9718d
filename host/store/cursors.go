package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Cursor returns the stored sync cursor of an integration and kind (orgs,
// devices, alerts, software), nil when there is none yet.
func (s *Store) Cursor(ctx context.Context, tenantID, integrationID, kind string) ([]byte, error) {
	if !validJobKind(kind) {
		return nil, &InvalidError{Field: "kind", Msg: "must be orgs, devices, alerts or software"}
	}
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return nil, ErrNotFound
	}
	var cursor []byte
	err := s.pool.QueryRow(ctx, `
SELECT s.cursor FROM rmm_integrations i
  LEFT JOIN rmm_sync_state s ON s.tenant = i.tenant AND s.integration_id = i.integration_id AND s.kind = $3
 WHERE i.tenant = $1 AND i.integration_id = $2`, tenantID, integrationID, kind).Scan(&cursor)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read cursor: %w", err)
	}
	return cursor, nil
}

// SaveCursor stores a sync cursor after its batch committed; nil clears it
// (the next sync starts from the beginning).
func (s *Store) SaveCursor(ctx context.Context, tenantID, integrationID, kind string, cursor []byte) error {
	if !validJobKind(kind) {
		return &InvalidError{Field: "kind", Msg: "must be orgs, devices, alerts or software"}
	}
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return ErrNotFound
	}
	_, err := s.pool.Exec(ctx, `
INSERT INTO rmm_sync_state (tenant, integration_id, kind, cursor) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant, integration_id, kind) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`,
		tenantID, integrationID, kind, cursor)
	if pgErrCode(err) == pgForeignKeyViolation {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("save cursor: %w", err)
	}
	return nil
}
