package pluginmgr

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/msp-psa/psa-host/shared/rmm"
	"github.com/msp-psa/psa-host/shared/rmmgrpc"
)

// errChecksumChanged marks a launch refused because the binary no longer
// hashes to what was verified: it changed on disk since.
var errChecksumChanged = errors.New("binary changed since it was verified")

// instance is one live plugin process and the provider it serves.
type instance struct {
	client   *plugin.Client
	provider rmm.Provider
	meta     rmm.Metadata
	pid      int
	protocol int
	started  time.Time
}

// launcher starts plugin processes. It holds only what every launch shares.
type launcher struct {
	env          []string
	startTimeout time.Duration
}

// launch starts bin, held to sum, and asks the provider to Describe itself.
// On any error the process is gone when launch returns.
//
// go-plugin's Start takes no context, so a launch in progress finishes (or
// times out after startTimeout) even when ctx is cancelled.
func (l launcher) launch(ctx context.Context, bin binary, sum []byte, log hclog.Logger) (*instance, error) {
	cmd := exec.Command(bin.path)
	cmd.Env = append([]string(nil), l.env...)
	// A host that dies without closing the manager (SIGKILL, a crash) must
	// not leave its plugins running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  rmmgrpc.Handshake,
		VersionedPlugins: rmmgrpc.PluginSets(nil),
		Cmd:              cmd,
		SkipHostEnv:      true,
		// The file is hashed again right before exec, closing the window
		// between our check and the exec.
		SecureConfig:     &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AutoMTLS:         true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           log,
		StartTimeout:     l.startTimeout,
		GRPCDialOptions:  rmmgrpc.DialOptions(),
	})
	inst, err := l.connect(ctx, client)
	if err != nil {
		client.Kill()
		return nil, err
	}
	return inst, nil
}

func (l launcher) connect(ctx context.Context, client *plugin.Client) (*instance, error) {
	proto, err := client.Client()
	if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
		return nil, errChecksumChanged
	}
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	pid, err := strconv.Atoi(client.ID())
	if err != nil {
		return nil, fmt.Errorf("start: unexpected process id %q", client.ID())
	}
	raw, err := proto.Dispense(rmmgrpc.PluginName)
	if err != nil {
		return nil, fmt.Errorf("dispense %q: %w", rmmgrpc.PluginName, err)
	}
	provider, ok := raw.(rmm.Provider)
	if !ok {
		return nil, fmt.Errorf("dispense %q: got %T, not an rmm.Provider", rmmgrpc.PluginName, raw)
	}
	ctx, cancel := context.WithTimeout(ctx, l.startTimeout)
	defer cancel()
	meta, err := provider.Describe(ctx)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	if meta.Name == "" {
		return nil, errors.New("describe: the provider has no name")
	}
	return &instance{
		client:   client,
		provider: provider,
		meta:     meta,
		pid:      pid,
		protocol: client.NegotiatedVersion(),
		started:  time.Now(),
	}, nil
}

// envAllowList names the host variables a plugin may see. Everything else,
// DATABASE_URL and PSA_MASTER_KEY above all, stays in the host.
func envAllowList() []string {
	return []string{"PATH", "HOME", "TMPDIR", "TZ", "LANG", "SSL_CERT_FILE", "SSL_CERT_DIR"}
}

// pluginEnv builds a plugin's whole environment from the allow-list and
// the plugin log level (none when level is "").
func pluginEnv(level string) []string {
	var env []string
	for _, k := range envAllowList() {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if level != "" {
		env = append(env, "PSA_PLUGIN_LOG_LEVEL="+level)
	}
	return env
}

// pluginLogLevel picks the level plugins log at: the configured one, else
// the host's PSA_PLUGIN_LOG_LEVEL, else the host logger's own level, since
// go-plugin drops forwarded lines below it anyway.
func pluginLogLevel(configured string, log hclog.Logger) string {
	if configured != "" {
		return configured
	}
	if v := os.Getenv("PSA_PLUGIN_LOG_LEVEL"); v != "" {
		return v
	}
	switch lv := log.GetLevel(); lv {
	case hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn, hclog.Error, hclog.Off:
		return lv.String()
	}
	return ""
}
