package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// JobCancelled ends a job that was stopped on purpose.
const JobCancelled = "cancelled"

// Lease expiry: a running job whose host stopped renewing its lease is
// queued again, up to maxJobAttempts runs in all; then it fails with
// jobHostStopped.
const (
	maxJobAttempts = 3
	jobHostStopped = "the host running this job stopped; run it again"
)

const jobColumns = `job_id, integration_id, kind, mode, status, items_processed, coalesce(items_total, 0),
	items_created, items_updated, items_unchanged, items_failed, items_deleted, coalesce(error, ''), attempts,
	requested_at, started_at, finished_at, tenant`

func scanJob(r pgx.CollectableRow) (Job, error) {
	var j Job
	err := r.Scan(&j.ID, &j.IntegrationID, &j.Kind, &j.Mode, &j.Status, &j.Processed, &j.Total,
		&j.Counts.Created, &j.Counts.Updated, &j.Counts.Unchanged, &j.Counts.Failed, &j.Counts.Deleted,
		&j.Error, &j.Attempts, &j.RequestedAt, &j.StartedAt, &j.FinishedAt, &j.TenantID)
	return j, err
}

func validJobKind(kind string) bool {
	switch kind {
	case JobOrgs, JobDevices, JobAlerts, JobSoftware:
		return true
	}
	return false
}

// micros is a lease length as the integer the SQL multiplies by
// interval '1 microsecond'.
func micros(d time.Duration) int64 { return d.Microseconds() }

// EnqueueJob queues a sync job. When one of the same integration and kind
// is already queued or running, it returns that job and created=false (the
// partial unique index uq_sync_jobs_active decides, so concurrent requests
// agree). An empty mode is a full sync.
func (s *Store) EnqueueJob(ctx context.Context, tenantID, integrationID, kind, mode string) (job Job, created bool, err error) {
	if !isUUID(tenantID) || !isUUID(integrationID) {
		return Job{}, false, ErrNotFound
	}
	if !validJobKind(kind) {
		return Job{}, false, &InvalidError{Field: "kind", Msg: "must be orgs, devices, alerts or software"}
	}
	if mode == "" {
		mode = "full"
	}
	if mode != "full" && mode != "incremental" {
		return Job{}, false, &InvalidError{Field: "mode", Msg: "must be full or incremental"}
	}
	// The active job may finish between a conflict and the look-up; then
	// inserting again succeeds.
	for range 3 {
		rows, err := s.pool.Query(ctx,
			`INSERT INTO sync_jobs (tenant, integration_id, kind, mode) VALUES ($1, $2, $3, $4)
			 ON CONFLICT (tenant, integration_id, kind, target) WHERE status IN ('queued', 'running') DO NOTHING
			 RETURNING `+jobColumns,
			tenantID, integrationID, kind, mode)
		if err != nil {
			return Job{}, false, fmt.Errorf("enqueue job: %w", err)
		}
		j, err := pgx.CollectExactlyOneRow(rows, scanJob)
		switch {
		case err == nil:
			return j, true, nil
		case pgErrCode(err) == pgForeignKeyViolation:
			return Job{}, false, ErrNotFound
		case !errors.Is(err, pgx.ErrNoRows):
			return Job{}, false, fmt.Errorf("enqueue job: %w", err)
		}
		rows, err = s.pool.Query(ctx,
			`SELECT `+jobColumns+` FROM sync_jobs
			  WHERE tenant = $1 AND integration_id = $2 AND kind = $3 AND target = '' AND status IN ('queued', 'running')`,
			tenantID, integrationID, kind)
		if err != nil {
			return Job{}, false, fmt.Errorf("enqueue job: %w", err)
		}
		j, err = pgx.CollectExactlyOneRow(rows, scanJob)
		if err == nil {
			return j, false, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return Job{}, false, fmt.Errorf("enqueue job: %w", err)
		}
	}
	return Job{}, false, fmt.Errorf("enqueue job: %w: the active job kept changing", ErrConflict)
}

