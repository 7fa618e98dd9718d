package store

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// benchAlerts is the alert backfill: 100,000 alerts over the last
// 45 days of a 10,000-agent fleet.
const benchAlerts = 100_000

// benchBackfill is a Tactical-like history: one alert per condition
// (Tactical's pk is the dedup key), 88% on an agent, 40% resolved, each
// with the raw row the provider keeps as metadata.
func benchBackfill() []rmm.Alert {
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(2026, 6))
	out := make([]rmm.Alert, benchAlerts)
	for k := range out {
		id := fmt.Sprint(1001 + k)
		at := t0.Add(-time.Duration(r.IntN(45*86400)) * time.Second)
		a := rmm.Alert{ExternalID: id, DedupKey: "alert:" + id, Severity: rmm.SeverityModerate, RawSeverity: "warning",
			Class: "check", State: rmm.AlertTriggered, TriggeredAt: at}
		if r.IntN(100) < 88 {
			a.DeviceExternalID = fmt.Sprintf("agent-%05d", r.IntN(benchAgents))
			a.DeviceName, a.OrgExternalID = "host-"+a.DeviceExternalID, "org-1"
		}
		a.Message = a.DeviceName + " has a Disk space check: Disk space on C: is below 10% that failed."
		if r.IntN(100) < 40 {
			a.State, a.ResolvedAt = rmm.AlertResolved, at.Add(time.Duration(300+r.IntN(2*86400))*time.Second)
		}
		raw, err := json.Marshal(map[string]any{"id": 1001 + k, "agent_id": a.DeviceExternalID, "alert_type": "check",
			"severity": "warning", "message": a.Message, "alert_time": at, "resolved": a.State == rmm.AlertResolved,
			"hidden": false, "snoozed": false, "email_sent": nil, "action_run": at.Add(1180 * time.Millisecond),
			"action_stdout": fmt.Sprintf(`{"status":"accepted","ticket":"T-%d"}`, 40000+k), "action_retcode": 200,
			"client": "Client 1", "site": "HQ", "hostname": a.DeviceName})
		if err != nil {
			panic(err)
		}
		a.Raw = raw
		out[k] = a
	}
	return out
}

// BenchmarkBackfillAlerts100k backfills the 100,000 alerts in the
// provider's batches (rmm.DefaultMaxBatch), into an empty integration and
// then again unchanged (nothing may be written), and reports each run's
// wall time. Run by hand:
//
//	go test -run '^$' -bench BackfillAlerts100k -benchtime 1x -count 3 ./host/store/
func BenchmarkBackfillAlerts100k(b *testing.B) {
	ts := newTestStore(b)
	ctx := b.Context()
	f := ts.newFixture(b, "bench")
	seedBenchFleet(b, ts, f)
	history := benchBackfill()
	backfill := func() (Counts, time.Duration) {
		var total Counts
		start := time.Now()
		for i := 0; i < len(history); i += rmm.DefaultMaxBatch {
			c, err := ts.UpsertAlerts(ctx, f.tenant, f.integration, history[i:min(i+rmm.DefaultMaxBatch, len(history))])
			if err != nil {
				b.Fatal(err)
			}
			total = total.Add(c)
		}
		return total, time.Since(start)
	}
	var created, unchanged time.Duration
	for b.Loop() {
		if _, err := ts.pool.Exec(ctx, `TRUNCATE rmm_alerts, event_outbox`); err != nil {
			b.Fatal(err)
		}
		c, d := backfill()
		if c != (Counts{Created: benchAlerts}) {
			b.Fatalf("first backfill = %+v", c)
		}
		created += d
		if n := ts.queryInt(b, `SELECT count(*) FROM event_outbox`); n != benchAlerts {
			b.Fatalf("%d events, want one per alert", n)
		}
		c, d = backfill()
		if c != (Counts{Unchanged: benchAlerts}) {
			b.Fatalf("second backfill = %+v", c)
		}
		unchanged += d
	}
	n := time.Duration(b.N)
	b.ReportMetric((created / n).Seconds(), "s-created")
	b.ReportMetric((unchanged / n).Seconds(), "s-unchanged")
}
