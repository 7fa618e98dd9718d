package rmmgrpc

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/msp-psa/psa-host/shared/internal/rmmv1"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// hangLimit bounds waits that only fail when something hangs.
const hangLimit = 10 * time.Second

// connect serves p over a real go-plugin gRPC connection and returns the
// host's view of it.
func connect(t *testing.T, p plugin.Plugin) (rmm.Provider, *plugin.GRPCServer) {
	t.Helper()
	c, s := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{PluginName: p})
	// Stop the server before closing the client: Close asks the server to
	// stop itself, and go-plugin's Stop is not safe to run twice at once.
	t.Cleanup(func() { s.Stop(); _ = c.Close() })
	raw, err := c.Dispense(PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(rmm.Provider), s
}

func dial(t *testing.T, f *fakeProvider) rmm.Provider {
	t.Helper()
	p, _ := connect(t, &Plugin{Impl: f})
	return p
}

func TestPointCallsRoundTrip(t *testing.T) {
	at, utc := sampleTime(), sampleTime().UTC()
	var gotTC rmm.TestConnectionRequest
	var gotSA rmm.SyncAgentRequest
	var gotWH rmm.WebhookRequest
	host := dial(t, &fakeProvider{
		describe: func(context.Context) (rmm.Metadata, error) { return fullMetadata(), nil },
		testConnection: func(_ context.Context, r rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
			gotTC = r
			return fullTestConnectionResult(), nil
		},
		syncAgent: func(_ context.Context, r rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
			gotSA = r
			return fullSyncAgentResult(at), nil
		},
		handleWebhook: func(_ context.Context, r rmm.WebhookRequest) (rmm.WebhookResult, error) {
			gotWH = r
			return fullWebhookResult(at), nil
		},
	})
	ctx := t.Context()

	md, err := host.Describe(ctx)
	check(t, "Describe", err, md, fullMetadata())
	tc, err := host.TestConnection(ctx, fullTestConnectionRequest())
	check(t, "TestConnection", err, tc, fullTestConnectionResult())
	check(t, "TestConnection request", nil, gotTC, fullTestConnectionRequest())
	sa, err := host.SyncAgent(ctx, fullSyncAgentRequest())
	check(t, "SyncAgent", err, sa, fullSyncAgentResult(utc))
	check(t, "SyncAgent request", nil, gotSA, fullSyncAgentRequest())
	wh, err := host.HandleWebhook(ctx, fullWebhookRequest(at))
	check(t, "HandleWebhook", err, wh, fullWebhookResult(utc))
	check(t, "HandleWebhook request", nil, gotWH, fullWebhookRequest(utc))
}

func check[T any](t *testing.T, name string, err error, got, want T) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", name, err)
	} else if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", name, got, want)
	}
}

// sendAll is a provider's bulk call: it sends every batch, then summarises.
func sendAll[T any](ctx context.Context, out rmm.Sink[T], batches []rmm.Batch[T]) (rmm.SyncSummary, error) {
	for _, b := range batches {
		if err := out.Send(ctx, b); err != nil {
			return rmm.SyncSummary{}, fmt.Errorf("send: %w", err)
		}
	}
	return fullSyncSummary(), nil
}

// collect is a host sink that keeps every batch.
func collect[T any](got *[]rmm.Batch[T]) rmm.Sink[T] {
	return rmm.SinkFunc[T](func(_ context.Context, b rmm.Batch[T]) error {
		*got = append(*got, b)
		return nil
	})
}

// manyBatches builds n batches of size records from one sample; every
// third batch carries a cursor, one batch is empty with a cursor only.
func manyBatches[T any](n, size int, item T) []rmm.Batch[T] {
	out := make([]rmm.Batch[T], n)
	for i := range out {
		out[i] = rmm.Batch[T]{Total: int64(n * size)}
		if i != n/2 {
			out[i].Items = make([]T, size)
			for j := range out[i].Items {
				out[i].Items[j] = item
			}
		}
		if i%3 == 0 || i == n/2 {
			out[i].Cursor = fmt.Appendf(nil, "cursor-%d", i)
		}
	}
	return out
}

