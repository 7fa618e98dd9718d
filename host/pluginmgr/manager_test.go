package pluginmgr

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/providertest/fakeprovider"
	"github.com/msp-psa/psa-host/shared/rmm"
	"github.com/msp-psa/psa-host/shared/rmmgrpc"
)

// goodIntegration is an integration the fake provider accepts.
func goodIntegration() rmm.Integration {
	return rmm.Integration{
		ID:       "int-1",
		BaseURL:  "fake://acme",
		AuthMode: rmm.AuthAPIKey,
		Secrets:  map[string]string{"api_key": fakeprovider.DefaultAPIKey},
	}
}

// testConnection runs TestConnection with a hang guard.
func testConnection(t *testing.T, p rmm.Provider) (rmm.TestConnectionResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	return p.TestConnection(ctx, rmm.TestConnectionRequest{Integration: goodIntegration()})
}

func TestLaunchVerifiedPlugin(t *testing.T) {
	dir := pluginDir(t, plugins{"rmm-provider-fake": builtPlugins.fake})
	writeManifest(t, dir, "rmm-provider-fake")
	m := startManager(t, testConfig(dir, rmm.EditionCE))

	info := infoOf(t, m, "rmm-provider-fake")
	if info.State != StateRunning || info.Reason != "" {
		t.Fatalf("state %q (%s), want running with no remark", info.State, info.Reason)
	}
	if info.Name != "fake" || info.DisplayName != "Fake RMM (fake)" || info.Version != "1.0.0" {
		t.Errorf("described as %q / %q / %q", info.Name, info.DisplayName, info.Version)
	}
	if info.ProtocolVersion != rmm.ProtocolVersion {
		t.Errorf("protocol version %d, want %d", info.ProtocolVersion, rmm.ProtocolVersion)
	}
	if want := sha256Hex(t, filepath.Join(dir, "rmm-provider-fake")); info.SHA256 != want {
		t.Errorf("sha256 %s, want %s", info.SHA256, want)
	}
	if !slices.Equal(info.Editions, []rmm.Edition{rmm.EditionCE, rmm.EditionEE}) {
		t.Errorf("editions %v", info.Editions)
	}
	if !slices.Contains(info.Capabilities, rmm.CapSyncOrgs) {
		t.Errorf("capabilities %v lack %q", info.Capabilities, rmm.CapSyncOrgs)
	}
	if pids := processesOf(t, info.Path); info.PID <= 0 || !slices.Equal(pids, []int{info.PID}) {
		t.Errorf("pid %d, processes running the binary %v", info.PID, pids)
	}
	if info.StartedAt.IsZero() || info.Restarts != 0 {
		t.Errorf("started_at %v, restarts %d", info.StartedAt, info.Restarts)
	}
	if got := m.Names(); !slices.Equal(got, []string{"fake"}) {
		t.Errorf("Names() = %v", got)
	}

	p, err := m.Provider("fake")
	if err != nil {
		t.Fatal(err)
	}
	meta, err := p.Describe(t.Context())
	if err != nil || meta.Name != "fake" {
		t.Fatalf("Describe = %+v, %v", meta, err)
	}
	res, err := testConnection(t, p)
	if err != nil || !res.OK {
		t.Fatalf("TestConnection = %+v, %v", res, err)
	}
	var orgs []rmm.Org
	sum, err := p.SyncOrgs(t.Context(), rmm.SyncRequest{Integration: goodIntegration(), Mode: rmm.SyncFull},
		rmm.SinkFunc[rmm.Org](func(_ context.Context, b rmm.Batch[rmm.Org]) error {
			orgs = append(orgs, b.Items...)
			return nil
		}))
	if err != nil || len(orgs) == 0 || sum.Sent != int64(len(orgs)) {
		t.Fatalf("SyncOrgs: %d orgs, summary %+v, err %v", len(orgs), sum, err)
	}

	if _, err := m.Provider("nope"); !errors.Is(err, rmm.ErrNotFound) {
		t.Errorf("Provider(unknown) err = %v, want ErrNotFound", err)
	}
}

