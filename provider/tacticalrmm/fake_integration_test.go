package tacticalrmm

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// These tests run the provider against tacticalfake, the fake Tactical
// server written to API.md, with a clock both share.

// fakeClock is a settable clock shared by the fake and the provider.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newFake(t *testing.T, opts tacticalfake.Options) (*tacticalfake.Server, *Provider, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 6, 16, 15, 0, 0, 0, time.UTC)}
	opts.Now = clock.now
	srv := tacticalfake.NewT(t, opts)
	p, _ := newTestProvider(t, WithClock(clock.now))
	return srv, p, clock
}

func fakeIntegration(srv *tacticalfake.Server) rmm.Integration {
	return rmm.Integration{ID: "fake", Revision: 1, BaseURL: srv.URL(), AuthMode: rmm.AuthAPIKey,
		Secrets: map[string]string{SecretAPIKey: tacticalfake.DefaultAPIKey}}
}

func TestFakeEndToEnd(t *testing.T) {
	srv, p, _ := newFake(t, tacticalfake.Options{})
	in := fakeIntegration(srv)
	ctx := t.Context()

	res, err := p.TestConnection(ctx, rmm.TestConnectionRequest{Integration: in})
	if err != nil || !res.OK {
		t.Fatalf("TestConnection: %+v, %v", res, err)
	}
	counts := srv.Counts()
	if res.Details["agents"] != strconv.Itoa(counts.Agents) || res.ServerVersion != tacticalfake.DefaultVersion {
		t.Errorf("details %v version %q", res.Details, res.ServerVersion)
	}

	orgs := &collector[rmm.Org]{}
	if _, err := p.SyncOrgs(ctx, rmm.SyncRequest{Integration: in}, orgs); err != nil {
		t.Fatal(err)
	}
	orgOfSite := map[string]string{}
	for _, o := range orgs.items {
		for _, s := range o.Sites {
			orgOfSite[s.ExternalID] = o.ExternalID
		}
	}
	if len(orgs.items) != counts.Clients || len(orgOfSite) != counts.Sites {
		t.Errorf("orgs %d sites %d, want %d and %d", len(orgs.items), len(orgOfSite), counts.Clients, counts.Sites)
	}

	devs := &collector[rmm.Device]{}
	sum, err := p.SyncDevices(ctx, rmm.SyncRequest{Integration: in, Mode: rmm.SyncFull}, devs)
	if err != nil {
		t.Fatal(err)
	}
	if int(sum.Sent) != counts.Agents || sum.Skipped != 0 {
		t.Fatalf("sent %d skipped %d, want %d", sum.Sent, sum.Skipped, counts.Agents)
	}
	for _, d := range devs.items {
		i, ok := srv.AgentIndex(d.ExternalID)
		if !ok {
			t.Errorf("device %s is not in the fleet", d.ExternalID)
			continue
		}
		v := srv.Agent(i)
		if d.Hostname != v.Hostname || d.SiteExternalID != strconv.Itoa(v.SiteID) || d.OrgExternalID != strconv.Itoa(v.ClientID) ||
			d.SiteName != v.SiteName || d.Platform != v.Platform || string(d.Kind) != v.MonitoringType ||
			string(d.Status) != v.Status || !d.LastSeen.Equal(v.LastSeen) {
			t.Errorf("device %s = %+v\nfake says %+v", d.ExternalID, d, v)
		}
		if orgOfSite[d.SiteExternalID] != d.OrgExternalID {
			t.Errorf("device %s org %s does not match SyncOrgs", d.ExternalID, d.OrgExternalID)
		}
	}

	// SyncAgent reads another endpoint (the non-beta detail); the result
	// must match the list's.
	for _, want := range devs.items[:3] {
		got, err := p.SyncAgent(ctx, rmm.SyncAgentRequest{Integration: in, DeviceExternalID: want.ExternalID})
		if err != nil {
			t.Fatalf("SyncAgent(%s): %v", want.ExternalID, err)
		}
		g, w := got.Device, want
		g.Raw, w.Raw = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("SyncAgent and SyncDevices disagree on %s:\n agent %+v\n list  %+v", want.ExternalID, g, w)
		}
	}

	sw := &collector[rmm.SoftwareBatch]{}
	if _, err := p.IngestSoftware(ctx, rmm.SoftwareRequest{Integration: in}, sw); err != nil {
		t.Fatal(err)
	}
	items := 0
	for _, b := range sw.items {
		items += len(b.Items)
	}
	if len(sw.items) != counts.SoftwareRows || items != counts.Software {
		t.Errorf("software: %d devices, %d items; fake has %d rows, %d items", len(sw.items), items, counts.SoftwareRows, counts.Software)
	}

	for _, r := range srv.RequestLog() {
		if !strings.HasSuffix(r.Path, "/") {
			t.Errorf("%s %s has no trailing slash", r.Method, r.Path)
		}
		if strings.HasPrefix(r.Path, "/beta/v1/agent") && strings.Contains(r.RawQuery, "agent_id=") {
			t.Errorf("%s %s?%s uses agent_id on the beta API", r.Method, r.Path, r.RawQuery)
		}
	}
	if p := srv.Panics(); len(p) > 0 {
		t.Errorf("the fake panicked: %v", p)
	}
}

