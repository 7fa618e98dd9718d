// Package rmmplugin is what an RMM provider plugin's main calls:
//
//	func main() {
//		log := rmmplugin.Logger()
//		rmmplugin.Serve(tacticalrmm.New(log), rmmplugin.WithLogger(log))
//	}
//
// Serve speaks go-plugin's handshake on stdout, so a plugin must never
// write to stdout itself; it logs through Logger (JSON on stderr), which
// the host re-emits under the plugin's name.
package rmmplugin

import (
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/msp-psa/psa-host/shared/rmm"
	"github.com/msp-psa/psa-host/shared/rmmgrpc"
)

// Option changes how Serve runs.
type Option func(*config)

type config struct {
	logger hclog.Logger
	test   *plugin.ServeTestConfig
}

// WithLogger makes Serve log through l, typically the Logger the provider
// was built with.
func WithLogger(l hclog.Logger) Option { return func(c *config) { c.logger = l } }

// WithTestConfig serves in go-plugin's test mode: no handshake on stdout,
// the reattach config goes to tc.ReattachConfigCh, and tc.Context ends it.
// For in-process tests and debugger sessions.
func WithTestConfig(tc *plugin.ServeTestConfig) Option { return func(c *config) { c.test = tc } }

// Serve serves impl to the host until the host stops the plugin. Started
// by hand (without the host's magic cookie) it says so on stderr and exits.
func Serve(impl rmm.Provider, opts ...Option) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.logger == nil {
		c.logger = Logger()
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  rmmgrpc.Handshake,
		VersionedPlugins: rmmgrpc.PluginSets(impl),
		GRPCServer:       GRPCServerFunc(c.logger),
		Logger:           c.logger,
		Test:             c.test,
	})
}
