package tacticalrmm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func syncFixtureDevices(t *testing.T, req rmm.SyncRequest) (map[string]rmm.Device, *collector[rmm.Device], rmm.SyncSummary) {
	t.Helper()
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	if req.Integration.BaseURL == "" {
		req.Integration = f.integration()
	}
	out := &collector[rmm.Device]{}
	sum, err := p.SyncDevices(t.Context(), req, out)
	if err != nil {
		t.Fatalf("SyncDevices: %v", err)
	}
	got := map[string]rmm.Device{}
	for _, d := range out.items {
		got[d.ExternalID] = d
	}
	return got, out, sum
}

// TestFixtureAgentsMapEveryField checks every rmm.Device field of the three
// fixture agents: a Windows workstation, a Windows server and a Linux
// server, covering the gotchas of API.md §10.5-6 (no status or client in
// the list, "None" user, string disk sizes, float boot_time).
func TestFixtureAgentsMapEveryField(t *testing.T) {
	got, _, _ := syncFixtureDevices(t, rmm.SyncRequest{Mode: rmm.SyncFull})
	want := map[string]rmm.Device{
		agentWS: {
			ExternalID: agentWS, OrgExternalID: "3", SiteExternalID: "7", SiteName: "Main Office",
			Hostname: "ACME-WS-014", DisplayName: "ACME-WS-014", Description: "Front desk PC",
			Kind: rmm.KindWorkstation, Platform: "windows",
			OSName:    "Microsoft Windows 11 Pro, 64 bit v24H2 (build 26100.4349)",
			OSVersion: "26100.4349", AgentVersion: "2.11.0", Status: rmm.StatusOnline,
			LastSeen:    time.Date(2026, 6, 16, 14, 59, 21, 304117000, time.UTC),
			BootTime:    time.Unix(1781251965, 0).UTC(),
			CurrentUser: "jmorales", LastUser: "jmorales",
			LANIPs: []string{"10.12.0.41"}, WANIP: "203.0.113.45",
			SerialNumber: "7QX2KD3", Manufacturer: "Dell Inc.", Model: "OptiPlex 7000",
			CPUModel: "12th Gen Intel(R) Core(TM) i5-12500", CPUCores: 6, CPUThreads: 12,
			RAMBytes: 16 << 30,
			Disks:    []rmm.Disk{{Name: "C:", FSType: "NTFS", TotalBytes: 511101108224, FreeBytes: 323411037389}},
		},
		agentDC: {
			ExternalID: agentDC, OrgExternalID: "3", SiteExternalID: "7", SiteName: "Main Office",
			Hostname: "ACME-DC01", DisplayName: "ACME-DC01", Description: "",
			Kind: rmm.KindServer, Platform: "windows",
			OSName:    "Microsoft Windows Server 2022 Standard, 64 bit v21H2 (build 20348.3807)",
			OSVersion: "20348.3807", AgentVersion: "2.11.0", Status: rmm.StatusOffline,
			LastSeen:    time.Date(2026, 6, 16, 14, 47, 55, 671022000, time.UTC),
			BootTime:    time.Unix(1780106597, 0).UTC(),
			CurrentUser: "", LastUser: `ACME\administrator`,
			LANIPs: []string{"10.12.0.5"}, WANIP: "203.0.113.45",
			SerialNumber: "VMware-56 4d 1a 2b 9c 3e 77 10-8a 55 0f 21 c4 d9 3b 6e",
			Manufacturer: "VMware, Inc.", Model: "VMware7,1",
			CPUModel: "Intel(R) Xeon(R) Silver 4310 CPU @ 2.10GHz", CPUCores: 4, CPUThreads: 4,
			RAMBytes:    8 << 30,
			Disks:       []rmm.Disk{{Name: "C:", FSType: "NTFS", TotalBytes: 107266808218, FreeBytes: 65927747994}},
			NeedsReboot: true,
		},
		agentLinux: {
			ExternalID: agentLinux, OrgExternalID: "4", SiteExternalID: "9", SiteName: "Warehouse DC",
			Hostname: "brightline-web-02", DisplayName: "brightline-web-02", Description: "nginx reverse proxy",
			Kind: rmm.KindServer, Platform: "linux",
			OSName:    "Ubuntu 24.04 x86_64 6.8.0-60-generic",
			OSVersion: "24.04", AgentVersion: "2.11.0", Status: rmm.StatusOverdue,
			LastSeen:    time.Date(2026, 6, 16, 11, 58, 2, 4481000, time.UTC),
			BootTime:    time.Unix(1780314429, 0).UTC(),
			CurrentUser: "", LastUser: "deploy",
			LANIPs: []string{"10.40.2.17"}, WANIP: "198.51.100.23",
			SerialNumber: "", // "n/a"
			Model:        "QEMU Standard PC (Q35 + ICH9, 2009)",
			CPUModel:     "AMD EPYC 7763 64-Core Processor",
			RAMBytes:     4 << 30,
			Disks: []rmm.Disk{
				{Name: "/dev/vda1", FSType: "ext4", TotalBytes: 83966610637, FreeBytes: 56478819942},
				{Name: "/dev/vda16", FSType: "ext4", TotalBytes: 1073741824, FreeBytes: 914358272},
			},
		},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d devices, want %d", len(got), len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("device %s missing", id)
			continue
		}
		raw := g.Raw
		g.Raw = nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("device %s:\n got %+v\nwant %+v", id, g, w)
		}
		if raw != nil {
			t.Errorf("device %s carries Raw in a bulk sync (%d bytes); the host does not store it", id, len(raw))
		}
	}
}

