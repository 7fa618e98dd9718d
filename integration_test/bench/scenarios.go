package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// Implementations a result is for.
const (
	implOurs  = "ours"
	implNaive = "naive"
	implFloor = "floor"
)

// Scenario labels, as the table shows them.
var scenarioLabels = map[string]string{
	scFirst:     "first full device sync",
	scUnchanged: "re-sync, nothing changed",
	scChanged:   "re-sync, 10% changed",
	scSoftware:  "software ingest",
	scAlerts:    "alert backfill",
	scWebhooks:  "webhook storm",
}

// result is one measured run.
type result struct {
	size     int
	scenario string
	impl     string
	m        measurement
	agents   int64 // agents handled, for agents/s; 0 when not meaningful
	rows     int64 // rows maintained, for rows/s
	note     string
}

// check is one correctness comparison between two databases.
type check struct {
	size int
	what string
	ok   bool
	info string
}

// bench collects the results of a whole run.
type bench struct {
	*env
	results  []result
	storms   map[int]stormResult
	checks   []check
	problems []string
	started  time.Time
}

func (b *bench) add(r result) {
	b.results = append(b.results, r)
	fmt.Fprintf(os.Stderr, "bench: %7d agents  %-26s %-5s %10s  %s\n", r.size, scenarioLabels[r.scenario], r.impl,
		fmtDuration(r.m.wall), r.note)
}

func (b *bench) problem(size int, what string, err error) {
	msg := fmt.Sprintf("%d agents, %s: %v", size, what, err)
	b.problems = append(b.problems, msg)
	fmt.Fprintln(os.Stderr, "bench: PROBLEM:", msg)
}

func (b *bench) compare(size int, what string, want, got sumSet) {
	c := check{size: size, what: what}
	if d := want.diff(got); d != "" {
		c.info = d
	} else {
		c.ok, c.info = true, got.String()
	}
	b.checks = append(b.checks, c)
	status := "equal"
	if !c.ok {
		status = "DIFFERENT: " + c.info
	}
	fmt.Fprintf(os.Stderr, "bench: check %d agents, %s: %s\n", size, what, status)
}

