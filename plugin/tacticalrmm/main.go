// Command rmm-provider-tacticalrmm is the Tactical RMM provider plugin.
// The host launches it over go-plugin; it is not meant to be run by hand.
package main

import (
	"github.com/msp-psa/psa-host/provider/tacticalrmm"
	"github.com/msp-psa/psa-host/shared/rmmplugin"
)

func main() {
	log := rmmplugin.Logger()
	rmmplugin.Serve(tacticalrmm.New(tacticalrmm.WithLogger(log)), rmmplugin.WithLogger(log))
}
