package main

import (
	"context"
	"fmt"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// integration loads what a plugin call needs, as the syncer does.
func (e *env) integration(ctx context.Context, fx fixture) (rmm.Integration, error) {
	st, err := e.openStore(ctx, fx.db)
	if err != nil {
		return rmm.Integration{}, err
	}
	defer st.Close()
	in, _, err := st.ProviderIntegration(ctx, fx.tenantID, fx.integrationID)
	return in, err
}

// runNaive is a full device sync through the same plugin, written by the
// naive store. With rec set, the devices are also recorded.
func (e *env) runNaive(ctx context.Context, fx fixture, fakePID int, rec *recording[rmm.Device]) (measurement, error) {
	var m measurement
	in, err := e.integration(ctx, fx)
	if err != nil {
		return m, err
	}
	ps, err := startProviders(ctx, e.cfg, e.pluginDir, e.log)
	if err != nil {
		return m, err
	}
	defer ps.close(ctx)
	prov, err := ps.Provider(providerName)
	if err != nil {
		return m, err
	}
	naive, err := newNaiveStore(ctx, e.pg.dsn(fx.db), fx)
	if err != nil {
		return m, err
	}
	defer naive.close(ctx)
	var sink rmm.Sink[rmm.Device] = naive
	if rec != nil {
		sink = tee[rmm.Device]{naive, rec}
	}
	p, err := e.startProbe(ps.pluginPID, fakePID)
	if err != nil {
		return m, err
	}
	sum, err := prov.SyncDevices(ctx, rmm.SyncRequest{Integration: in, Mode: rmm.SyncFull, OrgExternalIDs: fx.orgs()}, sink)
	if perr := p.stop(&m); err == nil {
		err = perr
	}
	if err != nil {
		return m, fmt.Errorf("naive device sync: %w", err)
	}
	m.processed = sum.Sent
	m.counts = store.Counts{Created: naive.created, Updated: naive.updated}
	return m, nil
}

// recordDevices fetches every device once, untimed, for the floor and the
// check when the naive store does not run.
func (e *env) recordDevices(ctx context.Context, fx fixture) (*recording[rmm.Device], error) {
	return recordStream(ctx, e, fx, "devices", stripDevice,
		func(ctx context.Context, prov rmm.Provider, in rmm.Integration, rec rmm.Sink[rmm.Device]) error {
			_, err := prov.SyncDevices(ctx, rmm.SyncRequest{Integration: in, Mode: rmm.SyncFull, OrgExternalIDs: fx.orgs()}, rec)
			return err
		})
}

// writeWithStore writes recorded devices with the host's store, batch by
// batch as they were sent: the reference the naive store and the floor are
// checked against.
func (e *env) writeWithStore(ctx context.Context, fx fixture, rec *recording[rmm.Device]) error {
	st, err := e.openStore(ctx, fx.db)
	if err != nil {
		return err
	}
	defer st.Close()
	return rec.each(func(batch []rmm.Device) error {
		_, err := st.UpsertDevices(ctx, fx.tenantID, fx.integrationID, providerName, fx.orgClients, batch)
		return err
	})
}
