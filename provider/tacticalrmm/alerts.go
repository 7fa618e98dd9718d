package tacticalrmm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/internal/api"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// defaultBackfillWindow is used when the request has no Since.
const defaultBackfillWindow = 7 * 24 * time.Hour

// BackfillAlerts streams the alerts of [Since, Until) through PATCH
// /alerts/ in filter mode. The body always carries explicit filters: an
// empty one returns every alert ever (API.md §6.2). timeFilter is whole
// days back from the server's now, so it covers Since with a day to spare,
// and the window is then applied here. A resolved alert is also kept when
// it was raised before Since but resolved inside the window, so that the
// host can close it.
func (p *Provider) BackfillAlerts(ctx context.Context, req rmm.BackfillRequest, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
	s, err := p.open(req.Integration, 0, 0)
	if err != nil {
		return rmm.SyncSummary{}, err
	}
	now := p.now().UTC()
	until := req.Until
	if until.IsZero() {
		until = now
	}
	since := req.Since
	if since.IsZero() {
		since = until.Add(-defaultBackfillWindow)
	}
	if !since.Before(until) {
		return rmm.SyncSummary{}, rmm.Errorf(rmm.ErrInvalidInput, "the backfill window is empty: since %s is not before until %s",
			since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	days := int(now.Sub(since).Hours()/24) + 2
	filter := api.AlertFilter{TimeFilterDays: days, IncludeResolved: req.IncludeResolved, IncludeSnoozed: true}

	var sum rmm.SyncSummary
	clients, warn := p.clientIDsByName(ctx, s)
	if warn != "" {
		sum.Warnings = append(sum.Warnings, warn)
	}
	b := rmm.NewBatcher(out, req.MaxBatch)
	var skipped int64
	inWindow := func(t time.Time) bool { return !t.IsZero() && !t.Before(since) && t.Before(until) }
	err = s.api.Alerts(ctx, filter, func(it *api.Item) error {
		raw, err := it.Raw()
		if err != nil {
			return err
		}
		var a api.Alert
		if err := api.Unmarshal(raw, &a); err != nil || a.ID == 0 {
			skipped++
			p.log.Warn("skipped an alert Tactical sent", "error", err)
			return nil
		}
		e, err := backfillEvent(a, clients)
		if err != nil {
			skipped++
			p.log.Warn("skipped an alert Tactical sent", "alert_id", a.ID, "error", err)
			return nil
		}
		if !req.IncludeResolved && e.resolved {
			return nil
		}
		if !inWindow(e.alertTime) && !(e.resolved && inWindow(e.resolvedOn)) {
			return nil
		}
		return b.Add(ctx, e.toAlert(compact(raw)))
	})
	if err == nil {
		err = b.Flush(ctx, nil)
	}
	sum.Sent = b.Sent()
	sum.Skipped = skipped
	sum = p.withSecrets(sum, s)
	if err != nil {
		return sum, fmt.Errorf("backfill alerts: %w", err)
	}
	sum.Cursor, _ = json.Marshal(map[string]time.Time{"until": until})
	return sum, nil
}

// backfillEvent reads an alert row. Rows of alerts without an agent lack
// hostname, agent_id, client and site altogether (API.md §6.1).
func backfillEvent(a api.Alert, clients map[string]int64) (alertEvent, error) {
	at, err := parseAPITime(a.AlertTime)
	if err != nil {
		return alertEvent{}, fmt.Errorf("bad alert_time %q", a.AlertTime)
	}
	ro, err := parseAPITime(a.ResolvedOn)
	if err != nil {
		return alertEvent{}, fmt.Errorf("bad resolved_on %q", a.ResolvedOn)
	}
	e := alertEvent{
		id:         strconv.FormatInt(a.ID, 10),
		agentID:    a.AgentID,
		hostname:   a.Hostname,
		alertType:  a.AlertType,
		severity:   a.Severity,
		message:    a.Message,
		checkID:    formatID(a.AssignedCheck),
		taskID:     formatID(a.AssignedTask),
		alertTime:  at,
		resolvedOn: ro,
		resolved:   a.Resolved,
	}
	if id, ok := clients[a.Client]; ok && a.Client != "" {
		e.clientID = strconv.FormatInt(id, 10)
	}
	return e, nil
}

// clientIDsByName maps client names (alert rows carry the name, not the
// pk) to pks. Client names are unique in Tactical. Without the permission
// to list clients, alerts simply go without an organisation.
func (p *Provider) clientIDsByName(ctx context.Context, s *session) (map[string]int64, string) {
	m := map[string]int64{}
	err := s.api.Orgs(ctx, func(_ context.Context, o api.Org) error {
		m[o.Name] = o.ID
		return nil
	})
	if err != nil {
		if errors.Is(err, rmm.ErrForbidden) || errors.Is(err, rmm.ErrInvalidConfig) {
			return m, "alerts carry no organisation: the clients could not be listed (" + err.Error() + ")"
		}
		p.log.Warn("listing clients for alert organisations failed", "error", err)
		return m, "alerts carry no organisation: the clients could not be listed"
	}
	return m, ""
}

// compact copies raw without its whitespace; raw is only valid during
// the list callback, so the copy is what an alert keeps.
func compact(raw json.RawMessage) json.RawMessage {
	v := jsontext.Value(bytes.Clone(raw))
	_ = v.Compact(api.DecodeOptions()) // on error v is left as it was
	return json.RawMessage(v)
}
