package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Implementations a result is for.
const (
	implOurs  = "ours"
	implNaive = "naive"
	implFloor = "floor"
)

// Scenario labels, as the table shows them.
var scenarioLabels = map[string]string{
	scFirst:       "first full device sync",
	scUnchanged:   "re-sync, nothing changed",
	scIncremental: "incremental re-sync, nothing changed",
	scChanged:     "re-sync, 10% changed",
	scSoftware:    "software ingest",
	scAlerts:      "alert backfill",
	scWebhooks:    "webhook storm",
}

// rowOrder is the order of the scenarios in the tables.
var rowOrder = []string{scFirst, scUnchanged, scIncremental, scChanged, scSoftware, scAlerts, scWebhooks}

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
	if b.cfg.runsAt(n, scSoftware) {
		if err := b.softwareScenario(ctx, n, fake, fromOurs); err != nil {
			b.problem(n, "software ingest", err)
		}
	}
	if b.cfg.runsAt(n, scAlerts) {
		if err := b.alertScenario(ctx, n, fake, fromOurs); err != nil {
			b.problem(n, "alert backfill", err)
		}
	}
	if b.cfg.runsAt(n, scWebhooks) {
		if err := b.webhookScenario(ctx, n, fake, fromOurs); err != nil {
			b.problem(n, "webhook storm", err)
		}
	}
	return nil
}

func (b *bench) dropAll(ctx context.Context, dbs ...string) error {
	for _, db := range dbs {
		if err := b.pg.drop(ctx, db); err != nil {
			return err
		}
	}
	return nil
}
