package rmmplugin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msp-psa/psa-host/shared/internal/rmmv1"
	"github.com/msp-psa/psa-host/shared/rmm"
	"github.com/msp-psa/psa-host/shared/rmmgrpc"
)

// The test binary doubles as a plugin: run with envServePlugin set, it
// serves panicky instead of running tests, exactly as a plugin main does.
const envServePlugin = "RMMPLUGIN_TEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(envServePlugin) == "1" {
		Serve(panicky{})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// panicky panics in SyncAgent for device "boom" and mid-stream in SyncOrgs;
// everything else works.
type panicky struct{ rmm.Unimplemented }

func (panicky) Describe(context.Context) (rmm.Metadata, error) {
	return rmm.Metadata{Name: "panicky", ProtocolVersion: rmm.ProtocolVersion}, nil
}

func (panicky) SyncAgent(_ context.Context, req rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
	if req.DeviceExternalID == "boom" {
		var d *rmm.Device
		return rmm.SyncAgentResult{Device: *d}, nil // nil dereference
	}
	return rmm.SyncAgentResult{Device: rmm.Device{ExternalID: req.DeviceExternalID}}, nil
}

func (panicky) SyncOrgs(ctx context.Context, _ rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
	if err := out.Send(ctx, rmm.Batch[rmm.Org]{Items: []rmm.Org{{ExternalID: "o-1"}}}); err != nil {
		return rmm.SyncSummary{}, err
	}
	panic("lost track of the page")
}

// lockedBuffer collects the host's log lines, written from go-plugin's
// goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// launch starts the test binary as a plugin the way the host does and
// returns the dispensed provider, the raw connection and the host's log.
func launch(t *testing.T) (rmm.Provider, rmmv1.RmmProviderClient, *lockedBuffer) {
	t.Helper()
	hostLog := &lockedBuffer{}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{envServePlugin + "=1", EnvLogLevel + "=debug", "PATH=" + os.Getenv("PATH")}
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  rmmgrpc.Handshake,
		VersionedPlugins: rmmgrpc.PluginSets(nil),
		Cmd:              cmd,
		SkipHostEnv:      true,
		AutoMTLS:         true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		GRPCDialOptions:  rmmgrpc.DialOptions(),
		Logger:           hclog.New(&hclog.LoggerOptions{Output: hostLog, Level: hclog.Debug}),
		StartTimeout:     30 * time.Second,
	})
	t.Cleanup(c.Kill)
	// A successful handshake also shows that nothing reached stdout
	// before it: go-plugin rejects any other first line.
	proto, err := c.Client()
	if err != nil {
		t.Fatalf("handshake: %v\nhost log:\n%s", err, hostLog)
	}
	raw, err := proto.Dispense(rmmgrpc.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	if v := c.NegotiatedVersion(); v != rmm.ProtocolVersion {
		t.Errorf("negotiated version %d", v)
	}
	return raw.(rmm.Provider), rmmv1.NewRmmProviderClient(proto.(*plugin.GRPCClient).Conn), hostLog
}

func TestServeRecoversPanics(t *testing.T) {
	p, conn, hostLog := launch(t)
	ctx := t.Context()

	if md, err := p.Describe(ctx); err != nil || md.Name != "panicky" {
		t.Fatalf("Describe: %+v, %v", md, err)
	}

	_, err := p.SyncAgent(ctx, rmm.SyncAgentRequest{DeviceExternalID: "boom"})
	if err == nil || !strings.Contains(err.Error(), "/psa.rmm.v1.RmmProvider/SyncAgent") || rmm.Kind(err) != nil {
		t.Errorf("unary panic: got %v, want an error of no kind naming the method", err)
	}
	_, err = conn.SyncAgent(ctx, &rmmv1.SyncAgentRequest{DeviceExternalId: "boom"})
	if status.Code(err) != codes.Internal {
		t.Errorf("unary panic: code %v, want Internal", status.Code(err))
	}
	if res, err := p.SyncAgent(ctx, rmm.SyncAgentRequest{DeviceExternalID: "d-1"}); err != nil || res.Device.ExternalID != "d-1" {
		t.Errorf("call after a panic: %+v, %v", res, err)
	}

	var batches int
	_, err = p.SyncOrgs(ctx, rmm.SyncRequest{}, rmm.SinkFunc[rmm.Org](func(context.Context, rmm.Batch[rmm.Org]) error {
		batches++
		return nil
	}))
	if err == nil || !strings.Contains(err.Error(), "/psa.rmm.v1.RmmProvider/SyncOrgs") {
		t.Errorf("stream panic: got %v", err)
	}
	if batches != 1 {
		t.Errorf("stream panic: %d batches before it, want 1", batches)
	}
	if _, err := p.Describe(ctx); err != nil {
		t.Errorf("call after a stream panic: %v", err)
	}

	// The plugin's JSON log line reaches the host with the stack.
	deadline := time.Now().Add(10 * time.Second)
	for !(strings.Contains(hostLog.String(), "panic in RPC") && strings.Contains(hostLog.String(), "runtime/debug.Stack")) {
		if time.Now().After(deadline) {
			t.Fatalf("the panic was not logged with its stack; host log:\n%s", hostLog)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServeInTestMode(t *testing.T) {
	ctx, stop := context.WithCancel(t.Context())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go Serve(panicky{}, WithLogger(hclog.NewNullLogger()),
		WithTestConfig(&plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed}))
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-time.After(10 * time.Second):
		t.Fatal("no reattach config")
	}
	// Reattaching skips version negotiation, so VersionedPlugins is not
	// consulted: the plugin set goes in Plugins.
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: rmmgrpc.Handshake, Plugins: rmmgrpc.PluginSets(nil)[rmm.ProtocolVersion], Reattach: rc,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC}, Logger: hclog.NewNullLogger(),
	})
	defer c.Kill()
	proto, err := c.Client()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := proto.Dispense(rmmgrpc.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	p := raw.(rmm.Provider)
	_, err = p.SyncAgent(t.Context(), rmm.SyncAgentRequest{DeviceExternalID: "boom"})
	if err == nil || !strings.Contains(err.Error(), "SyncAgent") {
		t.Errorf("panic: got %v", err)
	}
	if _, err := p.TestConnection(t.Context(), rmm.TestConnectionRequest{}); !errors.Is(err, rmm.ErrUnsupported) {
		t.Errorf("unsupported call: got %v", err)
	}
	stop()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

func TestLoggerLevel(t *testing.T) {
	tests := []struct {
		env  string
		want hclog.Level
	}{
		{"", hclog.Info},
		{"debug", hclog.Debug},
		{"TRACE", hclog.Trace},
		{"warn", hclog.Warn},
		{"loud", hclog.Info},
	}
	for _, tt := range tests {
		t.Setenv(EnvLogLevel, tt.env)
		if got := Logger().GetLevel(); got != tt.want {
			t.Errorf("%s=%q: level %v, want %v", EnvLogLevel, tt.env, got, tt.want)
		}
	}
}
