package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// A software batch (typically 500 devices × 100 products) is written in
// one transaction with a fixed number of statements: COPY into a staging
// table, add new products to the catalog, resolve each row to (asset,
// product), merge asset_software, then retire what the batch's devices no
// longer list. Go only builds the COPY rows.

// stageSoftwareSQL creates the batch's two staging tables: the rows as
// sent, and the same resolved to one row per (asset, product). The key the
// second gets (resolveSoftwareSQL) keeps every later look-up into it an
// index probe, whatever the planner guesses about a table it has no
// statistics for.
const stageSoftwareSQL = `
SET LOCAL work_mem = '32MB'; -- the batch's sorts, in memory rather than on disk
CREATE TEMP TABLE stg_software (
    ord          integer NOT NULL,
    device_id    text    NOT NULL,
    name         text    NOT NULL,
    norm_name    text    NOT NULL,
    publisher    text,
    version      text,
    install_date date,
    size_bytes   bigint,
    install_path text
) ON COMMIT DROP;
CREATE TEMP TABLE stg_asset_software (
    asset_id     uuid NOT NULL,
    software_id  uuid NOT NULL,
    version      text,
    install_date date,
    size_bytes   bigint,
    install_path text
) ON COMMIT DROP`

func softwareCopyColumns() []string {
	return []string{"ord", "device_id", "name", "norm_name", "publisher", "version", "install_date", "size_bytes", "install_path"}
}

// addProductsSQL adds the products the catalog lacks, for devices that
// have an asset. Grouping hashes rather than sorts the batch; products the
// catalog has are dropped before the INSERT, which neither locks nor
// rewrites them. Names arrive trimmed, with inner whitespace collapsed; of
// several spellings of one product in a batch the catalog keeps the lowest
// (a deterministic choice).
const addProductsSQL = `
INSERT INTO software_catalog (tenant, name, publisher, normalized_name)
SELECT $1::uuid, p.name, p.publisher, p.norm_name
  FROM (SELECT s.norm_name, s.publisher, min(s.name) AS name
          FROM stg_software s
         WHERE EXISTS (SELECT 1 FROM assets a
                        WHERE a.tenant = $1 AND a.integration_id = $2 AND a.rmm_device_id = s.device_id)
         GROUP BY s.norm_name, s.publisher) p
 WHERE NOT EXISTS (SELECT 1 FROM software_catalog c
                    WHERE c.tenant = $1 AND c.normalized_name = p.norm_name
                      AND coalesce(c.publisher, '') = coalesce(p.publisher, ''))
ON CONFLICT (tenant, normalized_name, publisher) DO NOTHING`

// resolveSoftwareSQL turns staged rows into (asset, product) rows, one per
// product per asset (the last listed wins). Rows of devices without an
// asset drop out here. The key is built after the load, in one pass.
const resolveSoftwareSQL = `
INSERT INTO stg_asset_software
SELECT DISTINCT ON (a.asset_id, c.software_id)
       a.asset_id, c.software_id, s.version, s.install_date, s.size_bytes, s.install_path
  FROM stg_software s
  JOIN assets a ON a.tenant = $1 AND a.integration_id = $2 AND a.rmm_device_id = s.device_id
  JOIN software_catalog c ON c.tenant = $1 AND c.normalized_name = s.norm_name
                         AND coalesce(c.publisher, '') = coalesce(s.publisher, '')
 ORDER BY a.asset_id, c.software_id, s.ord DESC`

const keySoftwareSQL = `ALTER TABLE stg_asset_software ADD PRIMARY KEY (asset_id, software_id)`

// installCols are the asset_software columns an inventory sets; a row that
// was uninstalled and is listed again becomes current (a reinstall).
func installCols() []col {
	return []col{
		{"version", "s.version"},
		{"install_date", "s.install_date"},
		{"size_bytes", "s.size_bytes"},
		{"install_path", "s.install_path"},
		{"is_current", "true"},
		{"uninstalled_at", "NULL::timestamptz"},
	}
}

// mergeSoftwareSQL inserts new installs and updates changed ones, skipping
// identical rows before the INSERT so that they are not even locked.
// last_seen_at is when the row was last written (its state last changed).
func mergeSoftwareSQL() string {
	cols := installCols()
	return `
WITH cur AS (
    -- The batch's assets' rows only, by index: comparing against the
    -- tenant's whole inventory would cost more with every batch.
    SELECT * FROM asset_software
     WHERE tenant = $1 AND asset_id = ANY (ARRAY(SELECT DISTINCT asset_id FROM stg_asset_software))
), up AS (
    INSERT INTO asset_software AS t (tenant, asset_id, software_id, ` + colNames(cols, "") + `, first_seen_at, last_seen_at)
    SELECT $1::uuid, s.asset_id, s.software_id, ` + colExprs(cols) + `, now(), now()
      FROM stg_asset_software s
     WHERE NOT EXISTS (SELECT 1 FROM cur t
                        WHERE t.asset_id = s.asset_id AND t.software_id = s.software_id
                          AND ` + sameAsSource(cols) + `)
    ON CONFLICT (tenant, asset_id, software_id) DO UPDATE
       SET ` + setExcluded(cols) + `, last_seen_at = now()
     WHERE ` + differsFromExcluded(cols) + `
    RETURNING (t.xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM stg_asset_software), count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
  FROM up`
}