// checkRaw: Raw is the agent's JSON without services (kept small) but
// with the rest, e.g. wmi_detail and the pk.
func checkRaw(t *testing.T, id string, raw json.RawMessage, keys ...string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("device %s Raw is not a JSON object: %v", id, err)
	}
	if _, ok := m["services"]; ok {
		t.Errorf("device %s Raw still holds services", id)
	}
	for _, k := range append([]string{"agent_id", "wmi_detail", "disks", "site"}, keys...) {
		if _, ok := m[k]; !ok {
			t.Errorf("device %s Raw lacks %q", id, k)
		}
	}
	if bytes.Contains(raw, []byte("\n")) {
		t.Errorf("device %s Raw is not compact", id)
	}
}

func TestAgentStatusMatchesTacticalStrictComparisons(t *testing.T) {
	now := time.Date(2026, 6, 16, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	i64 := func(n int64) *int64 { return &n }
	tests := []struct {
		name             string
		lastSeen         time.Time
		offline, overdue *int64
		want             rmm.DeviceStatus
	}{
		{"never seen", time.Time{}, nil, nil, rmm.StatusOffline},
		{"seen a minute ago", ago(time.Minute), nil, nil, rmm.StatusOnline},
		{"exactly at the offline threshold is online", ago(4 * time.Minute), nil, nil, rmm.StatusOnline},
		{"just past the offline threshold", ago(4*time.Minute + time.Microsecond), nil, nil, rmm.StatusOffline},
		{"29 minutes", ago(29 * time.Minute), nil, nil, rmm.StatusOffline},
		{"exactly at the overdue threshold is online (Tactical's edge)", ago(30 * time.Minute), nil, nil, rmm.StatusOnline},
		{"just past the overdue threshold", ago(30*time.Minute + time.Microsecond), nil, nil, rmm.StatusOverdue},
		{"per-agent offline_time", ago(5 * time.Minute), i64(10), nil, rmm.StatusOnline},
		{"per-agent overdue_time", ago(45 * time.Minute), nil, i64(60), rmm.StatusOffline},
		{"per-agent overdue_time passed", ago(61 * time.Minute), nil, i64(60), rmm.StatusOverdue},
		{"offline_time 0 means never online", ago(time.Second), i64(0), nil, rmm.StatusOffline},
		{"seen in the future (clock skew)", now.Add(time.Minute), nil, nil, rmm.StatusOnline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := agentStatus(now, tt.lastSeen, tt.offline, tt.overdue); got != tt.want {
				t.Errorf("status = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSyncDevicesUsesTheInjectedClockForStatus(t *testing.T) {
	f := newFixtureServer(t)
	// An hour later every fixture agent is overdue.
	p, _ := newTestProvider(t, WithClock(func() time.Time { return fixtureNow.Add(time.Hour) }))
	out := &collector[rmm.Device]{}
	if _, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.integration(), Mode: rmm.SyncFull}, out); err != nil {
		t.Fatal(err)
	}
	for _, d := range out.items {
		if d.Status != rmm.StatusOverdue {
			t.Errorf("%s status = %s, want overdue", d.Hostname, d.Status)
		}
	}
}

func TestSyncDevicesSummaryAndBatches(t *testing.T) {
	_, out, sum := syncFixtureDevices(t, rmm.SyncRequest{Mode: rmm.SyncFull, MaxBatch: 2})
	if sum.Sent != 3 || sum.Skipped != 0 {
		t.Errorf("summary Sent=%d Skipped=%d, want 3 and 0", sum.Sent, sum.Skipped)
	}
	if len(out.batches) != 2 || len(out.batches[0].Items) != 2 || len(out.batches[1].Items) != 1 {
		t.Fatalf("batches = %d, want sizes 2 and 1", len(out.batches))
	}
	for i, b := range out.batches {
		if b.Total != 3 {
			t.Errorf("batch %d Total = %d, want 3 (the count)", i, b.Total)
		}
		if b.Cursor != nil {
			t.Errorf("batch %d has a cursor: a time cursor must only come with the summary", i)
		}
	}
	ids := []string{out.items[0].ExternalID, out.items[1].ExternalID, out.items[2].ExternalID}
	if !slices.Equal(ids, []string{agentWS, agentDC, agentLinux}) {
		t.Errorf("order = %v, want pk order 101, 102, 117", ids)
	}
	var c deviceCursor
	if err := json.Unmarshal(sum.Cursor, &c); err != nil {
		t.Fatalf("cursor %q: %v", sum.Cursor, err)
	}
	if want := fixtureNow.Add(-10 * time.Minute); !c.LastSeenAfter.Equal(want) {
		t.Errorf("cursor last_seen_after = %v, want sync start minus the margin, %v", c.LastSeenAfter, want)
	}
}

func TestSyncDevicesIncrementalUsesLastSeenRangeAfter(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	cursor := []byte(`{"last_seen_after":"2026-06-16T14:50:00Z"}`)
	out := &collector[rmm.Device]{}
	_, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.integration(), Mode: rmm.SyncIncremental, Cursor: cursor}, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.items) != 1 || out.items[0].ExternalID != agentWS {
		t.Fatalf("got %d devices, want only the one seen after the cursor", len(out.items))
	}
	var sawFilter bool
	for _, r := range f.seen() {
		if r.path == "/beta/v1/agent/" {
			sawFilter = r.query.Get("last_seen_range_after") == "2026-06-16T14:50:00Z"
			if r.query.Get("ordering") != "id" || r.query.Get("page_size") != "1000" {
				t.Errorf("agent query = %v, want ordering=id and page_size=1000", r.query)
			}
		}
	}
	if !sawFilter {
		t.Errorf("the agent list was not filtered by last_seen_range_after")
	}
}

func TestSyncDevicesFullModeIgnoresTheCursor(t *testing.T) {
	got, _, _ := syncFixtureDevices(t, rmm.SyncRequest{Mode: rmm.SyncFull, Cursor: []byte(`{"last_seen_after":"2026-06-16T14:50:00Z"}`)})
	if len(got) != 3 {
		t.Errorf("full sync returned %d devices, want all 3", len(got))
	}
}

func TestSyncDevicesUnreadableCursorListsEverything(t *testing.T) {
	got, _, sum := syncFixtureDevices(t, rmm.SyncRequest{Mode: rmm.SyncIncremental, Cursor: []byte(`garbage`)})
	if len(got) != 3 || len(sum.Warnings) == 0 {
		t.Errorf("got %d devices and warnings %v, want all 3 and a warning", len(got), sum.Warnings)
	}
}

// Naming one of the two organisations reads the whole list once (its pages
// in parallel) and keeps that organisation's agents.
func TestSyncDevicesLimitsToOrganisations(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	out := &collector[rmm.Device]{}
	_, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.integration(), Mode: rmm.SyncFull,
		OrgExternalIDs: []string{"4"}}, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.items) != 1 || out.items[0].ExternalID != agentLinux || out.items[0].OrgExternalID != "4" {
		t.Fatalf("got %+v, want only the Brightline agent", out.items)
	}
	if last := out.batches[len(out.batches)-1]; last.Total != 1 {
		t.Errorf("last batch total %d: it must count only the named organisation's agent", last.Total)
	}
	lists := 0
	for _, r := range f.seen() {
		if r.path == "/beta/v1/agent/" {
			lists++
			if r.query.Has("client_id") {
				t.Errorf("agent list filtered by client although the request names half the organisations: %v", r.query)
			}
		}
	}
	if lists != 1 {
		t.Errorf("the agent list was read %d times, want once", lists)
	}
}

