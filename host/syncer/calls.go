package syncer

import (
	"context"
	"fmt"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// TestConnection asks the integration's plugin to check it, stores any
// credentials it obtained, and records the outcome.
func (r *Runner) TestConnection(ctx context.Context, tenantID, integrationID, oneTimeCode string) (rmm.TestConnectionResult, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.CallTimeout)
	defer cancel()
	in, _, prov, err := r.provider(ctx, tenantID, integrationID)
	if err != nil {
		return rmm.TestConnectionResult{}, err
	}
	res, err := prov.TestConnection(ctx, rmm.TestConnectionRequest{Integration: in, OneTimeCode: oneTimeCode})
	if err != nil {
		return rmm.TestConnectionResult{}, err
	}
	if err := r.saveSecrets(ctx, tenantID, integrationID, res.NewSecrets); err != nil {
		return rmm.TestConnectionResult{}, err
	}
	res.NewSecrets = nil
	if err := r.st.RecordConnectionTest(ctx, tenantID, integrationID, res.OK, res.Message); err != nil {
		return rmm.TestConnectionResult{}, fmt.Errorf("record connection test: %w", err)
	}
	return res, nil
}

// SyncAgent refreshes one device now and writes it.
func (r *Runner) SyncAgent(ctx context.Context, tenantID, integrationID, externalID string) (store.Asset, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.CallTimeout)
	defer cancel()
	in, name, prov, err := r.provider(ctx, tenantID, integrationID)
	if err != nil {
		return store.Asset{}, err
	}
	res, err := prov.SyncAgent(ctx, rmm.SyncAgentRequest{Integration: in, DeviceExternalID: externalID})
	if err != nil {
		return store.Asset{}, err
	}
	if err := r.saveSecrets(ctx, tenantID, integrationID, res.NewSecrets); err != nil {
		return store.Asset{}, err
	}
	targets, err := r.st.SyncTargets(ctx, tenantID, integrationID)
	if err != nil {
		return store.Asset{}, fmt.Errorf("load mapped organisations: %w", err)
	}
	if _, ok := targets[res.Device.OrgExternalID]; !ok {
		return store.Asset{}, rmm.Errorf(rmm.ErrInvalidConfig,
			"device %s belongs to RMM organisation %s, which is not mapped to a client with auto-sync on", externalID, res.Device.OrgExternalID)
	}
	if _, err := r.st.UpsertDevices(ctx, tenantID, integrationID, name, targets, []rmm.Device{res.Device}); err != nil {
		return store.Asset{}, fmt.Errorf("write device: %w", err)
	}
	return r.st.AssetByDevice(ctx, tenantID, integrationID, externalID)
}

func (r *Runner) provider(ctx context.Context, tenantID, integrationID string) (rmm.Integration, string, rmm.Provider, error) {
	in, name, err := r.st.ProviderIntegration(ctx, tenantID, integrationID)
	if err != nil {
		return rmm.Integration{}, "", nil, err
	}
	prov, err := r.providers.Provider(name)
	if err != nil {
		return rmm.Integration{}, "", nil, fmt.Errorf("provider %s: %w", name, err)
	}
	return in, name, prov, nil
}
