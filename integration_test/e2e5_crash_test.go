package integration_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/integration_test/hostproc"
	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// e5SlowFleet is a fleet whose device sync takes a few seconds once each
// agent page is delayed: more than one batch (500 devices) so that
// progress is committed before the end, with light (mostly POSIX) rows.
func e5SlowFleet() tacticalfake.FleetSpec {
	return tacticalfake.FleetSpec{Clients: 2, SitesPerClient: 2, Agents: 1500, Seed: 21, WindowsShare: 0.1, LinuxShare: 0.45}
}

// e5SlowSettings make the integration read agents 100 at a time, one page
// at a time; e5SlowDown makes each page take e5PageDelay.
func e5SlowSettings() map[string]any { return map[string]any{"page_size": 100, "parallelism": 1} }

const e5PageDelay = 150 * time.Millisecond

func e5SlowDown(fake *tacticalfake.Server) {
	fake.InjectFault(tacticalfake.Fault{PathPrefix: "/beta/v1/agent/", Latency: e5PageDelay})
}

// waitProgress polls a job until it has committed devices and returns it.
func (tn e5Tenant) waitProgress(t *testing.T, jobID string) hostproc.Job {
	t.Helper()
	var j hostproc.Job
	e5WaitFor(t, time.Minute, "job "+jobID+" shows progress", func() (bool, string) {
		j = tn.job(t, jobID)
		if j.Status != "queued" && j.Status != "running" {
			t.Fatalf("job %s ended (%s: %s) before the test could interrupt it", jobID, j.Status, j.Error)
		}
		return j.Processed > 0, fmt.Sprintf("%s, %d processed", j.Status, j.Processed)
	})
	return j
}

// checkDevices checks that every agent of the fleet is one asset, with
// its detail row and its crosswalk row, and that nothing is duplicated or
// half written.
func (e *e5Env) checkDevices(t *testing.T, tenantID, integrationID string) {
	t.Helper()
	agents := e.fake.Counts().Agents
	checks := []struct {
		what  string
		query string
		want  int
	}{
		{"assets", `SELECT count(*) FROM assets WHERE tenant = $1 AND integration_id = $2`, agents},
		{"distinct devices", `SELECT count(DISTINCT rmm_device_id) FROM assets WHERE tenant = $1 AND integration_id = $2`, agents},
		{"detail rows", `SELECT (SELECT count(*) FROM workstation_assets w JOIN assets a USING (tenant, asset_id)
			WHERE a.tenant = $1 AND a.integration_id = $2) + (SELECT count(*) FROM server_assets s JOIN assets a USING (tenant, asset_id)
			WHERE a.tenant = $1 AND a.integration_id = $2)`, agents},
		{"assets without their detail row", `SELECT count(*) FROM assets a WHERE a.tenant = $1 AND a.integration_id = $2
			AND NOT EXISTS (SELECT 1 FROM workstation_assets w WHERE w.tenant = a.tenant AND w.asset_id = a.asset_id)
			AND NOT EXISTS (SELECT 1 FROM server_assets s WHERE s.tenant = a.tenant AND s.asset_id = a.asset_id)`, 0},
		{"crosswalk rows", `SELECT count(*) FROM tenant_external_entity_mappings WHERE tenant = $1 AND integration_id = $2`, agents},
		{"assets without their crosswalk row", `SELECT count(*) FROM assets a WHERE a.tenant = $1 AND a.integration_id = $2
			AND NOT EXISTS (SELECT 1 FROM tenant_external_entity_mappings m WHERE m.tenant = a.tenant
				AND m.integration_id = a.integration_id AND m.alga_entity_id = a.asset_id::text AND m.external_entity_id = a.rmm_device_id)`, 0},
	}
	for _, c := range checks {
		if n := e.count(t, c.query, tenantID, integrationID); n != c.want {
			t.Errorf("%s: %d, want %d", c.what, n, c.want)
		}
	}
}

