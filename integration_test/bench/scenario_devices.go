package main

import (
	"context"
	"fmt"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

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
	if b.cfg.runsAt(n, scUnchanged) {
		step("%d agents: re-sync, nothing changed (ours)", n)
		if err := b.pg.analyze(ctx, ours.db); err != nil {
			return err
		}
		if m, err = b.runOursWithFake(ctx, ours, store.JobDevices, "full", fake.pid); err != nil {
			return fmt.Errorf("unchanged re-sync: %w", err)
		}
		b.add(deviceResult(n, scUnchanged, implOurs, m))
		// What the syncer's schedule runs every 15 minutes: the agents
		// seen since the last sync's cursor.
		step("%d agents: incremental re-sync, nothing changed (ours)", n)
		if m, err = b.runOursWithFake(ctx, ours, store.JobDevices, "incremental", fake.pid); err != nil {
			return fmt.Errorf("incremental re-sync: %w", err)
		}
		b.add(deviceResult(n, scIncremental, implOurs, m))
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
	if b.cfg.runsAt(n, scUnchanged) && n <= b.cfg.naiveResyncMax && n <= b.cfg.naiveMax {
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

	if !b.cfg.runsAt(n, scChanged) {
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
