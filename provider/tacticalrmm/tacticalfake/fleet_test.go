package tacticalfake

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestFleetIsDeterministic(t *testing.T) {
	spec := smallFleet(30)
	clock := NewManualClock(refTime)
	a := newServer(t, Options{Now: clock.Now, Fleet: spec})
	b := newServer(t, Options{Now: clock.Now, Fleet: spec})
	for _, p := range []string{"/beta/v1/agent/?page_size=1000", "/beta/v1/client/", "/clients/", "/software/", "/agents/"} {
		if x, y := getJSON(t, a, p).body, getJSON(t, b, p).body; !bytes.Equal(x, y) {
			t.Errorf("%s differs between two servers with the same spec", p)
		}
	}
	if x, y := patchAlerts(t, a, "{}").body, patchAlerts(t, b, "{}").body; !bytes.Equal(x, y) {
		t.Error("alerts differ")
	}
	spec.Seed++
	c := newServer(t, Options{Now: clock.Now, Fleet: spec})
	if bytes.Equal(a.AgentJSON(0), c.AgentJSON(0)) {
		t.Error("another seed gave the same agent")
	}
}

func TestFleetCountsAndIdentity(t *testing.T) {
	s := newServer(t, Options{Fleet: FleetSpec{Clients: 4, SitesPerClient: 3, Agents: 997, WindowsShare: 0.8, LinuxShare: 0.15, SoftwarePerWindowsAgent: 2, Alerts: 5, Seed: 8}})
	c := s.Counts()
	if c.Agents != 997 || c.Windows != 798 || c.Linux != 150 || c.Darwin != 49 || c.Clients != 4 || c.Sites != 12 || c.Software != 2*798 {
		t.Fatalf("counts = %+v", c)
	}
	idRE := regexp.MustCompile(`^[A-Za-z]{40}$`)
	ids, hosts := map[string]bool{}, map[string]bool{}
	sites := map[int]bool{}
	for _, st := range s.Sites() {
		sites[st.ID] = true
		if st.ID <= 4 {
			t.Fatalf("site id %d overlaps the client ids", st.ID)
		}
	}
	for i := range s.NumAgents() {
		a := s.Agent(i)
		if !idRE.MatchString(a.AgentID) || ids[a.AgentID] || hosts[a.Hostname] {
			t.Fatalf("agent %d: id %q host %q (duplicate or malformed)", i, a.AgentID, a.Hostname)
		}
		ids[a.AgentID], hosts[a.Hostname] = true, true
		if j, ok := s.AgentIndex(a.AgentID); !ok || j != i {
			t.Fatalf("AgentIndex(%q) = %d, %v", a.AgentID, j, ok)
		}
		if a.PK != i+1 || !sites[a.SiteID] {
			t.Fatalf("agent %d: pk %d site %d", i, a.PK, a.SiteID)
		}
	}
	// A 40-letter id the fleet never made is unknown.
	mangled := []byte(s.Agent(5).AgentID)
	mangled[3] ^= 0x20 // flip case
	if _, ok := s.AgentIndex(string(mangled)); ok {
		t.Fatal("a mangled id resolved")
	}
}

func TestPayloadsAreRealisticallyLarge(t *testing.T) {
	s := newServer(t, Options{Fleet: smallFleet(40)})
	for i := range s.NumAgents() {
		a := s.Agent(i)
		row := decodeNumbers(t, s.AgentJSON(i)).(map[string]any)
		n := len(row["services"].([]any))
		switch a.Platform {
		case "windows":
			if size := len(s.AgentJSON(i)); n < 40 || n > 80 || size < 10000 {
				t.Fatalf("windows agent %d: %d services, %d bytes", i, n, size)
			}
			wmi := row["wmi_detail"].(map[string]any)
			for _, k := range []string{"os", "cpu", "mem", "disk", "bios", "comp_sys", "comp_sys_prod", "base_board", "graphics", "network_config", "network_adapter", "desktop_monitor", "usb"} {
				if _, ok := wmi[k].([]any); !ok {
					t.Fatalf("wmi_detail.%s missing", k)
				}
			}
		default:
			wmi := row["wmi_detail"].(map[string]any)
			if n != 0 || wmi["make_model"] == nil || wmi["local_ips"] == nil {
				t.Fatalf("%s agent %d: services %d wmi %v", a.Platform, i, n, wmi)
			}
		}
		if !regexp.MustCompile(`^\d+\.\d (B|kB|MB|GB|TB)$`).MatchString(row["disks"].([]any)[0].(map[string]any)["total"].(string)) {
			t.Fatalf("disk total %v", row["disks"])
		}
		if kind(row["boot_time"]) != "float" || kind(row["total_ram"]) != "int" {
			t.Fatalf("boot_time %v total_ram %v", row["boot_time"], row["total_ram"])
		}
	}
}

func TestLazyFleetMemory(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := New(Options{Fleet: FleetSpec{Clients: 200, SitesPerClient: 5, Agents: 100000, SoftwarePerWindowsAgent: 50, Alerts: 2000, Seed: 1}})
	defer s.Close()
	noPanics(t, s)
	getJSON(t, s, "/beta/v1/agent/?page=1&page_size=200")
	getJSON(t, s, "/beta/v1/agent/?page=last")
	last := s.Agent(99999)
	getJSON(t, s, "/agents/"+last.AgentID+"/")
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew by %.1f MB for a 100,000-agent fleet", float64(grew)/(1<<20))
	if grew > 50<<20 {
		t.Fatalf("heap grew by %d bytes", grew)
	}
	runtime.KeepAlive(s)
}

