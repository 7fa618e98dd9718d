package store

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestEnqueueJob(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	b := ts.newFixture(t, "b")
	j, created, err := ts.EnqueueJob(ctx, f.tenant, f.integration, JobDevices, "")
	if err != nil || !created || j.Status != JobQueued || j.Mode != "full" || j.Kind != JobDevices || j.TenantID != f.tenant {
		t.Fatalf("EnqueueJob = %+v, %v, %v", j, created, err)
	}
	again, created, err := ts.EnqueueJob(ctx, f.tenant, f.integration, JobDevices, "incremental")
	if err != nil || created || again.ID != j.ID {
		t.Fatalf("second EnqueueJob = %+v, %v, %v; want the queued job", again, created, err)
	}
	if other, created, err := ts.EnqueueJob(ctx, f.tenant, f.integration, JobAlerts, "full"); err != nil || !created || other.ID == j.ID {
		t.Fatalf("another kind = %+v, %v, %v", other, created, err)
	}
	got, err := ts.GetJob(ctx, f.tenant, j.ID)
	if err != nil || got.ID != j.ID {
		t.Fatalf("GetJob = %+v, %v", got, err)
	}
	if _, err := ts.GetJob(ctx, b.tenant, j.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetJob of another tenant = %v", err)
	}
	if _, _, err := ts.EnqueueJob(ctx, b.tenant, f.integration, JobDevices, "full"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("EnqueueJob on another tenant's integration = %v", err)
	}
	var inv *InvalidError
	if _, _, err := ts.EnqueueJob(ctx, f.tenant, f.integration, "reboot", "full"); !errors.As(err, &inv) || inv.Field != "kind" {
		t.Fatalf("bad kind = %v", err)
	}
	if _, _, err := ts.EnqueueJob(ctx, f.tenant, f.integration, JobOrgs, "partial"); !errors.As(err, &inv) || inv.Field != "mode" {
		t.Fatalf("bad mode = %v", err)
	}

	t.Run("concurrent requests agree on one job", func(t *testing.T) {
		var wg sync.WaitGroup
		ids := make([]string, 8)
		made := make([]bool, 8)
		for i := range ids {
			wg.Go(func() {
				j, c, err := ts.EnqueueJob(ctx, f.tenant, f.integration, JobSoftware, "full")
				if err != nil {
					t.Error(err)
				}
				ids[i], made[i] = j.ID, c
			})
		}
		wg.Wait()
		creators := 0
		for i := range ids {
			if ids[i] != ids[0] {
				t.Fatalf("different jobs: %v", ids)
			}
			if made[i] {
				creators++
			}
		}
		if creators != 1 {
			t.Fatalf("%d requests created the job", creators)
		}
	})
}