func checkStream[T any](t *testing.T, name string, call func(rmm.Sink[T]) (rmm.SyncSummary, error), want []rmm.Batch[T]) {
	t.Helper()
	var got []rmm.Batch[T]
	sum, err := call(collect(&got))
	check(t, name+" summary", err, sum, fullSyncSummary())
	check(t, name+" batches", nil, got, want)
}

func TestStreamsRoundTrip(t *testing.T) {
	at, utc := sampleTime(), sampleTime().UTC()
	const n, size = 60, 25
	var gotSync, gotDev []rmm.SyncRequest
	var gotBF rmm.BackfillRequest
	var gotSW rmm.SoftwareRequest
	host := dial(t, &fakeProvider{
		syncOrgs: func(ctx context.Context, r rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
			gotSync = append(gotSync, r)
			return sendAll(ctx, out, manyBatches(n, size, fullOrg()))
		},
		syncDevices: func(ctx context.Context, r rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
			gotDev = append(gotDev, r)
			return sendAll(ctx, out, manyBatches(n, size, fullDevice(at)))
		},
		backfillAlerts: func(ctx context.Context, r rmm.BackfillRequest, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
			gotBF = r
			return sendAll(ctx, out, manyBatches(n, size, fullAlert(at)))
		},
		ingestSoftware: func(ctx context.Context, r rmm.SoftwareRequest, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
			gotSW = r
			return sendAll(ctx, out, manyBatches(n, size, fullSoftwareBatch(at)))
		},
	})
	ctx := t.Context()
	checkStream(t, "SyncOrgs", func(out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
		return host.SyncOrgs(ctx, fullSyncRequest(), out)
	}, manyBatches(n, size, fullOrg()))
	checkStream(t, "SyncDevices", func(out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
		return host.SyncDevices(ctx, fullSyncRequest(), out)
	}, manyBatches(n, size, fullDevice(utc)))
	checkStream(t, "BackfillAlerts", func(out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
		return host.BackfillAlerts(ctx, fullBackfillRequest(at), out)
	}, manyBatches(n, size, fullAlert(utc)))
	checkStream(t, "IngestSoftware", func(out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
		return host.IngestSoftware(ctx, fullSoftwareRequest(), out)
	}, manyBatches(n, size, fullSoftwareBatch(utc)))

	check(t, "SyncOrgs request", nil, gotSync, []rmm.SyncRequest{fullSyncRequest()})
	check(t, "SyncDevices request", nil, gotDev, []rmm.SyncRequest{fullSyncRequest()})
	check(t, "BackfillAlerts request", nil, gotBF, fullBackfillRequest(utc))
	check(t, "IngestSoftware request", nil, gotSW, fullSoftwareRequest())
}

// bigDevice is a device whose raw JSON makes it about rawBytes long.
func bigDevice(i, rawBytes int) rmm.Device {
	raw := make([]byte, rawBytes)
	for j := range raw {
		raw[j] = 'a' + byte((i+j)%26)
	}
	raw[0], raw[len(raw)-1] = '"', '"'
	return rmm.Device{ExternalID: fmt.Sprintf("agent-%d", i), Raw: raw}
}