// retireSoftwareSQL marks uninstalled what the batch's devices ($3, their
// external ids, including devices that list nothing) no longer list.
const retireSoftwareSQL = `
UPDATE asset_software t SET is_current = false, uninstalled_at = now()
 WHERE t.tenant = $1
   AND t.asset_id = ANY (ARRAY(SELECT asset_id FROM assets
                                WHERE tenant = $1 AND integration_id = $2 AND rmm_device_id = ANY ($3::text[])))
   AND t.is_current
   AND NOT EXISTS (SELECT 1 FROM stg_asset_software s WHERE s.asset_id = t.asset_id AND s.software_id = t.software_id)`

// Column limits of software_catalog and asset_software.
const (
	maxSoftwareName = 500
	maxPublisher    = 255
	maxVersion      = 100
)

// UpsertSoftware writes complete inventories for a batch of devices: the
// products go to the catalog (one row per normalised name and publisher,
// a missing publisher included), each device's list to asset_software.
// Products a device no longer lists are marked uninstalled (is_current
// false, uninstalled_at); a product listed again is current again.
//
// Counts are per (asset, product): created, updated (changed or
// reinstalled), unchanged, deleted (marked uninstalled), failed (items
// without a name). Devices without an asset are skipped, not counted.
// When a device appears twice in a batch, both lists are merged.
func (s *Store) UpsertSoftware(ctx context.Context, tenantID, integrationID string, batches []rmm.SoftwareBatch) (Counts, error) {
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return Counts{}, ErrNotFound
	}
	var c Counts
	devices := make([]string, 0, len(batches))
	n := 0
	for _, b := range batches {
		n += len(b.Items)
	}
	rows := make([][]any, 0, n)
	for _, b := range batches {
		if b.DeviceExternalID == "" {
			c.Failed += int64(len(b.Items))
			continue
		}
		devices = append(devices, b.DeviceExternalID)
		for _, it := range b.Items {
			norm := clip(normalizeSoftwareName(it.Name), maxSoftwareName)
			if norm == "" {
				c.Failed++
				continue
			}
			var size any
			if it.SizeBytes > 0 {
				size = it.SizeBytes
			}
			rows = append(rows, []any{
				int32(len(rows)), b.DeviceExternalID, clip(strings.Join(strings.Fields(it.Name), " "), maxSoftwareName), norm,
				textOrNil(clip(it.Publisher, maxPublisher)), textOrNil(clip(it.Version, maxVersion)),
				timeOrNil(it.InstallDate), size, textOrNil(it.Location),
			})
		}
	}
	if len(devices) == 0 {
		return c, nil
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := integrationExists(ctx, tx, tenantID, integrationID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, stageSoftwareSQL); err != nil {
			return fmt.Errorf("stage software: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stg_software"}, softwareCopyColumns(), pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("stage software: %w", err)
		}
		added, err := tx.Exec(ctx, addProductsSQL, tenantID, integrationID)
		if err != nil {
			return fmt.Errorf("add products: %w", err)
		}
		if err := analyzeIfGrown(ctx, tx, "software_catalog", added.RowsAffected()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, resolveSoftwareSQL, tenantID, integrationID); err != nil {
			return fmt.Errorf("resolve software: %w", err)
		}
		if _, err := tx.Exec(ctx, keySoftwareSQL); err != nil {
			return fmt.Errorf("resolve software: %w", err)
		}
		var total, inserted, updated int64
		if err := tx.QueryRow(ctx, mergeSoftwareSQL(), tenantID).Scan(&total, &inserted, &updated); err != nil {
			return fmt.Errorf("merge software: %w", err)
		}
		tag, err := tx.Exec(ctx, retireSoftwareSQL, tenantID, integrationID, devices)
		if err != nil {
			return fmt.Errorf("retire software: %w", err)
		}
		c.Created, c.Updated, c.Unchanged, c.Deleted = inserted, updated, total-inserted-updated, tag.RowsAffected()
		return nil
	})
	if err != nil {
		return Counts{}, err
	}
	return c, nil
}