// step logs progress on stderr; the table goes to stdout at the end.
func step(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func dbName(n int, what string) string { return fmt.Sprintf("bench_%d_%s", n, what) }

// runSize runs every scenario at one fleet size. Each scenario group
// works on databases of its own, cloned from a seeded template: the
// device syncs on one database (the re-syncs need the first), software,
// alerts and webhooks each on a clone of the synced one.
func (b *bench) runSize(ctx context.Context, n int) error {
	spec := fleetSpec(n, b.cfg)
	step("%d agents: starting the fake Tactical (pre-rendering every page)", n)
	fake, err := startFake(ctx, spec)
	if err != nil {
		return err
	}
	defer fake.close()

	tmpl := dbName(n, "template")
	step("%d agents: seeding the template database (migrations, tenant, organisation sync, mappings)", n)
	fx, err := b.seedTemplate(ctx, tmpl, fake.url)
	if err != nil {
		return err
	}
	var dbs []string
	defer func() {
		for _, db := range append(dbs, tmpl) {
			_ = b.pg.drop(context.WithoutCancel(ctx), db)
		}
	}()
	clone := func(what string) (fixture, error) {
		db := dbName(n, what)
		dbs = append(dbs, db)
		return fx.on(db), b.pg.clone(ctx, db, tmpl)
	}
	ours, err := clone("ours")
	if err != nil {
		return err
	}
	if err := b.deviceScenarios(ctx, n, fx, ours, fake, clone); err != nil {
		return err
	}
	// Software, alerts and webhooks start from the synced devices, with
	// the statistics autovacuum would have gathered since.
	if err := b.pg.analyze(ctx, ours.db); err != nil {
		return err
	}
	fromOurs := func(what string) (fixture, error) {
		db := dbName(n, what)
		dbs = append(dbs, db)
		return fx.on(db), b.pg.clone(ctx, db, ours.db)
	}
	if b.cfg.runs(scSoftware) {
		if err := b.softwareScenario(ctx, n, fake, fromOurs); err != nil {
			b.problem(n, "software ingest", err)
		}
	}
	if b.cfg.runs(scAlerts) {
		if err := b.alertScenario(ctx, n, fake, fromOurs); err != nil {
			b.problem(n, "alert backfill", err)
		}
	}
	if b.cfg.runs(scWebhooks) {
		if err := b.webhookScenario(ctx, n, fake, fromOurs); err != nil {
			b.problem(n, "webhook storm", err)
		}
	}
	return nil
}

func deviceResult(n int, sc, impl string, m measurement) result {
	r := result{size: n, scenario: sc, impl: impl, m: m, agents: m.processed, rows: 3 * m.processed}
	switch impl {
	case implOurs:
		r.note = fmt.Sprintf("created %d, updated %d, unchanged %d", m.counts.Created, m.counts.Updated, m.counts.Unchanged)
	case implNaive:
		r.note = fmt.Sprintf("created %d, updated %d (it always writes)", m.counts.Created, m.counts.Updated)
	}
	return r
}

// deviceScenarios: first sync, unchanged re-sync and 10% changed
// re-sync, by ours and by the naive store, plus the floor and the check
// that all three leave the same rows.
func (b *bench) deviceScenarios(ctx context.Context, n int, fx, ours fixture, fake *fakeProc, clone func(string) (fixture, error)) error {
	step("%d agents: first full device sync (ours)", n)
	m, err := b.runOursWithFake(ctx, ours, store.JobDevices, "full", fake.pid)
	if err != nil {
		return fmt.Errorf("first device sync: %w", err)
	}
	b.add(deviceResult(n, scFirst, implOurs, m))
	oursSum, err := b.checksums(ctx, ours.db, deviceSumQueries(false))
	if err != nil {
		return err
	}
	if b.cfg.runs(scUnchanged) {
		step("%d agents: re-sync, nothing changed (ours)", n)
		if err := b.pg.analyze(ctx, ours.db); err != nil {
			return err
		}
		if m, err = b.runOursWithFake(ctx, ours, store.JobDevices, "full", fake.pid); err != nil {
			return fmt.Errorf("unchanged re-sync: %w", err)
		}
		b.add(deviceResult(n, scUnchanged, implOurs, m))
	}

	// The naive store syncs the same fleet through the same plugin; its
	// devices are recorded for the floor and the check.
	var rec *recording[rmm.Device]
	var naive fixture
	var naiveSum sumSet
	if n <= b.cfg.naiveMax {
		if naive, err = clone("naive"); err != nil {
			return err
		}
		if rec, err = newRecording(b.env, "devices", stripDevice); err != nil {
			return err
		}
		step("%d agents: first full device sync (naive store)", n)
		m, err := b.runNaive(ctx, naive, fake.pid, rec)
		if ferr := rec.finish(); err == nil {
			err = ferr
		}
		if err != nil {
			rec.remove()
			return err
		}
		b.add(deviceResult(n, scFirst, implNaive, m))
		if naiveSum, err = b.checksums(ctx, naive.db, deviceSumQueries(true)); err != nil {
			return err
		}
	} else {
		step("%d agents: recording the devices for the floor (untimed)", n)
		if rec, err = b.recordDevices(ctx, ours); err != nil {
			return err
		}
	}
	defer rec.remove()
	if err := b.deviceReference(ctx, n, fx, clone, rec, oursSum, naiveSum); err != nil {
		b.problem(n, "device floor and check", err)
	}
	if b.cfg.runs(scUnchanged) && n <= b.cfg.naiveResyncMax && n <= b.cfg.naiveMax {
		step("%d agents: re-sync, nothing changed (naive store)", n)
		if err := b.pg.analyze(ctx, naive.db); err != nil {
			return err
		}
		m, err := b.runNaive(ctx, naive, fake.pid, nil)
		if err != nil {
			return err
		}
		b.add(deviceResult(n, scUnchanged, implNaive, m))
	}

	if !b.cfg.runs(scChanged) {
		return nil
	}
	step("%d agents: changing %.0f%% of the agents in the fake (and rendering them again)", n, 100*b.cfg.changedShare)
	touched, err := fake.touch(ctx, b.cfg.changedShare)
	if err != nil {
		return err
	}
	step("%d agents: re-sync, %d agents changed (ours)", n, touched)
	if err := b.pg.analyze(ctx, ours.db); err != nil {
		return err
	}
	if m, err = b.runOursWithFake(ctx, ours, store.JobDevices, "full", fake.pid); err != nil {
		return fmt.Errorf("changed re-sync: %w", err)
	}
	r := deviceResult(n, scChanged, implOurs, m)
	r.note += fmt.Sprintf(" (%d touched in the fake)", touched)
	b.add(r)
	if n <= b.cfg.naiveResyncMax && n <= b.cfg.naiveMax {
		step("%d agents: re-sync, %d agents changed (naive store)", n, touched)
		if err := b.pg.analyze(ctx, naive.db); err != nil {
			return err
		}
		m, err := b.runNaive(ctx, naive, fake.pid, nil)
		if err != nil {
			return err
		}
		b.add(deviceResult(n, scChanged, implNaive, m))
	}
	return nil
}

// deviceReference writes the recorded devices with the host's store
// (untimed: the reference), times the floor's COPY of the same rows, and
// checks that the naive store and the floor left exactly the reference's
// rows.
func (b *bench) deviceReference(ctx context.Context, n int, fx fixture, clone func(string) (fixture, error),
	rec *recording[rmm.Device], oursSum, naiveSum sumSet) error {
	ref, err := clone("reference")
	if err != nil {
		return err
	}
	step("%d agents: writing the recorded devices with the host's store (the reference, untimed)", n)
	if err := b.writeWithStore(ctx, ref, rec); err != nil {
		return err
	}
	refSum, err := b.checksums(ctx, ref.db, deviceSumQueries(true))
	if err != nil {
		return err
	}
	if naiveSum != nil {
		b.compare(n, "devices: naive store vs host store, same records", refSum, naiveSum)
	}
	refNoStatus, err := b.checksums(ctx, ref.db, deviceSumQueries(false))
	if err != nil {
		return err
	}
	b.compare(n, "devices: timed host sync vs host store on the recorded records, all but agent_status (it follows the clock)", refNoStatus, oursSum)

	floorDB, err := clone("floor")
	if err != nil {
		return err
	}
	tables, err := b.buildDeviceFloor(fx, rec)
	if err != nil {
		return err
	}
	defer removeCopies(tables)
	step("%d agents: floor, COPY of the same final rows", n)
	m, err := b.copyFloor(ctx, floorDB.db, tables)
	if err != nil {
		return err
	}
	assets := tables[0].rows
	b.add(result{size: n, scenario: scFirst, impl: implFloor, m: m, agents: assets, rows: m.processed,
		note: "COPY of the final rows only, one transaction"})
	floorSum, err := b.checksums(ctx, floorDB.db, deviceSumQueries(true))
	if err != nil {
		return err
	}
	b.compare(n, "devices: floor vs host store, same records", refSum, floorSum)
	// The re-syncs and the floor are done with these databases.
	for _, db := range []string{ref.db, floorDB.db} {
		if err := b.pg.drop(ctx, db); err != nil {
			return err
		}
	}
	return nil
}

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

func (b *bench) dropAll(ctx context.Context, dbs ...string) error {
	for _, db := range dbs {
		if err := b.pg.drop(ctx, db); err != nil {
			return err
		}
	}
	return nil
}
