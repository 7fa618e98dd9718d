package store

import (
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestNormalizeSoftwareName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"Google Chrome", "google chrome"},
		{"  Google \t  Chrome\n", "google chrome"},
		{"ÉDITEUR Ünicode", "éditeur ünicode"},
		{"7-Zip 23.01 (x64)", "7-zip 23.01 (x64)"},
	} {
		if got := normalizeSoftwareName(tc.in); got != tc.want {
			t.Errorf("normalizeSoftwareName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func inventory(device string, items ...rmm.SoftwareItem) rmm.SoftwareBatch {
	return rmm.SoftwareBatch{DeviceExternalID: device, Items: items}
}

func TestUpsertSoftwareLifecycle(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	orgs := map[string]string{"org-1": f.client}
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", orgs, testDevices(3, "org-1")); err != nil {
		t.Fatal(err)
	}
	d0, d1, d2 := "agent-0000", "agent-0001", "agent-0002"
	chrome := rmm.SoftwareItem{Name: "Google Chrome", Publisher: "Google LLC", Version: "126.0",
		InstallDate: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC), SizeBytes: 1 << 20, Location: `C:\Chrome`}
	tool := rmm.SoftwareItem{Name: "Internal Tool", Version: "1"} // no publisher
	zip := rmm.SoftwareItem{Name: "7-Zip", Publisher: "Igor Pavlov", Version: "23.01"}
	write := func(batches ...rmm.SoftwareBatch) Counts {
		t.Helper()
		c, err := ts.UpsertSoftware(ctx, f.tenant, f.integration, batches)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	current := func(device string) map[string]bool {
		t.Helper()
		a, err := ts.AssetByDevice(ctx, f.tenant, f.integration, device)
		if err != nil {
			t.Fatal(err)
		}
		list, err := ts.AssetSoftware(ctx, f.tenant, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, s := range list {
			out[s.Name+"@"+s.Version] = s.IsCurrent
			if !s.IsCurrent && s.Uninstalled == nil {
				t.Fatalf("%s is not current but has no uninstalled_at", s.Name)
			}
		}
		return out
	}

	spaced := tool
	spaced.Name = "  internal   TOOL "
	c := write(
		inventory(d0, chrome, tool, zip),
		inventory(d1, chrome, spaced, rmm.SoftwareItem{Name: " "}),
		inventory("agent-without-asset", chrome),
	)
	if c != (Counts{Created: 5, Failed: 1}) {
		t.Fatalf("first ingest = %+v", c)
	}
	// One catalog row per product: a NULL publisher and a name written
	// differently do not duplicate it.
	if n := ts.queryInt(t, `SELECT count(*) FROM software_catalog`); n != 3 {
		t.Fatalf("%d catalog rows, want 3", n)
	}
	a0, _ := ts.AssetByDevice(ctx, f.tenant, f.integration, d0)
	list, _ := ts.AssetSoftware(ctx, f.tenant, a0.ID)
	if len(list) != 3 || list[1].Name != "Google Chrome" || list[1].Publisher != "Google LLC" || list[1].InstallPath != `C:\Chrome` ||
		list[1].InstallDate == nil || !list[1].InstallDate.Equal(chrome.InstallDate) || *list[1].SizeBytes != 1<<20 || !list[1].IsCurrent {
		t.Fatalf("AssetSoftware = %+v", list)
	}

	tables := []string{"software_catalog", "asset_software"}
	before := ts.allRowVersions(t, tables)
	if c := write(inventory(d0, chrome, tool, zip), inventory(d1, chrome, spaced)); c != (Counts{Unchanged: 5}) {
		t.Fatalf("unchanged ingest = %+v", c)
	}
	if after := ts.allRowVersions(t, tables); !maps.Equal(before, after) {
		t.Fatal("an unchanged ingest wrote or locked rows")
	}

	// Uninstall 7-Zip on d0; d1 reports nothing at all; d2 gets Chrome.
	if c := write(inventory(d0, chrome, tool), inventory(d1), inventory(d2, chrome)); c != (Counts{Created: 1, Unchanged: 2, Deleted: 3}) {
		t.Fatalf("uninstall = %+v", c)
	}
	if got := current(d0); !maps.Equal(got, map[string]bool{"Google Chrome@126.0": true, "Internal Tool@1": true, "7-Zip@23.01": false}) {
		t.Fatalf("d0 = %v", got)
	}
	if got := current(d1); !maps.Equal(got, map[string]bool{"Google Chrome@126.0": false, "Internal Tool@1": false}) {
		t.Fatalf("d1 = %v", got)
	}
	// Uninstalling again changes nothing.
	if c := write(inventory(d0, chrome, tool)); c != (Counts{Unchanged: 2}) {
		t.Fatalf("repeat = %+v", c)
	}

	// Reinstall 7-Zip in a newer version, upgrade Chrome.
	newer, upgraded := zip, chrome
	newer.Version, upgraded.Version = "24.08", "127.0"
	if c := write(inventory(d0, upgraded, tool, newer)); c != (Counts{Updated: 2, Unchanged: 1}) {
		t.Fatalf("reinstall = %+v", c)
	}
	if got := current(d0); !maps.Equal(got, map[string]bool{"Google Chrome@127.0": true, "Internal Tool@1": true, "7-Zip@24.08": true}) {
		t.Fatalf("d0 after reinstall = %v", got)
	}
	var uninstalled *time.Time
	if err := ts.pool.QueryRow(ctx, `SELECT uninstalled_at FROM asset_software WHERE asset_id = $1 AND version = '24.08'`, a0.ID).Scan(&uninstalled); err != nil || uninstalled != nil {
		t.Fatalf("reinstalled row keeps uninstalled_at %v, %v", uninstalled, err)
	}

	b := ts.newFixture(t, "b")
	if _, err := ts.UpsertSoftware(ctx, b.tenant, f.integration, []rmm.SoftwareBatch{inventory(d0, chrome)}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant's integration = %v", err)
	}
	if got := current(d0); len(got) != 3 {
		t.Fatalf("another tenant's write changed this tenant's software: %v", got)
	}
	if _, err := ts.AssetSoftware(ctx, b.tenant, a0.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("AssetSoftware of another tenant's asset = %v", err)
	}
}

func softwareBatch(devices, items, offset int) []rmm.SoftwareBatch {
	out := make([]rmm.SoftwareBatch, devices)
	for d := range out {
		b := rmm.SoftwareBatch{DeviceExternalID: fmt.Sprintf("agent-%04d", offset+d), Items: make([]rmm.SoftwareItem, items)}
		for i := range b.Items {
			pub := fmt.Sprintf("Publisher %d", i%40)
			if i%10 == 0 {
				pub = ""
			}
			b.Items[i] = rmm.SoftwareItem{Name: fmt.Sprintf("Product %d", (d+i)%400), Publisher: pub,
				Version: fmt.Sprintf("%d.%d", i, d%3), SizeBytes: int64(i) << 10}
		}
		out[d] = b
	}
	return out
}

func TestUpsertSoftwareIsSetBased(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": f.client}, testDevices(200, "org-1")); err != nil {
		t.Fatal(err)
	}
	statements := func(batches []rmm.SoftwareBatch, created int64) int64 {
		t.Helper()
		start := ts.counter.n.Load()
		c, err := ts.UpsertSoftware(ctx, f.tenant, f.integration, batches)
		if err != nil || c.Created != created {
			t.Fatalf("UpsertSoftware = %+v, %v; want %d created", c, err, created)
		}
		return ts.counter.n.Load() - start
	}
	small := statements(softwareBatch(2, 3, 0), 6)
	large := statements(softwareBatch(190, 50, 10), 190*50)
	if small != large || large > 12 {
		t.Fatalf("statements: %d for 6 rows, %d for 9500; want the same small number", small, large)
	}
}

// BenchmarkUpsertSoftware ingests 1,000,000 asset_software rows (10,000
// devices × 100 products, in batches of 500 devices) per iteration, the
// issue's target being well under 30 s on 2 cores.
func BenchmarkUpsertSoftware(b *testing.B) {
	ts := newTestStore(b)
	ctx := b.Context()
	tn, _, _ := ts.CreateTenant(ctx, "bench")
	cl, _ := ts.CreateClient(ctx, tn.ID, "c")
	in, err := ts.CreateIntegration(ctx, tn.ID, NewIntegration{Provider: "p", Name: "n", AuthMode: "api_key"})
	if err != nil {
		b.Fatal(err)
	}
	const devices, items, batch = 10000, 100, 500
	for i := 0; i < devices; i += 1000 {
		if _, err := ts.UpsertDevices(ctx, tn.ID, in.ID, "p", map[string]string{"org": cl.ID}, devicesFrom(i, 1000, "org")); err != nil {
			b.Fatal(err)
		}
	}
	batches := make([][]rmm.SoftwareBatch, 0, devices/batch)
	for i := 0; i < devices; i += batch {
		batches = append(batches, softwareBatch(batch, items, i))
	}
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		b.StopTimer()
		if _, err := ts.pool.Exec(ctx, `DELETE FROM asset_software`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var total int64
		for _, batch := range batches {
			c, err := ts.UpsertSoftware(ctx, tn.ID, in.ID, batch)
			if err != nil {
				b.Fatal(err)
			}
			total += c.Created
		}
		if total != devices*items {
			b.Fatalf("created %d rows", total)
		}
	}
	b.ReportMetric(float64(devices*items)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func devicesFrom(start, n int, org string) []rmm.Device {
	out := make([]rmm.Device, n)
	for i := range out {
		out[i] = testDevice(start+i, org)
	}
	return out
}