// Naming few of many organisations reads one filtered list per organisation.
func TestSyncDevicesWalksFewOrganisationsOneByOne(t *testing.T) {
	f := newFixtureServer(t)
	f.set(func(f *fixtureServer) {
		for id := 20; id < 24; id++ {
			f.extraSites = append(f.extraSites, map[string]any{"id": id, "name": fmt.Sprint("Site ", id), "client": id})
		}
	})
	p, _ := newTestProvider(t)
	out := &collector[rmm.Device]{}
	_, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.integration(), Mode: rmm.SyncFull,
		OrgExternalIDs: []string{"4"}}, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.items) != 1 || out.items[0].ExternalID != agentLinux {
		t.Fatalf("got %+v, want only the Brightline agent", out.items)
	}
	for _, r := range f.seen() {
		if r.path == "/beta/v1/agent/" && r.query.Get("client_id") != "4" {
			t.Errorf("agent list asked without client_id=4: %v", r.query)
		}
	}
}

func TestWholeListIsCheaper(t *testing.T) {
	tests := []struct {
		orgs, clients int
		want          bool
	}{{1, 2, true}, {1, 3, false}, {2, 4, true}, {25, 25, true}, {3, 25, false}, {1, 0, false}}
	for _, tt := range tests {
		if got := wholeListIsCheaper(make([]int64, tt.orgs), tt.clients); got != tt.want {
			t.Errorf("wholeListIsCheaper(%d of %d) = %v, want %v", tt.orgs, tt.clients, got, tt.want)
		}
	}
}

