package tacticalfake

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuthenticationErrors(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now})
	s.AddAPIKey("EXPIREDKEY", SuperuserPerms(), refTime.Add(-time.Second))
	s.AddAPIKey("FUTUREKEY", SuperuserPerms(), refTime.Add(time.Hour))
	s.AddUser(User{Username: "gone", Password: "pw", Perms: SuperuserPerms(), Inactive: true})
	if err := s.AddUserAPIKey("gone", "INACTIVEKEY", zeroTime); err != nil {
		t.Fatal(err)
	}
	tok, err := s.IssueToken(DefaultUsername, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
		detail string
	}{
		{"no credentials", nil, 401, msgNotAuthenticated},
		{"unknown key", map[string]string{"X-API-KEY": "NOPE"}, 401, "Invalid token."},
		{"expired key", map[string]string{"X-API-KEY": "EXPIREDKEY"}, 401, "The token has expired."},
		{"inactive user", map[string]string{"X-API-KEY": "INACTIVEKEY"}, 401, "User inactive or deleted."},
		{"undecodable key", map[string]string{"X-API-KEY": "\xff\xfe"}, 401, "Invalid token header. Token string should not contain invalid characters."},
		{"token without value", map[string]string{"Authorization": "Token"}, 401, "Invalid token header. No credentials provided."},
		{"token with spaces", map[string]string{"Authorization": "Token a b"}, 401, "Invalid token header. Token string should not contain spaces."},
		{"unknown token", map[string]string{"Authorization": "Token " + strings.Repeat("ab", 32)}, 401, "Invalid token."},
		{"token beats a bad key", map[string]string{"Authorization": "token " + tok, "X-API-KEY": "NOPE"}, 200, ""},
		{"bad token beats a good key", map[string]string{"Authorization": "Token " + strings.Repeat("0", 64), "X-API-KEY": DefaultAPIKey}, 401, "Invalid token."},
		{"other scheme is skipped", map[string]string{"Authorization": "Bearer " + tok, "X-API-KEY": DefaultAPIKey}, 200, ""},
		{"other scheme alone is anonymous", map[string]string{"Authorization": "Bearer " + tok}, 401, msgNotAuthenticated},
		{"key not yet expired", map[string]string{"X-API-KEY": "FUTUREKEY"}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, req{path: "/core/version/", header: tc.header})
			if tc.status == 200 {
				if r.status != 200 || string(r.body) != `"0.0.203"` {
					t.Fatalf("got %d %s", r.status, r.body)
				}
				return
			}
			wantDetail(t, r, tc.status, tc.detail)
			if got := r.header.Get("WWW-Authenticate"); got != "Token" {
				t.Fatalf("WWW-Authenticate = %q, want Token", got)
			}
		})
	}
}

func TestPermissionsPerEndpoint(t *testing.T) {
	s := newServer(t, Options{})
	agentID := s.Agent(0).AgentID
	endpoints := []struct {
		path string
		flag func(*Perms)
	}{
		{"/agents/", func(p *Perms) { p.ListAgents = true }},
		{"/agents/" + agentID + "/", func(p *Perms) { p.ListAgents = true }},
		{"/beta/v1/agent/", func(p *Perms) { p.ListAgents = true }},
		{"/beta/v1/agent/1/", func(p *Perms) { p.ListAgents = true }},
		{"/clients/", func(p *Perms) { p.ListClients = true }},
		{"/beta/v1/client/", func(p *Perms) { p.ListClients = true }},
		{"/clients/sites/", func(p *Perms) { p.ListSites = true }},
		{"/beta/v1/site/", func(p *Perms) { p.ListSites = true }},
		{"/software/", func(p *Perms) { p.ListSoftware = true }},
		{"/software/" + agentID + "/", func(p *Perms) { p.ListSoftware = true }},
	}
	for k, ep := range endpoints {
		t.Run(ep.path, func(t *testing.T) {
			var only Perms
			ep.flag(&only)
			key := "ONLY" + strings.Repeat("K", k+1)
			s.AddAPIKey(key, only, zeroTime)
			getJSONWith(t, s, ep.path, map[string]string{"X-API-KEY": key})
			// Every other single permission is refused with a 403.
			other := "OTHER" + strings.Repeat("K", k+1)
			var rest Perms
			for _, e := range endpoints {
				e.flag(&rest)
			}
			switch {
			case only.ListAgents:
				rest.ListAgents = false
			case only.ListClients:
				rest.ListClients = false
			case only.ListSites:
				rest.ListSites = false
			case only.ListSoftware:
				rest.ListSoftware = false
			}
			s.AddAPIKey(other, rest, zeroTime)
			r := do(t, s, req{path: ep.path, header: map[string]string{"X-API-KEY": other}})
			wantDetail(t, r, http.StatusForbidden, msgNoPermission)
		})
	}
	// Alerts need can_list_alerts.
	s.AddAPIKey("NOALERTS", Perms{ListAgents: true}, zeroTime)
	r := do(t, s, req{method: http.MethodPatch, path: "/alerts/", header: map[string]string{"X-API-KEY": "NOALERTS"}})
	wantDetail(t, r, http.StatusForbidden, msgNoPermission)
}

