package tacticalrmm

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// TestIngestSoftwareMapsAgentPKsToAgentIDs: /software/ names agents by
// their int pk (API.md §10.11); the light agent list maps them.
func TestIngestSoftwareMapsAgentPKsToAgentIDs(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	out := &collector[rmm.SoftwareBatch]{}
	sum, err := p.IngestSoftware(t.Context(), rmm.SoftwareRequest{Integration: f.integration()}, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.items) != 2 || sum.Sent != 2 || sum.Skipped != 0 {
		t.Fatalf("got %d batches, summary %+v", len(out.items), sum)
	}
	ws, dc := out.items[0], out.items[1]
	if ws.DeviceExternalID != agentWS || dc.DeviceExternalID != agentDC {
		t.Fatalf("devices = %s, %s", ws.DeviceExternalID, dc.DeviceExternalID)
	}
	wantWS := []rmm.SoftwareItem{
		{Name: "7-Zip 24.09 (x64)", Version: "24.09", Publisher: "Igor Pavlov",
			InstallDate: time.Date(2025, 10, 7, 0, 0, 0, 0, time.UTC), SizeBytes: 6186598, Location: `C:\Program Files\7-Zip\`},
		{Name: "Google Chrome", Version: "137.0.7151.104", Publisher: "Google LLC",
			InstallDate: time.Date(2026, 6, 11, 0, 0, 0, 0, time.UTC), SizeBytes: 117859942, Location: `C:\Program Files\Google\Chrome\Application`},
		{Name: "Dentrix G7", Version: "7.6.1.22", Publisher: "Henry Schein One",
			InstallDate: time.Date(2025, 11, 5, 0, 0, 0, 0, time.UTC), SizeBytes: 1932735283, Location: `C:\Program Files (x86)\Dentrix\`},
		{Name: "Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.42.34433", Version: "14.42.34433.0",
			Publisher: "Microsoft Corporation", SizeBytes: 21600666}, // "01-1-01": unknown date
	}
	if !reflect.DeepEqual(ws.Items, wantWS) {
		t.Errorf("workstation software:\n got %+v\nwant %+v", ws.Items, wantWS)
	}
	if len(dc.Items) != 2 || dc.Items[0].SizeBytes != 103075021 || dc.Items[1].SizeBytes != 0 ||
		!dc.Items[0].InstallDate.Equal(time.Date(2025, 11, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("server software = %+v", dc.Items)
	}
}

// TestIngestSoftwareNeverAsksAgentsToRefresh: only the cached bulk list,
// never PUT /software/<agent_id>/ (a synchronous NATS call per agent) nor
// the per-agent GET.
func TestIngestSoftwareNeverAsksAgentsToRefresh(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	if _, err := p.IngestSoftware(t.Context(), rmm.SoftwareRequest{Integration: f.integration()}, &collector[rmm.SoftwareBatch]{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.seen() {
		if strings.HasPrefix(r.path, "/software/") && (r.path != "/software/" || r.method != http.MethodGet) {
			t.Errorf("%s %s: only GET /software/ may be used", r.method, r.path)
		}
	}
}

func TestIngestSoftwareOnlyRequestedDevices(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	out := &collector[rmm.SoftwareBatch]{}
	sum, err := p.IngestSoftware(t.Context(), rmm.SoftwareRequest{Integration: f.integration(), DeviceExternalIDs: []string{agentDC, agentLinux}}, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.items) != 1 || out.items[0].DeviceExternalID != agentDC || sum.Skipped != 0 {
		t.Errorf("batches = %+v, summary %+v; want only the DC (Linux agents report no software)", out.items, sum)
	}
}

func TestIngestSoftwareUnknownAgentIsSkipped(t *testing.T) {
	f := newFixtureServer(t)
	srv := wrapHandler(t, f, "/agents/", `[{"id":101,"hostname":"ACME-WS-014","agent_id":"`+agentWS+`","client":"Acme Dental","site":"Main Office"}]`)
	p, _ := newTestProvider(t)
	in := f.integration()
	in.BaseURL = srv.URL
	out := &collector[rmm.SoftwareBatch]{}
	sum, err := p.IngestSoftware(t.Context(), rmm.SoftwareRequest{Integration: in, MaxBatch: 1}, out)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 1 || sum.Skipped != 1 || len(out.batches) != 1 {
		t.Errorf("summary %+v, %d batches; want 1 sent, 1 skipped", sum, len(out.batches))
	}
}

func TestSizeParsing(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"476.0 GB", 511101108224, true},
		{"5.9 MB", 6186598, true},
		{"872.0 MB", 914358272, true},
		{"12.5 kB", 12800, true},
		{"1.0 TB", 1 << 40, true},
		{"0 B", 0, true},
		{"512", 512, true},
		{"", 0, false},
		{"big", 0, false},
		{"5 parsecs", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseSize(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseSize(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestInstallDateFormats(t *testing.T) {
	tests := map[string]time.Time{
		"2026-6-11":                     time.Date(2026, 6, 11, 0, 0, 0, 0, time.UTC),
		"2025-10-07":                    time.Date(2025, 10, 7, 0, 0, 0, 0, time.UTC),
		"2025-11-4":                     time.Date(2025, 11, 4, 0, 0, 0, 0, time.UTC),
		"01-1-01":                       {},
		"2019-06-09 00:00:00 +0000 UTC": time.Date(2019, 6, 9, 0, 0, 0, 0, time.UTC),
		"20240131":                      time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC),
		"":                              {},
		"sometime":                      {},
	}
	for in, want := range tests {
		if got := parseInstallDate(in); !got.Equal(want) {
			t.Errorf("parseInstallDate(%q) = %v, want %v", in, got, want)
		}
	}
}
