package tacticalfake

import (
	"testing"
	"time"
)

func TestStatusAtTheStrictBoundaries(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now, Fleet: smallFleet(6)})
	// Find an agent with the default 4/30-minute thresholds.
	i := -1
	for k := range s.NumAgents() {
		if a := s.Agent(k); a.OfflineTime == 4 && a.OverdueTime == 30 {
			i = k
			break
		}
	}
	if i < 0 {
		t.Fatal("no agent with default thresholds")
	}
	a := s.Agent(i)
	for _, tc := range []struct {
		name     string
		lastSeen time.Time
		want     string
	}{
		{"just now", refTime, "online"},
		{"exactly offline_time ago", refTime.Add(-4 * time.Minute), "online"},
		{"a microsecond past offline_time", refTime.Add(-4*time.Minute - time.Microsecond), "offline"},
		{"a microsecond before overdue_time", refTime.Add(-30*time.Minute + time.Microsecond), "offline"},
		{"exactly overdue_time ago (the edge case)", refTime.Add(-30 * time.Minute), "online"},
		{"a microsecond past overdue_time", refTime.Add(-30*time.Minute - time.Microsecond), "overdue"},
		{"never seen", time.Time{}, "offline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.SetLastSeen(i, tc.lastSeen)
			if got := s.Agent(i).Status; got != tc.want {
				t.Fatalf("AgentView.Status = %s, want %s", got, tc.want)
			}
			if got := getJSON(t, s, "/beta/v1/agent/"+itoa(a.PK)+"/").obj(t)["status"]; got != tc.want {
				t.Fatalf("beta detail status = %v, want %s", got, tc.want)
			}
			if got := getJSON(t, s, "/agents/"+a.AgentID+"/").obj(t)["status"]; got != tc.want {
				t.Fatalf("agent detail status = %v, want %s", got, tc.want)
			}
			for _, row := range getJSON(t, s, "/agents/").arr(t) {
				if r := row.(map[string]any); r["agent_id"] == a.AgentID && r["status"] != tc.want {
					t.Fatalf("table status = %v, want %s", r["status"], tc.want)
				}
			}
			// The list has no status, only last_seen.
			row := getJSON(t, s, "/beta/v1/agent/?id="+itoa(a.PK)).obj(t)["results"].([]any)[0].(map[string]any)
			if _, has := row["status"]; has {
				t.Fatal("the beta list has a status")
			}
			wantSeen := any(nil)
			if !tc.lastSeen.IsZero() {
				wantSeen = drfTime(tc.lastSeen)
			}
			if row["last_seen"] != wantSeen {
				t.Fatalf("last_seen = %v, want %v", row["last_seen"], wantSeen)
			}
		})
	}
}

func TestStatusFollowsTheClock(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now, Fleet: smallFleet(50)})
	counts := func() map[string]int {
		m := map[string]int{}
		for i := range s.NumAgents() {
			m[s.Agent(i).Status]++
		}
		return m
	}
	before := counts()
	if before["online"] == 0 || before["offline"]+before["overdue"] == 0 {
		t.Fatalf("a generated fleet should mix statuses: %v", before)
	}
	clock.Advance(2 * time.Hour)
	if after := counts(); after["online"] != 0 || after["overdue"] != 50 {
		t.Fatalf("two hours later nobody checked in: %v", after)
	}
	// A touched agent checked in now.
	s.Touch(3)
	if got := s.Agent(3).Status; got != "online" {
		t.Fatalf("touched agent = %s", got)
	}
}