func TestRoleFilterAppliesToNonBetaListsOnly(t *testing.T) {
	s := newServer(t, Options{Fleet: FleetSpec{Clients: 3, SitesPerClient: 2, Agents: 60, SoftwarePerWindowsAgent: 2, Alerts: 30, Seed: 5}})
	client := s.Clients()[0].ID
	p := ReadOnlyPerms()
	p.ViewClients = []int{client}
	s.AddAPIKey("ROLE", p, zeroTime)
	key := map[string]string{"X-API-KEY": "ROLE"}

	mine, total := 0, 0
	var outside AgentView
	for i := range s.NumAgents() {
		a := s.Agent(i)
		total++
		if a.ClientID == client {
			mine++
		} else {
			outside = a
		}
	}
	if mine == 0 || mine == total {
		t.Fatalf("fleet not useful for this test: %d of %d", mine, total)
	}
	if got := len(getJSONWith(t, s, "/agents/?detail=false", key).arr(t)); got != mine {
		t.Fatalf("/agents/ rows = %d, want the role's %d", got, mine)
	}
	if got := getJSONWith(t, s, "/beta/v1/agent/?page_size=1", key).obj(t)["count"]; got != jsonInt(total) {
		t.Fatalf("beta count = %v, want every agent (%d)", got, total)
	}
	if got := len(getJSONWith(t, s, "/clients/", key).arr(t)); got != 1 {
		t.Fatalf("/clients/ rows = %d, want 1", got)
	}
	if got := len(getJSONWith(t, s, "/beta/v1/client/", key).arr(t)); got != 3 {
		t.Fatalf("beta clients = %d, want 3", got)
	}
	wantDetail(t, do(t, s, req{path: "/agents/" + outside.AgentID + "/", header: key}), http.StatusForbidden, msgNoPermission)
	for _, row := range getJSONWith(t, s, "/software/", key).arr(t) {
		pk := mustInt(t, row.(map[string]any)["agent"])
		if s.Agent(pk-1).ClientID != client {
			t.Fatalf("software row of agent %d outside the role", pk)
		}
	}
}

func TestKnoxTokenSlidesAndExpires(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now})
	tok, err := s.IssueToken(DefaultUsername, 180*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Authorization": "Token " + tok}
	use := func() resp { return do(t, s, req{path: "/core/version/", header: h}) }
	expiry := func() time.Time {
		e, ok := s.TokenExpiry(tok)
		if !ok {
			t.Fatal("token vanished")
		}
		return e
	}

	clock.Advance(100 * time.Second)
	if r := use(); r.status != 200 {
		t.Fatalf("first use = %d", r.status)
	}
	// The first use turns the 180-second token into a 5-hour one.
	if want := refTime.Add(100*time.Second + 5*time.Hour); !expiry().Equal(want) {
		t.Fatalf("expiry = %v, want %v", expiry(), want)
	}
	// A refresh moving the expiry by less than 600 s is not saved...
	clock.Advance(5 * time.Minute)
	use()
	if want := refTime.Add(100*time.Second + 5*time.Hour); !expiry().Equal(want) {
		t.Fatalf("expiry moved by a small refresh: %v", expiry())
	}
	// ...one moving it by more is.
	clock.Advance(6 * time.Minute)
	use()
	if want := clock.Now().Add(5 * time.Hour); !expiry().Equal(want) {
		t.Fatalf("expiry = %v, want %v", expiry(), want)
	}
	// Idle past the window: invalid, and deleted on use.
	clock.Advance(5*time.Hour + time.Second)
	wantDetail(t, use(), http.StatusUnauthorized, "Invalid token.")
	if _, ok := s.TokenExpiry(tok); ok {
		t.Fatal("an expired token was not deleted")
	}
}

func TestLogout(t *testing.T) {
	s := newServer(t, Options{})
	a, _ := s.IssueToken(DefaultUsername, time.Hour)
	b, _ := s.IssueToken(DefaultUsername, time.Hour)
	c, _ := s.IssueToken(DefaultUsername, time.Hour)
	tokenHdr := func(tok string) map[string]string { return map[string]string{"Authorization": "Token " + tok} }

	// Logout authenticates with knox only: an API key is not enough.
	wantDetail(t, do(t, s, req{method: http.MethodPost, path: "/logout/", header: adminKey}), http.StatusUnauthorized, msgNotAuthenticated)

	r := do(t, s, req{method: http.MethodPost, path: "/logout/", header: tokenHdr(a)})
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("logout = %d %q", r.status, r.body)
	}
	wantDetail(t, do(t, s, req{path: "/core/version/", header: tokenHdr(a)}), http.StatusUnauthorized, "Invalid token.")
	getJSONWith(t, s, "/core/version/", tokenHdr(b))

	if r := do(t, s, req{method: http.MethodPost, path: "/logoutall/", header: tokenHdr(b)}); r.status != http.StatusNoContent {
		t.Fatalf("logoutall = %d", r.status)
	}
	wantDetail(t, do(t, s, req{path: "/core/version/", header: tokenHdr(c)}), http.StatusUnauthorized, "Invalid token.")
}
