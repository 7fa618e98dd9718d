package store

import (
	"context"
	"encoding/json"
	"fmt"

	sq "github.com/Masterminds/squirrel"
	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

const mappingColumns = `mapping_id, integration_id, external_organization_id, coalesce(external_organization_name, ''),
	client_id, auto_sync_assets, metadata, last_synced_at`

func scanMapping(r pgx.CollectableRow) (Mapping, error) {
	var m Mapping
	err := r.Scan(&m.ID, &m.IntegrationID, &m.ExternalOrganizationID, &m.ExternalOrganizationName,
		&m.ClientID, &m.AutoSyncAssets, &m.Metadata, &m.LastSyncedAt)
	return m, err
}

// orgMeta is what a mapping keeps of its organisation beyond the name.
type orgMeta struct {
	Description string          `json:"description,omitempty"`
	Raw         json.RawMessage `json:"raw,omitempty"`
}

type orgSite struct {
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
}

// upsertOrgsSQL merges one batch: deduplicated on the external id (the last
// occurrence wins), rows whose values are unchanged are neither written nor
// locked, and a mapping's client and auto-sync flag are never touched.
// last_synced_at is when the mapping's data last changed.
const upsertOrgsSQL = `
WITH src AS (
    SELECT DISTINCT ON (ext_id) ext_id, name, sites, metadata
      FROM unnest($3::text[], $4::text[], $5::jsonb[], $6::jsonb[]) WITH ORDINALITY AS u(ext_id, name, sites, metadata, ord)
     ORDER BY ext_id, ord DESC
), up AS (
    INSERT INTO rmm_organization_mappings AS t
           (tenant, integration_id, external_organization_id, external_organization_name, sites, metadata, last_synced_at)
    SELECT $1::uuid, $2::uuid, s.ext_id, s.name, s.sites, s.metadata, now()
      FROM src s
     WHERE NOT EXISTS (
           SELECT 1 FROM rmm_organization_mappings t
            WHERE t.tenant = $1 AND t.integration_id = $2 AND t.external_organization_id = s.ext_id
              AND (t.external_organization_name, t.sites, t.metadata) IS NOT DISTINCT FROM (s.name, s.sites, s.metadata))
    ON CONFLICT (tenant, integration_id, external_organization_id) DO UPDATE
       SET external_organization_name = EXCLUDED.external_organization_name,
           sites = EXCLUDED.sites, metadata = EXCLUDED.metadata,
           last_synced_at = now(), updated_at = now()
     WHERE (t.external_organization_name, t.sites, t.metadata)
           IS DISTINCT FROM (EXCLUDED.external_organization_name, EXCLUDED.sites, EXCLUDED.metadata)
    RETURNING (t.xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM src),
       count(*) FILTER (WHERE inserted),
       count(*) FILTER (WHERE NOT inserted)
  FROM up`

// UpsertOrgs writes organisation mappings in one statement: new ones
// unmapped, names, sites and metadata refreshed, a mapping's client kept.
// An organisation without an external id counts as failed.
func (s *Store) UpsertOrgs(ctx context.Context, tenantID, integrationID string, orgs []rmm.Org) (Counts, error) {
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return Counts{}, ErrNotFound
	}
	var c Counts
	ids := make([]string, 0, len(orgs))
	names := make([]*string, 0, len(orgs))
	sites := make([]string, 0, len(orgs))
	metas := make([]string, 0, len(orgs))
	for _, o := range orgs {
		if o.ExternalID == "" {
			c.Failed++
			continue
		}
		ss := make([]orgSite, len(o.Sites))
		for i, st := range o.Sites {
			ss[i] = orgSite{ExternalID: st.ExternalID, Name: st.Name}
		}
		sitesJSON, err := json.Marshal(ss)
		if err != nil {
			return Counts{}, fmt.Errorf("org %q sites: %w", o.ExternalID, err)
		}
		meta := orgMeta{Description: o.Description}
		if storableJSON(o.Raw) {
			meta.Raw = o.Raw
		}
		metaJSON, err := json.Marshal(meta)
		if err != nil {
			return Counts{}, fmt.Errorf("org %q metadata: %w", o.ExternalID, err)
		}
		ids = append(ids, clip(o.ExternalID, 255))
		names = append(names, textPtr(clip(o.Name, 255)))
		sites = append(sites, string(sitesJSON))
		metas = append(metas, string(metaJSON))
	}
	if len(ids) == 0 {
		return c, nil
	}
	var total, inserted, updated int64
	err := s.pool.QueryRow(ctx, upsertOrgsSQL, tenantID, integrationID, ids, names, sites, metas).
		Scan(&total, &inserted, &updated)
	if pgErrCode(err) == pgForeignKeyViolation {
		return Counts{}, ErrNotFound
	}
	if err != nil {
		return Counts{}, fmt.Errorf("upsert orgs: %w", err)
	}
	c.Created, c.Updated, c.Unchanged = inserted, updated, total-inserted-updated
	return c, nil
}

