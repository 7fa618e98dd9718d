package integration_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// TestE2E5ScheduledSyncOnceAcrossHosts runs two psa-host serve processes
// on one database, both looking for due schedules every 200 ms, with an
// integration whose incremental device sync is due every 2 s (the other
// schedules off). Each scheduled slot must queue exactly one devices job,
// whichever host sees it first, and each job must run once, on one host.
func TestE2E5ScheduledSyncOnceAcrossHosts(t *testing.T) {
	const interval = 2 * time.Second
	env := e5NewEnv(t, tacticalfake.FleetSpec{Clients: 2, SitesPerClient: 1, Agents: 12, Seed: 3})
	hostA := env.startHost(t, "host A", "--schedule-poll", "200ms")
	hostB := env.startHost(t, "host B", "--schedule-poll", "200ms")
	tn := env.tenant(t, hostA, "Scheduled MSP")

	// Set up with the schedules off, then turn the device sync on.
	off := map[string]any{"device_sync": "off", "full_sync": "off", "alert_reconcile": "off"}
	integration := tn.connect(t, env.fake, map[string]any{"schedule": off})
	tn.mapOrgs(t, integration, env.fake.Clients()[0].ID)
	on := map[string]any{"device_sync": interval.String(), "full_sync": "off", "alert_reconcile": "off"}
	tn.on(hostB).setSettings(t, integration, map[string]any{"schedule": on})
	enabled := time.Now()

	// Wait past several slots: the first is due one interval after a host
	// first sees the schedule.
	const slots = 4
	e5WaitFor(t, 2*time.Minute, fmt.Sprintf("%d scheduled jobs finished", slots), func() (bool, string) {
		n := env.count(t, `SELECT count(*) FROM sync_jobs WHERE tenant = $1 AND requested_by = 'schedule' AND status NOT IN ('queued', 'running')`, tn.id)
		return n >= slots, fmt.Sprintf("%d finished", n)
	})
	// Stop queueing before reading: turn the schedule off.
	tn.setSettings(t, integration, map[string]any{"schedule": off})
	e5WaitFor(t, 30*time.Second, "the schedule removed", func() (bool, string) {
		n := env.count(t, `SELECT count(*) FROM rmm_schedules WHERE tenant = $1`, tn.id)
		return n == 0, fmt.Sprintf("%d schedule rows", n)
	})
	e5WaitFor(t, time.Minute, "scheduled jobs ended", func() (bool, string) {
		n := env.count(t, `SELECT count(*) FROM sync_jobs WHERE tenant = $1 AND status IN ('queued', 'running')`, tn.id)
		return n == 0, fmt.Sprintf("%d queued or running", n)
	})

	type job struct {
		id, kind, mode, status string
		attempts               int
		requested              time.Time
	}
	rows, err := env.db.Query(t.Context(), `SELECT job_id::text, kind, mode, status, attempts, requested_at FROM sync_jobs
		WHERE tenant = $1 AND requested_by = 'schedule' ORDER BY requested_at`, tn.id)
	if err != nil {
		t.Fatal(err)
	}
	var jobs []job
	for rows.Next() {
		var j job
		if err := rows.Scan(&j.id, &j.kind, &j.mode, &j.status, &j.attempts, &j.requested); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(jobs) < slots {
		t.Fatalf("%d scheduled jobs, want at least %d", len(jobs), slots)
	}

	// One job per slot: consecutive jobs are an interval apart (a due slot
	// is seen within one poll, 200 ms, by the first host to look), never
	// two for one slot.
	for i, j := range jobs {
		if j.kind != "devices" || j.mode != "incremental" || j.status != "succeeded" || j.attempts != 1 {
			t.Errorf("scheduled job %s: %s %s, %s after %d attempts; want an incremental devices job that succeeded at its first run",
				j.id, j.kind, j.mode, j.status, j.attempts)
		}
		if i == 0 {
			if d := j.requested.Sub(enabled); d < interval-500*time.Millisecond {
				t.Errorf("the first scheduled job was queued %v after the schedule was set, before its first slot (%v)", d, interval)
			}
			continue
		}
		if gap := j.requested.Sub(jobs[i-1].requested); gap < interval-100*time.Millisecond {
			t.Errorf("jobs %s and %s were queued %v apart: two jobs for one %v slot", jobs[i-1].id, j.id, gap, interval)
		}
	}
	// Nothing but the schedule queued jobs after the set-up's orgs sync.
	if n := env.count(t, `SELECT count(*) FROM sync_jobs WHERE tenant = $1 AND requested_by IS DISTINCT FROM 'schedule' AND kind <> 'orgs'`, tn.id); n != 0 {
		t.Errorf("%d jobs not requested by the schedule", n)
	}

	// Every job queued by one host's scheduler, run by one host's worker,
	// once.
	logs := map[string]string{"host A": hostA.Logs(), "host B": hostB.Logs()}
	queuedBy := map[string]int{}
	for _, j := range jobs {
		queued, ran := 0, 0
		for name, l := range logs {
			q := e5LogLines(l, "scheduled job queued", j.id)
			r := e5LogLines(l, "sync started", j.id)
			queued += q
			ran += r
			if q > 0 {
				queuedBy[name]++
			}
		}
		if queued != 1 || ran != 1 {
			t.Errorf("job %s: queued %d times and started %d times across the hosts; want once each", j.id, queued, ran)
		}
	}
	t.Logf("%d scheduled jobs, queued by host: %v", len(jobs), queuedBy)
}

// e5LogLines counts the log lines that hold message and value.
func e5LogLines(logs, message, value string) int {
	n := 0
	for l := range strings.SplitSeq(logs, "\n") {
		if strings.Contains(l, message) && strings.Contains(l, value) {
			n++
		}
	}
	return n
}