func TestFakeBackfillWindow(t *testing.T) {
	srv, p, clock := newFake(t, tacticalfake.Options{})
	in := fakeIntegration(srv)
	since, until := clock.now().Add(-72*time.Hour), clock.now().Add(-time.Hour)
	out := &collector[rmm.Alert]{}
	if _, err := p.BackfillAlerts(t.Context(), rmm.BackfillRequest{Integration: in, Since: since, Until: until, IncludeResolved: true}, out); err != nil {
		t.Fatal(err)
	}
	inWindow := func(t time.Time) bool { return !t.IsZero() && !t.Before(since) && t.Before(until) }
	want := map[string]bool{}
	for _, a := range srv.Alerts() {
		if inWindow(a.Time) || (a.Resolved && inWindow(a.ResolvedOn)) {
			want[strconv.Itoa(a.ID)] = true
		}
	}
	got := map[string]bool{}
	for _, a := range out.items {
		got[a.ExternalID] = true
		if a.DedupKey != "alert:"+a.ExternalID {
			t.Errorf("alert %s key %q", a.ExternalID, a.DedupKey)
		}
	}
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("backfill returned %d alerts, the fake has %d in the window", len(got), len(want))
	}
}

func TestFakeIncrementalSyncReturnsOnlyRecentAgents(t *testing.T) {
	srv, p, clock := newFake(t, tacticalfake.Options{})
	in := fakeIntegration(srv)
	full, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in, Mode: rmm.SyncFull}, &collector[rmm.Device]{})
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(2 * time.Hour)
	srv.Touch(0)
	srv.Touch(5)
	out := &collector[rmm.Device]{}
	if _, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in, Mode: rmm.SyncIncremental, Cursor: full.Cursor}, out); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, d := range out.items {
		got[d.ExternalID] = true
	}
	// Agents that keep checking in have moved on with the clock too; the
	// others must not come back.
	var c deviceCursor
	if err := json.Unmarshal(full.Cursor, &c); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for i := range srv.NumAgents() {
		if v := srv.Agent(i); !v.LastSeen.Before(c.LastSeenAfter) {
			want[v.AgentID] = true
		}
	}
	if !want[srv.Agent(0).AgentID] || !want[srv.Agent(5).AgentID] || len(want) == srv.NumAgents() {
		t.Fatalf("test setup: %d of %d agents seen since the cursor", len(want), srv.NumAgents())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("incremental sync returned %d agents, want the %d seen since the cursor", len(got), len(want))
	}
}

func TestFakeLargeFleetParallelPaging(t *testing.T) {
	// Fake agent rows are ~20 KB of JSON, slow to decode under -race, so
	// the fleet is small and the pages with it; TestSyncDevicesPagesIn-
	// ParallelInIDOrder covers 1000-row pages.
	const agents = 450
	spec := tacticalfake.DefaultFleet()
	spec.Agents = agents
	spec.Clients, spec.SitesPerClient = 5, 3
	srv, _, clock := newFake(t, tacticalfake.Options{Fleet: spec})
	p, _ := newTestProvider(t, WithClock(clock.now), WithPageSize(100), WithParallelism(3))
	out := &collector[rmm.Device]{}
	sum, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: fakeIntegration(srv), MaxBatch: 80}, out)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != agents || len(out.items) != agents {
		t.Fatalf("sent %d", sum.Sent)
	}
	seen := map[string]bool{}
	prevPK := 0
	for _, d := range out.items {
		if seen[d.ExternalID] {
			t.Fatalf("duplicate %s", d.ExternalID)
		}
		seen[d.ExternalID] = true
		i, _ := srv.AgentIndex(d.ExternalID)
		if pk := srv.Agent(i).PK; pk <= prevPK {
			t.Fatalf("pk %d after %d: not in id order", pk, prevPK)
		} else {
			prevPK = pk
		}
	}
	if n := srv.Requests("/beta/v1/agent/"); n != 5 {
		t.Errorf("agent pages requested %d times, want 5", n)
	}
	for _, b := range out.batches {
		if b.Total != agents || len(b.Items) > 80 {
			t.Errorf("batch Total %d size %d", b.Total, len(b.Items))
		}
	}
}