func TestJobLeases(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	if _, ok, err := ts.ClaimJob(ctx, "host-1", time.Minute); err != nil || ok {
		t.Fatalf("ClaimJob with nothing queued = %v, %v", ok, err)
	}
	queued, _, _ := ts.EnqueueJob(ctx, f.tenant, f.integration, JobDevices, "full")

	// Two hosts claim at once: one wins.
	type claim struct {
		job Job
		ok  bool
	}
	results := make([]claim, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			j, ok, err := ts.ClaimJob(ctx, []string{"host-1", "host-2"}[i], time.Minute)
			if err != nil {
				t.Error(err)
			}
			results[i] = claim{j, ok}
		})
	}
	wg.Wait()
	if results[0].ok == results[1].ok {
		t.Fatalf("claims = %+v; want exactly one winner", results)
	}
	winner, loser := "host-1", "host-2"
	job := results[0].job
	if results[1].ok {
		winner, loser, job = "host-2", "host-1", results[1].job
	}
	if job.ID != queued.ID || job.Status != JobRunning || job.Attempts != 1 || job.StartedAt == nil || job.TenantID != f.tenant {
		t.Fatalf("claimed = %+v", job)
	}
	if in, _ := ts.GetIntegration(ctx, f.tenant, f.integration); in.SyncStatus != "syncing" {
		t.Fatalf("integration sync_status = %q", in.SyncStatus)
	}

	progress := Counts{Created: 3, Updated: 2, Unchanged: 1}
	if err := ts.ReportJob(ctx, job.ID, winner, 6, 10, progress, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := ts.ReportJob(ctx, job.ID, loser, 6, 10, progress, time.Minute); !errors.Is(err, ErrConflict) {
		t.Fatalf("ReportJob by a host without the lease = %v", err)
	}
	if err := ts.FinishJob(ctx, job.ID, loser, JobSucceeded, "", progress); !errors.Is(err, ErrConflict) {
		t.Fatalf("FinishJob by a host without the lease = %v", err)
	}
	got, _ := ts.GetJob(ctx, f.tenant, job.ID)
	if got.Processed != 6 || got.Total != 10 || got.Counts != progress {
		t.Fatalf("progress = %+v", got)
	}
	final := Counts{Created: 5, Updated: 3, Unchanged: 2}
	if err := ts.FinishJob(ctx, job.ID, winner, JobSucceeded, "", final); err != nil {
		t.Fatal(err)
	}
	got, _ = ts.GetJob(ctx, f.tenant, job.ID)
	if got.Status != JobSucceeded || got.FinishedAt == nil || got.Counts != final {
		t.Fatalf("finished = %+v", got)
	}
	in, _ := ts.GetIntegration(ctx, f.tenant, f.integration)
	if in.SyncStatus != "completed" || in.LastSyncAt == nil {
		t.Fatalf("integration after success = %+v", in)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM rmm_sync_state WHERE kind = 'devices' AND last_full_sync_at IS NOT NULL`); n != 1 {
		t.Fatal("the sync state does not record the full sync")
	}
	if err := ts.FinishJob(ctx, job.ID, winner, JobFailed, "again", final); !errors.Is(err, ErrConflict) {
		t.Fatalf("finishing twice = %v", err)
	}
	var inv *InvalidError
	if err := ts.FinishJob(ctx, job.ID, winner, JobRunning, "", final); !errors.As(err, &inv) {
		t.Fatalf("finish as running = %v", err)
	}

	// Once finished, the kind can be queued again; a failure shows on the
	// integration.
	next, created, _ := ts.EnqueueJob(ctx, f.tenant, f.integration, JobDevices, "incremental")
	if !created || next.ID == job.ID {
		t.Fatal("a finished job still blocks its kind")
	}
	claimed, ok, _ := ts.ClaimJob(ctx, "host-1", time.Minute)
	if !ok || claimed.ID != next.ID {
		t.Fatalf("claim = %+v, %v", claimed, ok)
	}
	if err := ts.FinishJob(ctx, next.ID, "host-1", JobFailed, "upstream 502", Counts{}); err != nil {
		t.Fatal(err)
	}
	in, _ = ts.GetIntegration(ctx, f.tenant, f.integration)
	if in.SyncStatus != "failed" || in.SyncError != "upstream 502" {
		t.Fatalf("integration after failure = %+v", in)
	}
}

func TestExpireJobLeases(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	job, _, _ := ts.EnqueueJob(ctx, f.tenant, f.integration, JobSoftware, "full")
	long, _, _ := ts.EnqueueJob(ctx, f.tenant, f.integration, JobOrgs, "full")
	expire := func() int {
		t.Helper()
		// Leases are the database's clock: end them by moving it back.
		if _, err := ts.pool.Exec(ctx, `UPDATE sync_jobs SET lease_expires_at = now() - interval '1 second' WHERE job_id = $1 AND status = 'running'`, job.ID); err != nil {
			t.Fatal(err)
		}
		n, err := ts.ExpireJobLeases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	claimBoth := func(round int) {
		t.Helper()
		for range 2 {
			j, ok, err := ts.ClaimJob(ctx, "host", time.Hour)
			if err != nil || !ok {
				t.Fatalf("round %d: claim = %v, %v", round, ok, err)
			}
			if j.ID == job.ID && j.Attempts != round {
				t.Fatalf("attempt %d, want %d", j.Attempts, round)
			}
		}
	}
	claimBoth(1)
	for round := 1; round <= 3; round++ {
		if n := expire(); n != 1 {
			t.Fatalf("round %d: expired %d jobs, want 1 (the other lease is live)", round, n)
		}
		got, _ := ts.GetJob(ctx, f.tenant, job.ID)
		if round < 3 {
			if got.Status != JobQueued || got.FinishedAt != nil {
				t.Fatalf("round %d: %+v, want queued again", round, got)
			}
			j, ok, _ := ts.ClaimJob(ctx, "host-2", time.Hour)
			if !ok || j.ID != job.ID || j.Attempts != round+1 {
				t.Fatalf("round %d: reclaim = %+v", round, j)
			}
			if err := ts.ReportJob(ctx, job.ID, "host", 1, 1, Counts{}, time.Hour); !errors.Is(err, ErrConflict) {
				t.Fatalf("the first host still renews: %v", err)
			}
			continue
		}
		if got.Status != JobFailed || got.Error != jobHostStopped || got.FinishedAt == nil {
			t.Fatalf("after 3 attempts: %+v", got)
		}
	}
	if j, _ := ts.GetJob(ctx, f.tenant, long.ID); j.Status != JobRunning {
		t.Fatalf("a live lease was expired: %+v", j)
	}
	if in, _ := ts.GetIntegration(ctx, f.tenant, f.integration); in.SyncStatus != "failed" || in.SyncError != jobHostStopped {
		t.Fatalf("integration = %+v", in)
	}
}

func TestJobsAreClaimedOnce(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	const jobs = 8
	for i := range jobs {
		f := ts.newFixture(t, string(rune('a'+i)))
		if _, _, err := ts.EnqueueJob(ctx, f.tenant, f.integration, JobDevices, "full"); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claimed := map[string]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			owner := string(rune('A' + w))
			for {
				j, ok, err := ts.ClaimJob(ctx, owner, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				if prev, dup := claimed[j.ID]; dup {
					t.Errorf("job %s claimed by %s and %s", j.ID, prev, owner)
				}
				claimed[j.ID] = owner
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != jobs {
		t.Fatalf("%d jobs claimed, want %d", len(claimed), jobs)
	}
}