// TestE2E5PluginKilledMidSync SIGKILLs the Tactical plugin in the middle
// of a full device sync of 1,500 agents, once the job has committed a
// batch: the job must fail and say why, the host must restart the plugin,
// and a new sync must complete with every agent stored once and whole.
func TestE2E5PluginKilledMidSync(t *testing.T) {
	env := e5NewEnv(t, e5SlowFleet())
	host := env.startHost(t, "host")
	tn := env.tenant(t, host, "Crash MSP")
	integration := tn.connect(t, env.fake, e5SlowSettings())
	clients := env.fake.Clients()
	tn.mapOrgs(t, integration, clients[0].ID, clients[1].ID)
	pid := e5WaitPlugin(t, host, 0)

	e5SlowDown(env.fake)
	jobID := tn.startSync(t, integration, "devices")
	progress := tn.waitProgress(t, jobID)
	e5KillPlugin(t, pid)

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	j, err := tn.api.WaitJob(ctx, jobID)
	if err == nil || j.Status != "failed" {
		t.Fatalf("the interrupted sync ended %s (%v); want failed", j.Status, err)
	}
	failure := j.Error
	if msg := strings.ToLower(failure); !strings.Contains(msg, "plugin") && !strings.Contains(msg, "provider") {
		t.Errorf("the interrupted sync failed with %q; want an error that names the plugin", j.Error)
	}
	if j.Processed < progress.Processed || j.Processed >= int64(env.fake.Counts().Agents) {
		t.Errorf("the interrupted sync processed %d devices; want at least the %d seen before the kill and not all", j.Processed, progress.Processed)
	}
	committed := env.count(t, `SELECT count(*) FROM assets WHERE tenant = $1 AND integration_id = $2`, tn.id, integration)
	if int64(committed) != j.Processed {
		t.Errorf("%d assets after the interrupted sync, which reported %d processed: a batch was half written", committed, j.Processed)
	}

	restarted := e5WaitPlugin(t, host, pid)
	tn.waitProvider(t, "running")
	env.fake.ClearFaults()
	j = tn.syncOK(t, integration, "devices")
	agents := int64(env.fake.Counts().Agents)
	if j.Counts.Created != agents-int64(committed) || j.Counts.Unchanged != int64(committed) || j.Counts.Updated != 0 || j.Counts.Failed != 0 {
		t.Errorf("the sync after the restart: counts %+v; want %d created and %d unchanged", j.Counts, agents-int64(committed), committed)
	}
	env.checkDevices(t, tn.id, integration)
	t.Logf("killed plugin %d after %d devices, %d committed; the job failed with %q; restarted as %d", pid, progress.Processed, committed, failure, restarted)
}

// TestE2E5HostKilledMidJob SIGKILLs a host (job lease 2 s) in the middle
// of a full device sync. A host started afterwards on the same database
// must find the job's lease expired, queue it again and complete it: the
// job is not left running, and every agent is stored once and whole.
func TestE2E5HostKilledMidJob(t *testing.T) {
	env := e5NewEnv(t, e5SlowFleet())
	hostA := env.startHost(t, "host A", "--job-lease", "2s")
	tn := env.tenant(t, hostA, "Crash MSP")
	integration := tn.connect(t, env.fake, e5SlowSettings())
	clients := env.fake.Clients()
	tn.mapOrgs(t, integration, clients[0].ID, clients[1].ID)

	e5SlowDown(env.fake)
	jobID := tn.startSync(t, integration, "devices")
	tn.waitProgress(t, jobID)
	e5KillHost(t, hostA)

	var status string
	if err := env.db.QueryRow(t.Context(), `SELECT status FROM sync_jobs WHERE tenant = $1 AND job_id = $2`, tn.id, jobID).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != "running" {
		t.Fatalf("right after the host was killed its job is %s; the test meant to kill it mid-job", status)
	}

	env.fake.ClearFaults()
	hostB := env.startHost(t, "host B", "--job-lease", "2s")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	j, err := tn.on(hostB).api.WaitJob(ctx, jobID)
	if err != nil {
		t.Fatalf("the job of the killed host: %v", err)
	}
	var attempts int
	if err := env.db.QueryRow(t.Context(), `SELECT attempts FROM sync_jobs WHERE tenant = $1 AND job_id = $2`, tn.id, jobID).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != 2 || j.Counts.Failed != 0 {
		t.Errorf("the job of the killed host ran %d times (counts %+v); want requeued once and completed by host B", attempts, j.Counts)
	}
	if n := e5LogLines(hostB.Logs(), "sync started", jobID); n != 1 {
		t.Errorf("host B started the job %d times, want once", n)
	}
	env.checkDevices(t, tn.id, integration)
}

