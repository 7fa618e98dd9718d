package api

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/msp-psa/psa-host/host/pluginmgr"
	"github.com/msp-psa/psa-host/host/secrets"
	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// owned is a row with the tenant it belongs to.
type owned[T any] struct {
	tenant string
	v      T
}

type fakeIntegration struct {
	tenant  string
	in      store.Integration // Secrets is rebuilt from secrets on read
	secrets map[string]string
}

// fakeStore is an in-memory store.Store with the same tenant scoping: any
// row of another tenant is store.ErrNotFound.
type fakeStore struct {
	mu           sync.Mutex
	keys         map[string]string // plain key -> tenant
	clients      map[string]owned[store.Client]
	integrations map[string]*fakeIntegration
	mappings     map[string]owned[store.Mapping]
	assets       map[string]owned[store.Asset]
	software     map[string][]store.AssetSoftware // asset id ->
	alerts       map[string]owned[store.Alert]
	jobs         map[string]owned[store.Job]

	writes  int    // successful mutating calls
	pingErr error  // what Ping answers
	hang    bool   // Ping blocks until its context ends
	panicIn string // a method that panics when called
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		keys: map[string]string{}, clients: map[string]owned[store.Client]{},
		integrations: map[string]*fakeIntegration{}, mappings: map[string]owned[store.Mapping]{},
		assets: map[string]owned[store.Asset]{}, software: map[string][]store.AssetSoftware{},
		alerts: map[string]owned[store.Alert]{}, jobs: map[string]owned[store.Job]{},
	}
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (f *fakeStore) enter(method string) func() {
	f.mu.Lock()
	if f.panicIn == method {
		f.mu.Unlock()
		panic(fmt.Sprintf("fake store: %s exploded", method))
	}
	return f.mu.Unlock
}

