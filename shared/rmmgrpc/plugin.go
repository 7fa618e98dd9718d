// Package rmmgrpc carries rmm.Provider over go-plugin's gRPC transport. The
// host dispenses a Provider from it; a plugin serves one through it. Both
// sides share the handshake, the message limits and one error mapping, so
// sentinel errors keep their identity across the process boundary.
package rmmgrpc

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/msp-psa/psa-host/shared/internal/rmmv1"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// PluginName is the name under which the provider is dispensed.
const PluginName = "rmm"

// Message limits, explicit on both sides. A stream frame stays under
// MaxBatchBytes (a single larger record is sent alone); no message may
// exceed MaxMessageBytes, which also caps webhook bodies the host passes.
const (
	MaxMessageBytes = 16 << 20
	MaxBatchBytes   = 1 << 20
)

// Handshake is what host and plugin agree on before speaking. The cookie is
// a guard against running a plugin by hand, not a security measure. Never
// change it: old plugins would stop loading.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  rmm.ProtocolVersion,
	MagicCookieKey:   "PSA_RMM_PLUGIN",
	MagicCookieValue: "7f3c9a1e-psa-rmm-provider",
}

// PluginSets is the VersionedPlugins map for both sides: the plugin passes
// its provider, the host passes nil.
func PluginSets(impl rmm.Provider) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		rmm.ProtocolVersion: {PluginName: &Plugin{Impl: impl}},
	}
}

// DialOptions are the gRPC dial options the host passes in
// plugin.ClientConfig.GRPCDialOptions.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(callOptions()...)}
}

// ServerOptions are the message limits of the plugin's gRPC server.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes)}
}

func callOptions() []grpc.CallOption {
	return []grpc.CallOption{grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)}
}

// Plugin is the go-plugin glue: GRPCServer serves Impl in the plugin,
// GRPCClient returns an rmm.Provider in the host.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl rmm.Provider
}

// GRPCServer registers the provider service. go-plugin calls it once: the
// provider is a singleton serving every call concurrently.
func (p *Plugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("rmmgrpc: Plugin.Impl is nil")
	}
	rmmv1.RegisterRmmProviderServer(s, &server{impl: p.Impl})
	return nil
}

// GRPCClient returns an rmm.Provider over conn. done is cancelled when the
// plugin process exits; calls then fail with rmm.ErrPluginUnavailable.
func (p *Plugin) GRPCClient(done context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	if done == nil {
		return nil, errors.New("rmmgrpc: GRPCClient needs the plugin's done context")
	}
	return &client{rpc: rmmv1.NewRmmProviderClient(conn), done: done}, nil
}

var _ plugin.GRPCPlugin = (*Plugin)(nil)