// An agent whose site is not in the site list (created after it was read)
// gets its site read once, so it still has its organisation.
func TestSyncDevicesLearnsASiteCreatedDuringTheSync(t *testing.T) {
	f := newFixtureServer(t)
	f.set(func(f *fixtureServer) { f.hiddenSites = map[int]bool{9: true} })
	p, _ := newTestProvider(t)
	out := &collector[rmm.Device]{}
	sum, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.integration(), Mode: rmm.SyncFull}, out)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]rmm.Device{}
	for _, d := range out.items {
		got[d.ExternalID] = d
	}
	d, ok := got[agentLinux]
	if !ok || d.OrgExternalID != "4" || d.SiteExternalID != "9" || d.SiteName == "" {
		t.Fatalf("agent on the late site = %+v (found %v), want client 4, site 9 with its name", d, ok)
	}
	if len(got) != 3 || sum.Skipped != 0 {
		t.Errorf("got %d devices, %d skipped; want 3 and none", len(got), sum.Skipped)
	}
	reads := 0
	for _, r := range f.seen() {
		if r.path == "/beta/v1/site/9/" {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("site 9 read %d times, want once", reads)
	}
}

func TestSyncDevicesRejectsANonNumericOrganisation(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	_, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.integration(), OrgExternalIDs: []string{"acme"}},
		&collector[rmm.Device]{})
	if !errors.Is(err, rmm.ErrInvalidInput) {
		t.Fatalf("error = %v, want ErrInvalidInput", err)
	}
}

