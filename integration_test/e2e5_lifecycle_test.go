package integration_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/integration_test/hostproc"
	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// e5Lifecycle is one asset's lifecycle columns.
type e5Lifecycle struct {
	assetID       string
	status        string
	missingSince  *time.Time
	missingSyncs  int
	missingForAge time.Duration // how long ago missing_since is, by the database's clock
}

func (l e5Lifecycle) String() string {
	since := "null"
	if l.missingSince != nil {
		since = fmt.Sprintf("%v ago", l.missingForAge.Round(time.Minute))
	}
	return fmt.Sprintf("{%s, missing since %s, %d missed syncs}", l.status, since, l.missingSyncs)
}

// lifecycle reads the lifecycle of every asset of an integration, by
// device id.
func (e *e5Env) lifecycle(t *testing.T, tenantID, integrationID string) map[string]e5Lifecycle {
	t.Helper()
	rows, err := e.db.Query(t.Context(), `SELECT rmm_device_id, asset_id::text, status, missing_since, missing_full_syncs,
		coalesce(extract(epoch FROM now() - missing_since), 0)
		FROM assets WHERE tenant = $1 AND integration_id = $2`, tenantID, integrationID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]e5Lifecycle{}
	for rows.Next() {
		var device string
		var l e5Lifecycle
		var age float64
		if err := rows.Scan(&device, &l.assetID, &l.status, &l.missingSince, &l.missingSyncs, &age); err != nil {
			t.Fatal(err)
		}
		l.missingForAge = time.Duration(age * float64(time.Second))
		out[device] = l
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// e5Retirement is the state TestE2E5Retirement's steps share.
type e5Retirement struct {
	env         *e5Env
	tn          e5Tenant
	integration string
	settings    map[string]any
	a, b, c     tacticalfake.AgentView
	assetOf     map[string]string // device id -> asset id after the first sync
}

// TestE2E5Retirement follows agents that leave Tactical through full
// device syncs of a 620-agent fleet: a sync that fails part-way marks and
// retires nothing; a complete sync marks the missing ones; they are
// retired (asset status inactive, counted as deleted) only after two
// complete syncs missed them and the grace period
// (settings.lifecycle.missing_grace_hours, default 24) has passed; an
// agent that returns makes its own asset active again.
func TestE2E5Retirement(t *testing.T) {
	env := e5NewEnv(t, tacticalfake.FleetSpec{Clients: 2, SitesPerClient: 1, Agents: 620, Seed: 31, WindowsShare: 0.1, LinuxShare: 0.45})
	host := env.startHost(t, "host")
	tn := env.tenant(t, host, "Lifecycle MSP")
	r := &e5Retirement{env: env, tn: tn, settings: map[string]any{"page_size": 100, "parallelism": 1}}
	r.integration = tn.connect(t, env.fake, r.settings)
	clients := env.fake.Clients()
	tn.mapOrgs(t, r.integration, clients[0].ID, clients[1].ID)
	first, second := e5AgentsOf(env.fake, clients[0].ID), e5AgentsOf(env.fake, clients[1].ID)
	r.a, r.b, r.c = first[3], second[5], first[7]

	j := tn.syncOK(t, r.integration, "devices")
	if j.Counts.Created != 620 {
		t.Fatalf("first sync: counts %+v, want 620 created", j.Counts)
	}
	r.assetOf = map[string]string{}
	for device, l := range env.lifecycle(t, tn.id, r.integration) {
		r.assetOf[device] = l.assetID
	}

	r.env.fake.RemoveAgent(r.a.Index)
	r.env.fake.RemoveAgent(r.b.Index)
	r.partialSyncChangesNothing(t, "after two agents were removed")

	j = r.sync(t)
	r.expect(t, "the first complete sync without them", j, 0, map[string]string{r.a.AgentID: "active/1", r.b.AgentID: "active/1"})

	j = r.sync(t)
	r.expect(t, "the second complete sync without them, within the grace period", j, 0,
		map[string]string{r.a.AgentID: "active/2", r.b.AgentID: "active/2"})

	// a has been missing for longer than the grace period; c leaves too,
	// and is made to look missing for two days already, so that only the
	// number of syncs that missed it holds it back.
	r.backdate(t, r.a.AgentID, 25*time.Hour)
	r.env.fake.RemoveAgent(r.c.Index)
	r.backdate(t, r.c.AgentID, 48*time.Hour)
	r.partialSyncChangesNothing(t, "with a due for retirement")

	j = r.sync(t)
	r.expect(t, "the third complete sync", j, 1,
		map[string]string{r.a.AgentID: "inactive/3", r.b.AgentID: "active/3", r.c.AgentID: "active/1"})

	r.settings["lifecycle"] = map[string]any{"missing_grace_hours": 0}
	tn.setSettings(t, r.integration, r.settings)
	j = r.sync(t)
	r.expect(t, "a complete sync with no grace period", j, 2,
		map[string]string{r.a.AgentID: "inactive/3", r.b.AgentID: "inactive/4", r.c.AgentID: "inactive/2"})

	r.env.fake.RestoreAgent(r.a.Index)
	j = r.sync(t)
	r.expect(t, "the sync after a came back", j, 0,
		map[string]string{r.a.AgentID: "active/0", r.b.AgentID: "inactive/4", r.c.AgentID: "inactive/2"})
	if j.Counts.Updated != 1 || j.Counts.Created != 0 {
		t.Errorf("the sync after a came back: counts %+v; want its asset updated and none created", j.Counts)
	}
}

// sync runs a complete full device sync.
func (r *e5Retirement) sync(t *testing.T) hostproc.Job {
	t.Helper()
	return r.tn.syncOK(t, r.integration, "devices")
}

// backdate moves an asset's missing_since into the past, as if it had
// been missing that long.
func (r *e5Retirement) backdate(t *testing.T, device string, ago time.Duration) {
	t.Helper()
	tag, err := r.env.db.Exec(t.Context(), `UPDATE assets SET missing_since = now() - $4::bigint * interval '1 second'
		WHERE tenant = $1 AND integration_id = $2 AND rmm_device_id = $3`, r.tn.id, r.integration, device, int64(ago/time.Second))
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("backdate %s: %v (%d rows)", device, err, tag.RowsAffected())
	}
}

// expect checks the lifecycle after a sync: the devices named are
// "status/missed syncs", every other asset is active and not missing, no
// asset was added or replaced, and the job counted retired assets as
// deleted.
func (r *e5Retirement) expect(t *testing.T, when string, j hostproc.Job, deleted int64, want map[string]string) {
	t.Helper()
	if j.Counts.Deleted != deleted {
		t.Errorf("%s: %d assets counted deleted, want %d", when, j.Counts.Deleted, deleted)
	}
	got := r.env.lifecycle(t, r.tn.id, r.integration)
	if len(got) != len(r.assetOf) {
		t.Errorf("%s: %d assets, want %d (none added or dropped)", when, len(got), len(r.assetOf))
	}
	for device, l := range got {
		if r.assetOf[device] != l.assetID {
			t.Errorf("%s: device %s has asset %s, was %s", when, device, l.assetID, r.assetOf[device])
		}
		w, named := want[device]
		if !named {
			w = "active/0"
		}
		if fmt.Sprintf("%s/%d", l.status, l.missingSyncs) != w || (l.missingSyncs == 0) != (l.missingSince == nil) {
			t.Errorf("%s: device %s is %v, want %s", when, device, l, w)
		}
	}
}

// partialSyncChangesNothing runs a full sync whose last page of agents
// fails (after the pages before it were read and a batch committed): the
// job fails, and no asset is marked missing, retired or reactivated.
func (r *e5Retirement) partialSyncChangesNothing(t *testing.T, when string) {
	t.Helper()
	pages := 0
	for _, c := range r.env.fake.Clients() {
		pages += (len(e5AgentsOf(r.env.fake, c.ID)) + 99) / 100
	}
	before := r.env.lifecycle(t, r.tn.id, r.integration)
	// The pages before the last pass untouched; the last one answers 500.
	r.env.fake.InjectFault(tacticalfake.Fault{PathPrefix: "/beta/v1/agent/", Times: pages - 1})
	r.env.fake.InjectFault(tacticalfake.Fault{PathPrefix: "/beta/v1/agent/", Status: 500, Body: `{"detail":"boom"}`})
	defer r.env.fake.ClearFaults()

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	j, err := r.tn.api.WaitJob(ctx, r.tn.startSync(t, r.integration, "devices"))
	if err == nil || j.Status != "failed" {
		t.Fatalf("partial sync %s: %s (%v); want failed", when, j.Status, err)
	}
	if j.Processed == 0 {
		t.Errorf("partial sync %s committed nothing before it failed; the test meant a sync that fails part-way", when)
	}
	if j.Counts.Deleted != 0 {
		t.Errorf("partial sync %s counted %d deleted", when, j.Counts.Deleted)
	}
	after := r.env.lifecycle(t, r.tn.id, r.integration)
	for device, l := range after {
		b := before[device]
		if l.status != b.status || l.missingSyncs != b.missingSyncs || (l.missingSince == nil) != (b.missingSince == nil) {
			t.Errorf("partial sync %s changed device %s from %v to %v", when, device, b, l)
		}
	}
}