func TestVerification(t *testing.T) {
	const file = "rmm-provider-fake"
	tests := []struct {
		name string
		// prepare sets up the manifest (and may change the binary) in dir.
		prepare    func(t *testing.T, dir string)
		strict     bool
		wantState  State
		wantReason string
	}{
		{"listed and matching", func(t *testing.T, dir string) { writeManifest(t, dir, file) },
			true, StateRunning, ""},
		{"checksum mismatch refused when strict", tamper, true, StateRefused, "checksum mismatch"},
		{"checksum mismatch refused even when lax", tamper, false, StateRefused, "checksum mismatch"},
		{"unlisted refused when strict", func(t *testing.T, dir string) { writeManifest(t, dir) },
			true, StateRefused, "not listed in SHA256SUMS"},
		{"unlisted allowed when lax", func(t *testing.T, dir string) { writeManifest(t, dir) },
			false, StateRunning, "not listed in SHA256SUMS; running unverified"},
		{"missing manifest refused when strict", func(*testing.T, string) {}, true, StateRefused, "no SHA256SUMS"},
		{"missing manifest allowed when lax", func(*testing.T, string) {}, false, StateRunning, "no SHA256SUMS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := pluginDir(t, plugins{file: builtPlugins.fake})
			tt.prepare(t, dir)
			cfg := testConfig(dir, rmm.EditionCE)
			cfg.Strict = tt.strict
			m := startManager(t, cfg)

			info := infoOf(t, m, file)
			if info.State != tt.wantState || !matches(info.Reason, tt.wantReason) {
				t.Fatalf("state %q, reason %q; want %q, %q", info.State, info.Reason, tt.wantState, tt.wantReason)
			}
			_, err := m.Provider("fake")
			pids := processesOf(t, info.Path)
			if tt.wantState == StateRunning {
				if err != nil || !slices.Equal(pids, []int{info.PID}) {
					t.Errorf("running, yet Provider err %v and processes %v (pid %d)", err, pids, info.PID)
				}
				return
			}
			if !errors.Is(err, rmm.ErrNotFound) {
				t.Errorf("Provider of a refused plugin: err = %v, want ErrNotFound", err)
			}
			if len(pids) != 0 || info.PID != 0 {
				t.Errorf("a refused binary runs: pid %d, processes %v", info.PID, pids)
			}
		})
	}
}

// tamper lists the binary in the manifest, then changes the binary.
func tamper(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, "rmm-provider-fake")
	writeManifest(t, dir, "rmm-provider-fake")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("tampered")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEditions(t *testing.T) {
	const file = "rmm-provider-fakeee"
	tests := []struct {
		edition   rmm.Edition
		wantState State
	}{
		{rmm.EditionCE, StateUnavailable},
		{rmm.EditionEE, StateRunning},
	}
	for _, tt := range tests {
		t.Run(string(tt.edition), func(t *testing.T) {
			dir := pluginDir(t, plugins{file: builtPlugins.eeOnly})
			writeManifest(t, dir, file)
			m := startManager(t, testConfig(dir, tt.edition))

			info := infoOf(t, m, file)
			if info.State != tt.wantState || info.Name != "fakeee" {
				t.Fatalf("state %q, name %q; want %q, fakeee", info.State, info.Name, tt.wantState)
			}
			_, err := m.Provider("fakeee")
			if tt.wantState == StateRunning {
				if err != nil {
					t.Errorf("Provider: %v", err)
				}
				return
			}
			if !strings.Contains(info.Reason, "[ee]") || !strings.Contains(info.Reason, `"ce"`) {
				t.Errorf("reason %q does not name the editions", info.Reason)
			}
			if !errors.Is(err, rmm.ErrPluginUnavailable) {
				t.Errorf("Provider of an unavailable plugin: err = %v, want ErrPluginUnavailable", err)
			}
			if pids := processesOf(t, info.Path); len(pids) != 0 || info.PID != 0 {
				t.Errorf("an unavailable plugin was left running: pid %d, processes %v", info.PID, pids)
			}
		})
	}
}

