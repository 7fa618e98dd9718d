package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/host/pgcluster/pgtest"
	"github.com/msp-psa/psa-host/host/pluginmgr"
	"github.com/msp-psa/psa-host/host/secrets"
	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/host/syncer"
	"github.com/msp-psa/psa-host/shared/providertest/fakeprovider"
	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// switchable is the fake provider with a power switch and hooks: down, it
// answers like a plugin that is restarting.
type switchable struct {
	*fakeprovider.Provider

	mu   sync.Mutex
	down bool
	fail func(body []byte) error // a non-nil error replaces the answer
	// answer, when it returns true, replaces the fake's answer.
	answer func(body []byte) (rmm.WebhookResult, bool)
	calls  map[string]int // HandleWebhook calls by body
}

func (s *switchable) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *switchable) setFail(fail func(body []byte) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fail
}

func (s *switchable) callsFor(body string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[body]
}

func (s *switchable) HandleWebhook(ctx context.Context, req rmm.WebhookRequest) (rmm.WebhookResult, error) {
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[string(req.Body)]++
	down, fail, answer := s.down, s.fail, s.answer
	s.mu.Unlock()
	if down {
		return rmm.WebhookResult{}, rmm.Errorf(rmm.ErrPluginUnavailable, "provider %q is restarting", "fake")
	}
	if fail != nil {
		if err := fail(req.Body); err != nil {
			return rmm.WebhookResult{}, err
		}
	}
	if answer != nil {
		if res, ok := answer(req.Body); ok {
			return res, nil
		}
	}
	return s.Provider.HandleWebhook(ctx, req)
}

func (s *switchable) SyncAgent(ctx context.Context, req rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		return rmm.SyncAgentResult{}, rmm.Errorf(rmm.ErrPluginUnavailable, "provider %q is restarting", "fake")
	}
	return s.Provider.SyncAgent(ctx, req)
}

// testProviders is the plugin manager with the one fake provider loaded.
type testProviders struct {
	prov    rmm.Provider
	webhook *rmm.WebhookSpec
}

func (p *testProviders) Provider(name string) (rmm.Provider, error) {
	if name == "fake" {
		return p.prov, nil
	}
	return nil, rmm.Errorf(rmm.ErrNotFound, "no provider named %q", name)
}

func (p *testProviders) List() []pluginmgr.PluginInfo {
	return []pluginmgr.PluginInfo{
		{Name: "fake", State: pluginmgr.StateRunning, Webhook: p.webhook},
		// Described without webhooks.
		{Name: "nowebhooks", State: pluginmgr.StateRunning},
	}
}

// lockedBuffer collects logs from concurrent goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a migrated database with one tenant and a connected fake
// integration, the ingress served on loopback, and no processor running
// until a test starts one.
type env struct {
	t         *testing.T
	dsn       string
	st        *store.Store
	fake      *switchable
	providers *testProviders
	logs      *lockedBuffer
	log       hclog.Logger
	ingress   *Ingress
	srv       *httptest.Server
	woken     atomic.Int64

	tenant, integration, secret, client string
}

func testBox(t *testing.T) *secrets.Box {
	t.Helper()
	box, err := secrets.NewBox(bytes.Repeat([]byte{9}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dsn: pgtest.New(t), logs: &lockedBuffer{}}
	if err := store.MigrateUp(t.Context(), e.dsn); err != nil {
		t.Fatal(err)
	}
	e.st = e.openStore()
	e.log = hclog.New(&hclog.LoggerOptions{Output: e.logs, Level: hclog.Debug})
	e.fake = &switchable{Provider: fakeprovider.New(fakeprovider.Config{Orgs: 2, DevicesPerOrg: 4})}
	meta, err := e.fake.Describe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	e.providers = &testProviders{prov: e.fake, webhook: meta.Webhook}
	e.tenant, e.integration, e.secret = e.newIntegration("main")
	e.client = e.mapOrg(e.tenant, e.integration, "acme:org-1")

	e.ingress = NewIngress(e.st, e.providers, e.log, IngressOptions{Wake: func() { e.woken.Add(1) }})
	mux := http.NewServeMux()
	mux.Handle(RoutePattern, e.ingress)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("host log:\n%s", e.logs.String())
		}
	})
	return e
}

func (e *env) openStore() *store.Store {
	e.t.Helper()
	st, err := store.Open(e.t.Context(), e.dsn, testBox(e.t))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(st.Close)
	return st
}

