package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/host/api"
	"github.com/msp-psa/psa-host/host/syncer"
	"github.com/msp-psa/psa-host/host/webhooks"
)

// stormResult is what the webhook storm observed.
type stormResult struct {
	available  bool
	why        string // when not available
	sent       int
	failed     int // answers other than 2xx, or no answer
	wall       time.Duration
	p50, p99   time.Duration
	stored     int64 // inbox rows the storm added
	m          measurement
	// processed is how many deliveries the host's processor had finished
	// (done, parked or failed) drainWait after the storm ended.
	processed int64
	byStatus  map[string]int64
}

// drainWait is how long processing is watched after the storm. The
// targets are about taking deliveries; processing is reported, not judged.
const drainWait = 15 * time.Second

// webhookBody is a Tactical alert URL action's body (API.md, the
// provider's webhook templates) for alert n of agent agentID.
func webhookBody(n int, agentID string) []byte {
	return fmt.Appendf(nil, `{"event": "failure", "alert_id": %d, "alert_type": "availability", "severity": "error", `+
		`"message": "bench-host-%d is overdue.", "alert_time": "2026-06-16 12:30:40.221904+00:00", `+
		`"agent_id": %q, "hostname": "bench-host-%d", "client": "Bench", "site": "HQ", "status": "overdue"}`,
		500000+n, n, agentID, n)
}

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

	client := &http.Client{
		Transport: &http.Transport{MaxIdleConns: e.cfg.webhookSenders, MaxIdleConnsPerHost: e.cfg.webhookSenders},
		Timeout:   30 * time.Second,
	}
	defer client.CloseIdleConnections()
	header, ok := webhooks.SecretHeader(ps, providerName)
	if !ok {
		r.why = "not available: the provider takes no webhooks"
		return r, nil
	}
	url := srv.URL + webhooks.Path(providerName, fx.integrationID)
	if len(agentIDs) == 0 {
		return r, fmt.Errorf("no agents to name in the webhooks")
	}
	send := func(n int) (int, error) {
		return postWebhook(ctx, client, url, header, webhookBody(n, agentIDs[(n+len(agentIDs))%len(agentIDs)]))
	}

	before, err := inboxCounts(ctx, e.pg.dsn(fx.db), fx)
	if err != nil {
		return r, err
	}
	code, err := send(-1)
	if err != nil {
		return r, err
	}
	if code/100 != 2 {
		r.why = fmt.Sprintf("not available: POST %s answered %d", webhooks.RoutePattern, code)
		return r, nil
	}
	r.available = true

	total := e.cfg.webhookTotal
	lat := make([]time.Duration, total)
	var next, failed atomic.Int64
	p, err := e.startProbe(ps.pluginPID, fakePID)
	if err != nil {
		return r, err
	}
	var wg sync.WaitGroup
	for range e.cfg.webhookSenders {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= total || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				code, err := send(i)
				lat[i] = time.Since(t0)
				if err != nil || code/100 != 2 {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if err := p.stop(&r.m); err != nil {
		return r, err
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	r.sent, r.failed, r.wall = total, int(failed.Load()), r.m.wall
	r.p50, r.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
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

func postWebhook(ctx context.Context, c *http.Client, url, secretHeader string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(secretHeader, webhookSecret)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
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

// percentile is the nearest-rank q-quantile of ds (which it sorts).
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	k := int(math.Ceil(q*float64(len(ds)))) - 1
	return ds[min(max(k, 0), len(ds)-1)]
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
