package tacticalfake

import (
	"net/http"
	"strings"
	"testing"
)

func TestSoftwareShapes(t *testing.T) {
	s := newServer(t, Options{Fleet: smallFleet(20)})
	var win, posix []AgentView
	for i := range s.NumAgents() {
		if a := s.Agent(i); a.Platform == "windows" {
			win = append(win, a)
		} else {
			posix = append(posix, a)
		}
	}
	if len(win) == 0 || len(posix) == 0 {
		t.Fatal("fleet lacks a platform")
	}
	rows := getJSON(t, s, "/software/").arr(t)
	if len(rows) != len(win) || len(rows) != s.Counts().SoftwareRows {
		t.Fatalf("rows = %d, want one per Windows agent (%d)", len(rows), len(win))
	}
	items := 0
	for k, row := range rows {
		m := row.(map[string]any)
		pk := mustInt(t, m["agent"])
		if pk != win[k].PK || mustInt(t, m["id"]) == pk {
			t.Fatalf("row %d: agent %d id %v, want agent %d and an id of its own", k, pk, m["id"], win[k].PK)
		}
		sw := m["software"].([]any)
		items += len(sw)
		names := map[string]bool{}
		for _, it := range sw {
			item := it.(map[string]any)
			for _, key := range []string{"name", "size", "source", "version", "location", "publisher", "uninstall", "install_date"} {
				if _, ok := item[key].(string); !ok {
					t.Fatalf("item %v: %s is not a string", item, key)
				}
			}
			if names[item["name"].(string)] {
				t.Fatalf("duplicate software %q", item["name"])
			}
			names[item["name"].(string)] = true
		}
	}
	if want := len(win) * 3; items != want || s.Counts().Software != want {
		t.Fatalf("items = %d, want %d", items, want)
	}

	one := getJSON(t, s, "/software/"+win[0].AgentID+"/").obj(t)
	if mustInt(t, one["agent"]) != win[0].PK {
		t.Fatalf("single = %v", one)
	}
	if r := getJSON(t, s, "/software/"+posix[0].AgentID+"/"); string(r.body) != "[]" {
		t.Fatalf("POSIX agent software = %s, want []", r.body)
	}
	wantDetail(t, do(t, s, req{path: "/software/" + strings.Repeat("Z", 40) + "/", header: adminKey}), http.StatusNotFound, "No Agent matches the given query.")
	wantHTML(t, do(t, s, req{path: "/software/" + strings.Repeat("Z", 20) + "/", header: adminKey}), http.StatusNotFound, "Not Found")
}

func TestLargeInventoriesStayUnique(t *testing.T) {
	spec := smallFleet(2)
	spec.WindowsShare, spec.LinuxShare, spec.SoftwarePerWindowsAgent = 1, 0, 300
	s := newServer(t, Options{Fleet: spec})
	row := getJSON(t, s, "/software/"+s.Agent(0).AgentID+"/").obj(t)
	names := map[string]bool{}
	for _, it := range row["software"].([]any) {
		names[it.(map[string]any)["name"].(string)] = true
	}
	if len(names) != 300 {
		t.Fatalf("unique names = %d, want 300", len(names))
	}
}
