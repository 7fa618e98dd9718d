package tacticalfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixtures in testdata/fixtures are copies of shared/tactical/fixtures:
// what Tactical v1.5.1 sends. These tests hold the fake's output for a
// comparable object to the same keys (in order, at the top level) and the
// same JSON types, including integer versus float literals.

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeNumbers(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode: %v: %.200s", err, raw)
	}
	return v
}

func kind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case string:
		return "string"
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return "float"
		}
		return "int"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// sameShape compares a fixture value with the fake's: at the top level
// the object keys must match in order; below, the fixture's keys must be
// present (generated data may carry more WMI properties). Nulls match any
// type, since the fixtures hold one example of a nullable field.
func sameShape(t *testing.T, where string, fix, got []byte) {
	t.Helper()
	fk, gk := keysOf(t, fix), keysOf(t, got)
	if !equalStrings(fk, gk) {
		t.Errorf("%s: keys differ\nfixture: %v\nfake:    %v", where, fk, gk)
	}
	shapeBelow(t, where, decodeNumbers(t, fix), decodeNumbers(t, got))
}

func shapeBelow(t *testing.T, where string, fix, got any) {
	t.Helper()
	kf, kg := kind(fix), kind(got)
	if kf == "null" || kg == "null" {
		return
	}
	if kf != kg {
		t.Errorf("%s: fixture has %s %v, fake has %s %v", where, kf, fix, kg, got)
		return
	}
	switch f := fix.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, fv := range f {
			gv, ok := g[k]
			if !ok {
				t.Errorf("%s: fake lacks key %q", where, k)
				continue
			}
			shapeBelow(t, where+"."+k, fv, gv)
		}
	case []any:
		g := got.([]any)
		if len(f) > 0 && len(g) > 0 {
			shapeBelow(t, where+"[0]", f[0], g[0])
		}
	}
}

// firstOf returns the first agent of a platform and role in the fleet.
func firstOf(t *testing.T, s *Server, plat, mon string) AgentView {
	t.Helper()
	for i := range s.NumAgents() {
		if a := s.Agent(i); a.Platform == plat && (mon == "" || a.MonitoringType == mon) {
			return a
		}
	}
	t.Fatalf("no %s %s agent", plat, mon)
	return AgentView{}
}

func TestFixtureShapes(t *testing.T) {
	s := newServer(t, Options{Fleet: FleetSpec{Clients: 3, SitesPerClient: 3, Agents: 40, WindowsShare: 0.7, LinuxShare: 0.2, SoftwarePerWindowsAgent: 4, Alerts: 30, Seed: 2}})
	win := firstOf(t, s, "windows", "workstation")
	winSrv := firstOf(t, s, "windows", "server")
	lin := firstOf(t, s, "linux", "")

	t.Run("beta_agent_page", func(t *testing.T) {
		fix := fixture(t, "beta_agent_page.json")
		page := getJSON(t, s, "/beta/v1/agent/?page=2&page_size=3")
		sameEnvelope(t, fix, page.body)
		rows := rawArray(t, rawField(t, fix, "results"))
		for _, tc := range []struct {
			fix int
			a   AgentView
		}{{0, win}, {1, winSrv}, {2, lin}} {
			sameShape(t, fmt.Sprintf("row %d vs %s", tc.fix, tc.a.Hostname), rows[tc.fix], s.AgentJSON(tc.a.Index))
		}
	})
	t.Run("beta_agent_detail", func(t *testing.T) {
		sameShape(t, "detail", fixture(t, "beta_agent_detail.json"), getJSON(t, s, "/beta/v1/agent/"+itoa(win.PK)+"/").body)
	})
	t.Run("agent_detail", func(t *testing.T) {
		fix := fixture(t, "agent_detail.json")
		got := getJSON(t, s, "/agents/"+win.AgentID+"/").body
		sameShape(t, "agent", fix, got)
		if !bytes.Equal(compact(t, rawField(t, fix, "all_timezones")), rawField(t, got, "all_timezones")) {
			t.Error("all_timezones differs from the fixture's")
		}
	})
	t.Run("beta_client_page", func(t *testing.T) {
		fix := rawArray(t, fixture(t, "beta_client_page.json"))
		got := rawArray(t, getJSON(t, s, "/beta/v1/client/").body)
		sameShape(t, "client", fix[0], got[0])
	})
	t.Run("beta_site_page", func(t *testing.T) {
		fix := fixture(t, "beta_site_page.json")
		got := getJSON(t, s, "/beta/v1/site/").body
		sameEnvelope(t, fix, got)
		sameShape(t, "site", rawArray(t, rawField(t, fix, "results"))[0], rawArray(t, rawField(t, got, "results"))[0])
	})
	t.Run("alerts", func(t *testing.T) {
		id := s.AddAlert(Alert{AgentPK: lin.PK, Type: "availability", ActionRun: refTime, ActionStdout: "{}", ActionRetcode: 200})
		var mine json.RawMessage
		for _, raw := range rawArray(t, patchAlerts(t, s, "{}").body) {
			if mustInt(t, jsonNumber(t, orderedObject(t, raw)[0].val)) == id {
				mine = raw
			}
		}
		sameShape(t, "alert", rawArray(t, fixture(t, "alerts_patch_response.json"))[0], mine)
		top := fixture(t, "alerts_patch_top_response.json")
		sameShape(t, "top", top, patchAlerts(t, s, `{"top": 3}`).body)
	})
	t.Run("software", func(t *testing.T) {
		sameShape(t, "agent", fixture(t, "software_agent.json"), getJSON(t, s, "/software/"+win.AgentID+"/").body)
		bulk := rawArray(t, fixture(t, "software_bulk.json"))
		sameShape(t, "bulk", bulk[0], rawArray(t, getJSON(t, s, "/software/").body)[0])
	})
	t.Run("login", func(t *testing.T) {
		s.AddUser(User{Username: "psa-sync", Password: "pw", TOTPSecret: totpSecret})
		s.AddUser(User{Username: "plain", Password: "pw"})
		r := postJSON(t, s, "/v2/checkcreds/", `{"username":"psa-sync","password":"pw"}`, nil)
		if !bytes.Equal(r.body, compact(t, fixture(t, "checkcreds_response.json"))) {
			t.Errorf("checkcreds with TOTP = %s", r.body)
		}
		r = postJSON(t, s, "/v2/checkcreds/", `{"username":"plain","password":"pw"}`, nil)
		sameShape(t, "checkcreds", fixture(t, "checkcreds_response_no_totp.json"), r.body)
		r = postJSON(t, s, "/v2/login/", `{"username":"psa-sync","password":"pw","twofactor":"`+TOTP(totpSecret, s.Now())+`"}`, nil)
		if r.status != http.StatusOK {
			t.Fatalf("login = %d %s", r.status, r.body)
		}
		sameShape(t, "login", fixture(t, "login_response.json"), r.body)
	})
}

