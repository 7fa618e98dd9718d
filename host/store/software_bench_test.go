package store

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// The fleet of issue #6: 10,000 Windows agents with 100 products each,
// 1,000,000 asset_software rows, sent as the syncer receives them.
const (
	benchAgents        = 10_000
	benchItemsPerAgent = 100
	// benchSoftwareBatch is the Tactical provider's defaultSoftwareBatch:
	// the syncer sets no MaxBatch, so one UpsertSoftware call carries the
	// inventories of 25 devices (2,500 rows here).
	benchSoftwareBatch = 25
	// benchProducts is the size of the catalog the inventories draw from;
	// Tactical's fake has about 125 distinct Windows products.
	benchProducts = 160
)

// benchProduct is one catalog entry of the generated fleet.
type benchProduct struct {
	name, publisher, version, location string
	size                               int64
}

// benchCatalog is a product list with names, publishers and paths of
// realistic lengths (a few vendors, many updates and runtimes).
func benchCatalog() []benchProduct {
	vendors := []string{"Microsoft Corporation", "Google LLC", "Adobe Inc.", "Intel(R) Corporation", "Dell Inc.", ""}
	out := make([]benchProduct, benchProducts)
	for p := range out {
		var name string
		switch p % 4 {
		case 0:
			name = fmt.Sprintf("Security Update for Microsoft Office 2016 (KB%d) 64-Bit Edition", 5000000+p*37)
		case 1:
			name = fmt.Sprintf("Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.%d.33810", p)
		case 2:
			name = fmt.Sprintf("Intel(R) Chipset Device Software %d", p)
		default:
			name = fmt.Sprintf("Line-of-business App %03d", p)
		}
		out[p] = benchProduct{
			name: name, publisher: vendors[p%len(vendors)], version: fmt.Sprintf("10.1.%d.%d", 18000+p, p%9),
			size: int64(p+1) << 20,
		}
		if p%2 == 0 {
			out[p].location = fmt.Sprintf(`C:\Program Files\Vendor %d\Product %d\`, p%6, p)
		}
	}
	return out
}

// benchInventories is every agent's complete inventory: benchItemsPerAgent
// products picked per agent from the catalog, in a per-agent order.
func benchInventories(catalog []benchProduct) []rmm.SoftwareBatch {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]rmm.SoftwareBatch, benchAgents)
	for d := range out {
		r := rand.New(rand.NewPCG(uint64(d), 6))
		pick := r.Perm(len(catalog))[:benchItemsPerAgent]
		items := make([]rmm.SoftwareItem, len(pick))
		for i, p := range pick {
			c := catalog[p]
			items[i] = rmm.SoftwareItem{Name: c.name, Publisher: c.publisher, Version: c.version,
				SizeBytes: c.size, Location: c.location}
			if r.IntN(20) != 0 { // 5% of agents report no install date
				items[i].InstallDate = t0.AddDate(0, 0, -r.IntN(1500))
			}
		}
		out[d] = rmm.SoftwareBatch{DeviceExternalID: fmt.Sprintf("agent-%05d", d), Items: items}
	}
	return out
}

// churn is a week's change to every inventory: three products upgraded,
// the last one uninstalled and a product the agent lacked installed.
func churn(inv []rmm.SoftwareBatch, catalog []benchProduct) []rmm.SoftwareBatch {
	out := make([]rmm.SoftwareBatch, len(inv))
	for d, b := range inv {
		items := append([]rmm.SoftwareItem(nil), b.Items[:len(b.Items)-1]...)
		for i := range 3 {
			items[i].Version += ".1"
		}
		has := map[string]bool{}
		for _, it := range b.Items {
			has[it.Name] = true
		}
		for _, c := range catalog {
			if !has[c.name] {
				items = append(items, rmm.SoftwareItem{Name: c.name, Publisher: c.publisher, Version: c.version})
				break
			}
		}
		out[d] = rmm.SoftwareBatch{DeviceExternalID: b.DeviceExternalID, Items: items}
	}
	return out
}

// seedBenchFleet gives f benchAgents devices ("agent-00000", ...) of
// org-1, written in the provider's batches.
func seedBenchFleet(b *testing.B, ts *testStore, f fixture) {
	b.Helper()
	orgs := map[string]string{"org-1": f.client}
	devs := make([]rmm.Device, benchAgents)
	for i := range devs {
		devs[i] = testDevice(i, "org-1")
		devs[i].ExternalID = fmt.Sprintf("agent-%05d", i)
	}
	for i := 0; i < len(devs); i += rmm.DefaultMaxBatch {
		if _, err := ts.UpsertDevices(b.Context(), f.tenant, f.integration, "tacticalrmm", orgs, devs[i:min(i+rmm.DefaultMaxBatch, len(devs))]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpsertSoftware1M ingests the 1,000,000-row fleet in
// the syncer's batches, three times: into an empty inventory (every row
// created), unchanged (nothing may be written), and after a week's churn.
// Each phase's wall time is reported; run by hand, on a fresh database
// each time:
//
//	go test -run '^$' -bench UpsertSoftware1M -benchtime 1x -count 3 ./host/store/
func BenchmarkUpsertSoftware1M(b *testing.B) {
	ts := newTestStore(b)
	ctx := b.Context()
	f := ts.newFixture(b, "bench")
	seedBenchFleet(b, ts, f)
	catalog := benchCatalog()
	inv := benchInventories(catalog)
	changed := churn(inv, catalog)
	ingest := func(inv []rmm.SoftwareBatch) (Counts, time.Duration) {
		var total Counts
		start := time.Now()
		for i := 0; i < len(inv); i += benchSoftwareBatch {
			c, err := ts.UpsertSoftware(ctx, f.tenant, f.integration, inv[i:min(i+benchSoftwareBatch, len(inv))])
			if err != nil {
				b.Fatal(err)
			}
			total = total.Add(c)
		}
		return total, time.Since(start)
	}
	const rows = benchAgents * benchItemsPerAgent
	var created, unchanged, churned time.Duration
	for b.Loop() {
		if _, err := ts.pool.Exec(ctx, `TRUNCATE asset_software, software_catalog`); err != nil {
			b.Fatal(err)
		}
		c, d := ingest(inv)
		if c != (Counts{Created: rows}) {
			b.Fatalf("first ingest = %+v", c)
		}
		created += d
		c, d = ingest(inv)
		if c != (Counts{Unchanged: rows}) {
			b.Fatalf("unchanged ingest = %+v", c)
		}
		unchanged += d
		c, d = ingest(changed)
		if want := (Counts{Created: benchAgents, Updated: 3 * benchAgents, Unchanged: rows - 4*benchAgents, Deleted: benchAgents}); c != want {
			b.Fatalf("churned ingest = %+v, want %+v", c, want)
		}
		churned += d
	}
	n := time.Duration(b.N)
	b.ReportMetric((created / n).Seconds(), "s-created")
	b.ReportMetric((unchanged / n).Seconds(), "s-unchanged")
	b.ReportMetric((churned / n).Seconds(), "s-churned")
}
