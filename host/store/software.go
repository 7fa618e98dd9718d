package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// A software batch (the Tactical provider sends 25 devices × a few hundred
// products) is written in one transaction with a fixed number of
// statements, each a few index probes per row: find the devices' assets,
// find or add the batch's distinct products in the catalog, then merge
// asset_software and retire what the devices no longer list in one
// statement. Go deduplicates: the catalog sees each product once, the
// merge each (asset, product) once.

// batchAssetsSQL checks that the integration is the tenant's (no row when
// it is not) and finds the assets of the batch's devices (NULLs when none
// has one).
const batchAssetsSQL = `
SELECT a.rmm_device_id, a.asset_id
  FROM rmm_integrations i
  LEFT JOIN assets a ON a.tenant = i.tenant AND a.integration_id = i.integration_id
                    AND a.rmm_device_id = ANY ($3::text[])
 WHERE i.tenant = $1 AND i.integration_id = $2`

// catalogSQL returns the software_id of each product ($2 normalised
// names, $3 publishers, $4 names as first spelt), adding the ones the
// catalog lacks; known products are neither locked nor rewritten. A
// product another transaction added after this statement's snapshot is
// neither found nor added (ON CONFLICT); the caller asks again.
const catalogSQL = `
WITH p AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS p(norm_name, publisher, name, ord)
), known AS (
    SELECT p.ord, c.software_id
      FROM p JOIN software_catalog c ON c.tenant = $1 AND c.normalized_name = p.norm_name
                                    AND c.publisher IS NOT DISTINCT FROM p.publisher
), added AS (
    INSERT INTO software_catalog (tenant, name, publisher, normalized_name)
    SELECT $1::uuid, p.name, p.publisher, p.norm_name
      FROM p
     WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.ord = p.ord)
    ON CONFLICT (tenant, normalized_name, publisher) DO NOTHING
    RETURNING software_id, normalized_name, publisher
)
SELECT k.ord, k.software_id, false FROM known k
UNION ALL
SELECT p.ord, a.software_id, true
  FROM added a JOIN p ON p.norm_name = a.normalized_name AND p.publisher IS NOT DISTINCT FROM a.publisher`

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

// mergeSoftwareSQL writes the batch's rows ($2..$7, one per asset and
// product) and marks uninstalled the current rows of the batch's assets
// ($8, devices that list nothing included) that the batch does not list.
// The join on the key finds each row's current values by a primary-key
// probe, so identical rows are dropped before the INSERT and not even
// locked. last_seen_at is when the row was last written (its state last
// changed). The two parts touch disjoint rows (listed, not listed).
func mergeSoftwareSQL() string {
	cols := installCols()
	return `
WITH s AS (
    SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::date[], $6::bigint[], $7::text[])
                  AS s(asset_id, software_id, version, install_date, size_bytes, install_path)
), up AS (
    INSERT INTO asset_software AS t (tenant, asset_id, software_id, ` + colNames(cols, "") + `, first_seen_at, last_seen_at)
    SELECT $1::uuid, s.asset_id, s.software_id, ` + colExprs(cols) + `, now(), now()
      FROM s LEFT JOIN asset_software o ON o.tenant = $1 AND o.asset_id = s.asset_id AND o.software_id = s.software_id
     WHERE ` + differsFromSource("o", cols) + `
    ON CONFLICT (tenant, asset_id, software_id) DO UPDATE
       SET ` + setExcluded(cols) + `, last_seen_at = now()
     WHERE ` + differsFromExcluded(cols) + `
    RETURNING (t.xmax = 0) AS inserted
), gone AS (
    UPDATE asset_software t SET is_current = false, uninstalled_at = now()
     WHERE t.tenant = $1 AND t.asset_id = ANY ($8::uuid[]) AND t.is_current
       AND NOT EXISTS (SELECT 1 FROM s WHERE s.asset_id = t.asset_id AND s.software_id = t.software_id)
    RETURNING 1
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted), (SELECT count(*) FROM gone)
  FROM up`
}

// Column limits of software_catalog and asset_software.
const (
	maxSoftwareName = 500
	maxPublisher    = 255
	maxVersion      = 100
)

// catalogAttempts bounds how often a batch asks for products that
// concurrent writers keep adding under it (each attempt sees their
// commits); one is the rule.
const catalogAttempts = 3

// product is a catalog key: a normalised name and a publisher ("" none).
type product struct{ norm, publisher string }

// stagedItem is an inventory item of a device, normalised and clipped.
type stagedItem struct {
	device      string
	product     product
	name        string // as listed, whitespace collapsed
	version     *string
	installDate *time.Time
	size        *int64
	path        *string
}

