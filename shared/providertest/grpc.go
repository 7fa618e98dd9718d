package providertest

import (
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/msp-psa/psa-host/shared/rmm"
	"github.com/msp-psa/psa-host/shared/rmmgrpc"
)

// overGRPC serves impl through the real rmmgrpc adapters on an in-memory
// go-plugin connection and returns the host's view of it.
func overGRPC(t testing.TB, impl rmm.Provider) rmm.Provider {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, rmmgrpc.PluginSets(impl)[rmm.ProtocolVersion])
	// Closing the client shuts the server down through go-plugin's
	// controller; stopping the server as well races with that.
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(rmmgrpc.PluginName)
	if err != nil {
		t.Fatalf("dispense %q: %v", rmmgrpc.PluginName, err)
	}
	p, ok := raw.(rmm.Provider)
	if !ok {
		t.Fatalf("dispensed %T, not an rmm.Provider", raw)
	}
	return p
}