// sameEnvelope compares a page envelope without its rows.
func sameEnvelope(t *testing.T, fix, got []byte) {
	t.Helper()
	if fk, gk := keysOf(t, fix), keysOf(t, got); !equalStrings(fk, gk) {
		t.Errorf("envelope keys: fixture %v, fake %v", fk, gk)
	}
	f, g := decodeNumbers(t, fix).(map[string]any), decodeNumbers(t, got).(map[string]any)
	for _, k := range []string{"count", "results"} {
		if kind(f[k]) != kind(g[k]) {
			t.Errorf("envelope %s: fixture %s, fake %s", k, kind(f[k]), kind(g[k]))
		}
	}
}

func rawField(t *testing.T, obj []byte, key string) json.RawMessage {
	t.Helper()
	for _, kv := range orderedObject(t, obj) {
		if kv.key == key {
			return kv.val
		}
	}
	t.Fatalf("no key %q", key)
	return nil
}

func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// The computed detail fields follow agents/models.py over the generated
// wmi_detail, including its quirks.
func TestComputedHardwareFields(t *testing.T) {
	s := newServer(t, Options{Fleet: FleetSpec{Clients: 2, SitesPerClient: 2, Agents: 200, WindowsShare: 0.8, LinuxShare: 0.1, Seed: 4}})
	seen := map[string]bool{}
	for i := range s.NumAgents() {
		a := s.Agent(i)
		d := getJSON(t, s, "/beta/v1/agent/"+itoa(a.PK)+"/").obj(t)
		mm := d["make_model"].(string)
		switch {
		case strings.HasPrefix(mm, "LENOVO "):
			seen["lenovo"] = true // SystemFamily replaces the model number
			if mm != "LENOVO ThinkCentre M70q Gen 3" {
				t.Errorf("lenovo make_model = %q", mm)
			}
		case strings.Contains(mm, "PRIME B660M"):
			seen["oem"] = true // "To Be Filled By O.E.M." falls back to the board
			if mm != "ASUSTeK COMPUTER INC. PRIME B660M-A D4" || d["graphics"] != "NVIDIA GeForce RTX 3060" {
				t.Errorf("oem: %q, graphics %q", mm, d["graphics"])
			}
		case strings.HasPrefix(mm, "HP "):
			seen["hp"] = true // the USB stick is not a physical disk
			if disks := d["physical_disks"].([]any); len(disks) != 1 || disks[0] != "SAMSUNG MZVL21T0HCLR-00BH1 954GB SCSI" {
				t.Errorf("hp disks = %v", disks)
			}
		case strings.HasPrefix(mm, "Dell Inc. PowerEdge R650"):
			seen["poweredge"] = true
			if disks := d["physical_disks"].([]any); disks[0] != "DELL PERC H755 SCSI Disk Device 1,788GB SCSI" {
				t.Errorf("thousands separator: %v", disks)
			}
		}
		if a.Platform == "windows" {
			if ips := d["local_ips"].(string); strings.Contains(ips, ":") || ips == "" {
				t.Errorf("windows local_ips keeps IPv4 only: %q", ips)
			}
			if cpu := d["cpu_model"].([]any)[0].(string); !strings.Contains(cpu, "C/") {
				t.Errorf("cpu_model = %q", cpu)
			}
		} else if ips := d["local_ips"].(string); !strings.Contains(ips, "/") {
			t.Errorf("POSIX local_ips keep the prefix: %q", ips)
		}
		if hex := d["hex_mesh_node_id"].(string); hex != "error" && len(hex) != 64 {
			t.Errorf("hex_mesh_node_id = %q", hex)
		}
	}
	for _, k := range []string{"lenovo", "oem", "hp", "poweredge"} {
		if !seen[k] {
			t.Errorf("no %s agent in a 200-agent fleet", k)
		}
	}
}

func TestHexMeshNodeIDMatchesFixture(t *testing.T) {
	a := &agentFull{meshNodeID: "21C661B992E57E145A5E7F15F52B3F001434AC786B6C613DC9F58F0E40A4EC857E636E5C75512AF1180B1C600BF6A289"}
	if got := a.hexMeshNodeID(); got != "IcZhuZLlfhRaXn8V9Ss$ABQ0rHhrbGE9yfWPDkCk7IV@Y25cdVEq8RgLHGAL9qKJ" {
		t.Fatalf("hex_mesh_node_id = %s", got)
	}
	if (&agentFull{}).hexMeshNodeID() != "error" {
		t.Fatal("null mesh id should give \"error\"")
	}
}