// UpsertSoftware writes complete inventories for a batch of devices: the
// products go to the catalog (one row per normalised name and publisher,
// a missing publisher included), each device's list to asset_software.
// Products a device no longer lists are marked uninstalled (is_current
// false, uninstalled_at); a product listed again is current again.
//
// Counts are per (asset, product): created, updated (changed or
// reinstalled), unchanged, deleted (marked uninstalled), failed (items
// without a name). Devices without an asset are skipped, not counted.
// When a device appears twice in a batch, both lists are merged (the
// later listing of a product wins).
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
	items := make([]stagedItem, 0, n)
	for _, b := range batches {
		if b.DeviceExternalID == "" {
			c.Failed += int64(len(b.Items))
			continue
		}
		devices = append(devices, b.DeviceExternalID)
		for _, it := range b.Items {
			st, ok := stageItem(b.DeviceExternalID, it)
			if !ok {
				c.Failed++
				continue
			}
			items = append(items, st)
		}
	}
	if len(devices) == 0 {
		return c, nil
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		assets, err := batchAssets(ctx, tx, tenantID, integrationID, devices)
		if err != nil {
			return err
		}
		if len(assets) == 0 {
			return nil
		}
		products := productsOf(items, assets)
		ids, err := catalogIDs(ctx, tx, tenantID, products)
		if err != nil {
			return err
		}
		rows := installRowsOf(items, assets, products, ids)
		var inserted, updated, gone int64
		if err := tx.QueryRow(ctx, mergeSoftwareSQL(), rows.args(tenantID, assets)...).Scan(&inserted, &updated, &gone); err != nil {
			return fmt.Errorf("merge software: %w", err)
		}
		c.Created, c.Updated, c.Unchanged, c.Deleted = inserted, updated, int64(rows.len())-inserted-updated, gone
		return analyzeIfDoubled(ctx, tx, "asset_software", inserted)
	})
	if err != nil {
		return Counts{}, err
	}
	return c, nil
}

// stageItem normalises and clips an item; ok is false for an item without
// a name.
func stageItem(device string, it rmm.SoftwareItem) (stagedItem, bool) {
	norm := clip(normalizeSoftwareName(it.Name), maxSoftwareName)
	if norm == "" {
		return stagedItem{}, false
	}
	st := stagedItem{
		device:  device,
		product: product{norm: norm, publisher: clip(it.Publisher, maxPublisher)},
		name:    clip(strings.Join(strings.Fields(it.Name), " "), maxSoftwareName),
		version: textPtr(clip(it.Version, maxVersion)),
		path:    textPtr(it.Location),
	}
	if !it.InstallDate.IsZero() {
		d := it.InstallDate
		st.installDate = &d
	}
	if it.SizeBytes > 0 {
		size := it.SizeBytes
		st.size = &size
	}
	return st, true
}

