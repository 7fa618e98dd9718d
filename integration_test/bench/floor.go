package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// The floor: the final rows of a scenario, built in Go beforehand and
// written to files in COPY text format, then streamed with COPY into the
// same (empty) tables in one transaction. Only the COPY is timed: it is
// the fastest the database takes those rows, constraints and indexes
// included.

// copyTable is one prepared COPY.
type copyTable struct {
	table, cols string
	path        string
	rows        int64
}

// copyFiles writes the rows of several tables at once.
type copyFiles struct {
	tables []*copyTable
	files  []*os.File
	ws     []*copyWriter
}

func (e *env) newCopyFiles(defs ...[2]string) (*copyFiles, error) {
	c := &copyFiles{}
	for _, d := range defs {
		f, err := e.tempFile("floor-" + d[0] + "-*.copy")
		if err != nil {
			c.remove()
			return nil, err
		}
		c.tables = append(c.tables, &copyTable{table: d[0], cols: d[1], path: f.Name()})
		c.files = append(c.files, f)
		c.ws = append(c.ws, newCopyWriter(f))
	}
	return c, nil
}

func (c *copyFiles) w(i int) *copyWriter { return c.ws[i] }

func (c *copyFiles) finish() ([]copyTable, error) {
	out := make([]copyTable, len(c.tables))
	for i, t := range c.tables {
		if err := c.ws[i].flush(); err != nil {
			return nil, err
		}
		if err := c.files[i].Close(); err != nil {
			return nil, err
		}
		t.rows = c.ws[i].rows
		out[i] = *t
	}
	return out, nil
}

func (c *copyFiles) remove() {
	for i, f := range c.files {
		_ = f.Close()
		_ = os.Remove(c.tables[i].path)
	}
}

func removeCopies(ts []copyTable) {
	for _, t := range ts {
		_ = os.Remove(t.path)
	}
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// buildDeviceFloor turns recorded devices into the rows a first device
// sync leaves: assets, workstation or server details, crosswalk.
func (e *env) buildDeviceFloor(fx fixture, rec *recording[rmm.Device]) ([]copyTable, error) {
	cf, err := e.newCopyFiles(
		[2]string{"assets", "tenant, asset_id, integration_id, rmm_device_id, asset_tag, rmm_provider, " + assetColumns +
			", missing_since, missing_full_syncs, last_rmm_sync_at"},
		[2]string{"workstation_assets", "tenant, asset_id, " + detailColumns(false)},
		[2]string{"server_assets", "tenant, asset_id, " + detailColumns(true)},
		[2]string{"tenant_external_entity_mappings", "tenant, id, integration_id, integration_type, alga_entity_type, " +
			"alga_entity_id, external_entity_id, external_realm_id, sync_status, metadata, last_synced_at"},
	)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	seen := map[string]bool{}
	err = rec.each(func(batch []rmm.Device) error {
		for _, d := range batch {
			v, ok, err := valuesOf(d, fx.orgClients)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if seen[v.extID] {
				return fmt.Errorf("floor: device %s was sent twice", v.extID)
			}
			seen[v.extID] = true
			id := newUUID()
			asset := append([]any{fx.tenantID, id, fx.integrationID, v.extID, v.tag, providerName}, v.assetValues()...)
			if err := cf.w(0).row(append(asset, nil, 0, now)...); err != nil {
				return err
			}
			detail := 1
			if v.isServer {
				detail = 2
			}
			if err := cf.w(detail).row(append([]any{fx.tenantID, id}, v.detailValues()...)...); err != nil {
				return err
			}
			if err := cf.w(3).row(fx.tenantID, newUUID(), fx.integrationID, providerName, "asset", id, v.extID,
				v.orgID, "synced", v.mappingMeta, now); err != nil {
				return err
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

// copyFloor streams prepared rows into db's tables, which must be empty,
// in one transaction, and times only that.
func (e *env) copyFloor(ctx context.Context, db string, tables []copyTable) (measurement, error) {
	var m measurement
	conn, err := pgx.Connect(ctx, e.pg.dsn(db))
	if err != nil {
		return m, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	files := make([]*os.File, len(tables))
	for i, t := range tables {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{t.table}.Sanitize()).Scan(&n); err != nil {
			return m, err
		}
		if n != 0 {
			return m, fmt.Errorf("floor: %s is not empty (%d rows)", t.table, n)
		}
		if files[i], err = os.Open(t.path); err != nil {
			return m, err
		}
		defer files[i].Close()
	}
	p, err := e.startProbe(0, 0)
	if err != nil {
		return m, err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return m, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	for i, t := range tables {
		cols := ""
		if t.cols != "" {
			cols = " (" + t.cols + ")"
		}
		tag, err := tx.Conn().PgConn().CopyFrom(ctx, files[i], "COPY "+pgx.Identifier{t.table}.Sanitize()+cols+" FROM STDIN")
		if err != nil {
			return m, fmt.Errorf("floor: copy %s: %w", t.table, err)
		}
		if tag.RowsAffected() != t.rows {
			return m, fmt.Errorf("floor: copy %s: %d rows, want %d", t.table, tag.RowsAffected(), t.rows)
		}
		m.processed += t.rows
	}
	if err := tx.Commit(ctx); err != nil {
		return m, err
	}
	return m, p.stop(&m)
}