func TestMutations(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now, Fleet: smallFleet(12)})
	before := decodeNumbers(t, s.AgentJSON(2)).(map[string]any)

	clock.Advance(time.Hour)
	s.Touch(2)
	after := decodeNumbers(t, s.AgentJSON(2)).(map[string]any)
	now := drfTime(clock.Now())
	if after["modified_time"] != now || after["last_seen"] != now || before["modified_time"] == now {
		t.Fatalf("Touch: modified %v last_seen %v", after["modified_time"], after["last_seen"])
	}
	if fmt.Sprint(before["disks"]) == fmt.Sprint(after["disks"]) && fmt.Sprint(before["services"]) == fmt.Sprint(after["services"]) {
		t.Fatal("Touch changed no volatile field")
	}
	if got := betaIDs(t, s, "last_seen_range_after="+clock.Now().Format(time.RFC3339)); !equalInts(got, []int{3}) {
		t.Fatalf("agents seen since the touch = %v", got)
	}

	other := s.Sites()[0]
	if s.Agent(4).SiteID == other.ID {
		other = s.Sites()[1]
	}
	if err := s.MoveAgent(4, other.ID); err != nil {
		t.Fatal(err)
	}
	if got := mustInt(t, decodeNumbers(t, s.AgentJSON(4)).(map[string]any)["site"]); got != other.ID {
		t.Fatalf("moved agent site = %d, want %d", got, other.ID)
	}
	if err := s.MoveAgent(4, 123456); err == nil {
		t.Fatal("moving to a missing site succeeded")
	}

	gone := s.Agent(6)
	s.RemoveAgent(6)
	if c := s.Counts(); c.Agents != 11 {
		t.Fatalf("after remove: %d agents", c.Agents)
	}
	wantDetail(t, do(t, s, req{path: "/beta/v1/agent/7/", header: adminKey}), http.StatusNotFound, "No Agent matches the given query.")
	wantDetail(t, do(t, s, req{path: "/agents/" + gone.AgentID + "/", header: adminKey}), http.StatusNotFound, "No Agent matches the given query.")
	if got := betaIDs(t, s, ""); containsInt(got, 7) || len(got) != 11 {
		t.Fatalf("list after remove = %v", got)
	}
	s.RestoreAgent(6)
	getJSON(t, s, "/beta/v1/agent/7/")

	wantDetail(t, do(t, s, req{path: "/beta/v1/agent/abc/", header: adminKey}), http.StatusNotFound, "Not found.")
	wantDetail(t, do(t, s, req{path: "/beta/v1/agent/999/", header: adminKey}), http.StatusNotFound, "No Agent matches the given query.")
}

func TestPreRenderServesTheSameBytes(t *testing.T) {
	clock := NewManualClock(refTime)
	spec := smallFleet(25)
	plain := newServer(t, Options{Now: clock.Now, Fleet: spec, PublicURL: "https://api.example.com"})
	cached := newServer(t, Options{Now: clock.Now, Fleet: spec, PublicURL: "https://api.example.com", PreRender: true})
	same := func() {
		t.Helper()
		for _, p := range []string{"/beta/v1/agent/?page_size=7&page=2", "/beta/v1/agent/?page_size=1000", "/software/"} {
			if !bytes.Equal(getJSON(t, plain, p).body, getJSON(t, cached, p).body) {
				t.Fatalf("%s differs with PreRender", p)
			}
		}
	}
	same()
	clock.Advance(time.Minute)
	for _, s := range []*Server{plain, cached} {
		s.Touch(3)
		s.SetLastSeen(4, refTime.Add(-time.Hour))
		s.SetVersion("1.4.0")
	}
	same()
	if bytes.Contains(getJSON(t, cached, "/beta/v1/agent/?page_size=1").body, []byte(`"default_shell"`)) {
		t.Fatal("a 1.4.0 server lists default_shell")
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newServer(t, Options{Fleet: smallFleet(40), PreRender: true})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 15 {
				i := (g*7 + k) % 40
				switch k % 5 {
				case 0:
					getJSON(t, s, "/beta/v1/agent/?page_size=10&page="+itoa(k%4+1))
				case 1:
					getJSON(t, s, "/agents/"+s.Agent(i).AgentID+"/")
				case 2:
					patchAlerts(t, s, `{"top": 3}`)
				case 3:
					getJSON(t, s, "/software/")
				case 4:
					getJSON(t, s, "/clients/")
				}
			}
		})
		wg.Go(func() {
			for k := range 15 {
				i := (g + k) % 40
				s.Touch(i)
				s.SetLastSeen((i+1)%40, time.Now())
				_ = s.MoveAgent(i, s.Sites()[k%len(s.Sites())].ID)
				id := s.AddAlert(Alert{AgentPK: i + 1})
				_ = s.ResolveAlert(id)
				s.InjectFault(Fault{PathPrefix: "/nowhere/", Times: 1})
				_ = s.Counts()
				_ = s.Requests("/clients/")
			}
		})
	}
	wg.Wait()
}

func TestDefaultFleetCounts(t *testing.T) {
	s := newServer(t, Options{})
	c := s.Counts()
	want := Counts{Clients: 3, Sites: 6, Agents: 12, Windows: 10, Linux: 1, Darwin: 1, Software: 420, SoftwareRows: 10, Alerts: 40}
	if c != want {
		t.Fatalf("counts = %+v, want %+v", c, want)
	}
	if got := len(getJSON(t, s, "/beta/v1/client/").arr(t)); got != 3 {
		t.Fatalf("clients = %d", got)
	}
}