func TestLargeBatchIsSplitBySize(t *testing.T) {
	var sent []rmm.Device
	for i := range 40 {
		sent = append(sent, bigDevice(i, 100<<10)) // 40 x 100 KiB: about 4 MiB
	}
	sent[7] = bigDevice(7, 3<<20) // bigger than a frame: goes alone
	batch := rmm.Batch[rmm.Device]{Items: sent, Total: 40, Cursor: []byte("after-40")}
	host := dial(t, &fakeProvider{
		syncDevices: func(ctx context.Context, _ rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
			return sendAll(ctx, out, []rmm.Batch[rmm.Device]{batch})
		},
	})
	var got []rmm.Batch[rmm.Device]
	if _, err := host.SyncDevices(t.Context(), rmm.SyncRequest{}, collect(&got)); err != nil {
		t.Fatal(err)
	}
	if len(got) < 5 {
		t.Fatalf("got %d frames, want the batch split into at least 5", len(got))
	}
	var all []rmm.Device
	for i, b := range got {
		all = append(all, b.Items...)
		if b.Total != 40 {
			t.Errorf("frame %d: total %d", i, b.Total)
		}
		if last := i == len(got)-1; last != (b.Cursor != nil) {
			t.Errorf("frame %d of %d: cursor %q; only the last frame may carry it", i, len(got), b.Cursor)
		}
		frame := deviceFrames().batch(listToProto(b.Items, deviceToProto), b.Total, b.Cursor)
		if size := proto.Size(frame); size > MaxBatchBytes && len(b.Items) > 1 {
			t.Errorf("frame %d: %d records in %d bytes, over MaxBatchBytes", i, len(b.Items), size)
		}
		if slicesContainID(b.Items, "agent-7") && len(b.Items) != 1 {
			t.Errorf("frame %d: the oversized record shares its frame with %d others", i, len(b.Items)-1)
		}
	}
	check(t, "records", nil, all, sent)
	if string(got[len(got)-1].Cursor) != "after-40" {
		t.Errorf("last cursor %q", got[len(got)-1].Cursor)
	}
}

func slicesContainID(ds []rmm.Device, id string) bool {
	for _, d := range ds {
		if d.ExternalID == id {
			return true
		}
	}
	return false
}

func TestRecordOverMessageLimit(t *testing.T) {
	sendErr := make(chan error, 1)
	host := dial(t, &fakeProvider{
		syncDevices: func(ctx context.Context, _ rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
			err := out.Send(ctx, rmm.Batch[rmm.Device]{Items: []rmm.Device{{ExternalID: "small"}, bigDevice(1, MaxMessageBytes+1)}})
			sendErr <- err
			return rmm.SyncSummary{}, err
		},
	})
	var got []rmm.Batch[rmm.Device]
	_, err := host.SyncDevices(t.Context(), rmm.SyncRequest{}, collect(&got))
	if err == nil || !strings.Contains(err.Error(), "message limit") {
		t.Fatalf("host error %v, want one naming the message limit", err)
	}
	if perr := <-sendErr; perr == nil {
		t.Error("the provider's Send succeeded")
	}
	if len(got) != 0 {
		t.Errorf("host received %d batches of a failed batch", len(got))
	}
}

func TestHostSinkErrorStopsProvider(t *testing.T) {
	errStop := errors.New("disk full")
	providerDone := make(chan error, 1)
	host := dial(t, &fakeProvider{
		syncOrgs: func(ctx context.Context, _ rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
			// An endless provider: only a failing Send or ctx stops it.
			b := rmm.Batch[rmm.Org]{Items: []rmm.Org{fullOrg()}}
			for {
				if err := out.Send(ctx, b); err != nil {
					providerDone <- err
					return rmm.SyncSummary{}, err
				}
			}
		},
	})
	calls := 0
	_, err := host.SyncOrgs(t.Context(), rmm.SyncRequest{}, rmm.SinkFunc[rmm.Org](func(context.Context, rmm.Batch[rmm.Org]) error {
		if calls++; calls == 3 {
			return errStop
		}
		return nil
	}))
	if !errors.Is(err, errStop) {
		t.Fatalf("host got %v, want the sink's error", err)
	}
	if calls != 3 {
		t.Errorf("sink called %d times after failing", calls)
	}
	select {
	case perr := <-providerDone:
		if perr == nil {
			t.Error("provider stopped without an error")
		}
	case <-time.After(hangLimit):
		t.Fatal("the provider kept running after the host sink failed")
	}
}

