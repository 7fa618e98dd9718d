package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/host/secrets"
	"github.com/msp-psa/psa-host/host/store"
)

// env is what every scenario shares: the cluster, the plugin build, the
// secret box and the work directory.
type env struct {
	cfg       config
	pg        *pg
	workDir   string
	pluginDir string
	box       *secrets.Box
	log       hclog.Logger
}

func newEnv(ctx context.Context, cfg config) (*env, error) {
	dir := cfg.workDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "psa-bench-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// PostgreSQL runs as another user when we are root: it must reach
	// its data directory inside this one.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	key := make([]byte, secrets.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		return nil, err
	}
	e := &env{
		cfg: cfg, workDir: dir, pluginDir: filepath.Join(dir, "plugins"), box: box,
		log: hclog.New(&hclog.LoggerOptions{Name: "bench", Output: cfg.logOut, Level: hclog.Warn}),
	}
	if !cfg.inProcess {
		fmt.Fprintln(os.Stderr, "bench: building the plugin")
		if err := buildPlugin(ctx, e.pluginDir); err != nil {
			e.cleanup()
			return nil, err
		}
	}
	fmt.Fprintln(os.Stderr, "bench: starting PostgreSQL in", filepath.Join(dir, "pg"))
	if e.pg, err = startPG(ctx, dir); err != nil {
		e.cleanup()
		return nil, err
	}
	return e, nil
}

// openStore opens db with the host's store.
func (e *env) openStore(ctx context.Context, db string) (*store.Store, error) {
	st, err := store.Open(ctx, e.pg.dsn(db), e.box)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", db, err)
	}
	return st, nil
}

func (e *env) close(ctx context.Context) error {
	var err error
	if e.pg != nil {
		err = e.pg.stop(context.WithoutCancel(ctx))
	}
	e.cleanup()
	return err
}

func (e *env) cleanup() {
	if e.cfg.keepWork {
		fmt.Fprintln(os.Stderr, "bench: work directory kept:", e.workDir)
		return
	}
	_ = os.RemoveAll(e.workDir)
}

// tempFile is a new file in the work directory.
func (e *env) tempFile(pattern string) (*os.File, error) {
	return os.CreateTemp(e.workDir, pattern)
}
