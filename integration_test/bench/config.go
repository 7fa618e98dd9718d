package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scenario names, as -only takes them.
const (
	scFirst     = "first"
	scUnchanged = "unchanged"
	scChanged   = "changed"
	scSoftware  = "software"
	scAlerts    = "alerts"
	scWebhooks  = "webhooks"
	// scIncremental runs with scUnchanged; it is not selected on its own.
	scIncremental = "incremental"
)

var allScenarios = []string{scFirst, scUnchanged, scChanged, scSoftware, scAlerts, scWebhooks}

// config is what the flags say.
type config struct {
	sizes     []int
	only      map[string]bool
	largeOnly map[string]bool // nil: as only
	args      []string        // the command line, for the report
	out       string
	// naiveMax is the largest fleet the naive store runs at; its
	// unchanged and changed re-syncs run only up to naiveResyncMax.
	naiveMax       int
	naiveResyncMax int
	inProcess      bool
	cpuProfile     string
	memProfile     string
	keepWork       bool
	workDir        string
	webhookTotal   int
	webhookSenders int
	alerts         int
	softwarePerWin int
	changedShare   float64
	alertWindow    time.Duration
	logOut         io.Writer
}

func (c config) runs(scenario string) bool { return len(c.only) == 0 || c.only[scenario] }

// largeFleet is the size above which -large-only applies.
const largeFleet = 10000

// runsAt says whether scenario runs at fleet size n: above largeFleet,
// -large-only (when given) narrows what -only allows.
func (c config) runsAt(n int, scenario string) bool {
	if n > largeFleet && c.largeOnly != nil && !c.largeOnly[scenario] && scenario != scFirst {
		return false
	}
	return c.runs(scenario)
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fleet := fs.Int("fleet", 10000, "largest fleet size: runs 1,000, 10,000 and this size (at most those below it)")
	sizes := fs.String("sizes", "", "comma-separated fleet sizes to run instead of those -fleet implies")
	only := fs.String("only", "", "comma-separated scenarios to run ("+strings.Join(allScenarios, ",")+"); empty runs all")
	largeOnly := fs.String("large-only", "", "comma-separated scenarios to run at fleets above 10,000 (the first sync always runs); empty runs what -only does")
	out := fs.String("out", "", "write the results to this Markdown file (e.g. BENCHMARKS.md)")
	naiveMax := fs.Int("naive-max", 100000, "largest fleet the naive store's first sync runs at")
	naiveResyncMax := fs.Int("naive-resync-max", 1000, "largest fleet the naive store's re-syncs run at")
	inProcess := fs.Bool("inprocess", false, "profiling mode: run the Tactical provider inside this process instead of as a plugin")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the host process to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile of the host process to this file at the end")
	keep := fs.Bool("keep", false, "keep the work directory (plugin build, recordings, PostgreSQL log)")
	work := fs.String("workdir", "", "work directory on disk (default: a new one under TMPDIR)")
	webhooks := fs.Int("webhooks", 20000, "webhook deliveries in the storm")
	senders := fs.Int("senders", 64, "concurrent webhook senders")
	alerts := fs.Int("alerts", 100000, "alerts the fake serves for the backfill")
	swPerWin := fs.Int("software-per-windows", 125, "software items per Windows agent (80% of agents are Windows: 125 gives 100 per agent on average)")
	verbose := fs.Bool("v", false, "log the host's and the plugin's warnings to stderr")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c := config{
		args: args,
		out:  *out, naiveMax: *naiveMax, naiveResyncMax: *naiveResyncMax, inProcess: *inProcess,
		cpuProfile: *cpuProfile, memProfile: *memProfile, keepWork: *keep, workDir: *work,
		webhookTotal: *webhooks, webhookSenders: *senders, alerts: *alerts, softwarePerWin: *swPerWin,
		changedShare: 0.10, alertWindow: 60 * 24 * time.Hour, logOut: io.Discard,
	}
	if *verbose {
		c.logOut = os.Stderr
	}
	var err error
	if *sizes != "" {
		c.sizes, err = parseSizes(*sizes)
	} else {
		c.sizes, err = sizesFor(*fleet)
	}
	if err != nil {
		return config{}, err
	}
	if *only != "" {
		if c.only, err = parseScenarios(*only); err != nil {
			return config{}, err
		}
		// The re-syncs need the first sync's data.
		if c.only[scUnchanged] || c.only[scChanged] || c.only[scSoftware] || c.only[scAlerts] {
			c.only[scFirst] = true
		}
	}
	if *largeOnly != "" {
		if c.largeOnly, err = parseScenarios(*largeOnly); err != nil {
			return config{}, err
		}
	}
	if c.webhookSenders < 1 || c.webhookTotal < 1 {
		return config{}, fmt.Errorf("-webhooks and -senders must be positive")
	}
	return c, nil
}

func parseScenarios(list string) (map[string]bool, error) {
	out := map[string]bool{}
	for s := range strings.SplitSeq(list, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(allScenarios, s) {
			return nil, fmt.Errorf("unknown scenario %q: use %s", s, strings.Join(allScenarios, ", "))
		}
		out[s] = true
	}
	return out, nil
}

// sizesFor is the standard sizes up to fleet, plus fleet itself: 10000
// runs 1,000 and 10,000; 100000 adds 100,000.
func sizesFor(fleet int) ([]int, error) {
	if fleet < 1 {
		return nil, fmt.Errorf("-fleet must be positive, got %d", fleet)
	}
	var out []int
	for _, s := range []int{1000, 10000} {
		if s < fleet {
			out = append(out, s)
		}
	}
	return append(out, fleet), nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad fleet size %q in -sizes", f)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
