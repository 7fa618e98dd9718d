package rmm

import "context"

// Unimplemented answers every bulk and point call with ErrUnsupported.
// Embed it in a provider so that it compiles as the contract grows and so
// that calls it does not support fail the way the contract asks.
type Unimplemented struct{}

func unsupported(call string) error {
	return Errorf(ErrUnsupported, "%s is not supported by this provider", call)
}

// TestConnection returns ErrUnsupported.
func (Unimplemented) TestConnection(context.Context, TestConnectionRequest) (TestConnectionResult, error) {
	return TestConnectionResult{}, unsupported("TestConnection")
}

// SyncOrgs returns ErrUnsupported.
func (Unimplemented) SyncOrgs(context.Context, SyncRequest, Sink[Org]) (SyncSummary, error) {
	return SyncSummary{}, unsupported("SyncOrgs")
}

// SyncDevices returns ErrUnsupported.
func (Unimplemented) SyncDevices(context.Context, SyncRequest, Sink[Device]) (SyncSummary, error) {
	return SyncSummary{}, unsupported("SyncDevices")
}

// SyncAgent returns ErrUnsupported.
func (Unimplemented) SyncAgent(context.Context, SyncAgentRequest) (SyncAgentResult, error) {
	return SyncAgentResult{}, unsupported("SyncAgent")
}

// HandleWebhook returns ErrUnsupported.
func (Unimplemented) HandleWebhook(context.Context, WebhookRequest) (WebhookResult, error) {
	return WebhookResult{}, unsupported("HandleWebhook")
}

// BackfillAlerts returns ErrUnsupported.
func (Unimplemented) BackfillAlerts(context.Context, BackfillRequest, Sink[Alert]) (SyncSummary, error) {
	return SyncSummary{}, unsupported("BackfillAlerts")
}

// IngestSoftware returns ErrUnsupported.
func (Unimplemented) IngestSoftware(context.Context, SoftwareRequest, Sink[SoftwareBatch]) (SyncSummary, error) {
	return SyncSummary{}, unsupported("IngestSoftware")
}
