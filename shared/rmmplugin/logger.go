package rmmplugin

import (
	"os"

	"github.com/hashicorp/go-hclog"
)

// EnvLogLevel is the environment variable the host sets to the plugin's
// log level: trace, debug, info (the default), warn, error or off.
const EnvLogLevel = "PSA_PLUGIN_LOG_LEVEL"

// Logger returns the plugin's logger: JSON lines on stderr, which go-plugin
// on the host side parses and re-emits with their level and fields. Never
// log secrets through it.
func Logger() hclog.Logger {
	level := hclog.LevelFromString(os.Getenv(EnvLogLevel))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{Level: level, Output: os.Stderr, JSONFormat: true})
}
