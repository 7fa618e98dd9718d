package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/host/api"
	"github.com/msp-psa/psa-host/host/syncer"
	"github.com/msp-psa/psa-host/host/webhooks"
)

// stormResult is what the webhook storm observed.
type stormResult struct {
	available bool
	why       string // when not available
	sent      int
	failed    int // answers other than 2xx, or no answer
	wall      time.Duration
	p50, p99  time.Duration
	stored    int64 // inbox rows the storm added
	m         measurement
	// processed is how many deliveries the host's processor had finished
	// (done, parked or failed) drainWait after the storm ended.
	processed int64
	byStatus  map[string]int64
}

// drainWait is how long processing is watched after the storm. The
// targets are about taking deliveries; processing is reported, not judged.
const drainWait = 15 * time.Second

// webhookStorm sends total deliveries from senders concurrent clients to
// the host's API, wired as psa-host serve wires it (ingress, processor and
// syncer running), and counts what the database stored.
func (e *env) webhookStorm(ctx context.Context, fx fixture, agentIDs []string, fakePID int) (stormResult, error) {
	var r stormResult
	st, err := e.openStore(ctx, fx.db)
	if err != nil {
		return r, err
	}
	defer st.Close()
	ps, err := startProviders(ctx, e.cfg, e.pluginDir, e.log)
	if err != nil {
		return r, err
	}
	defer ps.close(ctx)
	runner := syncer.New(st, ps, e.log, syncer.Options{SchedulePoll: -1})
	proc := webhooks.NewProcessor(st, ps, runner, e.log, webhooks.Options{})
	ingress := webhooks.NewIngress(st, ps, e.log, webhooks.IngressOptions{Wake: proc.Wake})
	srv := httptest.NewServer(api.New(api.Config{Store: st, Syncer: runner, Providers: ps, Logger: e.log, Webhooks: ingress}))
	defer srv.Close()
	runCtx, stopRun := context.WithCancel(ctx)
	var bg sync.WaitGroup
	bg.Go(func() { _ = runner.Run(runCtx) })
	bg.Go(func() { _ = proc.Run(runCtx) })
	defer func() {
		stopRun()
		bg.Wait()
	}()

	header, ok := webhooks.SecretHeader(ps, providerName)
	if !ok {
		r.why = "not available: the provider takes no webhooks"
		return r, nil
	}
	if len(agentIDs) == 0 {
		return r, fmt.Errorf("no agents to name in the webhooks")
	}
	spec := stormSpec{URL: srv.URL + webhooks.Path(providerName, fx.integrationID), Header: header,
		Secret: webhookSecret, Total: e.cfg.webhookTotal, Senders: e.cfg.webhookSenders, Agents: agentIDs}

	before, err := inboxCounts(ctx, e.pg.dsn(fx.db), fx)
	if err != nil {
		return r, err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	code, err := postWebhook(ctx, client, spec.URL, header, webhookSecret, webhookBody(-1, agentIDs[0]))
	client.CloseIdleConnections()
	if err != nil {
		return r, err
	}
	if code/100 != 2 {
		r.why = fmt.Sprintf("not available: POST %s answered %d", webhooks.RoutePattern, code)
		return r, nil
	}
	r.available = true

	p, err := e.startProbe(ps.pluginPID, fakePID)
	if err != nil {
		return r, err
	}
	out, err := runStormChild(ctx, spec)
	if perr := p.stop(&r.m); err == nil {
		err = perr
	}
	if err != nil {
		return r, err
	}
	r.sent, r.failed, r.wall, r.p50, r.p99 = out.Sent, out.Failed, out.Wall, out.P50, out.P99
	after, err := inboxCounts(ctx, e.pg.dsn(fx.db), fx)
	if err != nil {
		return r, err
	}
	r.stored = after.total() - before.total() - 1 // less the probe

	select {
	case <-ctx.Done():
		return r, ctx.Err()
	case <-time.After(drainWait):
	}
	drained, err := inboxCounts(ctx, e.pg.dsn(fx.db), fx)
	if err != nil {
		return r, err
	}
	r.byStatus = drained
	r.processed = drained.total() - drained["pending"] - drained["processing"] - before.total()
	return r, nil
}

// inboxStatus counts an integration's inbox rows by status.
type inboxStatus map[string]int64

func (s inboxStatus) total() int64 {
	var n int64
	for _, c := range s {
		n += c
	}
	return n
}

func inboxCounts(ctx context.Context, dsn string, fx fixture) (inboxStatus, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT status, count(*) FROM webhook_inbox
	                               WHERE tenant = $1 AND integration_id = $2 GROUP BY status`, fx.tenantID, fx.integrationID)
	if err != nil {
		return nil, fmt.Errorf("count webhook inbox: %w", err)
	}
	out := inboxStatus{}
	var status string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&status, &n}, func() error {
		out[status] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count webhook inbox: %w", err)
	}
	return out, nil
}

// formatRate is n per second over d, rounded for the table.
func formatRate(n int64, d time.Duration) string {
	if d <= 0 || n <= 0 {
		return "—"
	}
	r := float64(n) / d.Seconds()
	switch {
	case r >= 100:
		return strconv.FormatInt(int64(math.Round(r)), 10)
	case r >= 10:
		return strconv.FormatFloat(r, 'f', 1, 64)
	}
	return strconv.FormatFloat(r, 'f', 2, 64)
}