// e5StopPlugin keeps a host's Tactical plugin down: its executable is
// swapped for another file (so a restart is refused: the checksum no
// longer matches) and the process is killed. It returns a function that
// puts the real executable back.
func (e *e5Env) stopPlugin(t *testing.T, h *hostproc.Host, tn e5Tenant) (restore func()) {
	t.Helper()
	path := filepath.Join(e.pluginDir, e5PluginName)
	saved := filepath.Join(t.TempDir(), e5PluginName)
	if err := os.Link(path, saved); err != nil {
		t.Fatal(err)
	}
	swap := filepath.Join(e.pluginDir, ".swap")
	if err := os.WriteFile(swap, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(swap, path); err != nil {
		t.Fatal(err)
	}
	e5KillPlugin(t, e5WaitPlugin(t, h, 0))
	tn.waitProvider(t, "refused")
	return func() {
		if err := os.Rename(saved, path); err != nil {
			t.Fatal(err)
		}
	}
}

// TestE2E5HostKilledWithWebhooksPending sends webhooks to a host whose
// plugin is down, so each is acknowledged (202) and fails its first
// attempt, waiting for a retry; the host is then SIGKILLed. A host
// started afterwards on the same database, with the plugin back, must
// process every acknowledged delivery exactly once.
func TestE2E5HostKilledWithWebhooksPending(t *testing.T) {
	env := e5NewEnv(t, tacticalfake.FleetSpec{Clients: 2, SitesPerClient: 1, Agents: 20, Seed: 9})
	hostA := env.startHost(t, "host A")
	tn := env.tenant(t, hostA, "Crash MSP")
	integration := tn.connect(t, env.fake, map[string]any{})
	clients := env.fake.Clients()
	tn.mapOrgs(t, integration, clients[0].ID)
	hook := tn.webhook(t, integration)
	agents, linked := e5StormAgents(t, env.fake, clients[0].ID, clients[1].ID)
	storm := newE5Storm(60, 20000, agents, linked)

	restore := env.stopPlugin(t, hostA, tn)
	var wg sync.WaitGroup
	statuses := make([]int, len(storm.bodies))
	for i, body := range storm.bodies {
		wg.Go(func() {
			status, _, err := hook.send(t.Context(), body)
			if err != nil {
				t.Errorf("delivery %d: %v", i, err)
			}
			statuses[i] = status
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusAccepted {
			t.Fatalf("delivery %d answered %d while the plugin was down; want 202", i, s)
		}
	}

	// Kill the host only when no delivery is in hand or due for a while:
	// each has failed its attempt and waits for its retry (about 5 s).
	e5WaitFor(t, time.Minute, "every delivery tried and waiting for a retry", func() (bool, string) {
		var waiting, other int
		var nextIn float64
		if err := env.db.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE status = 'failed' AND attempts = 1),
			count(*) FILTER (WHERE status <> 'failed' OR attempts <> 1),
			coalesce(extract(epoch FROM min(next_attempt_at) - clock_timestamp()), 0)
			FROM webhook_inbox WHERE tenant = $1`, tn.id).Scan(&waiting, &other, &nextIn); err != nil {
			t.Fatal(err)
		}
		return waiting == len(storm.bodies) && other == 0 && nextIn > 1,
			fmt.Sprintf("%d waiting for a retry, %d not, next retry in %.1fs", waiting, other, nextIn)
	})
	e5KillHost(t, hostA)
	if n := env.count(t, `SELECT count(*) FROM webhook_inbox WHERE tenant = $1 AND status = 'done'`, tn.id); n != 0 {
		t.Fatalf("%d deliveries were processed before the host was killed", n)
	}
	if a := env.alerts(t, tn.id, integration); len(a) != 0 {
		t.Fatalf("%d alerts were stored before the host was killed", len(a))
	}

	restore()
	env.startHost(t, "host B")
	e5WaitFor(t, time.Minute, "every delivery processed by host B", func() (bool, string) {
		var done, other int
		if err := env.db.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status <> 'done')
			FROM webhook_inbox WHERE tenant = $1`, tn.id).Scan(&done, &other); err != nil {
			t.Fatal(err)
		}
		return done == len(storm.bodies) && other == 0, fmt.Sprintf("%d done, %d not", done, other)
	})
	if n := env.count(t, `SELECT count(*) FROM webhook_inbox WHERE tenant = $1 AND attempts <> 2`, tn.id); n != 0 {
		t.Errorf("%d deliveries were not processed at their second attempt (one on each host)", n)
	}
	storm.check(t, env.alerts(t, tn.id, integration))
}
