package integration_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// statusMargin keeps every agent this far from a status threshold, longer
// than any test here runs: the plugin computes an agent's status against
// its own clock at sync time, and the test against the fake's afterwards.
const statusMargin = 2 * time.Minute

// steadyStatuses moves the last check-in of agents close to their
// offline or overdue threshold away from it, so that no status changes
// while the test runs: online agents become freshly seen, agents about to
// go overdue become clearly overdue.
func steadyStatuses(fake *tacticalfake.Server) {
	now := fake.Now()
	for i := range fake.NumAgents() {
		v := fake.Agent(i)
		if v.LastSeen.IsZero() || v.Removed {
			continue
		}
		age := now.Sub(v.LastSeen)
		offline := time.Duration(v.OfflineTime) * time.Minute
		overdue := time.Duration(v.OverdueTime) * time.Minute
		switch {
		case age > offline-statusMargin && age < offline+statusMargin:
			fake.SetLastSeen(i, now.Add(-10*time.Second))
		case age > overdue-statusMargin && age < overdue+statusMargin:
			fake.SetLastSeen(i, now.Add(-overdue-2*statusMargin))
		}
	}
}

// agentsOf lists the agents of a Tactical client.
func agentsOf(fake *tacticalfake.Server, clientID int) []tacticalfake.AgentView {
	var out []tacticalfake.AgentView
	for i := range fake.NumAgents() {
		if v := fake.Agent(i); v.ClientID == clientID && !v.Removed {
			out = append(out, v)
		}
	}
	return out
}

// variedClient picks a Tactical client whose agents cover what the field
// checks must see: a Windows workstation, a Linux server, a macOS
// machine, and an agent nobody is logged in to.
func variedClient(t *testing.T, fake *tacticalfake.Server) int {
	t.Helper()
	for _, c := range fake.Clients() {
		var win, lin, mac, nobody bool
		for _, v := range agentsOf(fake, c.ID) {
			win = win || (v.Platform == "windows" && v.MonitoringType == "workstation")
			lin = lin || (v.Platform == "linux" && v.MonitoringType == "server")
			mac = mac || v.Platform == "darwin"
			nobody = nobody || loggedInUser(t, fake, v.Index) == "None"
		}
		if win && lin && mac && nobody {
			return c.ID
		}
	}
	t.Fatal("no Tactical client of the fleet has a Windows workstation, a Linux server, a Mac and an agent nobody is logged in to: change the fleet's seed")
	return 0
}

func loggedInUser(t *testing.T, fake *tacticalfake.Server, i int) string {
	t.Helper()
	var doc agentDoc
	if err := json.Unmarshal(fake.AgentJSON(i), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.LoggedIn
}
