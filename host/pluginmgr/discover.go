package pluginmgr

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// BinaryPrefix starts the file name of every provider plugin executable.
const BinaryPrefix = "rmm-provider-"

// binary is one plugin executable found in the plugin directory.
type binary struct {
	file string // base name, as the manifest lists it
	path string // absolute path
}

// discover lists the plugin executables in dir, in file-name order: regular
// files named rmm-provider-* with an exec bit. Symlinks and anything else
// are skipped with a debug line, so a stray file never runs.
func discover(dir string, log hclog.Logger) ([]binary, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin directory %q: %w", dir, err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, fmt.Errorf("plugin directory: %w", err)
	}
	var found []binary
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, BinaryPrefix) || name == BinaryPrefix {
			continue
		}
		info, err := e.Info()
		if err != nil {
			log.Debug("skipping plugin candidate", "file", name, "reason", err.Error())
			continue
		}
		switch mode := info.Mode(); {
		case !mode.IsRegular():
			log.Debug("skipping plugin candidate", "file", name, "reason", "not a regular file", "mode", mode.String())
		case mode.Perm()&0o111 == 0:
			log.Debug("skipping plugin candidate", "file", name, "reason", "not executable", "mode", mode.String())
		default:
			found = append(found, binary{file: name, path: filepath.Join(abs, name)})
		}
	}
	return found, nil
}
