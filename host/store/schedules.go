package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The periodic jobs of an integration.
const (
	ScheduleDevicesIncremental = "devices_incremental"
	ScheduleDevicesFull        = "devices_full"
	ScheduleAlertsReconcile    = "alerts_reconcile"
)

// ScheduleSettings is the "schedule" object of an integration's settings,
// with intervals as Go durations ("15m", "24h"). Empty values take the
// defaults; "off" turns that schedule off. Its sibling "lifecycle" object
// (LifecycleSettings, lifecycle.go) says when devices missing from the RMM
// are retired:
//
//	{"schedule": {"full_sync": "24h"}, "lifecycle": {"missing_grace_hours": 24}}
type ScheduleSettings struct {
	Disabled       bool   `json:"disabled,omitempty"`
	DeviceSync     string `json:"device_sync,omitempty"`     // incremental device sync, default 15m
	FullSync       string `json:"full_sync,omitempty"`       // full device sync, default 24h
	AlertReconcile string `json:"alert_reconcile,omitempty"` // alert backfill, default 15m
}

// MinScheduleInterval is the shortest interval a schedule may have.
const MinScheduleInterval = time.Second

// Intervals returns each enabled schedule's interval, or an error naming
// the setting that is not a valid interval.
func (s ScheduleSettings) Intervals() (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	if s.Disabled {
		return out, nil
	}
	for _, e := range []struct {
		name, field, value string
		def                time.Duration
	}{
		{ScheduleDevicesIncremental, "device_sync", s.DeviceSync, 15 * time.Minute},
		{ScheduleDevicesFull, "full_sync", s.FullSync, 24 * time.Hour},
		{ScheduleAlertsReconcile, "alert_reconcile", s.AlertReconcile, 15 * time.Minute},
	} {
		switch e.value {
		case "off":
		case "":
			out[e.name] = e.def
		default:
			d, err := time.ParseDuration(e.value)
			if err != nil || d < MinScheduleInterval {
				return nil, &InvalidError{Field: "settings.schedule." + e.field,
					Msg: fmt.Sprintf("%q is not an interval: use a duration such as \"15m\" or \"24h\", or \"off\"", e.value)}
			}
			out[e.name] = d
		}
	}
	return out, nil
}

// ParseScheduleSettings reads the schedule from integration settings.
func ParseScheduleSettings(settings []byte) (ScheduleSettings, error) {
	var wrapper struct {
		Schedule ScheduleSettings `json:"schedule"`
	}
	if len(settings) == 0 {
		return ScheduleSettings{}, nil
	}
	if err := json.Unmarshal(settings, &wrapper); err != nil {
		return ScheduleSettings{}, &InvalidError{Field: "settings.schedule", Msg: err.Error()}
	}
	if _, err := wrapper.Schedule.Intervals(); err != nil {
		return ScheduleSettings{}, err
	}
	return wrapper.Schedule, nil
}

// scheduleJob is the job a schedule queues.
var scheduleJob = map[string]struct{ kind, mode string }{
	ScheduleDevicesIncremental: {JobDevices, "incremental"},
	ScheduleDevicesFull:        {JobDevices, "full"},
	ScheduleAlertsReconcile:    {JobAlerts, "full"},
}

