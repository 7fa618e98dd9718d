package tacticalfake

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// betaIDs lists the pks one beta agent query returns (one big page).
func betaIDs(t *testing.T, s *Server, query string) []int {
	t.Helper()
	m := getJSON(t, s, "/beta/v1/agent/?page_size=1000&"+query).obj(t)
	var ids []int
	for _, row := range m["results"].([]any) {
		ids = append(ids, mustInt(t, row.(map[string]any)["id"]))
	}
	if mustInt(t, m["count"]) != len(ids) {
		t.Fatalf("count %v != %d rows", m["count"], len(ids))
	}
	return ids
}

func TestBetaAgentFilters(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now, Fleet: smallFleet(40)})
	views := make([]AgentView, s.NumAgents())
	for i := range views {
		views[i] = s.Agent(i)
	}
	expect := func(keep func(AgentView) bool) []int {
		var ids []int
		for _, v := range views {
			if keep(v) {
				ids = append(ids, v.PK)
			}
		}
		return ids
	}
	site := views[3].SiteID
	client := views[7].ClientID
	cutoff := refTime.Add(-3 * time.Minute)
	s.SetLastSeen(9, cutoff) // exactly on the boundary: gte/lte include it
	views[9] = s.Agent(9)
	for _, tc := range []struct {
		query string
		keep  func(AgentView) bool
	}{
		{"site=" + itoa(site), func(v AgentView) bool { return v.SiteID == site }},
		{"client_id=" + itoa(client), func(v AgentView) bool { return v.ClientID == client }},
		{"client_id=0", func(AgentView) bool { return true }},
		{"plat=linux", func(v AgentView) bool { return v.Platform == "linux" }},
		{"monitoring_type=server", func(v AgentView) bool { return v.MonitoringType == "server" }},
		{"hostname=" + url.QueryEscape(views[5].Hostname), func(v AgentView) bool { return v.Index == 5 }},
		{"hostname=" + url.QueryEscape(views[5].Hostname+"x"), func(AgentView) bool { return false }},
		{"last_seen_range_after=" + url.QueryEscape(cutoff.Format(time.RFC3339Nano)), func(v AgentView) bool { return !v.LastSeen.Before(cutoff) }},
		{"last_seen_range_before=" + url.QueryEscape(cutoff.Format("2006-01-02 15:04:05")), func(v AgentView) bool { return !v.LastSeen.After(cutoff) }},
		{"id=7", func(v AgentView) bool { return v.PK == 7 }},
		{"search=" + url.QueryEscape(views[5].Hostname[2:6]), nil},
		{"plat=windows&site=" + itoa(site), func(v AgentView) bool { return v.Platform == "windows" && v.SiteID == site }},
	} {
		t.Run(tc.query, func(t *testing.T) {
			got := betaIDs(t, s, tc.query)
			if tc.keep == nil { // search: at least the agent it was cut from
				if !containsInt(got, views[5].PK) {
					t.Fatalf("search missed agent %d: %v", views[5].PK, got)
				}
				return
			}
			want := expect(tc.keep)
			if !equalInts(got, want) {
				t.Fatalf("ids = %v, want %v", got, want)
			}
		})
	}
	if n := len(betaIDs(t, s, "last_seen_range_after="+url.QueryEscape(cutoff.Format(time.RFC3339Nano)))); n == 0 || n == 40 {
		t.Fatalf("the time filter should split the fleet, kept %d", n)
	}
}

func TestBetaAgentFilterErrors(t *testing.T) {
	s := newServer(t, Options{Fleet: smallFleet(5)})
	for _, tc := range []struct{ query, want string }{
		{"site=99999", `{"site":["Select a valid choice. That choice is not one of the available choices."]}`},
		{"site=abc", `{"site":["Select a valid choice. That choice is not one of the available choices."]}`},
		{"plat=beos", `{"plat":["Select a valid choice. beos is not one of the available choices."]}`},
		{"client_id=x", `{"client_id":["Enter a number."]}`},
		{"last_seen_range_after=yesterday", `{"last_seen_range":["Enter a valid date/time."]}`},
		// An unencoded "+" in an offset arrives as a space: invalid.
		{"last_seen_range_after=2026-06-16T14:00:00+00:00", `{"last_seen_range":["Enter a valid date/time."]}`},
		{"plat=beos&site=99999", `{"plat":["Select a valid choice. beos is not one of the available choices."],"site":["Select a valid choice. That choice is not one of the available choices."]}`},
	} {
		r := do(t, s, req{path: "/beta/v1/agent/?" + tc.query, header: adminKey})
		if r.status != http.StatusBadRequest || string(r.body) != tc.want {
			t.Errorf("%s: %d %s, want 400 %s", tc.query, r.status, r.body, tc.want)
		}
	}
}

func TestNonBetaAgentListParams(t *testing.T) {
	s := newServer(t, Options{Fleet: smallFleet(30)})
	a := s.Agent(2)
	count := func(query string) int { return len(getJSON(t, s, "/agents/?detail=false&"+query).arr(t)) }
	want := func(keep func(AgentView) bool) int {
		n := 0
		for i := range s.NumAgents() {
			if keep(s.Agent(i)) {
				n++
			}
		}
		return n
	}
	if got, w := count("site="+itoa(a.SiteID)), want(func(v AgentView) bool { return v.SiteID == a.SiteID }); got != w {
		t.Fatalf("site filter = %d, want %d", got, w)
	}
	if got, w := count("client="+itoa(a.ClientID)), want(func(v AgentView) bool { return v.ClientID == a.ClientID }); got != w {
		t.Fatalf("client filter = %d, want %d", got, w)
	}
	// client is ignored when site is given.
	if got, w := count("client=99&site="+itoa(a.SiteID)), want(func(v AgentView) bool { return v.SiteID == a.SiteID }); got != w {
		t.Fatalf("site+client = %d, want %d", got, w)
	}
	if got, w := count("monitoring_type=workstation"), want(func(v AgentView) bool { return v.MonitoringType == "workstation" }); got != w {
		t.Fatalf("monitoring_type = %d, want %d", got, w)
	}
	r := do(t, s, req{path: "/agents/?monitoring_type=desktop", header: adminKey})
	if r.status != 400 || string(r.body) != `"monitoring type does not exist"` {
		t.Fatalf("bad monitoring type = %d %s", r.status, r.body)
	}
	if r := do(t, s, req{path: "/agents/?site=abc", header: adminKey}); r.status != 500 {
		t.Fatalf("non-numeric site = %d, want 500", r.status)
	}
	// Minimal rows: exactly these keys, client and site are names.
	r = getJSON(t, s, "/agents/?detail=false")
	row := r.arr(t)[2].(map[string]any)
	first := firstRow(t, r.body)
	if got := keysOf(t, first); !equalStrings(got, []string{"id", "hostname", "agent_id", "client", "site"}) {
		t.Fatalf("keys = %v", got)
	}
	if row["client"] != a.ClientName || row["site"] != a.SiteName || row["agent_id"] != a.AgentID {
		t.Fatalf("row = %v, want %+v", row, a)
	}
}
