package integration_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/host/pgcluster/pgtest"
	"github.com/msp-psa/psa-host/integration_test/hostproc"
)

// TestNoPluginOutlivesItsHost: whether psa-host stops in order (SIGTERM)
// or dies (SIGKILL), none of the plugin processes it launched remains.
func TestNoPluginOutlivesItsHost(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(*hostproc.Host) error
	}{
		{"stopped", func(h *hostproc.Host) error { return h.Stop(30 * time.Second) }},
		{"killed", func(h *hostproc.Host) error { return h.Kill() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := hostproc.Start(t.Context(), hostproc.Options{
				Binary: built.host, PluginDir: built.pluginDir, DataDir: t.TempDir(),
				DSN: pgtest.New(t), MasterKey: e5MasterKey, Edition: "ee",
			})
			if err != nil {
				t.Fatal(err)
			}
			var plugins []int
			e5WaitFor(t, time.Minute, "the host's plugin processes", func() (bool, string) {
				plugins = childPlugins(h.PID())
				// tacticalrmm, fake and fake-ee all run in the EE edition.
				return len(plugins) == 3, ""
			})
			if err := tc.end(h); err != nil {
				t.Fatalf("end host: %v", err)
			}
			e5WaitFor(t, 10*time.Second, "plugins gone after the host ended", func() (bool, string) {
				var alive []int
				for _, pid := range plugins {
					if processAlive(pid) {
						alive = append(alive, pid)
					}
				}
				return len(alive) == 0, ""
			})
		})
	}
}

// childPlugins lists the live rmm-provider-* children of a process.
func childPlugins(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, f := range tasks {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for field := range strings.FieldsSeq(string(data)) {
			child, err := strconv.Atoi(field)
			if err == nil && isPluginProcess(child) {
				out = append(out, child)
			}
		}
	}
	return out
}

// isPluginProcess reports whether pid is a live (not zombie) plugin.
func isPluginProcess(pid int) bool {
	return strings.HasPrefix(pluginExe(pid), "rmm-provider-") && processAlive(pid)
}

// pluginExe is the base name of pid's executable, "" when pid is gone.
func pluginExe(pid int) string {
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	exe, _, _ := strings.Cut(string(cmd), "\x00")
	return filepath.Base(exe)
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !e5Zombie(string(stat))
}
