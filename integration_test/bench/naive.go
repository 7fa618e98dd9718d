package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// naiveStore writes devices the way existing PSA integrations do: for each
// device its own transaction, a SELECT to find the asset, then an INSERT or
// an UPDATE of the asset, its detail row and its crosswalk row. It always
// writes, changed or not. It leaves the same final rows as the host's store
// (the checksum check verifies that).
type naiveStore struct {
	conn     *pgx.Conn
	fx       fixture
	provider string
	created  int64
	updated  int64
	skipped  int64
}

func newNaiveStore(ctx context.Context, dsn string, fx fixture) (*naiveStore, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("naive store: %w", err)
	}
	return &naiveStore{conn: conn, fx: fx, provider: providerName}, nil
}

func (n *naiveStore) close(ctx context.Context) { _ = n.conn.Close(context.WithoutCancel(ctx)) }

// Send is the naive store as a Sink: one transaction per device.
func (n *naiveStore) Send(ctx context.Context, b rmm.Batch[rmm.Device]) error {
	for _, d := range b.Items {
		if err := n.writeDevice(ctx, d); err != nil {
			return fmt.Errorf("naive store: device %s: %w", d.ExternalID, err)
		}
	}
	return nil
}

func (n *naiveStore) writeDevice(ctx context.Context, d rmm.Device) error {
	v, ok, err := valuesOf(d, n.fx.orgClients)
	if err != nil {
		return err
	}
	if !ok {
		n.skipped++
		return nil
	}
	tx, err := n.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	tenant, integ := n.fx.tenantID, n.fx.integrationID

	var assetID, oldType string
	err = tx.QueryRow(ctx, `SELECT asset_id::text, asset_type FROM assets
	                         WHERE tenant = $1 AND integration_id = $2 AND rmm_device_id = $3`,
		tenant, integ, v.extID).Scan(&assetID, &oldType)
	created := errors.Is(err, pgx.ErrNoRows)
	switch {
	case created:
		err = n.insertDevice(ctx, tx, v)
	case err == nil:
		err = n.updateDevice(ctx, tx, v, assetID, oldType)
	}
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	if created {
		n.created++
	} else {
		n.updated++
	}
	return nil
}

func (n *naiveStore) insertDevice(ctx context.Context, tx pgx.Tx, v deviceValues) error {
	tenant, integ := n.fx.tenantID, n.fx.integrationID
	var assetID string
	args := append([]any{tenant, integ, v.extID, v.tag, n.provider}, v.assetValues()...)
	err := tx.QueryRow(ctx, `INSERT INTO assets (tenant, integration_id, rmm_device_id, asset_tag, rmm_provider, `+assetColumns+`,
	        missing_since, missing_full_syncs, last_rmm_sync_at)
	    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, 0, now())
	    RETURNING asset_id::text`, args...).Scan(&assetID)
	if err != nil {
		return fmt.Errorf("insert asset: %w", err)
	}
	if err := n.insertDetail(ctx, tx, v, assetID); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO tenant_external_entity_mappings (tenant, integration_id, integration_type,
	        alga_entity_type, alga_entity_id, external_entity_id, external_realm_id, sync_status, metadata, last_synced_at)
	    VALUES ($1, $2, $3, 'asset', $4, $5, $6, 'synced', $7, now())`,
		tenant, integ, n.provider, assetID, v.extID, v.orgID, v.mappingMeta)
	if err != nil {
		return fmt.Errorf("insert mapping: %w", err)
	}
	return nil
}

func (n *naiveStore) insertDetail(ctx context.Context, tx pgx.Tx, v deviceValues, assetID string) error {
	args := append([]any{n.fx.tenantID, assetID}, v.detailValues()...)
	_, err := tx.Exec(ctx, `INSERT INTO `+detailTable(v.isServer)+` (tenant, asset_id, `+detailColumns(v.isServer)+`)
	    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`, args...)
	if err != nil {
		return fmt.Errorf("insert %s: %w", detailTable(v.isServer), err)
	}
	return nil
}

func (n *naiveStore) updateDevice(ctx context.Context, tx pgx.Tx, v deviceValues, assetID, oldType string) error {
	tenant, integ := n.fx.tenantID, n.fx.integrationID
	args := append([]any{tenant, assetID, n.provider}, v.assetValues()...)
	_, err := tx.Exec(ctx, `UPDATE assets SET rmm_provider = $3, client_id = $4, asset_type = $5, name = $6,
	        serial_number = $7, status = $8, rmm_organization_id = $9, rmm_site_id = $10, rmm_site_name = $11,
	        agent_status = $12, last_seen_at = $13, missing_since = NULL, missing_full_syncs = 0,
	        last_rmm_sync_at = now(), updated_at = now()
	    WHERE tenant = $1 AND asset_id = $2`, args...)
	if err != nil {
		return fmt.Errorf("update asset: %w", err)
	}
	if oldType != v.assetType {
		// The device changed kind: its detail row moves to the other table.
		if _, err := tx.Exec(ctx, `DELETE FROM `+detailTable(!v.isServer)+` WHERE tenant = $1 AND asset_id = $2`, tenant, assetID); err != nil {
			return fmt.Errorf("move detail row: %w", err)
		}
	}
	args = append([]any{tenant, assetID}, v.detailValues()...)
	tag, err := tx.Exec(ctx, `UPDATE `+detailTable(v.isServer)+` SET os_type = $3, os_version = $4, cpu_model = $5,
	        cpu_cores = $6, ram_gb = $7, agent_version = $8, last_reboot_at = $9, system_info = $10,
	        "current_user" = $11, last_user = $12, uptime_seconds = $13, lan_ip = $14, wan_ip = $15,
	        disk_usage = $16, `+detailKindColumn(v.isServer)+` = $17
	    WHERE tenant = $1 AND asset_id = $2`, args...)
	if err != nil {
		return fmt.Errorf("update %s: %w", detailTable(v.isServer), err)
	}
	if tag.RowsAffected() == 0 {
		if err := n.insertDetail(ctx, tx, v, assetID); err != nil {
			return err
		}
	}
	tag, err = tx.Exec(ctx, `UPDATE tenant_external_entity_mappings SET integration_type = $4, alga_entity_id = $5,
	        external_realm_id = $6, sync_status = 'synced', metadata = $7, last_synced_at = now(), updated_at = now()
	    WHERE tenant = $1 AND integration_id = $2 AND alga_entity_type = 'asset' AND external_entity_id = $3`,
		tenant, integ, v.extID, n.provider, assetID, v.orgID, v.mappingMeta)
	if err != nil {
		return fmt.Errorf("update mapping: %w", err)
	}
	if tag.RowsAffected() == 0 {
		_, err = tx.Exec(ctx, `INSERT INTO tenant_external_entity_mappings (tenant, integration_id, integration_type,
		        alga_entity_type, alga_entity_id, external_entity_id, external_realm_id, sync_status, metadata, last_synced_at)
		    VALUES ($1, $2, $3, 'asset', $4, $5, $6, 'synced', $7, now())`,
			tenant, integ, n.provider, assetID, v.extID, v.orgID, v.mappingMeta)
		if err != nil {
			return fmt.Errorf("insert mapping: %w", err)
		}
	}
	return nil
}
