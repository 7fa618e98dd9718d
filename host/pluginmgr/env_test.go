package pluginmgr

import (
	"slices"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestPluginLogLevel(t *testing.T) {
	debug := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug})
	tests := []struct {
		name       string
		configured string
		hostEnv    string
		log        hclog.Logger
		want       string
	}{
		{"configured wins", "trace", "error", debug, "trace"},
		{"host variable next", "", "error", debug, "error"},
		{"else the host logger's level", "", "", debug, "debug"},
		{"a null logger has no level to pass", "", "", hclog.NewNullLogger(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PSA_PLUGIN_LOG_LEVEL", tt.hostEnv)
			if got := pluginLogLevel(tt.configured, tt.log); got != tt.want {
				t.Errorf("pluginLogLevel = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPluginEnvIsAnAllowList(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://u:p@db/psa")
	t.Setenv("PSA_MASTER_KEY", "master-key-value")
	t.Setenv("TZ", "Europe/Zurich")
	t.Setenv("SSL_CERT_DIR", "")
	env := pluginEnv("info")
	for _, want := range []string{"TZ=Europe/Zurich", "SSL_CERT_DIR=", "PSA_PLUGIN_LOG_LEVEL=info"} {
		if !slices.Contains(env, want) {
			t.Errorf("env lacks %q: %q", want, env)
		}
	}
	for _, kv := range env {
		key, _, _ := cutEnv(kv)
		if key != "PSA_PLUGIN_LOG_LEVEL" && !slices.Contains(envAllowList(), key) {
			t.Errorf("env passes %q, which is not allowed", key)
		}
	}
	if slices.ContainsFunc(pluginEnv(""), func(kv string) bool { k, _, _ := cutEnv(kv); return k == "PSA_PLUGIN_LOG_LEVEL" }) {
		t.Error("an empty level was passed on")
	}
}
