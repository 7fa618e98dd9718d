package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/host/pluginmgr"
	"github.com/msp-psa/psa-host/provider/tacticalrmm"
	"github.com/msp-psa/psa-host/shared/rmm"
)

const providerName = tacticalrmm.Name

// repoRoot is the module root, two directories above this file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// buildPlugin builds the Tactical plugin into dir and writes the manifest
// the host verifies it against, as `make manifest` does.
func buildPlugin(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bin := pluginmgr.BinaryPrefix + providerName
	cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, bin), "./plugin/"+providerName)
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build plugin: %w\n%s", err, out)
	}
	return pluginmgr.WriteManifest(dir, bin)
}

// providerSet is the providers one measured run uses: a freshly launched
// plugin process (so its peak RSS is this run's), or, in profiling mode,
// the provider inside this process.
type providerSet struct {
	mgr       *pluginmgr.Manager
	inproc    rmm.Provider
	meta      rmm.Metadata // the in-process provider's
	pluginPID int
}

func startProviders(ctx context.Context, cfg config, pluginDir string, log hclog.Logger) (*providerSet, error) {
	if cfg.inProcess {
		p := tacticalrmm.New(tacticalrmm.WithLogger(log.Named("tacticalrmm")))
		meta, err := p.Describe(ctx)
		if err != nil {
			return nil, err
		}
		return &providerSet{inproc: p, meta: meta}, nil
	}
	mgr, err := pluginmgr.New(ctx, pluginmgr.Config{Dir: pluginDir, Edition: rmm.EditionCE, Strict: true, Logger: log})
	if err != nil {
		return nil, err
	}
	ps := &providerSet{mgr: mgr}
	for _, p := range mgr.List() {
		if p.Name == providerName && p.State == pluginmgr.StateRunning {
			ps.pluginPID = p.PID
		}
	}
	if ps.pluginPID == 0 {
		ps.close(ctx)
		return nil, fmt.Errorf("the %s plugin is not running: %+v", providerName, mgr.List())
	}
	return ps, nil
}

// Provider implements syncer.Providers.
func (p *providerSet) Provider(name string) (rmm.Provider, error) {
	if p.mgr != nil {
		return p.mgr.Provider(name)
	}
	if name != providerName {
		return nil, rmm.Errorf(rmm.ErrNotFound, "no provider named %q", name)
	}
	return p.inproc, nil
}

// List implements api.Providers.
func (p *providerSet) List() []pluginmgr.PluginInfo {
	if p.mgr != nil {
		return p.mgr.List()
	}
	return []pluginmgr.PluginInfo{{Name: p.meta.Name, Version: p.meta.Version, Capabilities: p.meta.Capabilities,
		Editions: p.meta.Editions, Webhook: p.meta.Webhook, State: pluginmgr.StateRunning}}
}

func (p *providerSet) close(ctx context.Context) {
	if p.mgr == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	_ = p.mgr.Close(ctx)
}
