package store

import (
	"context"
	"fmt"

	sq "github.com/Masterminds/squirrel"
	"github.com/jackc/pgx/v5"
)

// Page sizes of the list methods.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

func pageSize(limit int) uint64 {
	switch {
	case limit <= 0:
		return defaultPageSize
	case limit > maxPageSize:
		return maxPageSize
	}
	return uint64(limit)
}

// assetSelect reads assets with their workstation or server row as JSON.
func assetSelect(tenantID string) sq.SelectBuilder {
	return psql().Select(`a.asset_id, a.client_id, a.asset_type, a.name, a.status, coalesce(a.serial_number, ''),
		a.integration_id, coalesce(a.rmm_provider, ''), coalesce(a.rmm_device_id, ''),
		coalesce(a.rmm_organization_id, ''), coalesce(a.rmm_site_id, ''), coalesce(a.rmm_site_name, ''),
		coalesce(a.agent_status, ''), a.last_seen_at, a.last_rmm_sync_at, a.missing_since,
		coalesce(to_jsonb(w) - 'tenant' - 'asset_id', to_jsonb(sv) - 'tenant' - 'asset_id'),
		a.created_at, a.updated_at`).
		From("assets a").
		LeftJoin("workstation_assets w ON w.tenant = a.tenant AND w.asset_id = a.asset_id").
		LeftJoin("server_assets sv ON sv.tenant = a.tenant AND sv.asset_id = a.asset_id").
		Where("a.tenant = ?", tenantID)
}

// whereArgs are a filter's arguments: the keyset "after" condition looks
// the previous page's last row up within the tenant.
func whereArgs(field, tenantID, value string) []any {
	if field == "after" {
		return []any{tenantID, value}
	}
	return []any{value}
}

func scanAsset(r pgx.CollectableRow) (Asset, error) {
	var a Asset
	err := r.Scan(&a.ID, &a.ClientID, &a.AssetType, &a.Name, &a.Status, &a.SerialNumber,
		&a.IntegrationID, &a.RMMProvider, &a.RMMDeviceID, &a.RMMOrganizationID, &a.RMMSiteID, &a.RMMSiteName,
		&a.AgentStatus, &a.LastSeenAt, &a.LastRMMSyncAt, &a.MissingSince, &a.Details, &a.CreatedAt, &a.UpdatedAt)
	return a, err
}

func (s *Store) queryAssets(ctx context.Context, q sq.SelectBuilder) ([]Asset, error) {
	sqlText, args, err := q.ToSql()
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	rows, err := s.pool.Query(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanAsset)
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	return list, nil
}

// ListAssets lists a tenant's assets by name. After pages on: it is the id
// of the last asset of the previous page. Malformed filter ids are
// invalid; ids of another tenant match nothing.
func (s *Store) ListAssets(ctx context.Context, tenantID string, f AssetFilter) ([]Asset, error) {
	if !isUUID(tenantID) {
		return []Asset{}, nil
	}
	q := assetSelect(tenantID).OrderBy("a.name", "a.asset_id").Limit(pageSize(f.Limit))
	for _, id := range []struct{ field, value, where string }{
		{"integration_id", f.IntegrationID, "a.integration_id = ?"},
		{"client_id", f.ClientID, "a.client_id = ?"},
		{"after", f.After, "(a.name, a.asset_id) > (SELECT name, asset_id FROM assets WHERE tenant = ? AND asset_id = ?)"},
	} {
		if id.value == "" {
			continue
		}
		if !isUUID(id.value) {
			return nil, &InvalidError{Field: id.field, Msg: "must be a UUID"}
		}
		q = q.Where(id.where, whereArgs(id.field, tenantID, id.value)...)
	}
	if f.AgentStatus != "" {
		q = q.Where("a.agent_status = ?", f.AgentStatus)
	}
	return s.queryAssets(ctx, q)
}