func TestFakeNextLinksBehindAProxy(t *testing.T) {
	srv, p, _ := newFake(t, tacticalfake.Options{PublicURL: "https://api.example.invalid"})
	p2, _ := newTestProvider(t, WithClock(p.now), WithPageSize(5), WithParallelism(1))
	out := &collector[rmm.Device]{}
	if _, err := p2.SyncDevices(t.Context(), rmm.SyncRequest{Integration: fakeIntegration(srv)}, out); err != nil {
		t.Fatal(err)
	}
	if len(out.items) != srv.Counts().Agents {
		t.Errorf("got %d agents, want %d", len(out.items), srv.Counts().Agents)
	}
}

func TestFakeHostProblems(t *testing.T) {
	tests := []struct {
		name   string
		opts   tacticalfake.Options
		reason string
	}{
		{"dashboard host", tacticalfake.Options{SPA: true}, ReasonDashboardHost},
		{"beta API off", tacticalfake.Options{BetaDisabled: true}, ReasonBetaAPIDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, p, _ := newFake(t, tt.opts)
			res, err := p.TestConnection(t.Context(), rmm.TestConnectionRequest{Integration: fakeIntegration(srv)})
			if err != nil || res.OK || res.Reason != tt.reason {
				t.Errorf("result %+v, err %v; want reason %s", res, err, tt.reason)
			}
		})
	}
}

func TestFakeVersion150Warning(t *testing.T) {
	srv, p, _ := newFake(t, tacticalfake.Options{Version: "1.5.0"})
	res, err := p.TestConnection(t.Context(), rmm.TestConnectionRequest{Integration: fakeIntegration(srv)})
	if err != nil || !res.OK || res.ServerVersion != "1.5.0" || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "script action") {
		t.Errorf("result %+v, err %v", res, err)
	}
}

func TestFakeRestrictedRole(t *testing.T) {
	srv, p, _ := newFake(t, tacticalfake.Options{})
	const key = "RESTRICTEDKEY0000000000000000001"
	srv.AddAPIKey(key, tacticalfake.Perms{ListAgents: true, ListClients: true, ListSites: true}, time.Time{})
	in := fakeIntegration(srv)
	in.Secrets[SecretAPIKey] = key
	res, err := p.TestConnection(t.Context(), rmm.TestConnectionRequest{Integration: in})
	if err != nil || res.OK || res.Reason != ReasonForbidden {
		t.Fatalf("result %+v, err %v", res, err)
	}
	for _, m := range []string{"alerts", "software"} {
		if !strings.Contains(res.Message, m) {
			t.Errorf("message %q does not name %s", res.Message, m)
		}
	}
	if strings.Contains(res.Message, "agents (") {
		t.Errorf("message %q names agents, which the role may list", res.Message)
	}
}

func TestFakeExpiredAPIKey(t *testing.T) {
	srv, p, clock := newFake(t, tacticalfake.Options{})
	const key = "EXPIREDKEY0000000000000000000001"
	srv.AddAPIKey(key, tacticalfake.SuperuserPerms(), clock.now().Add(-time.Hour))
	in := fakeIntegration(srv)
	in.Secrets[SecretAPIKey] = key
	res, err := p.TestConnection(t.Context(), rmm.TestConnectionRequest{Integration: in})
	if err != nil || res.OK || res.Reason != ReasonAPIKeyExpired {
		t.Errorf("result %+v, err %v", res, err)
	}
}

