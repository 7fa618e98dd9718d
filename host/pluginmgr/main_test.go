package pluginmgr

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/shared/rmm"
)

const fakeMain = "github.com/msp-psa/psa-host/shared/providertest/fakeprovider/cmd/rmm-provider-fake"

// builtPlugins are the fake provider binaries TestMain builds once for the
// whole package; tests copy them into their own plugin directories.
var builtPlugins struct {
	fake   string // name "fake", editions ce and ee
	eeOnly string // name "fakeee", edition ee only
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pluginmgr-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	builds := []struct {
		out            *string
		name, editions string
	}{
		{&builtPlugins.fake, "fake", "ce,ee"},
		{&builtPlugins.eeOnly, "fakeee", "ee"},
	}
	for _, b := range builds {
		*b.out = filepath.Join(dir, b.name)
		cmd := exec.Command("go", "build", "-o", *b.out,
			"-ldflags", "-X main.name="+b.name+" -X main.editions="+b.editions, fakeMain)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building the fake plugin %s: %v\n%s", b.name, err, out)
			return 1
		}
	}
	return m.Run()
}

// plugins maps a file name in the plugin directory to the built binary to
// copy there.
type plugins map[string]string

// pluginDir makes a plugin directory holding copies of the given binaries.
// Copies, not links: a test may change its file without touching others.
func pluginDir(t *testing.T, bins plugins) string {
	t.Helper()
	dir := t.TempDir()
	for file, src := range bins {
		copyFile(t, src, filepath.Join(dir, file))
	}
	return dir
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeManifest writes SHA256SUMS listing files with their real checksums,
// the way `make manifest` does.
func writeManifest(t *testing.T, dir string, files ...string) {
	t.Helper()
	if err := WriteManifest(dir, files...); err != nil {
		t.Fatal(err)
	}
}

func sha256Hex(t *testing.T, path string) string {
	t.Helper()
	sum, err := fileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(sum)
}

// testConfig is a Config with test-friendly timings: a fast exit poll, a
// short backoff without jitter and a generous start timeout for a loaded
// machine.
func testConfig(dir string, edition rmm.Edition) Config {
	return Config{
		Dir:          dir,
		Edition:      edition,
		Strict:       true,
		StartTimeout: 30 * time.Second,
		PollInterval: 10 * time.Millisecond,
		Backoff:      Backoff{Initial: 50 * time.Millisecond, Max: time.Second, Jitter: -1},
	}
}

// startManager runs New with a logger whose output is shown if the test
// fails, and closes the manager when the test ends.
func startManager(t *testing.T, cfg Config) *Manager {
	t.Helper()
	logs := &syncBuffer{}
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug})
	m, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), time.Minute)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("manager log:\n%s", logs.String())
		}
	})
	return m
}

// infoOf returns the status of the plugin file name.
func infoOf(t *testing.T, m *Manager, file string) PluginInfo {
	t.Helper()
	for _, p := range m.List() {
		if filepath.Base(p.Path) == file {
			return p
		}
	}
	t.Fatalf("%s is not listed: %+v", file, m.List())
	return PluginInfo{}
}

// waitFor polls cond until it holds, failing the test after timeout (a hang
// guard, not a performance bound).
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// processesOf returns the PIDs of live processes running the executable at
// path, found through /proc.
func processesOf(t *testing.T, path string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && (exe == path || exe == path+" (deleted)") {
			pids = append(pids, pid)
		}
	}
	return pids
}

// processGone reports whether no process has pid any more. The manager
// reaps its children, so a zombie would count as still there.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// environOf reads a process's environment from /proc.
func environOf(t *testing.T, pid int) map[string]string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for kv := range strings.SplitSeq(string(data), "\x00") {
		if kv == "" {
			continue
		}
		k, v, _ := cutEnv(kv)
		env[k] = v
	}
	return env
}

func cutEnv(kv string) (key, value string, ok bool) { return strings.Cut(kv, "=") }
