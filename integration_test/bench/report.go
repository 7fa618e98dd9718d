package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

var implOrder = []string{implOurs, implNaive, implFloor}

func (b *bench) sorted() []result {
	out := slices.Clone(b.results)
	slices.SortStableFunc(out, func(x, y result) int {
		if x.size != y.size {
			return x.size - y.size
		}
		if d := slices.Index(rowOrder, x.scenario) - slices.Index(rowOrder, y.scenario); d != 0 {
			return d
		}
		return slices.Index(implOrder, x.impl) - slices.Index(implOrder, y.impl)
	})
	return out
}

// find returns the result of one implementation of a scenario at a size.
func (b *bench) find(size int, scenario, impl string) (result, bool) {
	for _, r := range b.results {
		if r.size == size && r.scenario == scenario && r.impl == impl {
			return r, true
		}
	}
	return result{}, false
}

// vsNaive is how many times faster ours was than the naive store.
func (b *bench) vsNaive(r result) (float64, bool) {
	n, ok := b.find(r.size, r.scenario, implNaive)
	if !ok || r.impl != implOurs {
		return 0, false
	}
	return ratio(n.m.wall, r.m.wall)
}

// vsFloor is ours' time as a multiple of the floor's.
func (b *bench) vsFloor(r result) (float64, bool) {
	f, ok := b.find(r.size, r.scenario, implFloor)
	if !ok || r.impl != implOurs {
		return 0, false
	}
	return ratio(r.m.wall, f.m.wall)
}

var resultHeader = []string{"Fleet", "Scenario", "Impl", "Wall", "Agents/s", "Rows/s", "Host peak RSS",
	"Plugin peak RSS", "Ours vs naive", "Ours vs floor", "Notes"}

func (b *bench) resultRows() [][]string {
	var rows [][]string
	for _, r := range b.sorted() {
		agents := "—"
		if r.agents > 0 {
			agents = formatRate(r.agents, r.m.wall)
		}
		naive, floor := "", ""
		if x, ok := b.vsNaive(r); ok {
			naive = fmt.Sprintf("%.1f× faster", x)
		}
		if x, ok := b.vsFloor(r); ok {
			floor = fmt.Sprintf("%.2f× floor", x)
		}
		plugin := fmtMB(r.m.pluginPeak)
		if r.impl == implFloor {
			plugin = "n/a"
		} else if b.cfg.inProcess {
			plugin = "in-process"
		}
		rows = append(rows, []string{fmtCount(int64(r.size)), scenarioLabels[r.scenario], r.impl, fmtDuration(r.m.wall),
			agents, formatRate(r.rows, r.m.wall), fmtMB(r.m.hostPeak), plugin, naive, floor, r.note})
		if r.scenario == scAlerts && r.impl == implFloor {
			rows = append(rows, b.stormRow(r.size)...)
		}
	}
	// Sizes whose alert floor did not run still show their storm.
	for _, n := range b.cfg.sizes {
		if _, ok := b.find(n, scAlerts, implFloor); !ok {
			rows = append(rows, b.stormRow(n)...)
		}
	}
	return rows
}

func (b *bench) stormRow(n int) [][]string {
	s, ok := b.storms[n]
	if !ok {
		return nil
	}
	label := scenarioLabels[scWebhooks]
	if !s.available {
		return [][]string{{fmtCount(int64(n)), label, implOurs, "—", "—", "—", "—", "—", "", "", s.why}}
	}
	note := fmt.Sprintf("%s deliveries from %d senders: %s/s, p50 %s, p99 %s, %d failed, %s of %s stored in the inbox; "+
		"%s processed by %s after the storm",
		fmtCount(int64(s.sent)), b.cfg.webhookSenders, formatRate(int64(s.sent), s.wall), fmtDuration(s.p50),
		fmtDuration(s.p99), s.failed, fmtCount(s.stored), fmtCount(int64(s.sent)), fmtCount(s.processed), drainWait)
	return [][]string{{fmtCount(int64(n)), label, implOurs, fmtDuration(s.wall), "—", formatRate(int64(s.sent), s.wall),
		fmtMB(s.m.hostPeak), fmtMB(s.m.pluginPeak), "", "", note}}
}

// target is one of the targets and how this run did.
type target struct {
	what, want, got, verdict string
}

const (
	verdictMet     = "met"
	verdictMissed  = "**missed**"
	verdictNotRun  = "not run"
	verdictNoInput = "not available"
)

func verdict(ok bool) string {
	if ok {
		return verdictMet
	}
	return verdictMissed
}

