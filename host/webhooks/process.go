package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// recordTimeout bounds writing a delivery's outcome, which must happen
// even when the processor is stopping.
const recordTimeout = 10 * time.Second

// process handles one claimed delivery and records the outcome: done,
// failed with a backoff, or parked.
func (p *Processor) process(ctx context.Context, d store.InboxDelivery) {
	log := p.log.With("inbox_id", d.ID, "integration_id", d.IntegrationID, "attempt", d.Attempts)
	if d.Attempts > p.opts.MaxAttempts {
		// Only lease expiries count past the maximum: the delivery's hosts
		// stopped (or hung) while processing it, every time.
		p.record(ctx, d, func(ctx context.Context) error {
			return p.st.ParkInbox(ctx, d.TenantID, d.ID, p.opts.Owner,
				fmt.Sprintf("processing did not finish in %d attempts: the host processing it stopped each time", d.Attempts-1))
		})
		log.Warn("webhook parked: its processing never finished")
		return
	}
	hctx, cancel := context.WithTimeout(ctx, p.opts.Lease*3/4)
	err := p.handle(hctx, d)
	cancel()
	switch {
	case err == nil:
		p.record(ctx, d, func(ctx context.Context) error {
			return p.st.CompleteInbox(ctx, d.TenantID, d.ID, p.opts.Owner)
		})
	case ctx.Err() != nil:
		// Stopping: leave it for the next replica at once rather than at
		// lease expiry.
		p.record(ctx, d, func(ctx context.Context) error {
			return p.st.RetryInbox(ctx, d.TenantID, d.ID, p.opts.Owner, "interrupted: the host stopped", 0)
		})
	case !retryable(err) || d.Attempts >= p.opts.MaxAttempts:
		p.record(ctx, d, func(ctx context.Context) error {
			return p.st.ParkInbox(ctx, d.TenantID, d.ID, p.opts.Owner, err.Error())
		})
		log.Warn("webhook parked", "error_kind", kindName(err), "error", err)
	default:
		delay := max(p.opts.Backoff.Delay(d.Attempts), rmm.RetryAfter(err))
		p.record(ctx, d, func(ctx context.Context) error {
			return p.st.RetryInbox(ctx, d.TenantID, d.ID, p.opts.Owner, err.Error(), delay)
		})
		log.Info("webhook will be retried", "error_kind", kindName(err), "in", delay)
	}
}

// record writes an outcome. Losing the lease means another worker took
// the delivery over after ours expired; it will write its own outcome.
func (p *Processor) record(ctx context.Context, d store.InboxDelivery, write func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	switch err := write(ctx); {
	case errors.Is(err, store.ErrConflict):
		p.log.Warn("webhook lease lost to another worker", "inbox_id", d.ID)
	case err != nil:
		// The lease will expire and the delivery be tried again.
		p.log.Error("record webhook outcome", "inbox_id", d.ID, "error", err)
	}
}

