package syncer

import (
	"context"
	"time"
)

// schedule queues the periodic jobs that are due, every SchedulePoll. Every
// replica runs it; the claim in the database makes each run queue once.
func (r *Runner) schedule(ctx context.Context) {
	t := time.NewTicker(r.opts.SchedulePoll)
	defer t.Stop()
	for {
		r.scheduleOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Runner) scheduleOnce(ctx context.Context) {
	if err := r.st.RefreshSchedules(ctx); err != nil {
		if ctx.Err() == nil {
			r.log.Warn("refresh schedules", "error", err)
		}
		return
	}
	jobs, err := r.st.ClaimDueSchedules(ctx, 100)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("queue scheduled jobs", "error", err)
		}
		return
	}
	for _, j := range jobs {
		r.log.Info("scheduled job queued", "integration_id", j.IntegrationID, "schedule", j.Schedule, "job_id", j.JobID)
	}
	if len(jobs) > 0 {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}
