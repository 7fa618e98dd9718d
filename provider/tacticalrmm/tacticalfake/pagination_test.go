package tacticalfake

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

func smallFleet(agents int) FleetSpec {
	return FleetSpec{Clients: 2, SitesPerClient: 2, Agents: agents, WindowsShare: 0.5, LinuxShare: 0.3, SoftwarePerWindowsAgent: 3, Alerts: 10, Seed: 7}
}

// linuxFleet is cheap to render: POSIX agents have no services.
func linuxFleet(agents int) FleetSpec {
	return FleetSpec{Clients: 2, SitesPerClient: 2, Agents: agents, LinuxShare: 1, Seed: 3}
}

func TestPaginationEnvelopeLikeTheFixture(t *testing.T) {
	s := newServer(t, Options{Fleet: smallFleet(8), PublicURL: "https://api.example.com"})
	r := getJSON(t, s, "/beta/v1/agent/?page=2&page_size=3")
	if got := fmt.Sprint(keysOf(t, r.body)); got != "[count next previous results]" {
		t.Fatalf("envelope keys = %s", got)
	}
	m := r.obj(t)
	if m["count"] != jsonInt(8) ||
		m["next"] != "https://api.example.com/beta/v1/agent/?page=3&page_size=3" ||
		m["previous"] != "https://api.example.com/beta/v1/agent/?page_size=3" {
		t.Fatalf("envelope = count %v next %v previous %v", m["count"], m["next"], m["previous"])
	}
	var ids []int
	for _, row := range m["results"].([]any) {
		ids = append(ids, mustInt(t, row.(map[string]any)["id"]))
	}
	if !slices.Equal(ids, []int{4, 5, 6}) {
		t.Fatalf("ids = %v", ids)
	}
}

func TestPaginationLinksAndClamping(t *testing.T) {
	s := newServer(t, Options{Fleet: linuxFleet(1005)})
	base := s.URL() + "/beta/v1/agent/"
	for _, tc := range []struct {
		query          string
		results        int
		next, previous any
	}{
		// The query is re-encoded in sorted key order.
		{"?zeta=z+1&page_size=2&alpha=x&page=2", 2, base + "?alpha=x&page=3&page_size=2&zeta=z+1", base + "?alpha=x&page_size=2&zeta=z+1"},
		{"", 100, base + "?page=2", nil},
		{"?page_size=5000", 1000, base + "?page=2&page_size=5000", nil},
		{"?page_size=0", 100, base + "?page=2&page_size=0", nil},
		{"?page_size=-3", 100, base + "?page=2&page_size=-3", nil},
		{"?page_size=abc", 100, base + "?page=2&page_size=abc", nil},
		{"?page_size=1_0", 10, base + "?page=2&page_size=1_0", nil},
		{"?page=last&page_size=1000", 5, nil, base + "?page_size=1000"},
		{"?page=&page_size=500", 500, base + "?page=2&page_size=500", nil},
		{"?page=3&page_size=500", 5, nil, base + "?page=2&page_size=500"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			m := getJSON(t, s, "/beta/v1/agent/"+tc.query).obj(t)
			if got := len(m["results"].([]any)); got != tc.results {
				t.Fatalf("results = %d, want %d", got, tc.results)
			}
			if m["count"] != jsonInt(1005) || m["next"] != tc.next || m["previous"] != tc.previous {
				t.Fatalf("next %v previous %v, want %v %v", m["next"], m["previous"], tc.next, tc.previous)
			}
		})
	}
	for _, q := range []string{"?page=0", "?page=-1", "?page=abc", "?page=12", "?page=1.0", "?page=3&page_size=1000"} {
		wantDetail(t, do(t, s, req{path: "/beta/v1/agent/" + q, header: adminKey}), http.StatusNotFound, "Invalid page.")
	}
}

func TestPagesCoverEveryAgentOnce(t *testing.T) {
	s := newServer(t, Options{Fleet: smallFleet(23)})
	s.RemoveAgent(4)
	collect := func(query string) []int {
		var ids []int
		path := "/beta/v1/agent/?page_size=5" + query
		for path != "" {
			m := getJSON(t, s, path).obj(t)
			for _, row := range m["results"].([]any) {
				ids = append(ids, mustInt(t, row.(map[string]any)["id"]))
			}
			next, _ := m["next"].(string)
			path = ""
			if next != "" {
				path = next[len(s.URL()):]
			}
		}
		return ids
	}
	asc := collect("")
	want := []int{}
	for pk := 1; pk <= 23; pk++ {
		if pk != 5 {
			want = append(want, pk)
		}
	}
	if !slices.Equal(asc, want) {
		t.Fatalf("ids = %v", asc)
	}
	desc := collect("&ordering=-id")
	slices.Reverse(desc)
	if !slices.Equal(desc, want) {
		t.Fatalf("descending ids reversed = %v", desc)
	}
	// Unknown ordering fields are ignored.
	if got := collect("&ordering=hostname"); !slices.Equal(got, want) {
		t.Fatalf("ordering=hostname = %v", got)
	}
}

func TestEmptyPage(t *testing.T) {
	s := newServer(t, Options{Fleet: smallFleet(5)})
	r := getJSON(t, s, "/beta/v1/agent/?hostname=nobody")
	if string(r.body) != `{"count":0,"next":null,"previous":null,"results":[]}` {
		t.Fatalf("empty = %s", r.body)
	}
	wantDetail(t, do(t, s, req{path: "/beta/v1/agent/?hostname=nobody&page=2", header: adminKey}), http.StatusNotFound, "Invalid page.")
}

func TestClientListIsAPlainArrayAndSitesArePaged(t *testing.T) {
	s := newServer(t, Options{Fleet: FleetSpec{Clients: 5, SitesPerClient: 3, Agents: 4, Seed: 11}})
	clients := getJSON(t, s, "/beta/v1/client/?page=2&page_size=1").arr(t)
	if len(clients) != 5 {
		t.Fatalf("clients = %d, want all 5 (page params ignored)", len(clients))
	}
	var names []string
	for _, c := range clients {
		names = append(names, c.(map[string]any)["name"].(string))
	}
	if !slices.IsSorted(names) {
		t.Fatalf("clients not ordered by name: %v", names)
	}
	m := getJSON(t, s, "/beta/v1/site/?page_size=4&page=2").obj(t)
	if m["count"] != jsonInt(15) || len(m["results"].([]any)) != 4 {
		t.Fatalf("sites page = %v / %d", m["count"], len(m["results"].([]any)))
	}
	first := mustInt(t, m["results"].([]any)[0].(map[string]any)["id"])
	if want := s.Sites()[4].ID; first != want {
		t.Fatalf("second page starts at site %d, want %d", first, want)
	}
	wantDetail(t, do(t, s, req{path: "/beta/v1/site/?page=5&page_size=4", header: adminKey}), http.StatusNotFound, "Invalid page.")
}
