package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// AssetByDevice returns the asset of one RMM device.
func (s *Store) AssetByDevice(ctx context.Context, tenantID, integrationID, externalID string) (Asset, error) {
	var id string
	err := s.pool.QueryRow(ctx,
		`SELECT asset_id FROM assets WHERE tenant = $1 AND integration_id = $2 AND rmm_device_id = $3`,
		tenantID, integrationID, externalID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Asset{}, ErrNotFound
	}
	if err != nil {
		return Asset{}, fmt.Errorf("find asset of device: %w", err)
	}
	return s.GetAsset(ctx, tenantID, id)
}
