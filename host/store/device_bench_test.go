package store

import (
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// BenchmarkFullDeviceSync10k writes a 10,000-device fleet as a full sync
// in provider-sized batches: first into an empty store (every device
// created), then unchanged, then with every device checked in again (each
// one updated). Run by hand to compare the device path before and after a
// change:
//
//	go test -run '^$' -bench FullDeviceSync10k -benchtime 3x ./host/store/
func BenchmarkFullDeviceSync10k(b *testing.B) { benchmarkFullDeviceSync(b, 10_000) }

// BenchmarkFullDeviceSync100k is the same at 100,000 devices, where any
// per-batch read of whole tables shows as a first sync several times
// slower than ten times the 10,000-device one:
//
//	go test -run '^$' -bench FullDeviceSync100k -benchtime 1x -timeout 30m ./host/store/
func BenchmarkFullDeviceSync100k(b *testing.B) { benchmarkFullDeviceSync(b, 100_000) }

func benchmarkFullDeviceSync(b *testing.B, fleet int) {
	ts := newTestStore(b)
	ctx := b.Context()
	f := ts.newFixture(b, "bench")
	orgs := map[string]string{"org-1": f.client}
	devs := testDevices(fleet, "org-1")
	for i := range devs {
		if i%7 == 0 { // some servers, as in a real fleet
			devs[i].Kind = rmm.KindServer
		}
	}
	sync := func(devs []rmm.Device) {
		ds, err := ts.BeginDeviceSync(ctx, f.tenant, f.integration)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(devs); i += rmm.DefaultMaxBatch {
			if _, err := ts.UpsertSyncDevices(ctx, ds, "tacticalrmm", orgs, devs[i:min(i+rmm.DefaultMaxBatch, len(devs))]); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := ts.FinishDeviceSync(ctx, ds, []string{"org-1"}, true); err != nil {
			b.Fatal(err)
		}
	}
	var created, unchanged, updated time.Duration
	for b.Loop() {
		if _, err := ts.pool.Exec(ctx, `DELETE FROM assets; DELETE FROM tenant_external_entity_mappings; DELETE FROM event_outbox`); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		sync(devs)
		created += time.Since(start)
		start = time.Now()
		sync(devs)
		unchanged += time.Since(start)
		for j := range devs {
			devs[j].LastSeen = devs[j].LastSeen.Add(time.Minute)
			if j%10 == 0 { // every tenth goes offline or back online
				if devs[j].Status == rmm.StatusOnline {
					devs[j].Status = rmm.StatusOffline
				} else {
					devs[j].Status = rmm.StatusOnline
				}
			}
		}
		start = time.Now()
		sync(devs)
		updated += time.Since(start)
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64((created / n).Milliseconds()), "ms-created")
	b.ReportMetric(float64((unchanged / n).Milliseconds()), "ms-unchanged")
	b.ReportMetric(float64((updated / n).Milliseconds()), "ms-updated")
}