// batchAssets returns the asset id of each of the devices that has one,
// or ErrNotFound when the integration is not the tenant's.
func batchAssets(ctx context.Context, tx pgx.Tx, tenantID, integrationID string, devices []string) (map[string][16]byte, error) {
	rows, err := tx.Query(ctx, batchAssetsSQL, tenantID, integrationID, devices)
	if err != nil {
		return nil, fmt.Errorf("find software assets: %w", err)
	}
	out := make(map[string][16]byte, len(devices))
	found := false
	var device *string
	var asset *[16]byte
	_, err = pgx.ForEachRow(rows, []any{&device, &asset}, func() error {
		found = true
		if device != nil && asset != nil {
			out[*device] = *asset
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find software assets: %w", err)
	}
	if !found {
		return nil, ErrNotFound
	}
	return out, nil
}

// catalogProducts are the distinct products of a batch, in first-listed
// order, each with the lowest spelling of its name (a deterministic
// choice for the catalog's name).
type catalogProducts struct {
	index map[product]int
	list  []product
	names []string
}

func productsOf(items []stagedItem, assets map[string][16]byte) catalogProducts {
	p := catalogProducts{index: map[product]int{}}
	for _, it := range items {
		if _, ok := assets[it.device]; !ok {
			continue
		}
		i, ok := p.index[it.product]
		if !ok {
			p.index[it.product] = len(p.list)
			p.list = append(p.list, it.product)
			p.names = append(p.names, it.name)
			continue
		}
		p.names[i] = min(p.names[i], it.name)
	}
	return p
}

// catalogIDs returns the software_id of every product, adding those the
// catalog lacks.
func catalogIDs(ctx context.Context, tx pgx.Tx, tenantID string, p catalogProducts) ([][16]byte, error) {
	ids := make([][16]byte, len(p.list))
	norms, publishers := make([]string, len(p.list)), make([]*string, len(p.list))
	for i, pr := range p.list {
		norms[i], publishers[i] = pr.norm, textPtr(pr.publisher)
	}
	missing := len(p.list)
	for range catalogAttempts {
		rows, err := tx.Query(ctx, catalogSQL, tenantID, norms, publishers, p.names)
		if err != nil {
			return nil, fmt.Errorf("add products: %w", err)
		}
		var ord int64
		var id [16]byte
		var isNew bool
		var added int64
		missing = len(p.list)
		_, err = pgx.ForEachRow(rows, []any{&ord, &id, &isNew}, func() error {
			ids[ord-1] = id
			missing--
			if isNew {
				added++
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("add products: %w", err)
		}
		if err := analyzeIfGrown(ctx, tx, "software_catalog", added); err != nil {
			return nil, err
		}
		if missing == 0 {
			return ids, nil
		}
	}
	return nil, fmt.Errorf("add products: %d products still missing after %d attempts", missing, catalogAttempts)
}

// installRows are the batch's asset_software rows, one per (asset,
// product), as one array per column.
type installRows struct {
	assets, software [][16]byte
	versions, paths  []*string
	dates            []*time.Time
	sizes            []*int64
}

func (r *installRows) len() int { return len(r.assets) }

// installRowsOf resolves items to rows; the last listing of a product on
// an asset wins. Rows are sorted by key, so that the inserts walk the
// primary key in order.
func installRowsOf(items []stagedItem, assets map[string][16]byte, p catalogProducts, ids [][16]byte) installRows {
	type key struct{ asset, software [16]byte }
	last := make(map[key]int, len(items))
	keys := make([]key, 0, len(items))
	for i, it := range items {
		a, ok := assets[it.device]
		if !ok {
			continue
		}
		k := key{a, ids[p.index[it.product]]}
		if _, seen := last[k]; !seen {
			keys = append(keys, k)
		}
		last[k] = i
	}
	slices.SortFunc(keys, func(x, y key) int {
		if c := bytes.Compare(x.asset[:], y.asset[:]); c != 0 {
			return c
		}
		return bytes.Compare(x.software[:], y.software[:])
	})
	r := installRows{
		assets: make([][16]byte, len(keys)), software: make([][16]byte, len(keys)),
		versions: make([]*string, len(keys)), paths: make([]*string, len(keys)),
		dates: make([]*time.Time, len(keys)), sizes: make([]*int64, len(keys)),
	}
	for i, k := range keys {
		it := items[last[k]]
		r.assets[i], r.software[i] = k.asset, k.software
		r.versions[i], r.dates[i], r.sizes[i], r.paths[i] = it.version, it.installDate, it.size, it.path
	}
	return r
}

// args are mergeSoftwareSQL's arguments: the rows, and every asset of the
// batch (those that list nothing included).
func (r *installRows) args(tenantID string, assets map[string][16]byte) []any {
	all := make([][16]byte, 0, len(assets))
	for _, a := range assets {
		all = append(all, a)
	}
	return []any{tenantID, r.assets, r.software, r.versions, r.dates, r.sizes, r.paths, all}
}

// analyzeIfDoubled refreshes a table's planner statistics when a batch
// has added rows and the table has at least doubled in pages since they
// were taken. An ingest fills asset_software from nothing in thousands of
// small batches, each too small for analyzeIfGrown's test; planned on the
// statistics of a nearly empty table, the merge's look-up by key used the
// product index and read every row of the product (a few thousand by the
// end) for each row of a batch, ten times the batch's cost. Doubling keeps
// this to a few runs over the table's life (about ten up to a million
// rows); autovacuum takes over from there.
func analyzeIfDoubled(ctx context.Context, tx pgx.Tx, table string, added int64) error {
	if added == 0 {
		return nil
	}
	var known, now int64
	err := tx.QueryRow(ctx, `SELECT relpages, pg_relation_size(oid) / current_setting('block_size')::bigint
  FROM pg_class WHERE oid = $1::regclass`, table).Scan(&known, &now)
	if err != nil {
		return fmt.Errorf("statistics of %s: %w", table, err)
	}
	if now <= 2*known {
		return nil
	}
	if _, err := tx.Exec(ctx, "ANALYZE "+pgx.Identifier{table}.Sanitize()); err != nil {
		return fmt.Errorf("analyze %s: %w", table, err)
	}
	return nil
}