// handle has the provider translate the delivery, writes its alerts and
// refreshes the devices it names. Writing the same delivery twice changes
// nothing more than writing it once: alerts are upserted on their dedup
// key and an occurrence already counted is not counted again.
func (p *Processor) handle(ctx context.Context, d store.InboxDelivery) error {
	in, name, err := p.st.ProviderIntegration(ctx, d.TenantID, d.IntegrationID)
	if errors.Is(err, store.ErrNotFound) {
		return rmm.Errorf(rmm.ErrInvalidConfig, "the integration no longer exists")
	}
	if err != nil {
		return fmt.Errorf("load integration: %w", err)
	}
	prov, err := p.providers.Provider(name)
	if err != nil {
		if rmm.Kind(err) == rmm.ErrNotFound {
			// Not loaded here; it may be after a restart, or on another
			// replica.
			return rmm.Errorf(rmm.ErrPluginUnavailable, "provider %q is not loaded on this host", name)
		}
		return fmt.Errorf("provider %s: %w", name, err)
	}
	// Ingress checked the secret and kept it out of the inbox; the provider
	// checks it again, against the integration's current one.
	header, _ := SecretHeader(p.providers, name)
	headers := d.Headers.Clone()
	if headers == nil {
		headers = http.Header{}
	}
	headers.Set(header, in.Secret(store.WebhookSecretName))

	cctx, cancel := context.WithTimeout(ctx, p.opts.CallTimeout)
	res, err := prov.HandleWebhook(cctx, rmm.WebhookRequest{
		Integration: in, Method: d.Method, Headers: headers, Query: d.Query, Body: d.Body, ReceivedAt: d.ReceivedAt,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("handle webhook: %w", err)
	}
	if res.Ignored {
		p.log.Debug("webhook ignored", "inbox_id", d.ID, "reason", res.Message)
		return nil
	}
	if err := p.writeAlerts(ctx, d, res.Alerts); err != nil {
		return err
	}
	refreshed, err := p.refresh(ctx, d, res.RefreshDeviceIDs)
	if err != nil {
		return err
	}
	// An alert of a device seen for the first time could not be linked to
	// its asset before the refresh created it: write its alerts again.
	var relink []rmm.Alert
	for _, a := range res.Alerts {
		if a.DeviceExternalID != "" && slices.Contains(refreshed, a.DeviceExternalID) {
			relink = append(relink, a)
		}
	}
	if err := p.writeAlerts(ctx, d, relink); err != nil {
		return err
	}
	if len(res.RemovedDeviceIDs) > 0 {
		// The RMM's own word that the devices are gone: their assets are
		// retired now rather than after full syncs miss them.
		n, err := p.st.RetireRemovedDevices(ctx, d.TenantID, d.IntegrationID, res.RemovedDeviceIDs)
		if err != nil {
			return fmt.Errorf("retire removed devices: %w", err)
		}
		p.log.Info("retired devices the RMM reports removed", "inbox_id", d.ID,
			"reported", len(res.RemovedDeviceIDs), "retired", n)
	}
	return nil
}

func (p *Processor) writeAlerts(ctx context.Context, d store.InboxDelivery, alerts []rmm.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	c, err := p.st.UpsertAlerts(ctx, d.TenantID, d.IntegrationID, alerts)
	if err != nil {
		return fmt.Errorf("write alerts: %w", err)
	}
	if c.Failed > 0 {
		p.log.Warn("webhook alerts without an id were dropped", "inbox_id", d.ID, "count", c.Failed)
	}
	return nil
}

// refresh syncs each device the delivery names and returns those it
// refreshed. A device that cannot be refreshed for good (unknown, or in an
// organisation not mapped for sync) is no failure of the delivery; a
// passing failure is, so the delivery is retried.
func (p *Processor) refresh(ctx context.Context, d store.InboxDelivery, ids []string) ([]string, error) {
	if p.agents == nil {
		return nil, nil
	}
	var done []string
	for _, id := range ids {
		if id == "" || slices.Contains(done, id) {
			continue
		}
		_, err := p.agents.SyncAgent(ctx, d.TenantID, d.IntegrationID, id)
		switch {
		case err == nil:
			done = append(done, id)
		case retryable(err):
			return done, fmt.Errorf("refresh device %s: %w", id, err)
		default:
			p.log.Info("device not refreshed", "inbox_id", d.ID, "device", id, "error_kind", kindName(err), "error", err)
		}
	}
	return done, nil
}

// retryable says whether a later attempt may succeed: the plugin, the RMM
// or the database may come back, a deadline may be met. What the provider
// refuses (the body, the secret, the configuration) will be refused again.
func retryable(err error) bool {
	switch rmm.Kind(err) {
	case rmm.ErrInvalidInput, rmm.ErrUnauthorized, rmm.ErrForbidden, rmm.ErrInvalidConfig,
		rmm.ErrUnsupported, rmm.ErrNotFound:
		return false
	}
	var inv *store.InvalidError
	return !errors.As(err, &inv) && !errors.Is(err, store.ErrNotFound)
}

// kindName names an error's class for logs.
func kindName(err error) string {
	if k := rmm.Kind(err); k != nil {
		return k.Error()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "other"
}
