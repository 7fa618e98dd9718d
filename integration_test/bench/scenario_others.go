package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/msp-psa/psa-host/host/store"
)

func (b *bench) softwareScenario(ctx context.Context, n int, fake *fakeProc, fromOurs func(string) (fixture, error)) error {
	sw, err := fromOurs("software")
	if err != nil {
		return err
	}
	floorFx, err := fromOurs("software_floor")
	if err != nil {
		return err
	}
	step("%d agents: software ingest (ours)", n)
	m, err := b.runOursWithFake(ctx, sw, store.JobSoftware, "full", fake.pid)
	if err != nil {
		return err
	}
	rows := m.counts.Created + m.counts.Updated + m.counts.Unchanged
	b.add(result{size: n, scenario: scSoftware, impl: implOurs, m: m, agents: m.processed, rows: rows,
		note: fmt.Sprintf("%d inventories, %d asset_software rows created", m.processed, m.counts.Created)})

	step("%d agents: recording the software inventories for the floor (untimed)", n)
	rec, err := b.recordSoftware(ctx, sw)
	if err != nil {
		return err
	}
	defer rec.remove()
	tables, err := b.buildSoftwareFloor(ctx, floorFx, rec)
	if err != nil {
		return err
	}
	defer removeCopies(tables)
	step("%d agents: software floor, COPY of the same final rows", n)
	fm, err := b.copyFloor(ctx, floorFx.db, tables)
	if err != nil {
		return err
	}
	b.add(result{size: n, scenario: scSoftware, impl: implFloor, m: fm, rows: tables[1].rows,
		note: fmt.Sprintf("COPY of %d catalog and %d asset_software rows", tables[0].rows, tables[1].rows)})
	want, err := b.checksums(ctx, sw.db, softwareSumQueries)
	if err != nil {
		return err
	}
	got, err := b.checksums(ctx, floorFx.db, softwareSumQueries)
	if err != nil {
		return err
	}
	b.compare(n, "software: floor vs host ingest", want, got)
	return b.dropAll(ctx, sw.db, floorFx.db)
}

func (b *bench) alertScenario(ctx context.Context, n int, fake *fakeProc, fromOurs func(string) (fixture, error)) error {
	al, err := fromOurs("alerts")
	if err != nil {
		return err
	}
	floorFx, err := fromOurs("alerts_floor")
	if err != nil {
		return err
	}
	step("%d agents: alert backfill of %d alerts (ours)", n, b.cfg.alerts)
	m, err := b.runOursWithFake(ctx, al, store.JobAlerts, "full", fake.pid)
	if err != nil {
		return err
	}
	b.add(result{size: n, scenario: scAlerts, impl: implOurs, m: m, rows: m.processed,
		note: fmt.Sprintf("%d alert events: created %d, updated %d, unchanged %d", m.processed, m.counts.Created, m.counts.Updated, m.counts.Unchanged)})
	dump, err := b.dumpTable(ctx, al.db, "rmm_alerts")
	if err != nil {
		return err
	}
	defer removeCopies([]copyTable{dump})
	step("%d agents: alert floor, COPY of the same final rows", n)
	fm, err := b.copyFloor(ctx, floorFx.db, []copyTable{dump})
	if err != nil {
		return err
	}
	b.add(result{size: n, scenario: scAlerts, impl: implFloor, m: fm, rows: dump.rows,
		note: fmt.Sprintf("COPY of the %d rmm_alerts rows the backfill left", dump.rows)})
	want, err := b.checksums(ctx, al.db, alertSumQueries)
	if err != nil {
		return err
	}
	got, err := b.checksums(ctx, floorFx.db, alertSumQueries)
	if err != nil {
		return err
	}
	b.compare(n, "alerts: floor vs host backfill", want, got)
	return b.dropAll(ctx, al.db, floorFx.db)
}

func (b *bench) webhookScenario(ctx context.Context, n int, fake *fakeProc, fromOurs func(string) (fixture, error)) error {
	wh, err := fromOurs("webhooks")
	if err != nil {
		return err
	}
	assets, err := b.assetIDs(ctx, wh)
	if err != nil {
		return err
	}
	agents := make([]string, 0, len(assets))
	for id := range assets {
		agents = append(agents, id)
	}
	slices.Sort(agents)
	step("%d agents: webhook storm, %d deliveries from %d senders", n, b.cfg.webhookTotal, b.cfg.webhookSenders)
	r, err := b.webhookStorm(ctx, wh, agents, fake.pid)
	if err != nil {
		return err
	}
	if b.storms == nil {
		b.storms = map[int]stormResult{}
	}
	b.storms[n] = r
	if !r.available {
		step("%d agents: webhook storm %s", n, r.why)
	} else {
		step("%d agents: webhook storm %s/s, p50 %s, p99 %s, %d failed, %d of %d stored", n, formatRate(int64(r.sent), r.wall),
			fmtDuration(r.p50), fmtDuration(r.p99), r.failed, r.stored, r.sent)
	}
	return b.dropAll(ctx, wh.db)
}
