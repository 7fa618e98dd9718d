package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/host/api"
	"github.com/msp-psa/psa-host/host/pluginmgr"
	"github.com/msp-psa/psa-host/host/secrets"
	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/host/syncer"
	"github.com/msp-psa/psa-host/host/webhooks"
)

type serveFlags struct {
	addr          string
	publicURL     string
	db            dbFlags
	plugins       pluginFlags
	masterKeyFile string
	dev           bool
	logLevel      string
	logJSON       bool
	schedulePoll  time.Duration
	jobLease      time.Duration
	eventsKept    time.Duration
	webhookLease  time.Duration
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serveFlags
	fs.StringVar(&f.addr, "addr", envOr("PSA_ADDR", "127.0.0.1:8080"), "HTTP listen address (env PSA_ADDR)")
	fs.StringVar(&f.publicURL, "public-url", os.Getenv("PSA_PUBLIC_URL"),
		"the host's URL as the RMM reaches it, for webhook URLs (env PSA_PUBLIC_URL; default http://<listen address>)")
	f.db.register(fs)
	f.plugins.register(fs)
	fs.StringVar(&f.masterKeyFile, "master-key-file", os.Getenv("PSA_MASTER_KEY_FILE"),
		"file holding the 32-byte secrets master key (hex or base64); PSA_MASTER_KEY takes precedence (default <data-dir>/master.key)")
	fs.BoolVar(&f.dev, "dev", false,
		"development mode (make run): create a master key if none, allow unlisted plugins, and create a default tenant")
	fs.StringVar(&f.logLevel, "log-level", envOr("PSA_LOG_LEVEL", "info"), "log level: trace, debug, info, warn, error")
	fs.BoolVar(&f.logJSON, "log-json", false, "log JSON lines")
	fs.DurationVar(&f.schedulePoll, "schedule-poll", syncer.DefaultSchedulePoll, "how often due schedules are looked for (negative: never on this replica)")
	fs.DurationVar(&f.jobLease, "job-lease", syncer.DefaultLease, "how long a job stays claimed by this replica without a progress report")
	fs.DurationVar(&f.webhookLease, "webhook-lease", webhooks.DefaultLease,
		"how long a webhook delivery being processed stays this replica's; a delivery of a replica that died is taken over after it")
	fs.DurationVar(&f.eventsKept, "event-retention", syncer.DefaultEventRetention, "how long events stay in the outbox for GET /api/v1/events consumers (negative: forever)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(stderr, fs, "unexpected argument %q", fs.Arg(0))
	}
	strictSet := false
	fs.Visit(func(fl *flag.Flag) { strictSet = strictSet || fl.Name == "strict-plugins" })
	if f.dev && !strictSet {
		f.plugins.strict = false
	}
	if f.masterKeyFile == "" {
		f.masterKeyFile = filepath.Join(f.db.dataDir, "master.key")
	}
	log := newLogger(stderr, f.logLevel, f.logJSON)
	return serve(ctx, f, log, stdout)
}

func serve(ctx context.Context, f serveFlags, log hclog.Logger, stdout io.Writer) error {
	key, err := secrets.LoadKey(os.Getenv("PSA_MASTER_KEY"), f.masterKeyFile, f.dev)
	if err != nil {
		return err
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		return err
	}
	pcfg, err := f.plugins.config()
	if err != nil {
		return err
	}

	db, err := openDatabase(ctx, f.db, log)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := db.Close(sctx); err != nil {
			log.Warn("stop embedded database", "error", err)
		}
	}()
	if err := store.MigrateUp(ctx, db.DSN); err != nil {
		return err
	}
	st, err := store.Open(ctx, db.DSN, box)
	if err != nil {
		return err
	}
	defer st.Close()

	pcfg.Logger = log
	mgr, err := pluginmgr.New(ctx, pcfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if err := mgr.Close(cctx); err != nil {
			log.Warn("stop plugins", "error", err)
		}
	}()
	for _, p := range mgr.List() {
		log.Info("plugin", "name", p.Name, "version", p.Version, "state", p.State, "path", p.Path, "reason", p.Reason)
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	url := "http://" + ln.Addr().String()
	if f.publicURL == "" {
		f.publicURL = url
	}

	runner := syncer.New(st, mgr, log, syncer.Options{SchedulePoll: f.schedulePoll, Lease: f.jobLease, EventRetention: f.eventsKept})
	proc := webhooks.NewProcessor(st, mgr, runner, log, webhooks.Options{Lease: f.webhookLease})
	ingress := webhooks.NewIngress(st, mgr, log, webhooks.IngressOptions{Wake: proc.Wake})
	handler := api.New(api.Config{Store: st, Syncer: runner, Providers: mgr, Logger: log,
		Webhooks: ingress, PublicURL: strings.TrimRight(f.publicURL, "/")})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "psa-host listening on %s (edition %s)\n", url, pcfg.Edition)
	if f.dev {
		if err := printDevTenant(ctx, st, f.db.dataDir, url, stdout); err != nil {
			return err
		}
	}

	runCtx, stopRun := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = runner.Run(runCtx) })
	wg.Go(func() { _ = proc.Run(runCtx) })
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err = <-serveErr:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	stopRun()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// printDevTenant makes sure `make run` has a tenant to call the API as, and
// prints its key. The key is kept in the data directory (mode 0600) because
// the database stores only its hash.
func printDevTenant(ctx context.Context, st *store.Store, dataDir, url string, stdout io.Writer) error {
	const name = "default"
	keyFile := filepath.Join(dataDir, "dev-api-key")
	t, err := st.TenantByName(ctx, name)
	key := ""
	switch {
	case errors.Is(err, store.ErrNotFound):
		t, key, err = st.CreateTenant(ctx, name)
		if err != nil {
			return fmt.Errorf("create default tenant: %w", err)
		}
		if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		data, rerr := os.ReadFile(keyFile)
		key = strings.TrimSpace(string(data))
		if rerr != nil || key == "" {
			if key, err = st.CreateAPIKey(ctx, t.ID, "make run"); err != nil {
				return err
			}
			if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(stdout, "tenant %q (%s)\nAPI key: %s\ntry: curl -H 'Authorization: Bearer %s' %s/api/v1/providers\n", name, t.ID, key, key, url)
	return nil
}
