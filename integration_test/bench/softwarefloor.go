package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// recordSoftware fetches every inventory once, untimed, for the floor.
func (e *env) recordSoftware(ctx context.Context, fx fixture) (*recording[rmm.SoftwareBatch], error) {
	return recordStream(ctx, e, fx, "software", copySoftware,
		func(ctx context.Context, prov rmm.Provider, in rmm.Integration, rec rmm.Sink[rmm.SoftwareBatch]) error {
			_, err := prov.IngestSoftware(ctx, rmm.SoftwareRequest{Integration: in}, rec)
			return err
		})
}

// assetIDs maps the integration's devices to their assets in db.
func (e *env) assetIDs(ctx context.Context, fx fixture) (map[string]string, error) {
	conn, err := pgx.Connect(ctx, e.pg.dsn(fx.db))
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT rmm_device_id, asset_id::text FROM assets
	                               WHERE tenant = $1 AND integration_id = $2 AND rmm_device_id IS NOT NULL`,
		fx.tenantID, fx.integrationID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var dev, id string
	_, err = pgx.ForEachRow(rows, []any{&dev, &id}, func() error {
		out[dev] = id
		return nil
	})
	return out, err
}

// normalizeSoftwareName is the catalog's key for a product name: lower
// case, trimmed, inner whitespace collapsed.
func normalizeSoftwareName(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}

// softwareRow is one asset_software row before it is written.
type softwareRow struct {
	softwareID                string
	version, date, path, size any
}

// buildSoftwareFloor turns recorded inventories into the rows a first
// ingest leaves: one catalog row per product (the first name seen wins),
// one asset_software row per product per asset (the last listed wins).
func (e *env) buildSoftwareFloor(ctx context.Context, fx fixture, rec *recording[rmm.SoftwareBatch]) ([]copyTable, error) {
	assets, err := e.assetIDs(ctx, fx)
	if err != nil {
		return nil, err
	}
	cf, err := e.newCopyFiles(
		[2]string{"software_catalog", "tenant, software_id, name, publisher, normalized_name"},
		[2]string{"asset_software", "tenant, asset_id, software_id, version, install_date, install_path, size_bytes, " +
			"is_current, uninstalled_at, first_seen_at, last_seen_at"},
	)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	catalog := map[string]string{} // normalised name + publisher -> software id
	err = rec.each(func(batch []rmm.SoftwareBatch) error {
		for _, b := range batch {
			assetID, ok := assets[b.DeviceExternalID]
			if b.DeviceExternalID == "" || !ok {
				continue
			}
			byProduct := map[string]softwareRow{}
			var order []string
			for _, it := range b.Items {
				norm := clip(normalizeSoftwareName(it.Name), 500)
				if norm == "" {
					continue
				}
				pub := textOrNil(clip(it.Publisher, 255))
				key := norm + "\x00" + fmt.Sprint(pub)
				id, known := catalog[key]
				if !known {
					id = newUUID()
					catalog[key] = id
					if err := cf.w(0).row(fx.tenantID, id, clip(it.Name, 500), pub, norm); err != nil {
						return err
					}
				}
				r := softwareRow{softwareID: id, version: textOrNil(clip(it.Version, 100)), path: textOrNil(it.Location)}
				if !it.InstallDate.IsZero() {
					r.date = date(it.InstallDate)
				}
				if it.SizeBytes > 0 {
					r.size = it.SizeBytes
				}
				if _, dup := byProduct[id]; !dup {
					order = append(order, id)
				}
				byProduct[id] = r
			}
			for _, id := range order {
				r := byProduct[id]
				if err := cf.w(1).row(fx.tenantID, assetID, id, r.version, r.date, r.path, r.size, true, nil, now, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		cf.remove()
		return nil, err
	}
	return cf.finish()
}

// dumpTable writes a table's rows, every column, to a COPY file: the
// alert floor loads exactly the rows the host's backfill left.
func (e *env) dumpTable(ctx context.Context, db, table string) (copyTable, error) {
	t := copyTable{table: table}
	conn, err := pgx.Connect(ctx, e.pg.dsn(db))
	if err != nil {
		return t, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	f, err := e.tempFile("floor-" + table + "-*.copy")
	if err != nil {
		return t, err
	}
	t.path = f.Name()
	tag, err := conn.PgConn().CopyTo(ctx, f, "COPY "+pgx.Identifier{table}.Sanitize()+" TO STDOUT")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(t.path)
		return t, fmt.Errorf("dump %s: %w", table, err)
	}
	t.rows = tag.RowsAffected()
	return t, nil
}
