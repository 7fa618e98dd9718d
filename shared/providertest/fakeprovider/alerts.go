package fakeprovider

import (
	"context"
	"fmt"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// BackfillAlerts implements rmm.Provider: the alerts triggered in
// [Since, Until), open ones only unless IncludeResolved is set.
func (p *Provider) BackfillAlerts(ctx context.Context, req rmm.BackfillRequest, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
	if err := p.require(rmm.CapBackfillAlerts, "BackfillAlerts"); err != nil {
		return rmm.SyncSummary{}, err
	}
	s, err := p.open(req.Integration)
	if err != nil {
		return rmm.SyncSummary{}, err
	}
	if err := s.request(ctx); err != nil {
		return rmm.SyncSummary{}, fmt.Errorf("backfill alerts: %w", err)
	}
	var alerts []rmm.Alert
	for _, a := range s.fleet.alerts() {
		switch {
		case !req.Since.IsZero() && a.TriggeredAt.Before(req.Since):
		case !req.Until.IsZero() && !a.TriggeredAt.Before(req.Until):
		case a.State == rmm.AlertResolved && !req.IncludeResolved:
		default:
			alerts = append(alerts, a)
		}
	}
	sum, err := stream(ctx, s, out, alerts, req.MaxBatch, nil)
	if err != nil {
		return sum, fmt.Errorf("backfill alerts: %w", err)
	}
	p.cfg.Logger.Debug("alerts backfilled", "integration_id", req.Integration.ID, "sent", sum.Sent)
	return sum, nil
}
