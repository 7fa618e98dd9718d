package rmmgrpc

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/msp-psa/psa-host/shared/internal/rmmv1"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// server implements the gRPC service by calling the plugin's provider.
// Embedding Unimplemented keeps it compiling as RPCs are added.
type server struct {
	rmmv1.UnimplementedRmmProviderServer
	impl rmm.Provider
}

func (s *server) Describe(ctx context.Context, _ *rmmv1.DescribeRequest) (*rmmv1.DescribeResponse, error) {
	m, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &rmmv1.DescribeResponse{Metadata: metadataToProto(m)}, nil
}

func (s *server) TestConnection(ctx context.Context, req *rmmv1.TestConnectionRequest) (*rmmv1.TestConnectionResult, error) {
	return serveUnary(ctx, req, testConnectionRequestFromProto, s.impl.TestConnection, testConnectionResultToProto)
}

func (s *server) SyncAgent(ctx context.Context, req *rmmv1.SyncAgentRequest) (*rmmv1.SyncAgentResult, error) {
	return serveUnary(ctx, req, syncAgentRequestFromProto, s.impl.SyncAgent, syncAgentResultToProto)
}

func (s *server) HandleWebhook(ctx context.Context, req *rmmv1.WebhookRequest) (*rmmv1.WebhookResult, error) {
	return serveUnary(ctx, req, webhookRequestFromProto, s.impl.HandleWebhook, webhookResultToProto)
}

func (s *server) SyncOrgs(req *rmmv1.SyncRequest, st grpc.ServerStreamingServer[rmmv1.OrgFrame]) error {
	return serveStream(st, orgFrames(), func(ctx context.Context, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
		return s.impl.SyncOrgs(ctx, syncRequestFromProto(req), out)
	})
}

func (s *server) SyncDevices(req *rmmv1.SyncRequest, st grpc.ServerStreamingServer[rmmv1.DeviceFrame]) error {
	return serveStream(st, deviceFrames(), func(ctx context.Context, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
		return s.impl.SyncDevices(ctx, syncRequestFromProto(req), out)
	})
}

func (s *server) BackfillAlerts(req *rmmv1.BackfillRequest, st grpc.ServerStreamingServer[rmmv1.AlertFrame]) error {
	return serveStream(st, alertFrames(), func(ctx context.Context, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
		return s.impl.BackfillAlerts(ctx, backfillRequestFromProto(req), out)
	})
}

func (s *server) IngestSoftware(req *rmmv1.SoftwareRequest, st grpc.ServerStreamingServer[rmmv1.SoftwareFrame]) error {
	return serveStream(st, softwareFrames(), func(ctx context.Context, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
		return s.impl.IngestSoftware(ctx, softwareRequestFromProto(req), out)
	})
}

// serveUnary converts the request, calls the provider and converts the
// result or maps the error.
func serveUnary[PReq, Req, Res, PRes any](ctx context.Context, req PReq, from func(PReq) Req,
	call func(context.Context, Req) (Res, error), to func(Res) PRes) (PRes, error) {
	res, err := call(ctx, from(req))
	if err != nil {
		var zero PRes
		return zero, toStatus(err)
	}
	return to(res), nil
}

// serveStream runs a bulk call with a sink that sends each batch as one or
// more frames, then sends the summary frame.
func serveStream[T any, P proto.Message, F any](st grpc.ServerStreamingServer[F], c frameCodec[T, P, F],
	call func(context.Context, rmm.Sink[T]) (rmm.SyncSummary, error)) error {
	// A gRPC stream takes one sender at a time; the lock also keeps the
	// frames of one batch together should a provider send concurrently.
	var mu sync.Mutex
	sink := rmm.SinkFunc[T](func(ctx context.Context, b rmm.Batch[T]) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		return sendBatch(st, c, b)
	})
	sum, err := call(st.Context(), sink)
	if err != nil {
		return toStatus(err)
	}
	return st.Send(c.summary(syncSummaryToProto(sum)))
}

// sendBatch splits a batch into frames of at most MaxBatchBytes. Only the
// last frame carries the cursor: the host stores a checkpoint once the
// whole batch is committed, never after a part of it. A record too big for
// a frame goes alone; one too big for any message is an error.
func sendBatch[T any, P proto.Message, F any](st grpc.ServerStreamingServer[F], c frameCodec[T, P, F], b rmm.Batch[T]) error {
	items := listToProto(b.Items, c.toProto)
	fixed := frameOverhead(b.Total, b.Cursor)
	start, size := 0, fixed
	for i, item := range items {
		n := protowire.SizeTag(1) + protowire.SizeBytes(proto.Size(item))
		if fixed+n > MaxMessageBytes {
			return fmt.Errorf("rmmgrpc: record %d of the batch encodes to %d bytes, over the %d-byte message limit", i, n, MaxMessageBytes)
		}
		if i > start && size+n > MaxBatchBytes {
			if err := st.Send(c.batch(items[start:i], b.Total, nil)); err != nil {
				return err
			}
			start, size = i, fixed
		}
		size += n
	}
	return st.Send(c.batch(items[start:], b.Total, b.Cursor))
}

// frameOverhead bounds the bytes of a batch frame besides its items: the
// frame's own field header, total and cursor.
func frameOverhead(total int64, cursor []byte) int {
	n := protowire.SizeTag(1) + protowire.SizeVarint(MaxMessageBytes) // the batch field in the frame
	n += protowire.SizeTag(2) + protowire.SizeVarint(uint64(total))
	if cursor != nil {
		n += protowire.SizeTag(3) + protowire.SizeBytes(len(cursor))
	}
	return n
}
