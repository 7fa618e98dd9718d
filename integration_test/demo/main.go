// Command demo shows the whole product working without a Tactical server:
// it starts a fake Tactical RMM with a generated fleet, runs the real
// psa-host (embedded database, real plugin binary) beside it, connects
// them through the HTTP API, maps every organisation, runs every sync and
// prints what landed. The host then keeps running for you to explore.
//
//	make demo        (go run ./integration_test/demo -fleet 500)
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"

	"github.com/msp-psa/psa-host/integration_test/hostproc"
	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	bin := flag.String("psa-host", "bin/psa-host", "the psa-host binary (make build)")
	plugins := flag.String("plugin-dir", "bin/plugins", "the plugin directory (make build)")
	dataDir := flag.String("data-dir", ".data/demo", "data directory of the demo host")
	fleet := flag.Int("fleet", 500, "number of agents in the fake Tactical fleet")
	exit := flag.Bool("exit", false, "stop after the syncs instead of serving until Ctrl-C")
	verbose := flag.Bool("v", false, "print the host's log")
	flag.Parse()

	fake := tacticalfake.New(tacticalfake.Options{Fleet: tacticalfake.FleetSpec{
		Clients: 4, SitesPerClient: 2, Agents: *fleet, SoftwarePerWindowsAgent: 40, Alerts: *fleet / 5, Seed: 7,
	}})
	defer fake.Close()
	fmt.Printf("fake Tactical RMM at %s with %d agents in %d clients\n", fake.URL(), *fleet, len(fake.Clients()))

	opts := hostproc.Options{Binary: *bin, PluginDir: *plugins, DataDir: *dataDir, Dev: true}
	if *verbose {
		opts.Log = os.Stderr
	}
	host, err := hostproc.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer func() { _ = host.Stop(30 * time.Second) }()
	var key []string
	for range 100 { // the key is printed just after the listening line
		if key = regexp.MustCompile(`API key: (\S+)`).FindStringSubmatch(host.Stdout()); key != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if key == nil {
		return fmt.Errorf("the host printed no API key:\n%s", host.Stdout())
	}
	api := hostproc.NewClient(host.URL, key[1])
	fmt.Printf("psa-host at %s\n\n", host.URL)

	var integ struct {
		ID string `json:"integration_id"`
	}
	name := fmt.Sprintf("Demo Tactical %s", time.Now().Format("15:04:05"))
	if _, err := api.Do(ctx, http.MethodPost, "/api/v1/integrations", map[string]any{
		"provider": "tacticalrmm", "name": name, "instance_url": fake.URL(),
		"auth_mode": "api_key", "credentials": map[string]string{"api_key": tacticalfake.DefaultAPIKey},
	}, &integ); err != nil {
		return fmt.Errorf("create integration: %w", err)
	}
	var test struct {
		OK            bool     `json:"ok"`
		Message       string   `json:"message"`
		ServerVersion string   `json:"server_version"`
		Warnings      []string `json:"warnings"`
	}
	if _, err := api.Do(ctx, http.MethodPost, "/api/v1/integrations/"+integ.ID+"/test", map[string]any{}, &test); err != nil {
		return fmt.Errorf("test connection: %w", err)
	}
	fmt.Printf("test connection: ok=%v %s (Tactical %s)\n", test.OK, test.Message, test.ServerVersion)

	if err := step(ctx, api, integ.ID, "orgs"); err != nil {
		return err
	}
	if err := mapAll(ctx, api, integ.ID); err != nil {
		return err
	}
	for _, kind := range []string{"devices", "alerts", "software"} {
		if err := step(ctx, api, integ.ID, kind); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := step(ctx, api, integ.ID, "devices"); err != nil {
		return err
	}
	fmt.Printf("  (an unchanged re-sync took %v)\n", time.Since(start).Round(time.Millisecond))

	var assets struct {
		Items []struct {
			Name        string `json:"name"`
			AgentStatus string `json:"agent_status"`
			AssetType   string `json:"asset_type"`
		} `json:"items"`
	}
	if _, err := api.Do(ctx, http.MethodGet, "/api/v1/assets?integration_id="+integ.ID+"&limit=5", nil, &assets); err != nil {
		return err
	}
	fmt.Println("\nsome assets:")
	for _, a := range assets.Items {
		fmt.Printf("  %-24s %-12s %s\n", a.Name, a.AssetType, a.AgentStatus)
	}
	var hook struct {
		URL        string `json:"url"`
		HeaderName string `json:"header_name"`
	}
	if _, err := api.Do(ctx, http.MethodGet, "/api/v1/integrations/"+integ.ID+"/webhook", nil, &hook); err == nil {
		fmt.Printf("\nwebhook URL for Tactical: %s (secret header %s)\n", hook.URL, hook.HeaderName)
	}
	fmt.Printf("\nexplore: curl -H 'Authorization: Bearer %s' %s/api/v1/assets\n", key[1], host.URL)
	if *exit {
		return nil
	}
	fmt.Println("the host keeps running; Ctrl-C stops it")
	<-ctx.Done()
	return nil
}

func step(ctx context.Context, api *hostproc.Client, integrationID, kind string) error {
	start := time.Now()
	j, err := api.Sync(ctx, integrationID, kind, "full")
	if err != nil {
		return fmt.Errorf("sync %s: %w", kind, err)
	}
	fmt.Printf("sync %-8s %6d records in %-8v created %d, updated %d, unchanged %d, failed %d\n",
		kind, j.Processed, time.Since(start).Round(time.Millisecond), j.Counts.Created, j.Counts.Updated, j.Counts.Unchanged, j.Counts.Failed)
	return nil
}

// mapAll creates a PSA client for every Tactical client and maps it.
func mapAll(ctx context.Context, api *hostproc.Client, integrationID string) error {
	var mappings struct {
		Items []struct {
			ID   string `json:"mapping_id"`
			Name string `json:"external_organization_name"`
		} `json:"items"`
	}
	if _, err := api.Do(ctx, http.MethodGet, "/api/v1/integrations/"+integrationID+"/mappings", nil, &mappings); err != nil {
		return err
	}
	for _, m := range mappings.Items {
		var c struct {
			ID string `json:"client_id"`
		}
		if _, err := api.Do(ctx, http.MethodPost, "/api/v1/clients", map[string]string{"name": m.Name + " " + time.Now().Format("150405.000")}, &c); err != nil {
			return err
		}
		if _, err := api.Do(ctx, http.MethodPatch, "/api/v1/integrations/"+integrationID+"/mappings/"+m.ID,
			map[string]any{"client_id": c.ID, "auto_sync_assets": true}, nil); err != nil {
			return err
		}
	}
	fmt.Printf("mapped %d Tactical clients to new PSA clients\n", len(mappings.Items))
	return nil
}