func (f *fakeStore) Ping(ctx context.Context) error {
	f.mu.Lock()
	err, hang := f.pingErr, f.hang
	f.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

// addTenant makes a tenant and returns its id and API key.
func (f *fakeStore) addTenant() (string, string) {
	k, err := secrets.NewAPIKey()
	if err != nil {
		panic(err)
	}
	id := newID()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[k.Plain] = id
	return id, k.Plain
}

func (f *fakeStore) AuthenticateAPIKey(_ context.Context, plain string) (string, error) {
	defer f.enter("AuthenticateAPIKey")()
	if t, ok := f.keys[plain]; ok {
		return t, nil
	}
	return "", store.ErrNotFound
}

func (f *fakeStore) CreateClient(_ context.Context, tenantID, name string) (store.Client, error) {
	defer f.enter("CreateClient")()
	for _, c := range f.clients {
		if c.tenant == tenantID && c.v.Name == name {
			return store.Client{}, fmt.Errorf("client name: %w", store.ErrConflict)
		}
	}
	c := store.Client{ID: newID(), Name: name, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	f.clients[c.ID] = owned[store.Client]{tenantID, c}
	f.writes++
	return c, nil
}

func (f *fakeStore) ListClients(_ context.Context, tenantID string) ([]store.Client, error) {
	defer f.enter("ListClients")()
	return rowsOf(f.clients, tenantID, func(c store.Client) string { return c.Name }), nil
}

func (f *fakeStore) GetClient(_ context.Context, tenantID, id string) (store.Client, error) {
	defer f.enter("GetClient")()
	return rowOf(f.clients, tenantID, id)
}

func (f *fakeStore) view(fi *fakeIntegration) store.Integration {
	in := fi.in
	in.Secrets = []store.SecretInfo{}
	for _, name := range slices.Sorted(maps.Keys(fi.secrets)) {
		in.Secrets = append(in.Secrets, store.SecretInfo{Name: name, Masked: secrets.Mask(fi.secrets[name])})
	}
	return in
}

func (f *fakeStore) CreateIntegration(_ context.Context, tenantID string, n store.NewIntegration) (store.Integration, error) {
	defer f.enter("CreateIntegration")()
	for _, fi := range f.integrations {
		if fi.tenant == tenantID && fi.in.Name == n.Name {
			return store.Integration{}, store.ErrConflict
		}
	}
	fi := &fakeIntegration{tenant: tenantID, secrets: maps.Clone(n.Secrets), in: store.Integration{
		ID: newID(), Provider: n.Provider, Name: n.Name, InstanceURL: n.InstanceURL, AuthMode: n.AuthMode,
		Settings: n.Settings, Revision: 1, SyncStatus: "never", CreatedAt: time.Now(), UpdatedAt: time.Now(),
	}}
	f.integrations[fi.in.ID] = fi
	f.writes++
	return f.view(fi), nil
}

func (f *fakeStore) integration(tenantID, id string) (*fakeIntegration, error) {
	fi, ok := f.integrations[id]
	if !ok || fi.tenant != tenantID {
		return nil, store.ErrNotFound
	}
	return fi, nil
}

func (f *fakeStore) GetIntegration(_ context.Context, tenantID, id string) (store.Integration, error) {
	defer f.enter("GetIntegration")()
	fi, err := f.integration(tenantID, id)
	if err != nil {
		return store.Integration{}, err
	}
	return f.view(fi), nil
}

func (f *fakeStore) ListIntegrations(_ context.Context, tenantID string) ([]store.Integration, error) {
	defer f.enter("ListIntegrations")()
	var out []store.Integration
	for _, fi := range f.integrations {
		if fi.tenant == tenantID {
			out = append(out, f.view(fi))
		}
	}
	slices.SortFunc(out, func(a, b store.Integration) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func (f *fakeStore) UpdateIntegration(_ context.Context, tenantID, id string, p store.IntegrationPatch) (store.Integration, error) {
	defer f.enter("UpdateIntegration")()
	fi, err := f.integration(tenantID, id)
	if err != nil {
		return store.Integration{}, err
	}
	if p.Name != nil {
		fi.in.Name = *p.Name
	}
	if p.InstanceURL != nil {
		fi.in.InstanceURL = *p.InstanceURL
	}
	if p.AuthMode != nil {
		fi.in.AuthMode = *p.AuthMode
	}
	if p.Settings != nil {
		fi.in.Settings = p.Settings
	}
	if p.ReplaceSecrets { // like the store, keep the webhook secret
		fi.secrets = map[string]string{webhookSecretName: fi.secrets[webhookSecretName]}
	}
	for k, v := range p.Secrets {
		if v == "" {
			delete(fi.secrets, k)
		} else {
			fi.secrets[k] = v
		}
	}
	fi.in.Revision++
	f.writes++
	return f.view(fi), nil
}

func (f *fakeStore) DisconnectIntegration(_ context.Context, tenantID, id string) (store.Integration, error) {
	defer f.enter("DisconnectIntegration")()
	fi, err := f.integration(tenantID, id)
	if err != nil {
		return store.Integration{}, err
	}
	for k := range fi.secrets {
		if k != webhookSecretName {
			delete(fi.secrets, k)
		}
	}
	now := time.Now()
	fi.in.IsActive, fi.in.ConnectedAt, fi.in.DisconnectedAt = false, nil, &now
	fi.in.Revision++
	f.writes++
	return f.view(fi), nil
}

// secretsOf returns an integration's stored secrets in clear, for asserts.
func (f *fakeStore) secretsOf(id string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.integrations[id].secrets)
}

func (f *fakeStore) writeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

func (f *fakeStore) setActive(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	f.integrations[id].in.IsActive, f.integrations[id].in.ConnectedAt = true, &now
}

func (f *fakeStore) addMapping(tenantID, integrationID, extName string) store.Mapping {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := store.Mapping{ID: newID(), IntegrationID: integrationID, ExternalOrganizationID: "org-" + extName,
		ExternalOrganizationName: extName, Metadata: json.RawMessage(`{}`)}
	f.mappings[m.ID] = owned[store.Mapping]{tenantID, m}
	return m
}

func (f *fakeStore) ListMappings(_ context.Context, tenantID, integrationID string) ([]store.Mapping, error) {
	defer f.enter("ListMappings")()
	var out []store.Mapping
	for _, m := range rowsOf(f.mappings, tenantID, func(m store.Mapping) string { return m.ExternalOrganizationName }) {
		if m.IntegrationID == integrationID {
			out = append(out, m)
		}
	}
	return out, nil
}

func (f *fakeStore) UpdateMapping(_ context.Context, tenantID, integrationID, mappingID string, p store.MappingPatch) (store.Mapping, error) {
	defer f.enter("UpdateMapping")()
	row, ok := f.mappings[mappingID]
	if !ok || row.tenant != tenantID || row.v.IntegrationID != integrationID {
		return store.Mapping{}, store.ErrNotFound
	}
	if p.ClientID != nil {
		if c, ok := f.clients[*p.ClientID]; !ok || c.tenant != tenantID {
			return store.Mapping{}, &store.InvalidError{Field: "client_id", Msg: "no such client"}
		}
		id := *p.ClientID
		row.v.ClientID = &id
	}
	if p.ClearClient {
		row.v.ClientID = nil
	}
	if p.AutoSyncAssets != nil {
		row.v.AutoSyncAssets = *p.AutoSyncAssets
	}
	f.mappings[mappingID] = row
	f.writes++
	return row.v, nil
}

func (f *fakeStore) addAsset(tenantID, integrationID, name, status string, clientID *string) store.Asset {
	f.mu.Lock()
	defer f.mu.Unlock()
	integ := integrationID
	a := store.Asset{ID: newID(), ClientID: clientID, AssetType: "workstation", Name: name, Status: "active",
		IntegrationID: &integ, RMMProvider: "tacticalrmm", RMMDeviceID: "agent-" + name, AgentStatus: status}
	f.assets[a.ID] = owned[store.Asset]{tenantID, a}
	return a
}

func (f *fakeStore) addSoftware(assetID string, names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range names {
		f.software[assetID] = append(f.software[assetID], store.AssetSoftware{SoftwareID: newID(), Name: n, IsCurrent: true})
	}
}

func (f *fakeStore) ListAssets(_ context.Context, tenantID string, flt store.AssetFilter) ([]store.Asset, error) {
	defer f.enter("ListAssets")()
	return paged(f.assets, tenantID, flt.After, flt.Limit, func(a store.Asset) bool {
		return (flt.IntegrationID == "" || a.IntegrationID != nil && *a.IntegrationID == flt.IntegrationID) &&
			(flt.ClientID == "" || a.ClientID != nil && *a.ClientID == flt.ClientID) &&
			(flt.AgentStatus == "" || a.AgentStatus == flt.AgentStatus)
	}, func(a store.Asset) string { return a.ID }), nil
}

func (f *fakeStore) GetAsset(_ context.Context, tenantID, id string) (store.Asset, error) {
	defer f.enter("GetAsset")()
	return rowOf(f.assets, tenantID, id)
}

func (f *fakeStore) AssetSoftware(_ context.Context, tenantID, id string) ([]store.AssetSoftware, error) {
	defer f.enter("AssetSoftware")()
	if a, ok := f.assets[id]; !ok || a.tenant != tenantID {
		return nil, nil // the real query simply finds no rows
	}
	return slices.Clone(f.software[id]), nil
}

func (f *fakeStore) addAlert(tenantID, integrationID, status string) store.Alert {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := store.Alert{ID: newID(), IntegrationID: integrationID, ExternalAlertID: newID(), Severity: "major",
		Status: status, OccurrenceCount: 1}
	f.alerts[a.ID] = owned[store.Alert]{tenantID, a}
	return a
}

func (f *fakeStore) ListAlerts(_ context.Context, tenantID string, flt store.AlertFilter) ([]store.Alert, error) {
	defer f.enter("ListAlerts")()
	return paged(f.alerts, tenantID, flt.After, flt.Limit, func(a store.Alert) bool {
		return (flt.IntegrationID == "" || a.IntegrationID == flt.IntegrationID) && (flt.Status == "" || a.Status == flt.Status)
	}, func(a store.Alert) string { return a.ID }), nil
}

func (f *fakeStore) EnqueueJob(tenantID, integrationID, kind, mode string) (store.Job, bool, error) {
	defer f.enter("EnqueueJob")()
	for _, j := range f.jobs {
		if j.tenant == tenantID && j.v.IntegrationID == integrationID && j.v.Kind == kind &&
			(j.v.Status == store.JobQueued || j.v.Status == store.JobRunning) {
			return j.v, false, nil
		}
	}
	j := store.Job{ID: newID(), IntegrationID: integrationID, Kind: kind, Mode: mode, Status: store.JobQueued, RequestedAt: time.Now()}
	f.jobs[j.ID] = owned[store.Job]{tenantID, j}
	f.writes++
	return j, true, nil
}

func (f *fakeStore) GetJob(_ context.Context, tenantID, id string) (store.Job, error) {
	defer f.enter("GetJob")()
	return rowOf(f.jobs, tenantID, id)
}

func rowOf[T any](rows map[string]owned[T], tenantID, id string) (T, error) {
	r, ok := rows[id]
	if !ok || r.tenant != tenantID {
		var zero T
		return zero, store.ErrNotFound
	}
	return r.v, nil
}

func rowsOf[T any](rows map[string]owned[T], tenantID string, key func(T) string) []T {
	var out []T
	for _, r := range rows {
		if r.tenant == tenantID {
			out = append(out, r.v)
		}
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return out
}

// paged is the store's keyset paging: ordered by id, after an id, limited.
func paged[T any](rows map[string]owned[T], tenantID, after string, limit int, keep func(T) bool, id func(T) string) []T {
	var out []T
	for _, v := range rowsOf(rows, tenantID, id) {
		if keep(v) && id(v) > after {
			out = append(out, v)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// fakeSyncer stands in for host/syncer, over the fake store.
type fakeSyncer struct {
	st *fakeStore

	mu       sync.Mutex
	result   rmm.TestConnectionResult
	err      error  // returned by TestConnection and SyncAgent
	hang     bool   // calls block until their context ends
	lastCode string // the one-time code of the last TestConnection
	calls    int
}

func (s *fakeSyncer) Enqueue(ctx context.Context, tenantID, integrationID, kind, mode string) (store.Job, bool, error) {
	if _, err := s.st.GetIntegration(ctx, tenantID, integrationID); err != nil {
		return store.Job{}, false, err
	}
	return s.st.EnqueueJob(tenantID, integrationID, kind, mode)
}

func (s *fakeSyncer) begin(ctx context.Context) error {
	s.mu.Lock()
	s.calls++
	err, hang := s.err, s.hang
	s.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (s *fakeSyncer) SyncAgent(ctx context.Context, tenantID, integrationID, externalID string) (store.Asset, error) {
	if _, err := s.st.GetIntegration(ctx, tenantID, integrationID); err != nil {
		return store.Asset{}, err
	}
	if err := s.begin(ctx); err != nil {
		return store.Asset{}, err
	}
	return s.st.addAsset(tenantID, integrationID, externalID, "online", nil), nil
}

func (s *fakeSyncer) TestConnection(ctx context.Context, tenantID, integrationID, code string) (rmm.TestConnectionResult, error) {
	if _, err := s.st.GetIntegration(ctx, tenantID, integrationID); err != nil {
		return rmm.TestConnectionResult{}, err
	}
	if err := s.begin(ctx); err != nil {
		return rmm.TestConnectionResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastCode = code
	if s.result.OK {
		s.st.setActive(integrationID)
	}
	return s.result, nil
}

func (s *fakeSyncer) set(fn func(*fakeSyncer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

// fakeProvider answers Describe; the API makes no other call.
type fakeProvider struct {
	rmm.Unimplemented
	meta        rmm.Metadata
	describeErr error
}

func (p *fakeProvider) Describe(context.Context) (rmm.Metadata, error) {
	return p.meta, p.describeErr
}

// fakeProviders is the plugin manager: some providers run, some are down.
type fakeProviders struct {
	running map[string]*fakeProvider
	down    map[string]pluginmgr.PluginInfo
}

func (f *fakeProviders) Provider(name string) (rmm.Provider, error) {
	if p, ok := f.running[name]; ok {
		return p, nil
	}
	if _, ok := f.down[name]; ok {
		return nil, rmm.Errorf(rmm.ErrPluginUnavailable, "provider %q is restarting", name)
	}
	return nil, rmm.Errorf(rmm.ErrNotFound, "no provider named %q", name)
}

func (f *fakeProviders) List() []pluginmgr.PluginInfo {
	var out []pluginmgr.PluginInfo
	for _, name := range slices.Sorted(maps.Keys(f.running)) {
		m := f.running[name].meta
		out = append(out, pluginmgr.PluginInfo{Name: m.Name, DisplayName: m.DisplayName, Version: m.Version,
			Path: "/plugins/rmm-provider-" + name, SHA256: "ab12", ProtocolVersion: 1, Editions: m.Editions,
			Capabilities: m.Capabilities, State: pluginmgr.StateRunning, PID: 4242})
	}
	for _, name := range slices.Sorted(maps.Keys(f.down)) {
		out = append(out, f.down[name])
	}
	return out
}

func tacticalMeta() rmm.Metadata {
	return rmm.Metadata{
		Name: "tacticalrmm", DisplayName: "Tactical RMM", Version: "1.2.3", ProtocolVersion: 1,
		Editions: []rmm.Edition{rmm.EditionCE, rmm.EditionEE},
		Capabilities: []rmm.Capability{rmm.CapTestConnection, rmm.CapSyncOrgs, rmm.CapSyncDevices,
			rmm.CapSyncAgent, rmm.CapWebhooks, rmm.CapBackfillAlerts, rmm.CapSoftware},
		AuthModes: []rmm.AuthModeSpec{
			{Mode: rmm.AuthAPIKey, RequiredSecrets: []string{"api_key"}},
			{Mode: rmm.AuthPassword, RequiredSecrets: []string{"username", "password"}, OptionalSecrets: []string{"token"}},
		},
		Webhook: &rmm.WebhookSpec{SecretHeader: "X-PSA-Webhook-Secret"},
	}
}

// minimalMeta is a provider that can only test and list organisations.
func minimalMeta() rmm.Metadata {
	return rmm.Metadata{
		Name: "minimal", DisplayName: "Minimal RMM", Version: "0.1.0", ProtocolVersion: 1,
		Editions:     []rmm.Edition{rmm.EditionCE},
		Capabilities: []rmm.Capability{rmm.CapTestConnection, rmm.CapSyncOrgs},
		AuthModes:    []rmm.AuthModeSpec{{Mode: rmm.AuthAPIKey, RequiredSecrets: []string{"api_key"}}},
	}
}

// Events: the fake keeps no outbox; the real-store tests read events.
func (f *fakeStore) Events(_ context.Context, tenantID string, after int64, limit int) ([]store.Event, error) {
	defer f.enter("Events")()
	return nil, nil
}