func TestDeadlineCrossesBoundary(t *testing.T) {
	deadlines := make(chan time.Time, 1)
	host := dial(t, &fakeProvider{
		syncAgent: func(ctx context.Context, _ rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
			d, _ := ctx.Deadline()
			deadlines <- d
			<-ctx.Done()
			return rmm.SyncAgentResult{}, fmt.Errorf("fetch agent: %w", ctx.Err())
		},
	})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	want, _ := ctx.Deadline()
	start := time.Now()
	_, err := host.SyncAgent(ctx, rmm.SyncAgentRequest{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want DeadlineExceeded", err)
	}
	if time.Since(start) > hangLimit {
		t.Error("the call outlived its deadline")
	}
	if got := <-deadlines; got.IsZero() || got.After(want.Add(time.Second)) {
		t.Errorf("plugin saw deadline %v, host set %v", got, want)
	}
}

func TestCancelCrossesBoundary(t *testing.T) {
	started := make(chan struct{})
	host := dial(t, &fakeProvider{
		backfillAlerts: func(ctx context.Context, _ rmm.BackfillRequest, _ rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
			close(started)
			<-ctx.Done()
			return rmm.SyncSummary{}, ctx.Err()
		},
	})
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-started; cancel() }()
	_, err := host.BackfillAlerts(ctx, rmm.BackfillRequest{}, collect(new([]rmm.Batch[rmm.Alert])))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want Canceled", err)
	}
}