func (b *bench) targets() []target {
	var ts []target
	wallTarget := func(size int, limit time.Duration) target {
		t := target{what: fmt.Sprintf("first full sync, %s agents", fmtCount(int64(size))), want: "≤ " + fmtDuration(limit)}
		if r, ok := b.find(size, scFirst, implOurs); ok {
			t.got, t.verdict = fmtDuration(r.m.wall), verdict(r.m.wall <= limit)
		} else {
			t.got, t.verdict = "—", verdictNotRun
		}
		return t
	}
	ts = append(ts, wallTarget(10000, 5*time.Second), wallTarget(100000, 30*time.Second))
	for _, n := range b.cfg.sizes {
		t := target{what: fmt.Sprintf("unchanged re-sync vs first, %s agents", fmtCount(int64(n))), want: "≤ 30%"}
		first, ok1 := b.find(n, scFirst, implOurs)
		again, ok2 := b.find(n, scUnchanged, implOurs)
		if x, ok := ratio(again.m.wall, first.m.wall); ok1 && ok2 && ok {
			t.got, t.verdict = fmt.Sprintf("%.0f%%", 100*x), verdict(x <= 0.30)
		} else {
			t.got, t.verdict = "—", verdictNotRun
		}
		ts = append(ts, t)
	}
	{
		t := target{what: "ours vs naive, first sync, 10,000 agents", want: "≥ 20× faster", got: "—", verdict: verdictNotRun}
		if r, ok := b.find(10000, scFirst, implOurs); ok {
			if x, ok := b.vsNaive(r); ok {
				t.got, t.verdict = fmt.Sprintf("%.1f×", x), verdict(x >= 20)
			}
		}
		ts = append(ts, t)
	}
	for _, n := range b.cfg.sizes {
		for _, sc := range []string{scFirst, scSoftware, scAlerts} {
			r, ok := b.find(n, sc, implOurs)
			if !ok {
				continue
			}
			if x, ok := b.vsFloor(r); ok {
				ts = append(ts, target{what: fmt.Sprintf("ours vs floor, %s, %s agents", scenarioLabels[sc], fmtCount(int64(n))),
					want: "≤ 2.5× the floor", got: fmt.Sprintf("%.2f×", x), verdict: verdict(x <= 2.5)})
			}
		}
	}
	for _, who := range []string{"host", "plugin"} {
		t := target{what: "peak RSS at 100,000 agents, " + who, want: "≤ 150 MB", got: "—", verdict: verdictNotRun}
		var peak int64
		seen := false
		for _, r := range b.results {
			if r.size != 100000 || r.impl != implOurs {
				continue
			}
			seen = true
			p := r.m.hostPeak
			if who == "plugin" {
				p = r.m.pluginPeak
			}
			peak = max(peak, p)
		}
		if seen && (who == "host" || !b.cfg.inProcess) {
			t.got, t.verdict = fmtMB(peak)+" (largest of the scenarios)", verdict(peak <= 150e6)
		}
		ts = append(ts, t)
	}
	{
		t := target{what: "software ingest, 10,000 agents", want: "≤ 30 s for 1,000,000 rows", got: "—", verdict: verdictNotRun}
		if r, ok := b.find(10000, scSoftware, implOurs); ok {
			t.got = fmt.Sprintf("%s for %s rows", fmtDuration(r.m.wall), fmtCount(r.rows))
			t.verdict = verdict(r.m.wall <= 30*time.Second && r.rows >= 1000000)
		}
		ts = append(ts, t)
	}
	for _, n := range b.cfg.sizes {
		s, ok := b.storms[n]
		t := target{what: fmt.Sprintf("webhook storm, %s agents", fmtCount(int64(n))), want: "≥ 2,000/s, p99 ≤ 50 ms, none lost"}
		switch {
		case !ok:
			t.got, t.verdict = "—", verdictNotRun
		case !s.available:
			t.got, t.verdict = s.why, verdictNoInput
		default:
			rate := float64(s.sent) / s.wall.Seconds()
			t.got = fmt.Sprintf("%.0f/s, p99 %s, %d of %d stored", rate, fmtDuration(s.p99), s.stored, s.sent)
			t.verdict = verdict(rate >= 2000 && s.p99 <= 50*time.Millisecond && s.stored == int64(s.sent) && s.failed == 0)
		}
		ts = append(ts, t)
	}
	return ts
}

func (b *bench) targetRows() [][]string {
	var rows [][]string
	for _, t := range b.targets() {
		rows = append(rows, []string{t.what, t.want, t.got, t.verdict})
	}
	return rows
}

func (b *bench) cpuRows() [][]string {
	var rows [][]string
	results := b.sorted()
	for _, n := range b.cfg.sizes {
		if s, ok := b.storms[n]; ok && s.available {
			results = append(results, result{size: n, scenario: scWebhooks, impl: implOurs, m: s.m})
		}
	}
	slices.SortStableFunc(results, func(x, y result) int { return x.size - y.size })
	for _, r := range results {
		plugin := fmtDuration(r.m.pluginCPU)
		if b.cfg.inProcess {
			plugin = "in-process"
		}
		rows = append(rows, []string{fmtCount(int64(r.size)), scenarioLabels[r.scenario], r.impl, fmtDuration(r.m.wall),
			fmtDuration(r.m.hostCPU), plugin, fmtDuration(r.m.fakeCPU), fmtDuration(r.m.pgCPU), fmtDuration(r.m.machineCPU)})
	}
	return rows
}

// stdoutTable is what the benchmark prints at the end.
func (b *bench) stdoutTable() string {
	var s strings.Builder
	s.WriteString(mdTable(resultHeader, b.resultRows()))
	s.WriteString("\n")
	s.WriteString(mdTable([]string{"Target", "Wanted", "Measured", "Verdict"}, b.targetRows()))
	return s.String()
}
