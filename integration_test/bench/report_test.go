package main

import (
	"strings"
	"testing"
	"time"
)

func run1(size int, sc, impl string, wall time.Duration, processed int64) result {
	return result{size: size, scenario: sc, impl: impl, m: measurement{wall: wall, processed: processed, hostPeak: 40e6, pluginPeak: 60e6},
		agents: processed, rows: 3 * processed}
}

func TestTargets(t *testing.T) {
	b := &bench{env: &env{cfg: config{sizes: []int{1000, 10000}}}}
	b.results = []result{
		run1(10000, scFirst, implOurs, 4*time.Second, 10000),
		run1(10000, scFirst, implNaive, 100*time.Second, 10000),
		run1(10000, scFirst, implFloor, 1*time.Second, 10000),
		run1(10000, scUnchanged, implOurs, 2*time.Second, 10000),
		run1(1000, scFirst, implOurs, time.Second, 1000),
		run1(1000, scUnchanged, implOurs, 200*time.Millisecond, 1000),
		{size: 10000, scenario: scSoftware, impl: implOurs, m: measurement{wall: 20 * time.Second}, rows: 1000000},
	}
	b.storms = map[int]stormResult{
		1000:  {available: true, sent: 20000, stored: 20000, wall: 5 * time.Second, p99: 20 * time.Millisecond},
		10000: {available: true, sent: 20000, stored: 19999, wall: 5 * time.Second, p99: 20 * time.Millisecond},
	}
	want := map[string]string{
		"first full sync, 10,000 agents":                       verdictMet,
		"first full sync, 100,000 agents":                      verdictNotRun,
		"unchanged re-sync vs first, 10,000 agents":            verdictMissed, // 50%
		"unchanged re-sync vs first, 1,000 agents":             verdictMet,    // 20%
		"ours vs naive, first sync, 10,000 agents":             verdictMet,    // 25×
		"ours vs floor, first full device sync, 10,000 agents": verdictMissed, // 4×
		"peak RSS at 100,000 agents, host":                     verdictNotRun,
		"software ingest, 10,000 agents":                       verdictMet,
		"webhook storm, 1,000 agents":                          verdictMet,
		"webhook storm, 10,000 agents":                         verdictMissed, // one lost
	}
	got := map[string]string{}
	for _, tg := range b.targets() {
		got[tg.what] = tg.verdict
	}
	for what, v := range want {
		if got[what] != v {
			t.Errorf("%s: verdict %q, want %q", what, got[what], v)
		}
	}
}

func TestRatios(t *testing.T) {
	b := &bench{env: &env{cfg: config{sizes: []int{10000}}}}
	ours := run1(10000, scFirst, implOurs, 2*time.Second, 10000)
	b.results = []result{ours, run1(10000, scFirst, implNaive, 50*time.Second, 10000), run1(10000, scFirst, implFloor, time.Second, 10000)}
	if x, ok := b.vsNaive(ours); !ok || x != 25 {
		t.Errorf("vs naive = %v %v, want 25", x, ok)
	}
	if x, ok := b.vsFloor(ours); !ok || x != 2 {
		t.Errorf("vs floor = %v %v, want 2", x, ok)
	}
	if _, ok := b.vsNaive(b.results[1]); ok {
		t.Error("the naive row has a ratio against itself")
	}
	rows := b.resultRows()
	if len(rows) != 3 || !strings.Contains(rows[0][8], "25.0×") || !strings.Contains(rows[0][9], "2.00×") {
		t.Fatalf("table rows %q", rows)
	}
}