// integrationExists answers ErrNotFound for another tenant's integration.
func integrationExists(ctx context.Context, q queryer, tenantID, integrationID string) error {
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return ErrNotFound
	}
	rows, err := q.Query(ctx,
		`SELECT 1 FROM rmm_integrations WHERE tenant = $1 AND integration_id = $2`, tenantID, integrationID)
	if err != nil {
		return fmt.Errorf("find integration: %w", err)
	}
	_, err = pgx.CollectExactlyOneRow(rows, pgx.RowTo[int])
	return notFound(err, "find integration")
}

// ListMappings lists an integration's organisation mappings by name.
func (s *Store) ListMappings(ctx context.Context, tenantID, integrationID string) ([]Mapping, error) {
	if err := integrationExists(ctx, s.pool, tenantID, integrationID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx,
		`SELECT `+mappingColumns+` FROM rmm_organization_mappings
		  WHERE tenant = $1 AND integration_id = $2
		  ORDER BY external_organization_name, external_organization_id`,
		tenantID, integrationID)
	if err != nil {
		return nil, fmt.Errorf("list mappings: %w", err)
	}
	ms, err := pgx.CollectRows(rows, scanMapping)
	if err != nil {
		return nil, fmt.Errorf("list mappings: %w", err)
	}
	return ms, nil
}

// UpdateMapping maps an organisation to a client, unmaps it (ClearClient)
// or toggles auto-sync. Mapping to another client also moves the
// organisation's existing assets to it, in the same transaction, so they
// never stay with the client the organisation no longer belongs to;
// unmapping leaves them where they are until the user decides.
func (s *Store) UpdateMapping(ctx context.Context, tenantID, integrationID, mappingID string, p MappingPatch) (Mapping, error) {
	if !isUUID(tenantID) || !isUUID(integrationID) || !isUUID(mappingID) {
		return Mapping{}, ErrNotFound
	}
	if p.ClientID != nil && !isUUID(*p.ClientID) {
		return Mapping{}, &InvalidError{Field: "client_id", Msg: "no such client"}
	}
	var m Mapping
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		q := psql().Update("rmm_organization_mappings").
			Where("tenant = ? AND integration_id = ? AND mapping_id = ?", tenantID, integrationID, mappingID).
			Set("updated_at", sq.Expr("now()")).
			Suffix("RETURNING " + mappingColumns)
		switch {
		case p.ClearClient:
			q = q.Set("client_id", nil)
		case p.ClientID != nil:
			q = q.Set("client_id", *p.ClientID)
		}
		if p.AutoSyncAssets != nil {
			q = q.Set("auto_sync_assets", *p.AutoSyncAssets)
		}
		sqlText, args, err := q.ToSql()
		if err != nil {
			return fmt.Errorf("update mapping: %w", err)
		}
		rows, err := tx.Query(ctx, sqlText, args...)
		if err != nil {
			return fmt.Errorf("update mapping: %w", err)
		}
		m, err = pgx.CollectExactlyOneRow(rows, scanMapping)
		if pgErrCode(err) == pgForeignKeyViolation {
			return &InvalidError{Field: "client_id", Msg: "no such client"}
		}
		if err != nil {
			return notFound(err, "update mapping")
		}
		if p.ClientID == nil || p.ClearClient {
			return nil
		}
		_, err = tx.Exec(ctx,
			`UPDATE assets SET client_id = $4, updated_at = now()
			  WHERE tenant = $1 AND integration_id = $2 AND rmm_organization_id = $3
			    AND client_id IS DISTINCT FROM $4::uuid`,
			tenantID, integrationID, m.ExternalOrganizationID, *p.ClientID)
		if err != nil {
			return fmt.Errorf("move assets to the mapped client: %w", err)
		}
		return nil
	})
	if err != nil {
		return Mapping{}, err
	}
	return m, nil
}

// SyncTargets returns the organisations whose devices are synced: mapped to
// a client with auto_sync_assets on, as external org id -> client id.
func (s *Store) SyncTargets(ctx context.Context, tenantID, integrationID string) (map[string]string, error) {
	if err := integrationExists(ctx, s.pool, tenantID, integrationID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx,
		`SELECT external_organization_id, client_id FROM rmm_organization_mappings
		  WHERE tenant = $1 AND integration_id = $2 AND client_id IS NOT NULL AND auto_sync_assets`,
		tenantID, integrationID)
	if err != nil {
		return nil, fmt.Errorf("sync targets: %w", err)
	}
	out := map[string]string{}
	var org, client string
	_, err = pgx.ForEachRow(rows, []any{&org, &client}, func() error {
		out[org] = client
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sync targets: %w", err)
	}
	return out, nil
}