// GetAsset returns one asset with its cached RMM fields.
func (s *Store) GetAsset(ctx context.Context, tenantID, assetID string) (Asset, error) {
	if !isUUID(tenantID) || !isUUID(assetID) {
		return Asset{}, ErrNotFound
	}
	list, err := s.queryAssets(ctx, assetSelect(tenantID).Where("a.asset_id = ?", assetID))
	if err != nil {
		return Asset{}, err
	}
	if len(list) == 0 {
		return Asset{}, ErrNotFound
	}
	return list[0], nil
}

// AssetSoftware lists an asset's software by name, uninstalled products
// included (IsCurrent false).
func (s *Store) AssetSoftware(ctx context.Context, tenantID, assetID string) ([]AssetSoftware, error) {
	if _, err := s.GetAsset(ctx, tenantID, assetID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
SELECT c.software_id, c.name, coalesce(c.publisher, ''), coalesce(s.version, ''), s.install_date, s.size_bytes,
       coalesce(s.install_path, ''), s.is_current, s.first_seen_at, s.last_seen_at, s.uninstalled_at
  FROM asset_software s
  JOIN software_catalog c ON c.tenant = s.tenant AND c.software_id = s.software_id
 WHERE s.tenant = $1 AND s.asset_id = $2
 ORDER BY c.normalized_name, c.publisher NULLS FIRST, c.software_id`, tenantID, assetID)
	if err != nil {
		return nil, fmt.Errorf("asset software: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AssetSoftware, error) {
		var a AssetSoftware
		err := r.Scan(&a.SoftwareID, &a.Name, &a.Publisher, &a.Version, &a.InstallDate, &a.SizeBytes,
			&a.InstallPath, &a.IsCurrent, &a.FirstSeenAt, &a.LastSeenAt, &a.Uninstalled)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("asset software: %w", err)
	}
	return list, nil
}

// ListAlerts lists a tenant's alerts, newest first. After is the id of the
// last alert of the previous page.
func (s *Store) ListAlerts(ctx context.Context, tenantID string, f AlertFilter) ([]Alert, error) {
	if !isUUID(tenantID) {
		return []Alert{}, nil
	}
	q := psql().Select(`alert_id, integration_id, external_alert_id, dedup_key, coalesce(external_device_id, ''),
		asset_id, severity, status, coalesce(alert_class, ''), coalesce(message, ''), coalesce(device_name, ''),
		occurrence_count, triggered_at, resolved_at, last_occurrence_at, metadata`).
		From("rmm_alerts a").
		Where("a.tenant = ?", tenantID).
		OrderBy("a.created_at DESC", "a.alert_id DESC").
		Limit(pageSize(f.Limit))
	for _, id := range []struct{ field, value, where string }{
		{"integration_id", f.IntegrationID, "a.integration_id = ?"},
		{"after", f.After, "(a.created_at, a.alert_id) < (SELECT created_at, alert_id FROM rmm_alerts WHERE tenant = ? AND alert_id = ?)"},
	} {
		if id.value == "" {
			continue
		}
		if !isUUID(id.value) {
			return nil, &InvalidError{Field: id.field, Msg: "must be a UUID"}
		}
		q = q.Where(id.where, whereArgs(id.field, tenantID, id.value)...)
	}
	if f.Status != "" {
		q = q.Where("a.status = ?", f.Status)
	}
	sqlText, args, err := q.ToSql()
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	rows, err := s.pool.Query(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alert, error) {
		var a Alert
		err := r.Scan(&a.ID, &a.IntegrationID, &a.ExternalAlertID, &a.DedupKey, &a.ExternalDeviceID, &a.AssetID,
			&a.Severity, &a.Status, &a.AlertClass, &a.Message, &a.DeviceName, &a.OccurrenceCount, &a.TriggeredAt,
			&a.ResolvedAt, &a.LastOccurrenceAt, &a.Metadata)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return list, nil
}
