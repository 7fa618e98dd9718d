package rmm

import "context"

// ProtocolVersion is the wire protocol this contract describes. Additive
// changes (new fields, new RPCs) keep it; a breaking change is served as a
// new version beside this one.
const ProtocolVersion = 1

// Provider is what every RMM provider plugin implements. All methods must be
// safe for concurrent use: the plugin serves every integration of every
// tenant from one instance.
//
// Point calls return a result. Bulk calls stream records into a Sink in
// bounded batches and return a summary once every batch was accepted. A
// provider that does not support a call returns an error wrapping
// ErrUnsupported (embed Unimplemented to get that for free).
type Provider interface {
	// Describe says who the provider is and what it can do.
	Describe(ctx context.Context) (Metadata, error)
	// TestConnection checks the integration's URL and credentials. Bad
	// credentials or a misconfigured upstream are a result with OK=false and a
	// message telling the user what to fix, not an error.
	TestConnection(ctx context.Context, req TestConnectionRequest) (TestConnectionResult, error)
	// SyncOrgs streams the RMM's organisations (clients) with their sites.
	SyncOrgs(ctx context.Context, req SyncRequest, out Sink[Org]) (SyncSummary, error)
	// SyncDevices streams devices (agents), limited to req.OrgExternalIDs
	// when set.
	SyncDevices(ctx context.Context, req SyncRequest, out Sink[Device]) (SyncSummary, error)
	// SyncAgent refreshes one device now. An unknown device is ErrNotFound.
	SyncAgent(ctx context.Context, req SyncAgentRequest) (SyncAgentResult, error)
	// HandleWebhook verifies and normalises one webhook delivery. A bad
	// secret is ErrUnauthorized; a body that cannot be understood is
	// ErrInvalidInput.
	HandleWebhook(ctx context.Context, req WebhookRequest) (WebhookResult, error)
	// BackfillAlerts streams alerts in the requested window, the backstop for
	// webhooks that were lost or never sent.
	BackfillAlerts(ctx context.Context, req BackfillRequest, out Sink[Alert]) (SyncSummary, error)
	// IngestSoftware streams each device's complete software inventory.
	IngestSoftware(ctx context.Context, req SoftwareRequest, out Sink[SoftwareBatch]) (SyncSummary, error)
}

// Sink receives records in bounded batches. An error from Send aborts the
// provider's call: the provider must stop promptly and return an error
// wrapping it. The batch's slices may be reused by the provider once Send
// returns, so a sink that keeps records must copy them.
type Sink[T any] interface {
	Send(ctx context.Context, batch Batch[T]) error
}

// Batch is one bounded slice of a stream.
type Batch[T any] struct {
	Items []T
	// Total is the number of records the provider expects to send in the
	// whole call, when it knows it (for progress); 0 means unknown.
	Total int64
	// Cursor, when set, is a checkpoint: a later call given this cursor
	// resumes after this batch. The host stores it only once the batch is
	// committed.
	Cursor []byte
}

// SinkFunc adapts a function to a Sink.
type SinkFunc[T any] func(ctx context.Context, batch Batch[T]) error

// Send calls f.
func (f SinkFunc[T]) Send(ctx context.Context, batch Batch[T]) error { return f(ctx, batch) }