// newIntegration makes a tenant with a connected fake integration to the
// fleet acme, and returns the tenant, integration and webhook secret.
func (e *env) newIntegration(name string) (tenant, integration, secret string) {
	e.t.Helper()
	ctx := e.t.Context()
	tn, _, err := e.st.CreateTenant(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	in, err := e.st.CreateIntegration(ctx, tn.ID, store.NewIntegration{
		Provider: "fake", Name: name, InstanceURL: "http://fake.invalid", AuthMode: rmm.AuthAPIKey,
		Secrets: map[string]string{"api_key": fakeprovider.DefaultAPIKey},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	// The fake reads its fleet from the base URL, which the store only
	// takes as http(s).
	if _, err := e.st.Pool().Exec(ctx, `UPDATE rmm_integrations SET instance_url = 'fake://acme' WHERE integration_id = $1`, in.ID); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.RecordConnectionTest(ctx, tn.ID, in.ID, true, "ok"); err != nil {
		e.t.Fatal(err)
	}
	secret, err = e.st.RotateWebhookSecret(ctx, tn.ID, in.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return tn.ID, in.ID, secret
}

// mapOrg maps an RMM organisation to a new client, so its devices sync.
func (e *env) mapOrg(tenant, integration, org string) string {
	e.t.Helper()
	ctx := e.t.Context()
	cl, err := e.st.CreateClient(ctx, tenant, "client of "+org)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.UpsertOrgs(ctx, tenant, integration, []rmm.Org{{ExternalID: org, Name: org}}); err != nil {
		e.t.Fatal(err)
	}
	maps, err := e.st.ListMappings(ctx, tenant, integration)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range maps {
		if m.ExternalOrganizationID == org {
			if _, err := e.st.UpdateMapping(ctx, tenant, integration, m.ID, store.MappingPatch{ClientID: &cl.ID}); err != nil {
				e.t.Fatal(err)
			}
		}
	}
	return cl.ID
}

// testOptions make retries and polls quick.
func testOptions(owner string) Options {
	return Options{Owner: owner, Workers: 2, Poll: 20 * time.Millisecond, Lease: 30 * time.Second,
		Backoff: Backoff{Base: 20 * time.Millisecond, Max: 100 * time.Millisecond}, ListenRetry: 100 * time.Millisecond,
		CallTimeout: 10 * time.Second}
}

// start runs a processor until the test ends.
func (e *env) start(st ProcessorStore, agents AgentSyncer, opts Options) *Processor {
	e.t.Helper()
	p := NewProcessor(st, e.providers, agents, e.log, opts)
	ctx, cancel := context.WithCancel(e.t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = p.Run(ctx)
	}()
	e.t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			e.t.Error("the processor did not stop")
		}
	})
	return p
}

// runner is the real syncer, for device refreshes.
func (e *env) runner() *syncer.Runner {
	return syncer.New(e.st, e.providers, e.log, syncer.Options{Owner: "test-syncer"})
}

// answer is an HTTP answer read in full.
type answer struct {
	status int
	header http.Header
	body   string
}

// post sends a delivery to the ingress of integration, with the secret in
// the fake's header when it is not "".
func (e *env) post(integration, secret, body string, hdr ...string) answer {
	e.t.Helper()
	return e.send(http.MethodPost, "/api/webhooks/fake/"+integration, secret, body, hdr...)
}

func (e *env) send(method, path, secret, body string, hdr ...string) answer {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set(fakeprovider.WebhookSecretHeader, secret)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{status: res.StatusCode, header: res.Header, body: string(raw)}
}

// accept posts a delivery and returns its inbox id, failing unless 202.
func (e *env) accept(body string) string {
	e.t.Helper()
	a := e.post(e.integration, e.secret, body)
	if a.status != http.StatusAccepted {
		e.t.Fatalf("POST = %d, want 202: %s", a.status, a.body)
	}
	var got accepted
	if err := json.Unmarshal([]byte(a.body), &got); err != nil || got.Status != "accepted" || got.InboxID == "" {
		e.t.Fatalf("202 body = %s (%v)", a.body, err)
	}
	return got.InboxID
}

func alertBody(device, alert string, state rmm.AlertState) string {
	return fmt.Sprintf(`{"device_id": %q, "alert_id": %q, "state": %q}`, device, alert, state)
}

// waitFor polls cond until it holds, failing after a generous bound (this
// detects a hang; it measures nothing).
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) delivery(id string) store.InboxDelivery {
	e.t.Helper()
	d, err := e.st.GetInbox(e.t.Context(), e.tenant, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e *env) waitStatus(id, status string) store.InboxDelivery {
	e.t.Helper()
	var d store.InboxDelivery
	e.waitFor("delivery "+id+" to be "+status, func() bool {
		d = e.delivery(id)
		return d.Status == status
	})
	return d
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.st.Pool().QueryRow(e.t.Context(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// alert returns the stored alert of a dedup key.
func (e *env) alert(dedupKey string) (store.Alert, bool) {
	e.t.Helper()
	list, err := e.st.ListAlerts(e.t.Context(), e.tenant, store.AlertFilter{IntegrationID: e.integration, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range list {
		if a.DedupKey == dedupKey {
			return a, true
		}
	}
	return store.Alert{}, false
}

// flakyStore fails the first writes of alerts, as a database that is
// briefly unavailable would.
type flakyStore struct {
	ProcessorStore
	failures atomic.Int64
}

func (f *flakyStore) UpsertAlerts(ctx context.Context, tenantID, integrationID string, alerts []rmm.Alert) (store.Counts, error) {
	if f.failures.Add(-1) >= 0 {
		return store.Counts{}, errors.New("write alerts: dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	return f.ProcessorStore.UpsertAlerts(ctx, tenantID, integrationID, alerts)
}

// deafStore hears no notifications, so only this replica's own wake-ups
// and the poll start work.
type deafStore struct{ ProcessorStore }

func (deafStore) ListenInbox(ctx context.Context, _ func()) error {
	<-ctx.Done()
	return nil
}
