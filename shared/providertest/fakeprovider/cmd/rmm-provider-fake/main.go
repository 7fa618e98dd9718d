// Command rmm-provider-fake is the fake RMM provider as a plugin binary,
// for tests of the host's plugin manager and for demos. Its name and
// editions are set at build time, so one source gives several plugins:
//
//	go build -ldflags "-X main.name=fake2 -X main.editions=ee" ./shared/providertest/fakeprovider/cmd/rmm-provider-fake
//
// Fleets are shaped per integration through Settings (see
// fakeprovider.FleetSpec); the valid api_key is fakeprovider.DefaultAPIKey.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/msp-psa/psa-host/shared/providertest/fakeprovider"
	"github.com/msp-psa/psa-host/shared/rmm"
	"github.com/msp-psa/psa-host/shared/rmmplugin"
)

// Set with -ldflags "-X main.name=... -X main.editions=... -X main.version=...".
var (
	name     = "fake"
	editions = "ce,ee"
	version  = "1.0.0"
)

func main() {
	eds, err := parseEditions(editions)
	if err != nil {
		// Stdout belongs to the go-plugin handshake: report on stderr.
		fmt.Fprintln(os.Stderr, "rmm-provider-fake:", err)
		os.Exit(1)
	}
	log := rmmplugin.Logger()
	rmmplugin.Serve(fakeprovider.New(fakeprovider.Config{
		Name:        name,
		DisplayName: "Fake RMM (" + name + ")",
		Version:     version,
		Editions:    eds,
		Logger:      log,
	}), rmmplugin.WithLogger(log))
}

func parseEditions(s string) ([]rmm.Edition, error) {
	var eds []rmm.Edition
	for part := range strings.SplitSeq(s, ",") {
		e, err := rmm.ParseEdition(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("main.editions=%q: %w", s, err)
		}
		eds = append(eds, e)
	}
	return eds, nil
}
