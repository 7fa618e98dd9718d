package pluginmgr

import (
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Config says where the plugins are and how to run them. Zero values take
// the defaults noted on each field.
type Config struct {
	// Dir is the plugin directory: executables named rmm-provider-* and
	// their SHA256SUMS manifest.
	Dir string
	// Edition is the host's edition; a provider that does not list it is
	// listed as unavailable and not run.
	Edition rmm.Edition
	// Strict refuses binaries the manifest does not list, and every binary
	// when there is no manifest. A listed binary whose hash differs is
	// refused either way.
	Strict bool
	// Logger receives the manager's and the plugins' log lines; nil
	// discards them.
	Logger hclog.Logger
	// StartTimeout bounds one launch: exec, handshake and Describe.
	// Default 15 s.
	StartTimeout time.Duration
	// PluginLogLevel is passed to plugins as PSA_PLUGIN_LOG_LEVEL. Empty
	// means the host's own PSA_PLUGIN_LOG_LEVEL, else the Logger's level.
	PluginLogLevel string
	// Backoff spaces restarts of a plugin that exited.
	Backoff Backoff
	// CrashLoop stops restarting a plugin that keeps exiting.
	CrashLoop CrashLoop
	// PollInterval is how often a running plugin is checked for exit.
	// Default 100 ms.
	PollInterval time.Duration
}

// Backoff is an exponential backoff with jitter: the n-th restart in a
// crash window waits Initial·2ⁿ, capped at Max, less up to Jitter of it.
type Backoff struct {
	Initial time.Duration // default 250 ms
	Max     time.Duration // default 30 s
	// Jitter is the fraction of each delay that is randomised, in [0, 1].
	// Zero means the default 0.2; a negative value turns jitter off.
	Jitter float64
}

// CrashLoop is the restart cap: Max crashes within Window mark the plugin
// failed and it is not restarted again.
type CrashLoop struct {
	Max    int           // default 5
	Window time.Duration // default 2 min
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = 15 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	c.Backoff = c.Backoff.withDefaults()
	if c.CrashLoop.Max <= 0 {
		c.CrashLoop.Max = 5
	}
	if c.CrashLoop.Window <= 0 {
		c.CrashLoop.Window = 2 * time.Minute
	}
	return c
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = 250 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	switch {
	case b.Jitter == 0:
		b.Jitter = 0.2
	case b.Jitter < 0:
		b.Jitter = 0
	case b.Jitter > 1:
		b.Jitter = 1
	}
	return b
}
