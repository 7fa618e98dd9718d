// Package integration_test drives the real binaries end to end: psa-host,
// the plugin binaries launched through go-plugin, a real PostgreSQL and
// the fake Tactical server.
package integration_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/msp-psa/psa-host/host/pgcluster/pgtest"
	"github.com/msp-psa/psa-host/host/pluginmgr"
)

// binaries are the executables TestMain builds once for every test.
type binaries struct {
	dir       string // holds psa-host
	pluginDir string // rmm-provider-* and SHA256SUMS
	host      string
}

// built is set by TestMain before any test runs and never changed after.
var built binaries

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "psa-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, err := buildBinaries(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "build binaries:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	built = b
	code := pgtest.Run(m)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// buildBinaries builds psa-host and every plugin the tests load, and
// writes the plugins' manifest the way `make manifest` does.
func buildBinaries(dir string) (binaries, error) {
	b := binaries{dir: dir, pluginDir: filepath.Join(dir, "plugins"), host: filepath.Join(dir, "psa-host")}
	if err := os.MkdirAll(b.pluginDir, 0o755); err != nil {
		return b, err
	}
	builds := [][]string{
		{"-o", b.host, "./host/cmd/psa-host"},
		{"-o", filepath.Join(b.pluginDir, "rmm-provider-tacticalrmm"), "./plugin/tacticalrmm"},
		{"-o", filepath.Join(b.pluginDir, "rmm-provider-fake"), "./shared/providertest/fakeprovider/cmd/rmm-provider-fake"},
		{"-ldflags", "-X main.name=fake-ee -X main.editions=ee", "-o", filepath.Join(b.pluginDir, "rmm-provider-fake-ee"),
			"./shared/providertest/fakeprovider/cmd/rmm-provider-fake"},
	}
	for _, args := range builds {
		cmd := exec.Command("go", append([]string{"build"}, args...)...)
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("go build %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return b, writeManifest(b.pluginDir)
}

// writeManifest lists every plugin binary in dir, as `make manifest` does.
func writeManifest(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var plugins []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), pluginmgr.BinaryPrefix) {
			plugins = append(plugins, e.Name())
		}
	}
	return pluginmgr.WriteManifest(dir, plugins...)
}
