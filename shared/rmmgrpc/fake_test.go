package rmmgrpc

import (
	"context"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// fakeProvider answers each call with its func field; a nil field means
// the call is unsupported.
type fakeProvider struct {
	describe       func(context.Context) (rmm.Metadata, error)
	testConnection func(context.Context, rmm.TestConnectionRequest) (rmm.TestConnectionResult, error)
	syncOrgs       func(context.Context, rmm.SyncRequest, rmm.Sink[rmm.Org]) (rmm.SyncSummary, error)
	syncDevices    func(context.Context, rmm.SyncRequest, rmm.Sink[rmm.Device]) (rmm.SyncSummary, error)
	syncAgent      func(context.Context, rmm.SyncAgentRequest) (rmm.SyncAgentResult, error)
	handleWebhook  func(context.Context, rmm.WebhookRequest) (rmm.WebhookResult, error)
	backfillAlerts func(context.Context, rmm.BackfillRequest, rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error)
	ingestSoftware func(context.Context, rmm.SoftwareRequest, rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error)
}

var _ rmm.Provider = (*fakeProvider)(nil)

func (f *fakeProvider) Describe(ctx context.Context) (rmm.Metadata, error) {
	if f.describe == nil {
		return rmm.Metadata{}, rmm.Errorf(rmm.ErrUnsupported, "Describe")
	}
	return f.describe(ctx)
}

func (f *fakeProvider) TestConnection(ctx context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
	if f.testConnection == nil {
		return rmm.Unimplemented{}.TestConnection(ctx, req)
	}
	return f.testConnection(ctx, req)
}

func (f *fakeProvider) SyncOrgs(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
	if f.syncOrgs == nil {
		return rmm.Unimplemented{}.SyncOrgs(ctx, req, out)
	}
	return f.syncOrgs(ctx, req, out)
}

func (f *fakeProvider) SyncDevices(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
	if f.syncDevices == nil {
		return rmm.Unimplemented{}.SyncDevices(ctx, req, out)
	}
	return f.syncDevices(ctx, req, out)
}

func (f *fakeProvider) SyncAgent(ctx context.Context, req rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
	if f.syncAgent == nil {
		return rmm.Unimplemented{}.SyncAgent(ctx, req)
	}
	return f.syncAgent(ctx, req)
}

func (f *fakeProvider) HandleWebhook(ctx context.Context, req rmm.WebhookRequest) (rmm.WebhookResult, error) {
	if f.handleWebhook == nil {
		return rmm.Unimplemented{}.HandleWebhook(ctx, req)
	}
	return f.handleWebhook(ctx, req)
}

func (f *fakeProvider) BackfillAlerts(ctx context.Context, req rmm.BackfillRequest, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
	if f.backfillAlerts == nil {
		return rmm.Unimplemented{}.BackfillAlerts(ctx, req, out)
	}
	return f.backfillAlerts(ctx, req, out)
}

func (f *fakeProvider) IngestSoftware(ctx context.Context, req rmm.SoftwareRequest, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
	if f.ingestSoftware == nil {
		return rmm.Unimplemented{}.IngestSoftware(ctx, req, out)
	}
	return f.ingestSoftware(ctx, req, out)
}