func TestFakePasswordWithTOTP(t *testing.T) {
	srv, p, clock := newFake(t, tacticalfake.Options{})
	const secret = "JBSWY3DPEHPK3PXP"
	srv.AddUser(tacticalfake.User{Username: "psa", Password: "pw-123", TOTPSecret: secret, Perms: tacticalfake.ReadOnlyPerms()})
	in := rmm.Integration{ID: "pw", Revision: 1, BaseURL: srv.URL(), AuthMode: rmm.AuthPassword,
		Secrets: map[string]string{SecretUsername: "psa", SecretPassword: "pw-123"}}
	res, err := p.TestConnection(t.Context(), rmm.TestConnectionRequest{Integration: in})
	if err != nil || res.OK || !res.OneTimeCodeRequired {
		t.Fatalf("without a code: %+v, %v", res, err)
	}
	res, err = p.TestConnection(t.Context(), rmm.TestConnectionRequest{Integration: in, OneTimeCode: tacticalfake.TOTP(secret, clock.now())})
	if err != nil || !res.OK || res.NewSecrets[SecretToken] == "" {
		t.Fatalf("with the code: %+v, %v", res, err)
	}
	in.Secrets[SecretToken] = res.NewSecrets[SecretToken]
	in.Revision++
	out := &collector[rmm.Device]{}
	sum, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in}, out)
	if err != nil || len(out.items) != srv.Counts().Agents || sum.NewSecrets != nil {
		t.Errorf("sync with the stored token: %d devices, NewSecrets %v, err %v", len(out.items), sum.NewSecrets, err)
	}
	// A routine re-test with the stored token needs no code.
	res, err = p.TestConnection(t.Context(), rmm.TestConnectionRequest{Integration: in})
	if err != nil || !res.OK {
		t.Errorf("re-test with the stored token: %+v, %v", res, err)
	}
}

func TestFakeFaults(t *testing.T) {
	t.Run("a transient 502 is retried", func(t *testing.T) {
		srv, p, _ := newFake(t, tacticalfake.Options{})
		srv.InjectFault(tacticalfake.Fault{PathPrefix: "/beta/v1/agent/", Status: 502, Body: "<h1>Bad Gateway</h1>",
			Header: http.Header{"Content-Type": {"text/html"}}, Times: 1})
		out := &collector[rmm.Device]{}
		if _, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: fakeIntegration(srv)}, out); err != nil {
			t.Fatal(err)
		}
		if len(out.items) != srv.Counts().Agents {
			t.Errorf("got %d devices", len(out.items))
		}
	})
	t.Run("a persistent 500 is ErrUpstreamUnavailable", func(t *testing.T) {
		srv, p, _ := newFake(t, tacticalfake.Options{})
		srv.InjectFault(tacticalfake.Fault{PathPrefix: "/software/", Status: 500, Body: "<h1>Server Error (500)</h1>",
			Header: http.Header{"Content-Type": {"text/html"}}})
		_, err := p.IngestSoftware(t.Context(), rmm.SoftwareRequest{Integration: fakeIntegration(srv)}, &collector[rmm.SoftwareBatch]{})
		if !errors.Is(err, rmm.ErrUpstreamUnavailable) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("a truncated body fails clearly", func(t *testing.T) {
		srv, p, _ := newFake(t, tacticalfake.Options{})
		srv.InjectFault(tacticalfake.Fault{PathPrefix: "/beta/v1/agent/", TruncateBody: true})
		_, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: fakeIntegration(srv)}, &collector[rmm.Device]{})
		if !errors.Is(err, rmm.ErrUpstreamUnavailable) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("a hang ends at the caller's deadline", func(t *testing.T) {
		srv, p, _ := newFake(t, tacticalfake.Options{})
		srv.InjectFault(tacticalfake.Fault{PathPrefix: "/beta/v1/site/", Hang: true})
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		_, err := p.SyncOrgs(ctx, rmm.SyncRequest{Integration: fakeIntegration(srv)}, &collector[rmm.Org]{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestFakeOverTLSWithCustomCA(t *testing.T) {
	srv, p, _ := newFake(t, tacticalfake.Options{TLS: true})
	in := fakeIntegration(srv)
	res, _ := p.TestConnection(t.Context(), rmm.TestConnectionRequest{Integration: in})
	if res.OK || res.Reason != ReasonTLS {
		t.Fatalf("without the CA: %+v", res)
	}
	in.Revision++
	in.Settings = []byte(`{"ca_cert_pem": ` + mustJSON(peerCertPEM(t, srv.URL())) + `}`)
	res, _ = p.TestConnection(t.Context(), rmm.TestConnectionRequest{Integration: in})
	if !res.OK {
		t.Errorf("with the CA: %+v", res)
	}
}

// peerCertPEM fetches the certificate a TLS server presents.
func peerCertPEM(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // reading the cert to trust it
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: conn.ConnectionState().PeerCertificates[0].Raw}))
}