func TestDuplicateNameRefused(t *testing.T) {
	dir := pluginDir(t, plugins{"rmm-provider-a": builtPlugins.fake, "rmm-provider-b": builtPlugins.fake})
	writeManifest(t, dir, "rmm-provider-a", "rmm-provider-b")
	m := startManager(t, testConfig(dir, rmm.EditionCE))

	first, second := infoOf(t, m, "rmm-provider-a"), infoOf(t, m, "rmm-provider-b")
	if first.State != StateRunning {
		t.Fatalf("first binary: state %q (%s), want running", first.State, first.Reason)
	}
	if second.State != StateRefused || !strings.Contains(second.Reason, `"fake" is already served by `+first.Path) {
		t.Fatalf("second binary: state %q, reason %q", second.State, second.Reason)
	}
	if pids := processesOf(t, second.Path); len(pids) != 0 {
		t.Errorf("the refused duplicate still runs: %v", pids)
	}
}

func TestRestartAfterKill(t *testing.T) {
	dir := pluginDir(t, plugins{"rmm-provider-fake": builtPlugins.fake})
	writeManifest(t, dir, "rmm-provider-fake")
	cfg := testConfig(dir, rmm.EditionCE)
	// A restart delay long enough to call into the gap reliably.
	cfg.Backoff = Backoff{Initial: 1500 * time.Millisecond, Max: 2 * time.Second, Jitter: -1}
	m := startManager(t, cfg)

	p, err := m.Provider("fake")
	if err != nil {
		t.Fatal(err)
	}
	before := infoOf(t, m, "rmm-provider-fake")
	if err := syscall.Kill(before.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the manager to notice the exit", func() bool {
		return infoOf(t, m, "rmm-provider-fake").State == StateRestarting
	})

	start := time.Now()
	_, err = testConnection(t, p)
	if !errors.Is(err, rmm.ErrPluginUnavailable) {
		t.Fatalf("call during the gap: err = %v, want ErrPluginUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the call during the gap took %v; it must fail fast", d)
	}
	if !processGone(before.PID) {
		t.Errorf("the killed process %d was not reaped", before.PID)
	}

	waitFor(t, 30*time.Second, "the restart", func() bool {
		return infoOf(t, m, "rmm-provider-fake").State == StateRunning
	})
	after := infoOf(t, m, "rmm-provider-fake")
	if after.PID == before.PID || after.PID <= 0 || after.Restarts != 1 || !after.StartedAt.After(before.StartedAt) {
		t.Errorf("after restart: pid %d (was %d), restarts %d, started %v (was %v)",
			after.PID, before.PID, after.Restarts, after.StartedAt, before.StartedAt)
	}
	if res, err := testConnection(t, p); err != nil || !res.OK {
		t.Fatalf("call through the same handle after restart: %+v, %v", res, err)
	}
}