func TestErrorsCrossBoundary(t *testing.T) {
	var next error
	host := dial(t, &fakeProvider{
		syncAgent: func(context.Context, rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
			return rmm.SyncAgentResult{}, next
		},
		syncDevices: func(context.Context, rmm.SyncRequest, rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
			return rmm.SyncSummary{}, next
		},
	})
	ctx := t.Context()
	for _, kind := range allKinds() {
		next = fmt.Errorf("tactical: %w", rmm.Errorf(kind, "agent a-1"))
		_, unaryErr := host.SyncAgent(ctx, rmm.SyncAgentRequest{})
		_, streamErr := host.SyncDevices(ctx, rmm.SyncRequest{}, collect(new([]rmm.Batch[rmm.Device])))
		for _, err := range []error{unaryErr, streamErr} {
			if rmm.Kind(err) != kind || !strings.Contains(err.Error(), "agent a-1") {
				t.Errorf("%v: host got %v (kind %v)", kind, err, rmm.Kind(err))
			}
		}
	}

	next = rmm.RateLimited(90*time.Second, "429 from upstream")
	_, err := host.SyncAgent(ctx, rmm.SyncAgentRequest{})
	if !errors.Is(err, rmm.ErrRateLimited) || rmm.RetryAfter(err) != 90*time.Second {
		t.Errorf("rate limit: got %v, RetryAfter %v", err, rmm.RetryAfter(err))
	}

	next = fmt.Errorf("upstream: %w", context.Canceled)
	if _, err := host.SyncAgent(ctx, rmm.SyncAgentRequest{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: got %v", err)
	}

	next = errors.New("decode agent: unexpected token")
	_, err = host.SyncAgent(ctx, rmm.SyncAgentRequest{})
	if err == nil || rmm.Kind(err) != nil || err.Error() != "decode agent: unexpected token" {
		t.Errorf("plain error: got %v (kind %v)", err, rmm.Kind(err))
	}
}

// rawPlugin serves any RmmProviderServer, standing for a plugin built
// from another version of this package.
type rawPlugin struct {
	Plugin
	srv rmmv1.RmmProviderServer
}

func (p *rawPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	rmmv1.RegisterRmmProviderServer(s, p.srv)
	return nil
}

// oldServer knows no RPC at all, like a plugin older than every call.
type oldServer struct {
	rmmv1.UnimplementedRmmProviderServer
}

func TestOldPluginIsUnsupported(t *testing.T) {
	host, _ := connect(t, &rawPlugin{srv: oldServer{}})
	_, err := host.SyncAgent(t.Context(), rmm.SyncAgentRequest{})
	if !errors.Is(err, rmm.ErrUnsupported) {
		t.Errorf("unary: got %v, want ErrUnsupported", err)
	}
	_, err = host.IngestSoftware(t.Context(), rmm.SoftwareRequest{}, collect(new([]rmm.Batch[rmm.SoftwareBatch])))
	if !errors.Is(err, rmm.ErrUnsupported) {
		t.Errorf("stream: got %v, want ErrUnsupported", err)
	}
}

// truncatingServer ends SyncOrgs after a batch, without a summary.
type truncatingServer struct {
	rmmv1.UnimplementedRmmProviderServer
}

func (truncatingServer) SyncOrgs(_ *rmmv1.SyncRequest, st grpc.ServerStreamingServer[rmmv1.OrgFrame]) error {
	return st.Send(orgFrames().batch([]*rmmv1.Org{{ExternalId: "o-1"}}, 1, nil))
}

func TestStreamWithoutSummaryIsAnError(t *testing.T) {
	host, _ := connect(t, &rawPlugin{srv: truncatingServer{}})
	var got []rmm.Batch[rmm.Org]
	_, err := host.SyncOrgs(t.Context(), rmm.SyncRequest{}, collect(&got))
	if err == nil || !strings.Contains(err.Error(), "without a summary") {
		t.Errorf("got %v, want a missing-summary error", err)
	}
	if len(got) != 1 {
		t.Errorf("got %d batches before the end, want 1", len(got))
	}
}

func TestPluginGone(t *testing.T) {
	t.Run("process exited", func(t *testing.T) {
		conn, srv := plugin.TestGRPCConn(t, func(s *grpc.Server) {
			_ = (&Plugin{Impl: &fakeProvider{}}).GRPCServer(nil, s)
		})
		t.Cleanup(func() { _ = conn.Close(); srv.Stop() })
		done, exited := context.WithCancel(t.Context())
		raw, err := (&Plugin{}).GRPCClient(done, nil, conn)
		if err != nil {
			t.Fatal(err)
		}
		exited()
		_, err = raw.(rmm.Provider).Describe(t.Context())
		if !errors.Is(err, rmm.ErrPluginUnavailable) {
			t.Errorf("got %v, want ErrPluginUnavailable", err)
		}
	})
	t.Run("exits during a call", func(t *testing.T) {
		started := make(chan struct{})
		conn, srv := plugin.TestGRPCConn(t, func(s *grpc.Server) {
			_ = (&Plugin{Impl: &fakeProvider{
				syncDevices: func(ctx context.Context, _ rmm.SyncRequest, _ rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
					close(started)
					<-ctx.Done()
					return rmm.SyncSummary{}, ctx.Err()
				},
			}}).GRPCServer(nil, s)
		})
		t.Cleanup(func() { _ = conn.Close(); srv.Stop() })
		done, exited := context.WithCancel(t.Context())
		raw, _ := (&Plugin{}).GRPCClient(done, nil, conn)
		go func() { <-started; exited() }()
		_, err := raw.(rmm.Provider).SyncDevices(t.Context(), rmm.SyncRequest{}, collect(new([]rmm.Batch[rmm.Device])))
		if !errors.Is(err, rmm.ErrPluginUnavailable) || errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want only ErrPluginUnavailable", err)
		}
	})
	t.Run("connection lost", func(t *testing.T) {
		host, srv := connect(t, &Plugin{Impl: &fakeProvider{}})
		srv.Stop()
		_, err := host.Describe(t.Context())
		if !errors.Is(err, rmm.ErrPluginUnavailable) {
			t.Errorf("got %v, want ErrPluginUnavailable", err)
		}
	})
}

func TestPluginSets(t *testing.T) {
	sets := PluginSets(nil)
	if len(sets) != 1 || sets[rmm.ProtocolVersion][PluginName] == nil {
		t.Fatalf("PluginSets = %v", sets)
	}
	if err := (&Plugin{}).GRPCServer(nil, grpc.NewServer()); err == nil {
		t.Error("serving a nil provider must fail")
	}
	if Handshake.MagicCookieKey != "PSA_RMM_PLUGIN" || Handshake.MagicCookieValue == "" {
		t.Errorf("handshake %+v", Handshake)
	}
}

// The host enforces MaxMessageBytes on what it receives, and grpc-go's
// "message too large" is not mistaken for a rate limit.
func TestHostReceiveLimit(t *testing.T) {
	host := dial(t, &fakeProvider{
		syncAgent: func(context.Context, rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
			return rmm.SyncAgentResult{Device: bigDevice(1, MaxMessageBytes+1)}, nil
		},
	})
	_, err := host.SyncAgent(t.Context(), rmm.SyncAgentRequest{})
	if err == nil || rmm.Kind(err) != nil {
		t.Errorf("got %v (kind %v), want an error of no kind", err, rmm.Kind(err))
	}
}