func TestSyncDevicesNeverFiltersTheBetaListByAgentID(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	if _, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.integration()}, &collector[rmm.Device]{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.seen() {
		if r.query.Has("agent_id") {
			t.Errorf("%s %s carries agent_id, which makes the beta list fail with a 500", r.method, r.path)
		}
	}
}

func TestSyncDevicesSkipsUntranslatableAgents(t *testing.T) {
	f := newFixtureServer(t)
	f.set(func(f *fixtureServer) {
		f.agents = append(f.agents,
			json.RawMessage(`{"id":200,"agent_id":"","hostname":"no-id","site":7}`),
			json.RawMessage(`{"id":201,"agent_id":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","last_seen":"yesterday","site":7}`),
			json.RawMessage(`{"id":202,"agent_id":"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy","total_ram":"lots","site":7}`),
			json.RawMessage(`{"id":203,"agent_id":"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz","site":99}`))
	})
	p, _ := newTestProvider(t)
	out := &collector[rmm.Device]{}
	sum, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.integration()}, out)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 3 || sum.Skipped != 4 {
		t.Errorf("Sent=%d Skipped=%d, want 3 and 4", sum.Sent, sum.Skipped)
	}
	if len(sum.Warnings) == 0 {
		t.Errorf("skips should come with a warning")
	}
}

func TestSyncDevicesAgainstTheDashboardHostIsInvalidConfig(t *testing.T) {
	f := newFixtureServer(t)
	f.set(func(f *fixtureServer) { f.dashboard = true })
	p, _ := newTestProvider(t)
	_, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.integration()}, &collector[rmm.Device]{})
	if !errors.Is(err, rmm.ErrInvalidConfig) || !strings.Contains(err.Error(), "api.") {
		t.Fatalf("error = %v, want ErrInvalidConfig pointing at the api. host", err)
	}
}

func TestSyncDevicesWithTheBetaAPIOffIsInvalidConfig(t *testing.T) {
	f := newFixtureServer(t)
	f.set(func(f *fixtureServer) { f.betaOff = true })
	p, _ := newTestProvider(t)
	_, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.integration()}, &collector[rmm.Device]{})
	if !errors.Is(err, rmm.ErrInvalidConfig) || !strings.Contains(err.Error(), "BETA_API_ENABLED = True") {
		t.Fatalf("error = %v, want ErrInvalidConfig with the BETA_API_ENABLED fix", err)
	}
}

func TestSyncDevicesStopsWhenTheSinkFails(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	stop := errors.New("database is gone")
	out := &collector[rmm.Device]{failAt: 1, err: stop}
	sum, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.integration(), MaxBatch: 1}, out)
	if !errors.Is(err, stop) {
		t.Fatalf("error = %v, want the sink error", err)
	}
	if sum.Sent != 0 || sum.Cursor != nil {
		t.Errorf("summary after a sink failure: Sent=%d Cursor=%q", sum.Sent, sum.Cursor)
	}
}

