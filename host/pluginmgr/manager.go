// Package pluginmgr finds the host's RMM provider plugins, verifies them
// against a SHA-256 manifest, launches them over go-plugin (gRPC, AutoMTLS,
// an explicit environment) and keeps them running: a plugin that exits is
// restarted with backoff until it crash-loops. Callers get a stable
// rmm.Provider per provider name that survives restarts.
package pluginmgr

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Manager owns the plugin processes. Its methods are safe for concurrent
// use.
type Manager struct {
	cfg      Config
	log      hclog.Logger
	launcher launcher

	// Set in New and read-only afterwards.
	entries     []*entry           // in discovery (file name) order
	byName      map[string]*handle // running providers
	unavailable map[string]string  // provider name -> why it may not run here

	stop      context.CancelFunc // ends every supervisor
	done      chan struct{}      // closed when every supervisor has returned
	closeOnce sync.Once
}

// New discovers, verifies, launches and describes every plugin in cfg.Dir,
// then supervises the ones that run. A plugin that is refused or fails is
// listed with its reason; only a bad Config or an unreadable directory is an
// error. ctx bounds startup only: the plugins run until Close.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pluginmgr: %w", err)
	}
	cfg = cfg.withDefaults()
	if _, err := rmm.ParseEdition(string(cfg.Edition)); err != nil {
		return nil, fmt.Errorf("pluginmgr: %w", err)
	}
	if cfg.Dir == "" {
		return nil, rmm.Errorf(rmm.ErrInvalidConfig, "pluginmgr: no plugin directory configured")
	}
	m := &Manager{
		cfg: cfg,
		log: cfg.Logger.Named("pluginmgr"),
		launcher: launcher{
			env:          pluginEnv(pluginLogLevel(cfg.PluginLogLevel, cfg.Logger)),
			startTimeout: cfg.StartTimeout,
		},
		byName:      map[string]*handle{},
		unavailable: map[string]string{},
		done:        make(chan struct{}),
	}
	bins, err := discover(cfg.Dir, m.log)
	if err != nil {
		return nil, fmt.Errorf("pluginmgr: %w", err)
	}
	man, manErr := readManifest(cfg.Dir)
	switch {
	case manErr != nil:
		m.log.Error("plugin manifest invalid; refusing every plugin", "dir", cfg.Dir, "error", manErr)
	case man == nil:
		m.log.Warn("plugin manifest missing", "dir", cfg.Dir, "file", ManifestFile, "strict", cfg.Strict)
	}

	verdicts := make([]verdict, len(bins))
	for i, b := range bins {
		verdicts[i] = verify(b, man, manErr, cfg.Strict)
		m.entries = append(m.entries, newEntry(b, verdicts[i], cfg.Logger.Named("plugin").Named(strings.TrimPrefix(b.file, BinaryPrefix))))
	}
	insts, errs := m.launchAll(ctx, verdicts)
	if err := ctx.Err(); err != nil {
		for _, inst := range insts {
			if inst != nil {
				inst.client.Kill()
			}
		}
		return nil, fmt.Errorf("pluginmgr: start: %w", err)
	}

	superCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = stop
	var wg sync.WaitGroup
	for i, e := range m.entries {
		if !m.register(e, verdicts[i], insts[i], errs[i]) {
			continue
		}
		wg.Go(func() { m.supervise(superCtx, e, insts[i]) })
	}
	go func() {
		wg.Wait()
		close(m.done)
	}()
	return m, nil
}

// launchAll starts every binary that passed verification, in parallel.
func (m *Manager) launchAll(ctx context.Context, verdicts []verdict) ([]*instance, []error) {
	insts := make([]*instance, len(m.entries))
	errs := make([]error, len(m.entries))
	var wg sync.WaitGroup
	for i, e := range m.entries {
		if verdicts[i].refused != "" {
			continue
		}
		wg.Go(func() { insts[i], errs[i] = m.launcher.launch(ctx, e.bin, e.sum, e.log) })
	}
	wg.Wait()
	return insts, errs
}

// register decides whether a launched plugin may serve: its edition must
// be allowed and its name free. It records the outcome on e and reports
// whether e is now running; a plugin that may not serve is stopped.
func (m *Manager) register(e *entry, v verdict, inst *instance, launchErr error) bool {
	path := e.bin.path
	switch {
	case v.refused != "":
		e.down(StateRefused, v.refused)
		m.log.Error("plugin refused", "path", path, "reason", v.refused)
		return false
	case launchErr != nil:
		reason := fmt.Sprintf("launch failed: %v", launchErr)
		e.down(StateFailed, reason)
		m.log.Error("plugin failed", "path", path, "reason", reason)
		return false
	}
	name := inst.meta.Name
	if !inst.meta.RunsIn(m.cfg.Edition) {
		inst.client.Kill()
		reason := fmt.Sprintf("provider runs in editions %v; this host is %q", inst.meta.Editions, m.cfg.Edition)
		e.described(inst)
		e.down(StateUnavailable, reason)
		if _, taken := m.unavailable[name]; !taken {
			m.unavailable[name] = reason
		}
		m.log.Warn("plugin unavailable in this edition", "provider", name, "path", path, "reason", reason)
		return false
	}
	if other, taken := m.byName[name]; taken {
		inst.client.Kill()
		reason := fmt.Sprintf("provider name %q is already served by %s", name, other.e.bin.path)
		e.described(inst)
		e.down(StateRefused, reason)
		m.log.Error("plugin refused", "provider", name, "path", path, "reason", reason)
		return false
	}
	if v.warning != "" {
		m.log.Warn("plugin runs unverified", "provider", name, "path", path, "reason", v.warning)
	}
	e.up(inst, false)
	m.byName[name] = &handle{name: name, e: e, log: m.log.Named("rpc").With("provider", name)}
	m.log.Info("plugin running", "provider", name, "version", inst.meta.Version, "path", path,
		"pid", inst.pid, "protocol", inst.protocol)
	return true
}

// Provider returns the provider registered under name. The handle stays
// valid across restarts: each call goes to whichever process is live, and
// fails fast with rmm.ErrPluginUnavailable while none is. An unknown name
// is rmm.ErrNotFound; a provider barred from this edition is
// rmm.ErrPluginUnavailable.
func (m *Manager) Provider(name string) (rmm.Provider, error) {
	if h, ok := m.byName[name]; ok {
		return h, nil
	}
	if reason, ok := m.unavailable[name]; ok {
		return nil, rmm.Errorf(rmm.ErrPluginUnavailable, "provider %q is unavailable: %s", name, reason)
	}
	return nil, rmm.Errorf(rmm.ErrNotFound, "no provider named %q", name)
}

// List returns the status of every plugin binary found, in file name order.
func (m *Manager) List() []PluginInfo {
	out := make([]PluginInfo, 0, len(m.entries))
	for _, e := range m.entries {
		out = append(out, e.snapshot())
	}
	return out
}

// Names returns the names of the providers that were registered to run,
// sorted.
func (m *Manager) Names() []string {
	names := make([]string, 0, len(m.byName))
	for n := range m.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Close kills every plugin process and stops supervision. When it returns
// nil no plugin process is left; if ctx ends first it returns ctx's error
// and the processes are still being stopped. Close may be called again.
func (m *Manager) Close(ctx context.Context) error {
	m.closeOnce.Do(m.stop)
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pluginmgr: close: %w", ctx.Err())
	}
}
