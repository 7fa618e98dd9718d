package providertest

import (
	"context"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// bulk runs one streaming call into c under the suite's call timeout.
func bulk[T any](t testing.TB, l *leg, what string, c *collector[T], fn func(ctx context.Context, out rmm.Sink[T]) (rmm.SyncSummary, error)) (streamResult[T], error) {
	t.Helper()
	sum, err := call(t, l, what, l.h.callTimeout(), func(ctx context.Context) (rmm.SyncSummary, error) {
		return fn(ctx, c)
	})
	for _, w := range sum.Warnings {
		l.scan(t, what+" summary warning", w)
	}
	items, batches := c.result()
	return streamResult[T]{items: items, batches: batches, sum: sum}, err
}

// sinkStats is what a bulkCall's sink observed.
type sinkStats struct {
	batches []batchInfo // batches accepted or refused
	records int
	late    int // batches sent after the sink refused one
}

// bulkCall is one streaming method, with its record type erased so that
// rules about every stream can loop over them.
type bulkCall struct {
	name  string
	cap   rmm.Capability
	count func(Expect) int
	// run calls the method against in; afterSend sees each batch number.
	run func(ctx context.Context, p rmm.Provider, u Upstream, in rmm.Integration, maxBatch int, afterSend func(n int) error) (rmm.SyncSummary, sinkStats, error)
}

func bulkOf[T any](name string, c rmm.Capability, count func(Expect) int,
	fn func(ctx context.Context, p rmm.Provider, u Upstream, in rmm.Integration, maxBatch int, out rmm.Sink[T]) (rmm.SyncSummary, error),
) bulkCall {
	return bulkCall{name: name, cap: c, count: count,
		run: func(ctx context.Context, p rmm.Provider, u Upstream, in rmm.Integration, maxBatch int, afterSend func(int) error) (rmm.SyncSummary, sinkStats, error) {
			col := &collector[T]{afterSend: afterSend}
			sum, err := fn(ctx, p, u, in, maxBatch, col)
			items, batches := col.result()
			col.mu.Lock()
			late := col.late
			col.mu.Unlock()
			return sum, sinkStats{batches: batches, records: len(items), late: late}, err
		}}
}

// bulkCalls lists the four streaming methods.
func bulkCalls() []bulkCall {
	return []bulkCall{
		bulkOf("SyncOrgs", rmm.CapSyncOrgs, func(e Expect) int { return e.Orgs },
			func(ctx context.Context, p rmm.Provider, _ Upstream, in rmm.Integration, n int, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
				return p.SyncOrgs(ctx, rmm.SyncRequest{Integration: in, Mode: rmm.SyncFull, MaxBatch: n}, out)
			}),
		bulkOf("SyncDevices", rmm.CapSyncDevices, func(e Expect) int { return e.Devices },
			func(ctx context.Context, p rmm.Provider, _ Upstream, in rmm.Integration, n int, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
				return p.SyncDevices(ctx, rmm.SyncRequest{Integration: in, Mode: rmm.SyncFull, MaxBatch: n}, out)
			}),
		bulkOf("BackfillAlerts", rmm.CapBackfillAlerts, func(e Expect) int { return e.Alerts },
			func(ctx context.Context, p rmm.Provider, u Upstream, in rmm.Integration, n int, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
				return p.BackfillAlerts(ctx, backfillRequest(u, in, n), out)
			}),
		bulkOf("IngestSoftware", rmm.CapSoftware, func(e Expect) int { return e.SoftwareDevices },
			func(ctx context.Context, p rmm.Provider, _ Upstream, in rmm.Integration, n int, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
				return p.IngestSoftware(ctx, rmm.SoftwareRequest{Integration: in, MaxBatch: n}, out)
			}),
	}
}

func backfillRequest(u Upstream, in rmm.Integration, maxBatch int) rmm.BackfillRequest {
	return rmm.BackfillRequest{
		Integration: in, Since: u.Expect.AlertsSince, Until: u.Expect.AlertsUntil,
		IncludeResolved: true, MaxBatch: maxBatch,
	}
}

// checkBatches checks the shape of a completed stream: no empty batch, none
// above maxBatch (when set), a Total that matches what arrived, and a
// summary that counts what arrived.
func checkBatches(t testing.TB, what string, batches []batchInfo, received int, maxBatch int, sum rmm.SyncSummary) {
	t.Helper()
	for i, b := range batches {
		if b.size == 0 {
			t.Errorf("%s: batch %d is empty", what, i+1)
		}
		if maxBatch > 0 && b.size > maxBatch {
			t.Errorf("%s: batch %d holds %d records, more than the request's MaxBatch %d", what, i+1, b.size, maxBatch)
		}
		if b.total != 0 && b.total != int64(received) {
			t.Errorf("%s: batch %d announces Total %d, but %d records arrived", what, i+1, b.total, received)
		}
	}
	if sum.Sent != int64(received) {
		t.Errorf("%s: summary says Sent=%d, but %d records arrived", what, sum.Sent, received)
	}
}
