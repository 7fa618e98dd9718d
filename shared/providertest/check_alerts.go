package providertest

import (
	"context"
	"slices"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func (l *leg) backfill(t testing.TB, req rmm.BackfillRequest) (streamResult[rmm.Alert], error) {
	t.Helper()
	return bulk(t, l, "BackfillAlerts", &collector[rmm.Alert]{}, func(ctx context.Context, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
		return l.p.BackfillAlerts(ctx, req, out)
	})
}

// checkBackfill: the window's alerts arrive, inside the window, with dedup
// keys that are the same on a second run.
func checkBackfill(t testing.TB, l *leg) {
	l.require(t, rmm.CapBackfillAlerts)
	u := l.upstream(t)
	req := backfillRequest(u, u.Valid, 0)
	first, err := l.backfill(t, req)
	if err != nil {
		t.Fatalf("BackfillAlerts: %s", describeErr(err))
	}
	if len(first.items) != u.Expect.Alerts {
		t.Errorf("BackfillAlerts sent %d alerts, want %d", len(first.items), u.Expect.Alerts)
	}
	checkBatches(t, "BackfillAlerts", first.batches, len(first.items), 0, first.sum)
	for i, a := range first.items {
		if a.DedupKey == "" {
			t.Errorf("alert %d (%q) has no DedupKey", i+1, a.ExternalID)
		}
		if a.State != rmm.AlertTriggered && a.State != rmm.AlertResolved {
			t.Errorf("alert %q has state %q", a.ExternalID, a.State)
		}
		at := a.TriggeredAt
		if at.IsZero() {
			at = a.ResolvedAt
		}
		switch {
		case at.IsZero():
		case !req.Since.IsZero() && at.Before(req.Since):
			t.Errorf("alert %q at %v is before Since %v", a.ExternalID, at, req.Since)
		case !req.Until.IsZero() && !at.Before(req.Until):
			t.Errorf("alert %q at %v is not before Until %v", a.ExternalID, at, req.Until)
		}
	}
	second, err := l.backfill(t, req)
	if err != nil {
		t.Fatalf("BackfillAlerts, second run: %s", describeErr(err))
	}
	a, b := slices.Sorted(slices.Values(dedupKeys(first.items))), slices.Sorted(slices.Values(dedupKeys(second.items)))
	if !slices.Equal(a, b) {
		t.Errorf("two backfills of the same window gave different dedup keys:\n first:  %q\n second: %q", a, b)
	}
}

func (l *leg) software(t testing.TB, req rmm.SoftwareRequest) (streamResult[rmm.SoftwareBatch], error) {
	t.Helper()
	return bulk(t, l, "IngestSoftware", &collector[rmm.SoftwareBatch]{}, func(ctx context.Context, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
		return l.p.IngestSoftware(ctx, req, out)
	})
}

// checkSoftware: every device's inventory arrives once and complete, with
// the provider's own batch size (which must fit the gRPC leg's limits).
func checkSoftware(t testing.TB, l *leg) {
	l.require(t, rmm.CapSoftware)
	u := l.upstream(t)
	res, err := l.software(t, rmm.SoftwareRequest{Integration: u.Valid})
	if err != nil {
		t.Fatalf("IngestSoftware: %s", describeErr(err))
	}
	if len(res.items) != u.Expect.SoftwareDevices {
		t.Errorf("IngestSoftware reported on %d devices, want %d", len(res.items), u.Expect.SoftwareDevices)
	}
	checkBatches(t, "IngestSoftware", res.batches, len(res.items), 0, res.sum)
	checkIDs(t, "software of device", res.items, func(b rmm.SoftwareBatch) string { return b.DeviceExternalID })
	items := 0
	for _, b := range res.items {
		items += len(b.Items)
		for _, it := range b.Items {
			if it.Name == "" {
				t.Errorf("device %q lists software without a Name", b.DeviceExternalID)
				break
			}
		}
	}
	if items != u.Expect.SoftwareItems {
		t.Errorf("IngestSoftware sent %d items, want %d", items, u.Expect.SoftwareItems)
	}
}
