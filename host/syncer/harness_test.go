package syncer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/msp-psa/psa-host/host/pgcluster/pgtest"
	"github.com/msp-psa/psa-host/host/secrets"
	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/providertest/fakeprovider"
	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// errStopStream ends the inner provider's stream where fleet fails it.
var errStopStream = errors.New("stop the stream here")

// fleet is the fake provider with a hand on what its device stream
// delivers: devices removed from the RMM, a stream that fails after some
// batches, records the provider could not translate.
type fleet struct {
	*fakeprovider.Provider

	mu        sync.Mutex
	removed   map[string]bool
	failAfter int // batches delivered before the stream fails; <0 never
	skipped   int64
}

func (f *fleet) remove(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.removed[id] = true
	}
}

func (f *fleet) restore(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		delete(f.removed, id)
	}
}

func (f *fleet) set(failAfter int, skipped int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAfter, f.skipped = failAfter, skipped
}

// SyncDevices streams the fake fleet without the removed devices.
func (f *fleet) SyncDevices(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
	f.mu.Lock()
	failAfter, skipped := f.failAfter, f.skipped
	f.mu.Unlock()
	sent := 0
	sum, err := f.Provider.SyncDevices(ctx, req, rmm.SinkFunc[rmm.Device](func(ctx context.Context, b rmm.Batch[rmm.Device]) error {
		if failAfter >= 0 && sent == failAfter {
			return errStopStream
		}
		f.mu.Lock()
		b.Items = slices.DeleteFunc(slices.Clone(b.Items), func(d rmm.Device) bool { return f.removed[d.ExternalID] })
		f.mu.Unlock()
		sent++
		return out.Send(ctx, b)
	}))
	if errors.Is(err, errStopStream) {
		return rmm.SyncSummary{}, rmm.Errorf(rmm.ErrUpstreamUnavailable, "the RMM answered 502 on page %d", sent+1)
	}
	sum.Skipped = skipped
	return sum, err
}

// providers serves the one fleet provider, as the plugin manager would.
type providers struct{ p rmm.Provider }

func (ps providers) Provider(name string) (rmm.Provider, error) {
	if name != "fake" {
		return nil, rmm.Errorf(rmm.ErrNotFound, "no provider %q", name)
	}
	return ps.p, nil
}

// harness is a runner over a real store with one tenant whose fake
// integration has its two organisations mapped to two clients.
type harness struct {
	st          *store.Store
	r           *Runner
	fleet       *fleet
	tenant      string
	integration string
	clients     []string
}

// The fleet: 2 organisations of 600 devices, so a sync takes 3 batches.
const (
	fleetOrgs     = 2
	devicesPerOrg = 600
	fleetDevices  = fleetOrgs * devicesPerOrg
)

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := t.Context()
	dsn := pgtest.New(t)
	if err := store.MigrateUp(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(bytes.Repeat([]byte{3}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dsn, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	f := &fleet{
		Provider: fakeprovider.New(fakeprovider.Config{Name: "fake", Orgs: fleetOrgs, DevicesPerOrg: devicesPerOrg}),
		removed:  map[string]bool{}, failAfter: -1,
	}
	h := &harness{st: st, fleet: f, r: New(st, providers{f}, nil, Options{Owner: "test-host", SchedulePoll: -1})}
	tn, _, err := st.CreateTenant(ctx, "acme msp")
	if err != nil {
		t.Fatal(err)
	}
	h.tenant = tn.ID
	in, err := st.CreateIntegration(ctx, h.tenant, store.NewIntegration{Provider: "fake", Name: "acme", InstanceURL: "",
		AuthMode: rmm.AuthAPIKey, Secrets: map[string]string{"api_key": fakeprovider.DefaultAPIKey}})
	if err != nil {
		t.Fatal(err)
	}
	h.integration = in.ID
	// The fake reads its fleet from the base URL; the store keeps http(s)
	// URLs only.
	if _, err := st.Pool().Exec(ctx, `UPDATE rmm_integrations SET instance_url = 'fake://acme' WHERE integration_id = $1`, in.ID); err != nil {
		t.Fatal(err)
	}
	if j := h.run(t, store.JobOrgs, "full"); j.Status != store.JobSucceeded || j.Counts.Created != fleetOrgs {
		t.Fatalf("org sync = %+v", j)
	}
	maps, err := st.ListMappings(ctx, h.tenant, h.integration)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range maps {
		cl, err := st.CreateClient(ctx, h.tenant, m.ExternalOrganizationName)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.UpdateMapping(ctx, h.tenant, h.integration, m.ID, store.MappingPatch{ClientID: &cl.ID}); err != nil {
			t.Fatal(err)
		}
		h.clients = append(h.clients, cl.ID)
	}
	return h
}

// run queues a job, has the runner claim and run it, and returns it as
// stored.
func (h *harness) run(t *testing.T, kind, mode string) store.Job {
	t.Helper()
	ctx := t.Context()
	queued, _, err := h.r.Enqueue(ctx, h.tenant, h.integration, kind, mode)
	if err != nil {
		t.Fatal(err)
	}
	job, ok, err := h.st.ClaimJob(ctx, h.r.Owner(), h.r.opts.Lease)
	if err != nil || !ok || job.ID != queued.ID {
		t.Fatalf("claim = %+v, %v, %v; want job %s", job, ok, err, queued.ID)
	}
	h.r.runJob(ctx, job)
	done, err := h.st.GetJob(ctx, h.tenant, queued.ID)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

// count runs a query returning one integer.
func (h *harness) count(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := h.st.Pool().QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (h *harness) missing(t *testing.T) int64 {
	t.Helper()
	return h.count(t, `SELECT count(*) FROM assets WHERE missing_since IS NOT NULL`)
}

func (h *harness) inactive(t *testing.T) int64 {
	t.Helper()
	return h.count(t, `SELECT count(*) FROM assets WHERE status = 'inactive'`)
}

// lastEventID is the newest event's id, 0 when there is none.
func (h *harness) lastEventID(t *testing.T) int64 {
	t.Helper()
	return h.count(t, `SELECT coalesce(max(event_id), 0) FROM event_outbox`)
}

// events returns the tenant's events after id, with decoded payloads.
func (h *harness) events(t *testing.T, after int64) []decodedEvent {
	t.Helper()
	var out []decodedEvent
	for {
		page, err := h.st.Events(t.Context(), h.tenant, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		for _, e := range page {
			var p map[string]any
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			out = append(out, decodedEvent{ID: e.ID, Type: e.Type, Payload: p})
			after = e.ID
		}
	}
}

type decodedEvent struct {
	ID      int64
	Type    string
	Payload map[string]any
}

func countType(events []decodedEvent, typ string) int {
	n := 0
	for _, e := range events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// lastOf returns the last event of typ.
func lastOf(t *testing.T, events []decodedEvent, typ string) decodedEvent {
	t.Helper()
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Type == typ {
			return events[i]
		}
	}
	t.Fatalf("no %s event", typ)
	return decodedEvent{}
}

// deviceID is the fake fleet's id of device d of organisation o (from 1).
func deviceID(o, d int) string { return "acme:dev-" + strconv.Itoa(o) + "-" + strconv.Itoa(d) }
