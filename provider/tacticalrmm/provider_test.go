package tacticalrmm

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestDescribe(t *testing.T) {
	p, _ := newTestProvider(t)
	md, err := p.Describe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if md.Name != "tacticalrmm" || md.DisplayName != "Tactical RMM" || md.Version != Version || md.ProtocolVersion != rmm.ProtocolVersion {
		t.Errorf("metadata = %+v", md)
	}
	if !md.RunsIn(rmm.EditionCE) || !md.RunsIn(rmm.EditionEE) {
		t.Errorf("editions = %v", md.Editions)
	}
	for _, c := range []rmm.Capability{rmm.CapTestConnection, rmm.CapSyncOrgs, rmm.CapSyncDevices, rmm.CapIncrementalDevices,
		rmm.CapSyncAgent, rmm.CapWebhooks, rmm.CapBackfillAlerts, rmm.CapSoftware} {
		if !md.Supports(c) {
			t.Errorf("capability %s missing", c)
		}
	}
	modes := map[rmm.AuthMode]rmm.AuthModeSpec{}
	for _, m := range md.AuthModes {
		modes[m.Mode] = m
	}
	if m := modes[rmm.AuthAPIKey]; !slices.Equal(m.RequiredSecrets, []string{"api_key"}) {
		t.Errorf("api_key mode = %+v", m)
	}
	if m := modes[rmm.AuthPassword]; !slices.Equal(m.RequiredSecrets, []string{"username", "password"}) || !slices.Equal(m.OptionalSecrets, []string{"token"}) {
		t.Errorf("password mode = %+v", m)
	}
}

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name      string
		opts      []Option
		pageSize  int
		parallel  int
		cacheSize int
	}{
		{"defaults", nil, 1000, 4, 64},
		{"page size above the cap is clamped", []Option{WithPageSize(5000)}, 1000, 4, 64},
		{"small page size", []Option{WithPageSize(50)}, 50, 4, 64},
		{"parallelism at least 1", []Option{WithParallelism(0)}, 1000, 1, 64},
		{"cache size", []Option{WithClientCacheSize(2)}, 1000, 4, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(tt.opts...)
			if p.pageSize != tt.pageSize || p.parallelism != tt.parallel || p.clients.max != tt.cacheSize {
				t.Errorf("pageSize=%d parallelism=%d cache=%d", p.pageSize, p.parallelism, p.clients.max)
			}
		})
	}
}

func TestSettingsOverridePaging(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	in := f.integration()
	in.Settings = json.RawMessage(`{"page_size": 2, "parallelism": 1, "unrelated": true}`)
	out := &collector[rmm.Device]{}
	if _, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in}, out); err != nil {
		t.Fatal(err)
	}
	if len(out.items) != 3 {
		t.Fatalf("got %d devices", len(out.items))
	}
	var pages int
	for _, r := range f.seen() {
		if r.path == "/beta/v1/agent/" {
			pages++
			if r.query.Get("page_size") != "2" {
				t.Errorf("page_size = %q, want 2", r.query.Get("page_size"))
			}
		}
	}
	if pages != 2 {
		t.Errorf("read %d agent pages, want 2", pages)
	}
}

func TestInvalidSettings(t *testing.T) {
	for _, raw := range []string{`[1]`, `{"page_size": 5000}`, `{"parallelism": -1}`, `{"ca_cert_pem": "not pem"}`} {
		f := newFixtureServer(t)
		p, _ := newTestProvider(t)
		in := f.integration()
		in.Settings = json.RawMessage(raw)
		_, err := p.SyncOrgs(t.Context(), rmm.SyncRequest{Integration: in}, &collector[rmm.Org]{})
		if !errors.Is(err, rmm.ErrInvalidConfig) {
			t.Errorf("settings %s: error = %v, want ErrInvalidConfig", raw, err)
		}
	}
}

func TestClientCacheReusesPerRevisionAndStaysBounded(t *testing.T) {
	c := newClientCache(2)
	builds := 0
	build := func() (*http.Client, error) { builds++; return &http.Client{}, nil }
	a1, _ := c.get(cacheKey{id: "a", revision: 1}, build)
	a1again, _ := c.get(cacheKey{id: "a", revision: 1}, build)
	if a1 != a1again || builds != 1 {
		t.Fatalf("same revision built %d clients", builds)
	}
	a2, _ := c.get(cacheKey{id: "a", revision: 2}, build)
	if a2 == a1 || c.len() != 1 {
		t.Errorf("a new revision must replace the old client (len %d)", c.len())
	}
	_, _ = c.get(cacheKey{id: "b", revision: 1}, build)
	_, _ = c.get(cacheKey{id: "a", revision: 2}, build) // a is now the most recent
	_, _ = c.get(cacheKey{id: "c", revision: 1}, build)
	if c.len() != 2 {
		t.Errorf("cache holds %d clients, bound is 2", c.len())
	}
	builds = 0
	_, _ = c.get(cacheKey{id: "a", revision: 2}, build)
	if builds != 0 {
		t.Errorf("the most recently used entry was evicted")
	}
	_, _ = c.get(cacheKey{id: "b", revision: 1}, build)
	if builds != 1 {
		t.Errorf("the least recently used entry was kept")
	}
}

