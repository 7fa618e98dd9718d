package main

import (
	_ "embed"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// analysis is the hand-written part of BENCHMARKS.md: what bounds each
// missed target and what change would move it. It is kept beside the
// code it talks about and included as is.
//
//go:embed analysis.md
var analysis string

func (b *bench) markdown(m machine, total time.Duration) string {
	var s strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&s, format, args...) }
	w("# Benchmarks\n\n")
	w("Written by `go run ./integration_test/bench %s` (what `make bench` runs) on %s; the run took %s.\n",
		strings.Join(b.cfg.args, " "), b.started.UTC().Format("2006-01-02 15:04 MST"), fmtDuration(total))
	w("The whole sync path: a fake Tactical RMM server, the real Tactical plugin binary launched by the host's plugin manager over go-plugin (gRPC), ")
	w("the host's real syncer and store, and a real PostgreSQL. Figures are from that one run; nothing here is edited by hand except the Analysis section, ")
	w("which lives in `integration_test/bench/analysis.md`.\n\n")

	w("## Machine\n\n")
	w("- CPU: %s, %d cores (nproc)\n", m.cpuModel, m.cpus)
	w("- Memory: %.1f GiB (MemTotal)\n", float64(m.memTotal)/(1<<30))
	w("- Kernel %s, %s\n", m.kernel, m.goVersion)
	w("- Load average (1, 5, 15 min) when the run began: %s; when it ended: %s. The machine is shared: other work running at the same time slows the figures down and is not subtracted.\n", m.loadStart, m.loadEnd)
	w("- PostgreSQL: %s\n", m.pgVersion)
	w("- PostgreSQL cluster: on disk (not /dev/shm), started by `host/pgcluster` with its defaults (no FsyncOff); ")
	var set []string
	for _, k := range slices.Sorted(maps.Keys(m.pgSettings)) {
		set = append(set, fmt.Sprintf("%s=%s", k, m.pgSettings[k]))
	}
	w("%s\n\n", strings.Join(set, ", "))

	w("## Results\n\n")
	s.WriteString(mdTable(resultHeader, b.resultRows()))
	w("\n")
	w("- **ours**: a sync job queued in the database and run by `host/syncer` with a freshly launched plugin process; the clock runs from the enqueue until the job is recorded as finished (polled every %s).\n", jobPoll)
	w("- **naive**: the same plugin stream written by a second store inside the benchmark that does what existing PSA integrations do: per device, BEGIN; SELECT the asset by (tenant, integration, device id); INSERT or UPDATE the asset, its workstation/server row and its crosswalk row; COMMIT. It always writes.\n")
	w("- **floor**: the same final rows, prepared beforehand as COPY text files, streamed with COPY into the same empty tables (constraints and indexes included) in one transaction; only the COPY is timed. Device and software rows are built in Go from the recorded records; alert rows are the rows the host's backfill left (`COPY rmm_alerts TO`), since the alert fold has logic the floor must not have.\n")
	w("- Rows/s counts the rows a run maintains, written or found unchanged: 3 per device (asset, detail, crosswalk), one per installed product, one per alert event.\n")
	w("- Peak RSS is VmHWM from /proc, reset (clear_refs) right before each run: the host is this benchmark process (the fake Tactical runs in a child process of its own), the plugin is the plugin process the run launched.\n")
	w("- Ours vs naive is naive time ÷ ours; ours vs floor is ours time ÷ floor.\n\n")

	w("## Targets\n\n")
	s.WriteString(mdTable([]string{"Target", "Wanted", "Measured", "Verdict"}, b.targetRows()))
	w("\n")

	w("## Correctness checks\n\n")
	w("The comparisons are only honest if every implementation leaves the same rows. Checksums (a sum of 64-bit hashes of each table's rows as JSON, keyed by the RMM's ids, without generated ids and write times, shown as a 12-digit digest) are compared between databases:\n\n")
	for _, c := range b.checks {
		mark := "equal"
		if !c.ok {
			mark = "**DIFFERENT**"
		}
		w("- %s agents, %s: %s (%s)\n", fmtCount(int64(c.size)), c.what, mark, c.info)
	}
	w("\n")

	w("## CPU per run\n\n")
	w("CPU time (user + system) each process used during the run, from /proc/<pid>/stat; PostgreSQL is the postmaster and its backends; Machine is every process on the machine (/proc/stat), so that the difference shows other work that ran at the same time. With %d cores, a run's wall time is at least its Machine CPU ÷ %d. The fake's column is work the benchmark could not move out of the measured time (see Method).\n\n", m.cpus, m.cpus)
	s.WriteString(mdTable([]string{"Fleet", "Scenario", "Impl", "Wall", "Host CPU", "Plugin CPU", "Fake CPU", "PostgreSQL CPU", "Machine CPU"}, b.cpuRows()))
	w("\n")

	w("## Method\n\n")
	w("- **Fleet**: the fake's generator (`tacticalfake`), 25 clients with 4 sites each, 80%% Windows agents (with `services` and `wmi_detail`: about 21 KB of JSON per agent on average), 12%% Linux, 8%% macOS; %d software items per Windows agent (100 per agent over the fleet, so 1,000,000 `asset_software` rows at 10,000 agents); %s alerts over the last 45 days (the backfill window is set to %d days so that all of them are in it).\n",
		b.cfg.softwarePerWin, fmtCount(int64(b.cfg.alerts)), int(b.cfg.alertWindow.Hours()/24))
	w("- **Keeping the fake's work out**: the fake runs in a separate process (re-executing this binary), so its memory and CPU are not the host's. It is started with `PreRender`: every agent's list row and every software row is rendered to bytes before the first clock starts, and after changing 10%% of the agents it renders them again before the clock starts. What remains inside the measured time is serving those bytes, the fake's per-request filtering (a scan over the fleet for every agent page), and rendering the alert list (the fake has no pre-rendered alerts); the Fake CPU column shows how much that was.\n")
	w("- **Databases**: one template per fleet size (migrated, tenant, integration, organisation sync, every organisation mapped to a client); each scenario runs on its own clone (`CREATE DATABASE … TEMPLATE`): the device syncs on one (the re-syncs need the first), naive and floor on others, software, alerts and webhooks each on a clone of the synced database.\n")
	w("- **incremental re-sync**: the mode the syncer's schedule runs every 15 minutes by default (a full sync runs daily): only the agents seen since the previous sync's cursor (Tactical's `last_seen_range_after`, less a safety margin) are listed and written. Not a target; it shows what a scheduled re-sync costs.\n")
	w("- **10%% changed**: the fake's `Touch` on every tenth agent (last_seen, services, disks, logged-in user change).\n")
	w("- **Clock**: the plugin computes agent_status from the real clock and the agents' last_seen, which the fake fixes when it starts. The fake's clock runs %.0f hours ahead, so that agents that had checked in shortly before stay online for as long as one fleet size takes, instead of drifting offline between the first sync and the \"unchanged\" re-sync. Alerts of the fake's last %.0f hours then lie in the plugin's future, outside the backfill window; the fake generates that many more.\n", clockAhead.Hours(), clockAhead.Hours())
	w("- **Statistics**: before each re-sync, and before the software, alert and webhook databases are cloned, the benchmark runs ANALYZE, as autovacuum would have in the hours between two production syncs. First syncs and first ingests run on tables that grow without fresh statistics, as they do in production.\n")
	w("- **Webhook storm**: the senders run in a child process of their own; the host serves the API with the webhook ingress, the webhook processor and the syncer running, wired as `psa-host serve` wires them. The count of stored deliveries is read from `webhook_inbox` after the storm; processing is watched for %.0f s more and reported, not judged.\n\n", drainWait.Seconds())

	if len(b.problems) > 0 {
		w("## Problems in this run\n\n")
		for _, p := range b.problems {
			w("- %s\n", p)
		}
		w("\n")
	}
	w("## Analysis\n\n")
	w("%s", strings.TrimSpace(analysis)+"\n")
	return s.String()
}

func writeFile(path, text string) error {
	return os.WriteFile(path, []byte(text), 0o644)
}