// RefreshSchedules makes every active integration's schedule rows match
// its settings: new schedules are first due one interval from now, a
// changed interval takes effect from the last run, and schedules that were
// turned off (or whose integration is inactive) are removed.
func (s *Store) RefreshSchedules(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT tenant, integration_id, settings FROM rmm_integrations WHERE is_active`)
	if err != nil {
		return fmt.Errorf("load integrations: %w", err)
	}
	var tenants, integrations, names []string
	var intervals []int32
	for rows.Next() {
		var tenant, id string
		var settings []byte
		if err := rows.Scan(&tenant, &id, &settings); err != nil {
			rows.Close()
			return fmt.Errorf("load integrations: %w", err)
		}
		ss, err := ParseScheduleSettings(settings)
		if err != nil {
			continue // an unreadable schedule keeps the defaults off rather than guessing
		}
		ivs, _ := ss.Intervals()
		for name, iv := range ivs {
			tenants, integrations, names = append(tenants, tenant), append(integrations, id), append(names, name)
			intervals = append(intervals, int32(max(iv/time.Second, 1)))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load integrations: %w", err)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO rmm_schedules AS s (tenant, integration_id, schedule, interval_seconds, next_run_at)
			SELECT t, i, n, iv, now() + make_interval(secs => iv)
			FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[]) AS u(t, i, n, iv)
			ON CONFLICT (tenant, integration_id, schedule) DO UPDATE SET
				interval_seconds = EXCLUDED.interval_seconds,
				next_run_at = LEAST(s.next_run_at, COALESCE(s.last_run_at, s.created_at) + make_interval(secs => EXCLUDED.interval_seconds)),
				updated_at = now()
			WHERE s.interval_seconds IS DISTINCT FROM EXCLUDED.interval_seconds`,
			tenants, integrations, names, intervals); err != nil {
			return fmt.Errorf("write schedules: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			DELETE FROM rmm_schedules s
			WHERE NOT EXISTS (
				SELECT 1 FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS u(t, i, n)
				WHERE u.t = s.tenant AND u.i = s.integration_id AND u.n = s.schedule)`,
			tenants, integrations, names); err != nil {
			return fmt.Errorf("remove schedules: %w", err)
		}
		return nil
	})
}

// ScheduledJob is a job a schedule queued.
type ScheduledJob struct {
	TenantID, IntegrationID, Schedule, JobID string
}

// ClaimDueSchedules queues the jobs of schedules that are due, at most
// limit of them, and advances each schedule in the same transaction, so
// that concurrent replicas queue each run once. A schedule whose job kind
// is already queued or running is retried a minute later instead of
// losing its turn; a device schedule of an integration with no mapped,
// auto-synced organisation is skipped until one is mapped.
func (s *Store) ClaimDueSchedules(ctx context.Context, limit int) ([]ScheduledJob, error) {
	var out []ScheduledJob
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT s.tenant, s.integration_id, s.schedule, s.interval_seconds
			FROM rmm_schedules s
			JOIN rmm_integrations i ON i.tenant = s.tenant AND i.integration_id = s.integration_id AND i.is_active
			WHERE s.next_run_at <= now()
			  AND (s.schedule = $2 OR EXISTS (
				SELECT 1 FROM rmm_organization_mappings m
				WHERE m.tenant = s.tenant AND m.integration_id = s.integration_id
				  AND m.client_id IS NOT NULL AND m.auto_sync_assets))
			ORDER BY s.next_run_at
			LIMIT $1
			FOR UPDATE OF s SKIP LOCKED`, limit, ScheduleAlertsReconcile)
		if err != nil {
			return fmt.Errorf("find due schedules: %w", err)
		}
		type due struct {
			tenant, integration, schedule string
			interval                      int32
		}
		var dues []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.tenant, &d.integration, &d.schedule, &d.interval); err != nil {
				rows.Close()
				return fmt.Errorf("find due schedules: %w", err)
			}
			dues = append(dues, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find due schedules: %w", err)
		}
		for _, d := range dues {
			job := scheduleJob[d.schedule]
			var jobID *string
			err := tx.QueryRow(ctx, `
				INSERT INTO sync_jobs (tenant, integration_id, kind, mode, requested_by)
				VALUES ($1, $2, $3, $4, 'schedule')
				ON CONFLICT (tenant, integration_id, kind, target) WHERE status IN ('queued', 'running') DO NOTHING
				RETURNING job_id`, d.tenant, d.integration, job.kind, job.mode).Scan(&jobID)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("queue scheduled job: %w", err)
			}
			next := "now() + make_interval(secs => interval_seconds)"
			if jobID == nil {
				next = "now() + interval '1 minute'"
			}
			if _, err := tx.Exec(ctx, `
				UPDATE rmm_schedules SET next_run_at = `+next+`, last_run_at = CASE WHEN $4::uuid IS NULL THEN last_run_at ELSE now() END,
					last_job_id = COALESCE($4::uuid, last_job_id), updated_at = now()
				WHERE tenant = $1 AND integration_id = $2 AND schedule = $3`,
				d.tenant, d.integration, d.schedule, jobID); err != nil {
				return fmt.Errorf("advance schedule: %w", err)
			}
			if jobID != nil {
				out = append(out, ScheduledJob{TenantID: d.tenant, IntegrationID: d.integration, Schedule: d.schedule, JobID: *jobID})
			}
		}
		return nil
	})
	return out, err
}