func TestClientCacheDoesNotCacheFailures(t *testing.T) {
	c := newClientCache(4)
	_, err := c.get(cacheKey{id: "a"}, func() (*http.Client, error) { return nil, errors.New("bad CA") })
	if err == nil || c.len() != 0 {
		t.Errorf("err %v, len %d", err, c.len())
	}
}

// TestRevisionBumpUsesTheNewCredentials: the host bumps Revision when
// secrets change; the provider must not keep using the old ones.
func TestRevisionBumpUsesTheNewCredentials(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	in := f.integration()
	in.Secrets = map[string]string{SecretAPIKey: "OLDKEY"}
	if _, err := p.SyncOrgs(t.Context(), rmm.SyncRequest{Integration: in}, &collector[rmm.Org]{}); !errors.Is(err, rmm.ErrUnauthorized) {
		t.Fatalf("old key: error = %v, want ErrUnauthorized", err)
	}
	in.Revision++
	in.Secrets = map[string]string{SecretAPIKey: testAPIKey}
	if _, err := p.SyncOrgs(t.Context(), rmm.SyncRequest{Integration: in}, &collector[rmm.Org]{}); err != nil {
		t.Fatalf("new key: %v", err)
	}
}

// TestBulkCallsReturnTheTokenTheyObtained: a refused stored token leads to
// one re-login; the summary hands the new token to the host.
func TestBulkCallsReturnTheTokenTheyObtained(t *testing.T) {
	f := newFixtureServer(t)
	p, logs := newTestProvider(t)
	in := f.passwordIntegration("expired-token")
	sums := map[string]rmm.SyncSummary{}
	var err error
	if sums["orgs"], err = p.SyncOrgs(t.Context(), rmm.SyncRequest{Integration: in}, &collector[rmm.Org]{}); err != nil {
		t.Fatal(err)
	}
	if sums["devices"], err = p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in}, &collector[rmm.Device]{}); err != nil {
		t.Fatal(err)
	}
	if sums["alerts"], err = p.BackfillAlerts(t.Context(), rmm.BackfillRequest{Integration: in}, &collector[rmm.Alert]{}); err != nil {
		t.Fatal(err)
	}
	if sums["software"], err = p.IngestSoftware(t.Context(), rmm.SoftwareRequest{Integration: in}, &collector[rmm.SoftwareBatch]{}); err != nil {
		t.Fatal(err)
	}
	for name, s := range sums {
		if tok := s.NewSecrets[SecretToken]; tok == "" || tok == "expired-token" {
			t.Errorf("%s: NewSecrets = %v, want the new token", name, s.NewSecrets)
		}
	}
	if strings.Contains(logs.String(), testPassword) || strings.Contains(logs.String(), sums["orgs"].NewSecrets[SecretToken]) {
		t.Errorf("logs leak a credential")
	}
}

func TestBulkCallWithTOTPAccountAndExpiredTokenAsksToReauthenticate(t *testing.T) {
	f := newFixtureServer(t)
	f.set(func(f *fixtureServer) { f.totp = true })
	p, _ := newTestProvider(t)
	_, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.passwordIntegration("expired-token")}, &collector[rmm.Device]{})
	if !errors.Is(err, rmm.ErrUnauthorized) || !strings.Contains(err.Error(), "TOTP") {
		t.Fatalf("error = %v, want ErrUnauthorized asking for a TOTP code", err)
	}
}

func TestNoSecretsInLogsOrErrors(t *testing.T) {
	f := newFixtureServer(t)
	p, logs := newTestProvider(t)
	in := f.integration()
	in.Secrets[SecretAPIKey] = "WRONG" + testAPIKey
	_, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in}, &collector[rmm.Device]{})
	if err == nil || strings.Contains(err.Error(), testAPIKey) {
		t.Errorf("error = %v", err)
	}
	if _, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: f.integration()}, &collector[rmm.Device]{}); err != nil {
		t.Fatal(err)
	}
	if logs.String() == "" {
		t.Fatal("no logs captured at trace level")
	}
	if strings.Contains(logs.String(), testAPIKey) {
		t.Errorf("logs leak the API key")
	}
}
