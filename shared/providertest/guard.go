package providertest

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// guard turns a panic of the provider under test into an error, so that
// the rule that caused it fails instead of the whole test binary.
type guard struct{ p rmm.Provider }

// panicMarker starts the error a guard returns for a panic. The suite
// finds it by text, since over gRPC only the text crosses.
const panicMarker = "providertest: the provider panicked"

func recovered(call string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s in %s: %v\n%s", panicMarker, call, r, debug.Stack())
	}
}

func (g guard) Describe(ctx context.Context) (_ rmm.Metadata, err error) {
	defer recovered("Describe", &err)
	return g.p.Describe(ctx)
}

func (g guard) TestConnection(ctx context.Context, req rmm.TestConnectionRequest) (_ rmm.TestConnectionResult, err error) {
	defer recovered("TestConnection", &err)
	return g.p.TestConnection(ctx, req)
}

func (g guard) SyncOrgs(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Org]) (_ rmm.SyncSummary, err error) {
	defer recovered("SyncOrgs", &err)
	return g.p.SyncOrgs(ctx, req, out)
}

func (g guard) SyncDevices(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (_ rmm.SyncSummary, err error) {
	defer recovered("SyncDevices", &err)
	return g.p.SyncDevices(ctx, req, out)
}

func (g guard) SyncAgent(ctx context.Context, req rmm.SyncAgentRequest) (_ rmm.SyncAgentResult, err error) {
	defer recovered("SyncAgent", &err)
	return g.p.SyncAgent(ctx, req)
}

func (g guard) HandleWebhook(ctx context.Context, req rmm.WebhookRequest) (_ rmm.WebhookResult, err error) {
	defer recovered("HandleWebhook", &err)
	return g.p.HandleWebhook(ctx, req)
}

func (g guard) BackfillAlerts(ctx context.Context, req rmm.BackfillRequest, out rmm.Sink[rmm.Alert]) (_ rmm.SyncSummary, err error) {
	defer recovered("BackfillAlerts", &err)
	return g.p.BackfillAlerts(ctx, req, out)
}

func (g guard) IngestSoftware(ctx context.Context, req rmm.SoftwareRequest, out rmm.Sink[rmm.SoftwareBatch]) (_ rmm.SyncSummary, err error) {
	defer recovered("IngestSoftware", &err)
	return g.p.IngestSoftware(ctx, req, out)
}
