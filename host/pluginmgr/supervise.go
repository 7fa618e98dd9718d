package pluginmgr

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hashicorp/go-plugin"
)

// supervise watches e's live instance until ctx ends. A process that exits
// is restarted, each time with a new plugin.Client, after a backoff; too
// many crashes within the crash window mark the plugin failed. When ctx
// ends the live process is killed before supervise returns.
func (m *Manager) supervise(ctx context.Context, e *entry, inst *instance) {
	var crashes []time.Time
	for {
		if !waitExit(ctx, inst.client, m.cfg.PollInterval) {
			e.down(StateStopped, "plugin manager closed")
			inst.client.Kill()
			return
		}
		e.down(StateRestarting, "process exited")
		m.log.Warn("plugin process exited", "provider", inst.meta.Name, "path", e.bin.path, "pid", inst.pid)
		inst.client.Kill() // reaps the process and go-plugin's goroutines

		next, ok := m.restart(ctx, e, &crashes)
		if !ok {
			return
		}
		inst = next
	}
}

// restart relaunches e until it runs, the crash cap is reached, or ctx
// ends. It reports whether a new instance is live; otherwise e's state
// says why not.
func (m *Manager) restart(ctx context.Context, e *entry, crashes *[]time.Time) (*instance, bool) {
	name := e.snapshot().Name
	for {
		now := time.Now()
		*crashes = recentCrashes(append(*crashes, now), now, m.cfg.CrashLoop.Window)
		if n := len(*crashes); n >= m.cfg.CrashLoop.Max {
			reason := fmt.Sprintf("crash loop: %d crashes within %s; not restarting", n, m.cfg.CrashLoop.Window)
			e.down(StateFailed, reason)
			m.log.Error("plugin failed", "provider", name, "path", e.bin.path, "reason", reason)
			return nil, false
		}
		delay := m.cfg.Backoff.delay(len(*crashes)-1, rand.Float64())
		m.log.Info("restarting plugin", "provider", name, "in", delay, "recent_crashes", len(*crashes))
		if !sleep(ctx, delay) {
			e.down(StateStopped, "plugin manager closed")
			return nil, false
		}

		inst, err := m.launcher.launch(ctx, e.bin, e.sum, e.log)
		if errors.Is(err, errChecksumChanged) {
			reason := fmt.Sprintf("refused on restart: %v", err)
			e.down(StateRefused, reason)
			m.log.Error("plugin refused", "provider", name, "path", e.bin.path, "reason", reason)
			return nil, false
		}
		if err != nil {
			m.log.Warn("plugin restart failed", "provider", name, "path", e.bin.path, "error", err)
			continue
		}
		if reason := m.stillAllowed(name, inst); reason != "" {
			inst.client.Kill()
			e.described(inst)
			e.down(StateFailed, reason)
			m.log.Error("plugin failed", "provider", name, "path", e.bin.path, "reason", reason)
			return nil, false
		}
		if ctx.Err() != nil {
			inst.client.Kill()
			e.down(StateStopped, "plugin manager closed")
			return nil, false
		}
		e.up(inst, true)
		m.log.Info("plugin restarted", "provider", name, "pid", inst.pid)
		return inst, true
	}
}

// stillAllowed checks a restarted provider against what it was registered
// as; it returns why it may not run, or "".
func (m *Manager) stillAllowed(name string, inst *instance) string {
	switch {
	case inst.meta.Name != name:
		return fmt.Sprintf("after restart the provider calls itself %q, not %q", inst.meta.Name, name)
	case !inst.meta.RunsIn(m.cfg.Edition):
		return fmt.Sprintf("after restart the provider no longer runs in edition %q", m.cfg.Edition)
	}
	return ""
}

// waitExit polls until the plugin process has exited (true) or ctx ends
// (false). go-plugin exposes no exit channel, and a short poll keeps the
// gap in which calls reach a dead process small.
func waitExit(ctx context.Context, c *plugin.Client, every time.Duration) bool {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if c.Exited() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
