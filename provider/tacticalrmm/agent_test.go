package tacticalrmm

import (
	"errors"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// TestSyncAgentUsesTheNonBetaDetailByAgentID: the beta detail is keyed by
// the integer pk and ?agent_id= on the beta list is a 500 (API.md §10.4),
// so SyncAgent reads /agents/<agent_id>/ and the site for the client.
func TestSyncAgentUsesTheNonBetaDetailByAgentID(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	res, err := p.SyncAgent(t.Context(), rmm.SyncAgentRequest{Integration: f.integration(), DeviceExternalID: agentWS})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Device
	checks := []struct {
		name      string
		got, want any
	}{
		{"ExternalID", d.ExternalID, agentWS},
		{"OrgExternalID", d.OrgExternalID, "3"},
		{"SiteExternalID", d.SiteExternalID, "7"},
		{"SiteName", d.SiteName, "Main Office"},
		{"Hostname", d.Hostname, "ACME-WS-014"},
		{"Status (the server's)", d.Status, rmm.StatusOnline},
		{"Kind", d.Kind, rmm.KindWorkstation},
		{"SerialNumber", d.SerialNumber, "7QX2KD3"},
		{"CPUThreads", d.CPUThreads, 12},
		{"RAMBytes", d.RAMBytes, int64(16 << 30)},
		{"LastSeen", d.LastSeen, time.Date(2026, 6, 16, 14, 59, 21, 304117000, time.UTC)},
		{"CurrentUser", d.CurrentUser, "jmorales"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	checkRaw(t, agentWS, d.Raw)
	for _, dropped := range []string{"all_timezones", "services"} {
		if containsKey(d.Raw, dropped) {
			t.Errorf("Raw keeps %q", dropped)
		}
	}
	for _, r := range f.seen() {
		if r.query.Has("agent_id") {
			t.Errorf("%s %s?%s: ?agent_id= on the beta list is a server error", r.method, r.path, r.query.Encode())
		}
		if r.path == "/beta/v1/agent/"+agentWS+"/" {
			t.Errorf("asked the beta detail by agent_id; it is keyed by pk")
		}
	}
}

func TestSyncAgentUnknownIsNotFound(t *testing.T) {
	tests := []struct {
		name      string
		id        string
		wantCalls bool
	}{
		{"unknown agent", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", true},
		{"shorter than 21 characters never calls (it would HTML-404)", "abc", false},
		{"exactly 20 characters", "AAAAAAAAAAAAAAAAAAAA", false},
		{"with a slash", "AAAAAAAAAA/AAAAAAAAAAAAAAAAAA", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureServer(t)
			p, _ := newTestProvider(t)
			_, err := p.SyncAgent(t.Context(), rmm.SyncAgentRequest{Integration: f.integration(), DeviceExternalID: tt.id})
			if !errors.Is(err, rmm.ErrNotFound) {
				t.Fatalf("error = %v, want ErrNotFound", err)
			}
			if called := len(f.seen()) > 0; called != tt.wantCalls {
				t.Errorf("called the server: %v, want %v", called, tt.wantCalls)
			}
		})
	}
}

func TestSyncAgentReturnsTheTokenItObtained(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	res, err := p.SyncAgent(t.Context(), rmm.SyncAgentRequest{Integration: f.passwordIntegration("stale"), DeviceExternalID: agentWS})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewSecrets[SecretToken] == "" || res.NewSecrets[SecretToken] == "stale" {
		t.Errorf("NewSecrets = %v, want the fresh token", res.NewSecrets)
	}
}
