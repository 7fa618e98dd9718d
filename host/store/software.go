package store

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// A software batch (the Tactical provider sends 25 devices with a few
// hundred products each) is written in one transaction with a fixed
// number of statements, each costing a few index probes per row: find the
// devices' assets, find or add the batch's products in the catalog, then
// merge asset_software and retire what the devices no longer list. Go
// deduplicates, so the catalog statement sees each product once and the
// merge each (asset, product) once; the rows go as arrays, so a batch
// creates no temporary table.

// indexProbeCostSQL makes this transaction's plans cost a random page
// read as what it is for a cached table, a little more than a sequential
// one. Each row the merge inserts runs the foreign-key check
// SELECT ... FROM software_catalog WHERE (tenant, software_id) = ($1, $2),
// planned once per session; for a catalog of a few hundred products (a
// few pages) the default cost (4) plans it as a sequential scan of every
// product, which cost a sixth of an ingest's database time.
const indexProbeCostSQL = `SET LOCAL random_page_cost = 1.1`

// batchAssetsSQL checks that the integration is the tenant's (no row when
// it is not) and finds the assets of the batch's devices (one row of NULLs
// when none has one).
const batchAssetsSQL = `
SELECT a.rmm_device_id, a.asset_id
  FROM rmm_integrations i
  LEFT JOIN assets a ON a.tenant = i.tenant AND a.integration_id = i.integration_id
                    AND a.rmm_device_id = ANY ($3::text[])
 WHERE i.tenant = $1 AND i.integration_id = $2`

// catalogSQL returns the software_id of each product ($2 normalised
// names, $3 publishers, $4 names as spelt), by position, adding those the
// catalog lacks in the order given (two batches adding the same products
// must not wait for each other crosswise). Known products are neither
// locked nor rewritten. A product that another transaction added after
// this statement's snapshot is neither found nor added (ON CONFLICT): it
// is missing from the answer, and the caller asks again.
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
     ORDER BY p.ord
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
// Joined on the key, each row's current values come from one primary-key
// probe, and identical rows are dropped before the INSERT, so an unchanged
// row is not even locked. last_seen_at is when the row was last written
// (its state last changed). The two writes touch disjoint rows: the
// listed ones and the others.
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

// catalogAttempts bounds how often a batch asks again for products that
// concurrent batches keep adding under it; each attempt sees what they
// committed before it, so a second one is already rare.
const catalogAttempts = 3

// product is a catalog key: a normalised name and a publisher ("" none).
type product struct{ norm, publisher string }

// stagedItem is an item of a device's inventory, normalised and clipped;
// invalid (Valid false) values are NULL.
type stagedItem struct {
	device      string
	product     product
	name        string // as listed, whitespace collapsed
	version     pgtype.Text
	installDate pgtype.Date
	size        pgtype.Int8
	path        pgtype.Text
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
// When a device appears twice in a batch, both lists are merged (of a
// product listed twice, the later listing wins).
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
		if _, err := tx.Exec(ctx, indexProbeCostSQL); err != nil {
			return fmt.Errorf("plan software: %w", err)
		}
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
		return analyzeIfDoubled(ctx, tx, "asset_software", inserted, "tenant", "asset_id", "software_id")
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
		version: nullText(clip(it.Version, maxVersion)),
		path:    nullText(it.Location),
	}
	if !it.InstallDate.IsZero() {
		st.installDate = pgtype.Date{Time: it.InstallDate, Valid: true}
	}
	if it.SizeBytes > 0 {
		st.size = pgtype.Int8{Int64: it.SizeBytes, Valid: true}
	}
	return st, true
}

// nullText is NULL for "".
func nullText(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }

// batchAssets returns the asset id of each of the devices that has one,
// or ErrNotFound when the integration is not the tenant's.
func batchAssets(ctx context.Context, tx pgx.Tx, tenantID, integrationID string, devices []string) (map[string][16]byte, error) {
	rows, err := tx.Query(ctx, batchAssetsSQL, tenantID, integrationID, devices)
	if err != nil {
		return nil, fmt.Errorf("find software assets: %w", err)
	}
	out := make(map[string][16]byte, len(devices))
	found := false
	var device pgtype.Text
	var asset pgtype.UUID
	_, err = pgx.ForEachRow(rows, []any{&device, &asset}, func() error {
		found = true
		if device.Valid && asset.Valid {
			out[device.String] = asset.Bytes
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

// catalogProducts are the distinct products of the devices that have an
// asset, sorted, each with the lowest spelling of its name in the batch
// (a deterministic choice of the name a new catalog row gets).
type catalogProducts struct {
	index map[product]int
	list  []product
	names []string
}

func productsOf(items []stagedItem, assets map[string][16]byte) catalogProducts {
	lowest := map[product]string{}
	for _, it := range items {
		if _, ok := assets[it.device]; !ok {
			continue
		}
		if name, ok := lowest[it.product]; !ok || it.name < name {
			lowest[it.product] = it.name
		}
	}
	p := catalogProducts{index: make(map[product]int, len(lowest)), list: make([]product, 0, len(lowest))}
	for pr := range lowest {
		p.list = append(p.list, pr)
	}
	slices.SortFunc(p.list, func(a, b product) int {
		return cmp.Or(strings.Compare(a.norm, b.norm), strings.Compare(a.publisher, b.publisher))
	})
	p.names = make([]string, len(p.list))
	for i, pr := range p.list {
		p.index[pr], p.names[i] = i, lowest[pr]
	}
	return p
}

// catalogIDs returns the software_id of every product, by position,
// adding those the catalog lacks.
func catalogIDs(ctx context.Context, tx pgx.Tx, tenantID string, p catalogProducts) ([][16]byte, error) {
	ids := make([][16]byte, len(p.list))
	norms, publishers := make([]string, len(p.list)), make([]pgtype.Text, len(p.list))
	for i, pr := range p.list {
		norms[i], publishers[i] = pr.norm, nullText(pr.publisher)
	}
	for range catalogAttempts {
		rows, err := tx.Query(ctx, catalogSQL, tenantID, norms, publishers, p.names)
		if err != nil {
			return nil, fmt.Errorf("add products: %w", err)
		}
		var ord int64
		var id [16]byte
		var isNew bool
		var found, added int64
		_, err = pgx.ForEachRow(rows, []any{&ord, &id, &isNew}, func() error {
			ids[ord-1] = id
			found++
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
		if found == int64(len(p.list)) {
			return ids, nil
		}
	}
	return nil, fmt.Errorf("add products: products still missing after %d attempts", catalogAttempts)
}

// installRows are the batch's asset_software rows, one per (asset,
// product), as one array per column.
type installRows struct {
	assets, software [][16]byte
	versions, paths  []pgtype.Text
	dates            []pgtype.Date
	sizes            []pgtype.Int8
}

func (r *installRows) len() int { return len(r.assets) }

// installRowsOf resolves items to rows; of a product listed twice on an
// asset, the later listing wins. Rows are sorted by key, so that the
// merge walks the primary key in order and concurrent writers lock rows
// in the same order.
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
		return cmp.Or(bytes.Compare(x.asset[:], y.asset[:]), bytes.Compare(x.software[:], y.software[:]))
	})
	r := installRows{
		assets: make([][16]byte, len(keys)), software: make([][16]byte, len(keys)),
		versions: make([]pgtype.Text, len(keys)), paths: make([]pgtype.Text, len(keys)),
		dates: make([]pgtype.Date, len(keys)), sizes: make([]pgtype.Int8, len(keys)),
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