func TestCrashLoopFails(t *testing.T) {
	dir := pluginDir(t, plugins{"rmm-provider-fake": builtPlugins.fake})
	writeManifest(t, dir, "rmm-provider-fake")
	cfg := testConfig(dir, rmm.EditionCE)
	cfg.CrashLoop = CrashLoop{Max: 3, Window: time.Minute}
	m := startManager(t, cfg)
	p, err := m.Provider("fake")
	if err != nil {
		t.Fatal(err)
	}

	kills := 0
	for info := infoOf(t, m, "rmm-provider-fake"); info.State == StateRunning; {
		if kills++; kills > cfg.CrashLoop.Max {
			t.Fatalf("still running after %d kills; the cap is %d", kills-1, cfg.CrashLoop.Max)
		}
		if err := syscall.Kill(info.PID, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		old := info.PID
		waitFor(t, 30*time.Second, "a restart or the crash-loop verdict", func() bool {
			info = infoOf(t, m, "rmm-provider-fake")
			return info.State == StateFailed || (info.State == StateRunning && info.PID != old)
		})
	}

	info := infoOf(t, m, "rmm-provider-fake")
	if info.State != StateFailed || kills != cfg.CrashLoop.Max || info.Restarts != cfg.CrashLoop.Max-1 {
		t.Fatalf("state %q after %d kills with %d restarts; want failed after %d",
			info.State, kills, info.Restarts, cfg.CrashLoop.Max)
	}
	if !strings.Contains(info.Reason, "crash loop") {
		t.Errorf("reason %q does not say crash loop", info.Reason)
	}
	if _, err := testConnection(t, p); !errors.Is(err, rmm.ErrPluginUnavailable) || !strings.Contains(err.Error(), "crash loop") {
		t.Errorf("call to a failed plugin: err = %v, want ErrPluginUnavailable saying why", err)
	}
	if pids := processesOf(t, info.Path); len(pids) != 0 {
		t.Errorf("a failed plugin still runs: %v", pids)
	}
}

func TestPluginEnvironment(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://psa:pw@db/psa")
	t.Setenv("PSA_MASTER_KEY", "bWFzdGVyLWtleQ==")
	t.Setenv("TZ", "Europe/Zurich")
	dir := pluginDir(t, plugins{"rmm-provider-fake": builtPlugins.fake})
	writeManifest(t, dir, "rmm-provider-fake")
	cfg := testConfig(dir, rmm.EditionCE)
	cfg.PluginLogLevel = "warn"
	m := startManager(t, cfg)

	env := environOf(t, infoOf(t, m, "rmm-provider-fake").PID)
	for _, banned := range []string{"DATABASE_URL", "PSA_MASTER_KEY"} {
		if _, ok := env[banned]; ok {
			t.Errorf("the plugin sees %s", banned)
		}
	}
	want := map[string]string{"PATH": os.Getenv("PATH"), "TZ": "Europe/Zurich", "PSA_PLUGIN_LOG_LEVEL": "warn"}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("plugin %s = %q, want %q", k, env[k], v)
		}
	}
	for k := range env {
		allowed := slices.Contains(envAllowList(), k) || k == "PSA_PLUGIN_LOG_LEVEL" ||
			k == rmmgrpc.Handshake.MagicCookieKey || strings.HasPrefix(k, "PLUGIN_") // go-plugin's own
		if !allowed {
			t.Errorf("the plugin sees %s, which is not on the allow-list", k)
		}
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	dir := pluginDir(t, plugins{"rmm-provider-fake": builtPlugins.fake, "rmm-provider-fakeee": builtPlugins.eeOnly})
	writeManifest(t, dir, "rmm-provider-fake", "rmm-provider-fakeee")
	m := startManager(t, testConfig(dir, rmm.EditionEE))
	p, err := m.Provider("fake")
	if err != nil {
		t.Fatal(err)
	}

	var pids []int
	for _, info := range m.List() {
		if info.State != StateRunning {
			t.Fatalf("%s: state %q (%s)", info.Path, info.State, info.Reason)
		}
		pids = append(pids, info.PID)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if !processGone(pid) {
			t.Errorf("process %d outlived Close", pid)
		}
	}
	for _, info := range m.List() {
		if info.State != StateStopped || info.PID != 0 {
			t.Errorf("%s after Close: state %q, pid %d", info.Path, info.State, info.PID)
		}
		if left := processesOf(t, info.Path); len(left) != 0 {
			t.Errorf("%s still runs as %v", info.Path, left)
		}
	}
	if _, err := testConnection(t, p); !errors.Is(err, rmm.ErrPluginUnavailable) {
		t.Errorf("call after Close: err = %v, want ErrPluginUnavailable", err)
	}
	if err := m.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestSecretMaskedFromPluginError(t *testing.T) {
	dir := pluginDir(t, plugins{"rmm-provider-fake": builtPlugins.fake})
	writeManifest(t, dir, "rmm-provider-fake")
	m := startManager(t, testConfig(dir, rmm.EditionCE))
	p, err := m.Provider("fake")
	if err != nil {
		t.Fatal(err)
	}

	// A user pasted the key into the URL; the provider echoes the URL back.
	const key = "pasted-key-0f9e8d7c"
	in := goodIntegration()
	in.BaseURL = "https://rmm.example/api?key=" + key
	in.Secrets = map[string]string{"api_key": key}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	_, err = p.SyncOrgs(ctx, rmm.SyncRequest{Integration: in, Mode: rmm.SyncFull},
		rmm.SinkFunc[rmm.Org](func(context.Context, rmm.Batch[rmm.Org]) error { return nil }))
	if !errors.Is(err, rmm.ErrInvalidConfig) {
		t.Fatalf("err = %v, want ErrInvalidConfig from the plugin", err)
	}
	if strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "key=****") {
		t.Errorf("error not masked: %q", err)
	}

	res, err := p.TestConnection(ctx, rmm.TestConnectionRequest{Integration: in})
	if err != nil || res.OK {
		t.Fatalf("TestConnection = %+v, %v; want OK=false", res, err)
	}
	if strings.Contains(res.Message, key) || !strings.Contains(res.Message, "key=****") {
		t.Errorf("message not masked: %q", res.Message)
	}
}

