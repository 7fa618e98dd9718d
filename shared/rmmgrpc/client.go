package rmmgrpc

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"

	"github.com/msp-psa/psa-host/shared/internal/rmmv1"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// client implements rmm.Provider over gRPC, on the host side.
type client struct {
	rpc rmmv1.RmmProviderClient
	// done is cancelled when the plugin process exits.
	done context.Context
}

var _ rmm.Provider = (*client)(nil)

func (c *client) Describe(ctx context.Context) (rmm.Metadata, error) {
	return callUnary(ctx, c, &rmmv1.DescribeRequest{}, c.rpc.Describe, func(r *rmmv1.DescribeResponse) rmm.Metadata {
		return metadataFromProto(r.GetMetadata())
	})
}

func (c *client) TestConnection(ctx context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
	return callUnary(ctx, c, testConnectionRequestToProto(req), c.rpc.TestConnection, testConnectionResultFromProto)
}

func (c *client) SyncAgent(ctx context.Context, req rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
	return callUnary(ctx, c, syncAgentRequestToProto(req), c.rpc.SyncAgent, syncAgentResultFromProto)
}

func (c *client) HandleWebhook(ctx context.Context, req rmm.WebhookRequest) (rmm.WebhookResult, error) {
	return callUnary(ctx, c, webhookRequestToProto(req), c.rpc.HandleWebhook, webhookResultFromProto)
}

func (c *client) SyncOrgs(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
	return callStream(ctx, c, syncRequestToProto(req), c.rpc.SyncOrgs, orgFrames(), out)
}

func (c *client) SyncDevices(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
	return callStream(ctx, c, syncRequestToProto(req), c.rpc.SyncDevices, deviceFrames(), out)
}

func (c *client) BackfillAlerts(ctx context.Context, req rmm.BackfillRequest, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
	return callStream(ctx, c, backfillRequestToProto(req), c.rpc.BackfillAlerts, alertFrames(), out)
}

func (c *client) IngestSoftware(ctx context.Context, req rmm.SoftwareRequest, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
	return callStream(ctx, c, softwareRequestToProto(req), c.rpc.IngestSoftware, softwareFrames(), out)
}

// callUnary makes one point call under the caller's ctx, also cancelled if
// the plugin exits meanwhile.
func callUnary[PReq, PRes, Res any](ctx context.Context, c *client, req PReq,
	call func(context.Context, PReq, ...grpc.CallOption) (PRes, error), from func(PRes) Res) (Res, error) {
	var zero Res
	callCtx, cancel, err := c.start(ctx)
	if err != nil {
		return zero, err
	}
	defer cancel()
	res, err := call(callCtx, req, callOptions()...)
	if err != nil {
		return zero, c.mapError(ctx, err)
	}
	return from(res), nil
}

// callStream runs a bulk call: it hands each batch frame to the host's sink
// in order and returns the summary frame. A sink error cancels the stream,
// so the plugin's provider sees its ctx cancelled and stops.
func callStream[PReq any, T any, P any, F any](ctx context.Context, c *client, req PReq,
	open func(context.Context, PReq, ...grpc.CallOption) (grpc.ServerStreamingClient[F], error),
	codec frameCodec[T, P, F], out rmm.Sink[T]) (rmm.SyncSummary, error) {
	callCtx, cancel, err := c.start(ctx)
	if err != nil {
		return rmm.SyncSummary{}, err
	}
	defer cancel()
	st, err := open(callCtx, req, callOptions()...)
	if err != nil {
		return rmm.SyncSummary{}, c.mapError(ctx, err)
	}
	for {
		frame, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return rmm.SyncSummary{}, errors.New("rmmgrpc: the plugin ended the stream without a summary")
		}
		if err != nil {
			return rmm.SyncSummary{}, c.mapError(ctx, err)
		}
		p := codec.parts(frame)
		switch {
		case p.summary != nil:
			return syncSummaryFromProto(p.summary), nil
		case p.batch:
			b := rmm.Batch[T]{Items: listFromProto(p.items, codec.fromProto), Total: p.total, Cursor: p.cursor}
			if err := out.Send(ctx, b); err != nil {
				cancel()
				return rmm.SyncSummary{}, fmt.Errorf("rmmgrpc: sink: %w", err)
			}
			// Frames already buffered must not complete a call the caller
			// cancelled meanwhile.
			if err := ctx.Err(); err != nil {
				cancel()
				return rmm.SyncSummary{}, err
			}
		}
		// A frame of a kind this host does not know is skipped.
	}
}

// start derives the context of one call: the caller's, also cancelled when
// the plugin process exits. It fails fast when the plugin is already gone.
func (c *client) start(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if c.done.Err() != nil {
		return nil, nil, pluginGone()
	}
	callCtx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.done, cancel)
	return callCtx, func() { stop(); cancel() }, nil
}

// mapError turns a call's error into the contract's: the plugin's kind via
// fromStatus, rmm.ErrPluginUnavailable when the plugin process exited, and
// the caller's own ctx error kept reachable with errors.Is.
func (c *client) mapError(ctx context.Context, err error) error {
	if ctx.Err() == nil && c.done.Err() != nil {
		return pluginGone()
	}
	out := fromStatus(err)
	if cerr := ctx.Err(); cerr != nil && !errors.Is(out, cerr) {
		return fmt.Errorf("%w: %w", cerr, out)
	}
	return out
}

func pluginGone() error {
	return &rmm.Error{Kind: rmm.ErrPluginUnavailable, Msg: "the plugin process has exited"}
}