// GetJob returns one job.
func (s *Store) GetJob(ctx context.Context, tenantID, jobID string) (Job, error) {
	if !isUUID(tenantID) || !isUUID(jobID) {
		return Job{}, ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT `+jobColumns+` FROM sync_jobs WHERE tenant = $1 AND job_id = $2`, tenantID, jobID)
	if err != nil {
		return Job{}, fmt.Errorf("get job: %w", err)
	}
	j, err := pgx.CollectExactlyOneRow(rows, scanJob)
	if err != nil {
		return Job{}, notFound(err, "get job")
	}
	return j, nil
}

// syncEventBase is the SQL of the fields every RMM_SYNC_* event has, over
// a job row j and its integration's provider.
func syncEventBase(j, provider string) string {
	return `'tenantId', ` + j + `.tenant, 'integrationId', ` + j + `.integration_id, 'provider', ` + provider + `,
	'syncType', ` + sqlSyncType(j+".kind") + `, 'syncMode', ` + j + `.mode, 'jobId', ` + j + `.job_id`
}

// syncItems is the SQL of the item counts of RMM_SYNC_COMPLETED and
// _FAILED events, over a job row j.
func syncItems(j string) string {
	return `'itemsProcessed', ` + j + `.items_processed, 'itemsCreated', ` + j + `.items_created, 'itemsUpdated', ` +
		j + `.items_updated, 'itemsFailed', ` + j + `.items_failed, 'itemsDeleted', ` + j + `.items_deleted`
}

// ClaimJob leases the oldest due queued job of any tenant to owner, marks
// it running, counts the attempt and writes RMM_SYNC_STARTED. Replicas
// never claim the same job: the row is taken with FOR UPDATE SKIP LOCKED.
// ok is false when no job is due. Lease times are the database's clock,
// shared by every replica.
func (s *Store) ClaimJob(ctx context.Context, owner string, lease time.Duration) (job Job, ok bool, err error) {
	if owner == "" {
		return Job{}, false, &InvalidError{Field: "owner", Msg: "is required"}
	}
	// One statement, notify included: idle workers run it at every poll.
	return claimJob(ctx, s.pool, owner, lease)
}

func claimJob(ctx context.Context, q queryer, owner string, lease time.Duration) (Job, bool, error) {
	rows, err := q.Query(ctx, `
WITH next AS (
    SELECT tenant, job_id FROM sync_jobs
     WHERE status = 'queued' AND run_after <= now()
     ORDER BY run_after, requested_at
     LIMIT 1
       FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE sync_jobs j
       SET status = 'running', lease_owner = $1, lease_expires_at = now() + $2::bigint * interval '1 microsecond',
           attempts = j.attempts + 1, started_at = coalesce(j.started_at, now())
      FROM next WHERE j.tenant = next.tenant AND j.job_id = next.job_id
    RETURNING j.*
), syncing AS (
    UPDATE rmm_integrations i SET sync_status = 'syncing', updated_at = now()
      FROM claimed c WHERE i.tenant = c.tenant AND i.integration_id = c.integration_id
    RETURNING i.tenant, i.integration_id, i.provider
), started AS (
    INSERT INTO event_outbox (tenant, event_type, payload)
    SELECT c.tenant, '`+EventSyncStarted+`', jsonb_build_object(`+syncEventBase("c", "i.provider")+`, 'attempt', c.attempts)
      FROM claimed c JOIN syncing i ON i.tenant = c.tenant AND i.integration_id = c.integration_id
), announce AS MATERIALIZED (
    SELECT pg_notify('`+EventsChannel+`', '') IS NULL AS notified WHERE EXISTS (SELECT 1 FROM claimed)
)
SELECT `+jobColumns+` FROM claimed LEFT JOIN announce ON true`, owner, micros(lease))
	if err != nil {
		return Job{}, false, fmt.Errorf("claim job: %w", err)
	}
	j, err := pgx.CollectExactlyOneRow(rows, scanJob)
	if errors.Is(err, pgx.ErrNoRows) {
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, fmt.Errorf("claim job: %w", err)
	}
	return j, true, nil
}

// ReportJob records progress and renews the lease; it fails with
// ErrConflict when owner no longer holds the lease (the job was expired,
// requeued or finished). total 0 means unknown.
func (s *Store) ReportJob(ctx context.Context, jobID, owner string, processed, total int64, counts Counts, lease time.Duration) error {
	if !isUUID(jobID) {
		return ErrNotFound
	}
	// By job id alone: the runner holds the lease, not the tenant. The
	// partial index on running jobs serves the look-up.
	tag, err := s.pool.Exec(ctx, `
UPDATE sync_jobs
   SET items_processed = $3, items_total = NULLIF($4, 0), items_created = $5, items_updated = $6,
       items_unchanged = $7, items_failed = $8, items_deleted = $9,
       lease_expires_at = now() + $10::bigint * interval '1 microsecond'
 WHERE status = 'running' AND job_id = $1 AND lease_owner = $2`,
		jobID, owner, processed, total, counts.Created, counts.Updated, counts.Unchanged, counts.Failed,
		counts.Deleted, micros(lease))
	if err != nil {
		return fmt.Errorf("report job: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: job %s is not running under this lease", ErrConflict, jobID)
	}
	return nil
}

// FinishJob ends a job as succeeded, failed or cancelled, records the
// outcome on its integration (last_sync_at, sync_status completed or
// failed, sync_error) and, for a success, on its sync state
// (last_full_sync_at or last_incremental_sync_at), and writes
// RMM_SYNC_COMPLETED or RMM_SYNC_FAILED. ErrConflict when owner no longer
// holds the lease.
func (s *Store) FinishJob(ctx context.Context, jobID, owner, status, errMsg string, counts Counts) error {
	if !isUUID(jobID) {
		return ErrNotFound
	}
	switch status {
	case JobSucceeded, JobFailed, JobCancelled:
	default:
		return &InvalidError{Field: "status", Msg: "must be succeeded, failed or cancelled"}
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var tenantID, integrationID, kind, mode, provider string
		err := tx.QueryRow(ctx, `
UPDATE sync_jobs
   SET status = $3, error = NULLIF($4, ''), items_created = $5, items_updated = $6, items_unchanged = $7,
       items_failed = $8, items_deleted = $9, finished_at = now(), lease_expires_at = NULL
 WHERE status = 'running' AND job_id = $1 AND lease_owner = $2
RETURNING tenant, integration_id, kind, mode`,
			jobID, owner, status, errMsg, counts.Created, counts.Updated, counts.Unchanged, counts.Failed,
			counts.Deleted).Scan(&tenantID, &integrationID, &kind, &mode)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: job %s is not running under this lease", ErrConflict, jobID)
		}
		if err != nil {
			return fmt.Errorf("finish job: %w", err)
		}
		syncStatus := "completed"
		if status != JobSucceeded {
			syncStatus = "failed"
		}
		err = tx.QueryRow(ctx, `
UPDATE rmm_integrations
   SET last_sync_at = now(), sync_status = $3::text, sync_error = NULLIF($4::text, ''), updated_at = now(),
       last_full_sync_at = CASE WHEN $3::text = 'completed' AND $5::text = 'full' THEN now() ELSE last_full_sync_at END,
       last_incremental_sync_at = CASE WHEN $3::text = 'completed' AND $5::text = 'incremental' THEN now() ELSE last_incremental_sync_at END
 WHERE tenant = $1 AND integration_id = $2
RETURNING provider`, tenantID, integrationID, syncStatus, errMsg, mode).Scan(&provider)
		if err != nil {
			return fmt.Errorf("finish job: %w", err)
		}
		eventType := EventSyncCompleted
		if status != JobSucceeded {
			eventType = EventSyncFailed
		}
		if _, err := tx.Exec(ctx, `
WITH e AS (
    INSERT INTO event_outbox (tenant, event_type, payload)
    SELECT j.tenant, $3, jsonb_build_object(`+syncEventBase("j", "$4::text")+`, `+syncItems("j")+`)
           || CASE $5::text
                WHEN '`+JobSucceeded+`' THEN '{}'::jsonb
                WHEN '`+JobCancelled+`' THEN jsonb_build_object('error', jsonb_build_object(
                     'code', '`+JobCancelled+`', 'message', coalesce(NULLIF($6::text, ''), 'the sync was cancelled')))
                ELSE jsonb_build_object('error', jsonb_build_object('message', $6::text))
              END
      FROM sync_jobs j WHERE j.tenant = $1 AND j.job_id = $2
)
SELECT pg_notify('`+EventsChannel+`', '')`, tenantID, jobID, eventType, provider, status, errMsg); err != nil {
			return fmt.Errorf("finish job: %w", err)
		}
		if status != JobSucceeded || !validJobKind(kind) {
			return nil
		}
		_, err = tx.Exec(ctx, `
INSERT INTO rmm_sync_state AS t (tenant, integration_id, kind, last_full_sync_at, last_incremental_sync_at)
VALUES ($1, $2, $3, CASE WHEN $4::text = 'full' THEN now() END, CASE WHEN $4::text = 'incremental' THEN now() END)
ON CONFLICT (tenant, integration_id, kind) DO UPDATE
   SET last_full_sync_at = coalesce(EXCLUDED.last_full_sync_at, t.last_full_sync_at),
       last_incremental_sync_at = coalesce(EXCLUDED.last_incremental_sync_at, t.last_incremental_sync_at),
       updated_at = now()`, tenantID, integrationID, kind, mode)
		if err != nil {
			return fmt.Errorf("finish job: %w", err)
		}
		return nil
	})
}

// ExpireJobLeases handles running jobs whose lease ran out (their host
// stopped): one that has run fewer than 3 times is queued again, with its
// cursor, for any replica to resume; otherwise it fails with "the host
// running this job stopped; run it again", its integration shows the
// failure and RMM_SYNC_FAILED is written. It returns how many jobs it
// expired, across tenants.
func (s *Store) ExpireJobLeases(ctx context.Context) (int, error) {
	var n, failed int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
WITH expired AS (
    UPDATE sync_jobs
       SET status = CASE WHEN attempts < $1 THEN 'queued' ELSE 'failed' END,
           error = CASE WHEN attempts < $1 THEN error ELSE $2 END,
           finished_at = CASE WHEN attempts < $1 THEN NULL ELSE now() END,
           run_after = now(), lease_owner = NULL, lease_expires_at = NULL
     WHERE status = 'running' AND lease_expires_at < now()
    RETURNING *
), failed AS (
    UPDATE rmm_integrations i SET sync_status = 'failed', sync_error = $2, last_sync_at = now(), updated_at = now()
      FROM expired e WHERE e.status = 'failed' AND i.tenant = e.tenant AND i.integration_id = e.integration_id
), failed_events AS (
    INSERT INTO event_outbox (tenant, event_type, payload)
    SELECT e.tenant, '`+EventSyncFailed+`', jsonb_build_object(`+syncEventBase("e", "i.provider")+`,
           `+syncItems("e")+`, 'error', jsonb_build_object('message', $2::text))
      FROM expired e JOIN rmm_integrations i ON i.tenant = e.tenant AND i.integration_id = e.integration_id
     WHERE e.status = 'failed'
     ORDER BY e.tenant, e.job_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM expired), (SELECT count(*) FROM failed_events)`, maxJobAttempts, jobHostStopped).Scan(&n, &failed)
		if err != nil {
			return fmt.Errorf("expire job leases: %w", err)
		}
		if failed > 0 {
			if err := notifyEvents(ctx, tx); err != nil {
				return fmt.Errorf("expire job leases: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
