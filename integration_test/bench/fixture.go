package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/provider/tacticalrmm"
	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// webhookSecret is the shared secret of the benchmark's integration; the
// fake Tactical never sees it, only the webhook senders do.
const webhookSecret = "bench-webhook-secret-5d0c1a9e"

// fixture names what the template database holds: one tenant, one
// Tactical integration pointing at the fake, every organisation mapped to
// a PSA client of its own with auto-sync on. Every clone shares these ids.
type fixture struct {
	db            string
	tenantID      string
	integrationID string
	orgClients    map[string]string // external org id -> client id
}

func (f fixture) orgs() []string {
	out := make([]string, 0, len(f.orgClients))
	for o := range f.orgClients {
		out = append(out, o)
	}
	slices.Sort(out)
	return out
}

// seedTemplate migrates a new database and sets it up through the host's
// own code: store calls for the tenant, client and integration, an
// organisation sync job through the plugin, then the mappings.
func (e *env) seedTemplate(ctx context.Context, db, fakeURL string) (fixture, error) {
	fx := fixture{db: db}
	if err := e.pg.drop(ctx, db); err != nil {
		return fx, err
	}
	if err := e.pg.create(ctx, db); err != nil {
		return fx, err
	}
	if err := store.MigrateUp(ctx, e.pg.dsn(db)); err != nil {
		return fx, fmt.Errorf("migrate %s: %w", db, err)
	}
	st, err := e.openStore(ctx, db)
	if err != nil {
		return fx, err
	}
	defer st.Close()
	tenant, _, err := st.CreateTenant(ctx, "Bench MSP")
	if err != nil {
		return fx, err
	}
	integ, err := st.CreateIntegration(ctx, tenant.ID, store.NewIntegration{
		Provider: providerName, Name: "Tactical RMM (bench)", InstanceURL: fakeURL, AuthMode: rmm.AuthAPIKey,
		Secrets: map[string]string{tacticalrmm.SecretAPIKey: tacticalfake.DefaultAPIKey, tacticalrmm.SecretWebhookSecret: webhookSecret},
	})
	if err != nil {
		return fx, fmt.Errorf("create integration: %w", err)
	}
	fx.tenantID, fx.integrationID = tenant.ID, integ.ID

	m, err := e.runOurs(ctx, fx, store.JobOrgs, "full")
	if err != nil {
		return fx, fmt.Errorf("organisation sync: %w", err)
	}
	if m.processed == 0 {
		return fx, fmt.Errorf("organisation sync brought no organisations")
	}
	maps, err := st.ListMappings(ctx, fx.tenantID, fx.integrationID)
	if err != nil {
		return fx, err
	}
	for _, mp := range maps {
		c, err := st.CreateClient(ctx, fx.tenantID, "PSA "+mp.ExternalOrganizationName)
		if err != nil {
			return fx, err
		}
		on := true
		if _, err := st.UpdateMapping(ctx, fx.tenantID, fx.integrationID, mp.ID, store.MappingPatch{ClientID: &c.ID, AutoSyncAssets: &on}); err != nil {
			return fx, err
		}
	}
	fx.orgClients, err = st.SyncTargets(ctx, fx.tenantID, fx.integrationID)
	if err != nil {
		return fx, err
	}
	return fx, nil
}

// on returns fx for another database cloned from its template.
func (f fixture) on(db string) fixture {
	f.db = db
	return f
}