func TestCallBeforeExitIsNoticedFailsFast(t *testing.T) {
	dir := pluginDir(t, plugins{"rmm-provider-fake": builtPlugins.fake})
	writeManifest(t, dir, "rmm-provider-fake")
	cfg := testConfig(dir, rmm.EditionCE)
	cfg.PollInterval = time.Hour // the supervisor will not notice the exit in time
	m := startManager(t, cfg)
	p, err := m.Provider("fake")
	if err != nil {
		t.Fatal(err)
	}
	inst, _, _ := m.byName["fake"].e.current()
	if err := syscall.Kill(inst.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "go-plugin to see the exit", inst.client.Exited)

	start := time.Now()
	_, err = testConnection(t, p)
	if !errors.Is(err, rmm.ErrPluginUnavailable) || !strings.Contains(err.Error(), "process exited") {
		t.Fatalf("err = %v, want ErrPluginUnavailable saying the process exited", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v; it must fail fast", d)
	}
	if got := infoOf(t, m, "rmm-provider-fake").State; got != StateRunning {
		t.Errorf("state %q; the test meant to call before the supervisor noticed", got)
	}
}

func TestBinarySwappedAfterVerificationIsRefused(t *testing.T) {
	dir := pluginDir(t, plugins{"rmm-provider-fake": builtPlugins.fake})
	writeManifest(t, dir, "rmm-provider-fake")
	m := startManager(t, testConfig(dir, rmm.EditionCE))
	before := infoOf(t, m, "rmm-provider-fake")

	// Replace the binary (a running executable cannot be written in place),
	// then make the manager exec it again.
	swapped := filepath.Join(dir, "swapped")
	copyFile(t, builtPlugins.eeOnly, swapped)
	if err := os.Rename(swapped, before.Path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(before.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the restart to be refused", func() bool {
		return infoOf(t, m, "rmm-provider-fake").State == StateRefused
	})
	info := infoOf(t, m, "rmm-provider-fake")
	if !strings.Contains(info.Reason, "changed since it was verified") || info.Restarts != 0 {
		t.Errorf("reason %q, restarts %d", info.Reason, info.Restarts)
	}
	if pids := processesOf(t, before.Path); len(pids) != 0 {
		t.Errorf("the swapped binary runs: %v", pids)
	}
}

func TestNewConfig(t *testing.T) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		cfg     Config
		wantErr error // nil: New succeeds and lists nothing
	}{
		{"empty directory", t.Context(), Config{Dir: t.TempDir(), Edition: rmm.EditionCE}, nil},
		{"no directory", t.Context(), Config{Edition: rmm.EditionCE}, rmm.ErrInvalidConfig},
		{"unknown edition", t.Context(), Config{Dir: t.TempDir(), Edition: "pro"}, rmm.ErrInvalidConfig},
		{"missing directory", t.Context(), Config{Dir: filepath.Join(t.TempDir(), "nope"), Edition: rmm.EditionCE}, os.ErrNotExist},
		{"cancelled context", cancelled, Config{Dir: t.TempDir(), Edition: rmm.EditionCE}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.ctx, tt.cfg)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.List(); len(got) != 0 {
				t.Errorf("List() = %+v, want nothing", got)
			}
			if err := m.Close(t.Context()); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}