// generatedFleet serves n synthetic agents on a beta-like paged list, for
// tests of paging at scale.
func generatedFleet(t *testing.T, n int, pageDelay map[int]time.Duration) *httptest.Server {
	t.Helper()
	agent := func(pk int) string {
		return fmt.Sprintf(`{"id":%d,"agent_id":"agent%035d","hostname":"host-%d","plat":"windows","monitoring_type":"workstation",`+
			`"last_seen":"2026-06-16T14:59:00Z","site":7,"services":[{"name":"svc"}],"offline_time":4,"overdue_time":30}`, pk, pk, pk)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-KEY") != testAPIKey {
			jsonReply(w, 401, `{"detail":"Invalid token."}`)
			return
		}
		switch r.URL.Path {
		case "/beta/v1/site/":
			jsonReply(w, 200, `{"count":1,"next":null,"previous":null,"results":[{"id":7,"name":"Main Office","client":3}]}`)
			return
		case "/beta/v1/agent/":
		default:
			htmlReply(w, 404)
			return
		}
		q := r.URL.Query()
		size, _ := strconv.Atoi(q.Get("page_size"))
		page := 1
		if v := q.Get("page"); v != "" {
			page, _ = strconv.Atoi(v)
		}
		time.Sleep(pageDelay[page])
		lo, hi := (page-1)*size, min(page*size, n)
		next := "null"
		if hi < n {
			next = fmt.Sprintf(`"https://%s/beta/v1/agent/?ordering=id&page=%d&page_size=%d"`, r.Host, page+1, size)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"count":%d,"next":%s,"previous":null,"results":[`, n, next)
		for pk := lo + 1; pk <= hi; pk++ {
			if pk > lo+1 {
				_, _ = w.Write([]byte(","))
			}
			_, _ = w.Write([]byte(agent(pk)))
		}
		_, _ = w.Write([]byte("]}"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSyncDevicesPagesInParallelInIDOrder(t *testing.T) {
	const n = 2350
	// The second page is the slowest; order must not change.
	srv := generatedFleet(t, n, map[int]time.Duration{2: 40 * time.Millisecond})
	p, _ := newTestProvider(t, WithPageSize(500), WithParallelism(4))
	out := &collector[rmm.Device]{}
	in := rmm.Integration{ID: "big", BaseURL: srv.URL, AuthMode: rmm.AuthAPIKey, Secrets: map[string]string{SecretAPIKey: testAPIKey}}
	sum, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in, MaxBatch: 300}, out)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != n || len(out.items) != n {
		t.Fatalf("sent %d, collected %d, want %d", sum.Sent, len(out.items), n)
	}
	for i, d := range out.items {
		if want := fmt.Sprintf("agent%035d", i+1); d.ExternalID != want {
			t.Fatalf("item %d = %s, want %s: output is not in id order", i, d.ExternalID, want)
		}
	}
	for i, b := range out.batches {
		if len(b.Items) == 0 || len(b.Items) > 300 {
			t.Errorf("batch %d has %d items, want 1..300", i, len(b.Items))
		}
		if b.Total != n {
			t.Errorf("batch %d Total = %d, want %d", i, b.Total, n)
		}
	}
}

func TestSyncDevicesCancelledContextReturnsPromptly(t *testing.T) {
	srv := generatedFleet(t, 5000, map[int]time.Duration{2: 2 * time.Second, 3: 2 * time.Second})
	p, _ := newTestProvider(t, WithPageSize(1000), WithParallelism(2))
	ctx, cancel := context.WithCancel(t.Context())
	out := rmm.SinkFunc[rmm.Device](func(context.Context, rmm.Batch[rmm.Device]) error {
		cancel() // cancel once the first batch arrived, while page 2 is slow
		return nil
	})
	in := rmm.Integration{ID: "big", BaseURL: srv.URL, AuthMode: rmm.AuthAPIKey, Secrets: map[string]string{SecretAPIKey: testAPIKey}}
	start := time.Now()
	_, err := p.SyncDevices(ctx, rmm.SyncRequest{Integration: in, MaxBatch: 100}, out)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("returned after %v: cancellation did not stop the page fetches", d)
	}
}
