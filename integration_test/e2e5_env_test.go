package integration_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/msp-psa/psa-host/host/pgcluster/pgtest"
	"github.com/msp-psa/psa-host/integration_test/hostproc"
	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// The helpers of issue #5's end-to-end tests (real time and lifecycle):
// hosts that share one database, a plugin directory of their own, and the
// processes behind them, which these tests kill.

// e5MasterKey is the secrets master key of every host of these tests: the
// hosts sharing a database must share it.
const e5MasterKey = "5e5e0c1d2b3a49586776859403a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4"

// e5PluginName is the Tactical plugin's executable.
const e5PluginName = "rmm-provider-tacticalrmm"

// e5WebhookHeader is the header Tactical's plugin takes the webhook secret
// in (its WebhookSpec).
const e5WebhookHeader = "X-PSA-Webhook-Secret"

// e5LogTail caps the host log printed for a failed test.
const e5LogTail = 192 << 10

// e5Env is one database, one fake Tactical and a plugin directory that
// holds only the Tactical plugin, for one or more psa-host processes.
type e5Env struct {
	dsn       string
	pluginDir string
	db        *pgxpool.Pool
	fake      *tacticalfake.Server
}

func e5NewEnv(t *testing.T, fleet tacticalfake.FleetSpec) *e5Env {
	t.Helper()
	e := &e5Env{dsn: pgtest.New(t), pluginDir: e5PluginDir(t)}
	e.fake = tacticalfake.NewT(t, tacticalfake.Options{Fleet: fleet})
	e5Steady(e.fake)
	db, err := pgxpool.New(t.Context(), e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	e.db = db
	return e
}

// e5PluginDir makes a plugin directory with the Tactical plugin alone (a
// hard link to the one TestMain built, so a test may swap the file
// without touching the others) and its manifest line.
func e5PluginDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(built.pluginDir, e5PluginName)
	if err := os.Link(src, filepath.Join(dir, e5PluginName)); err != nil {
		data, rerr := os.ReadFile(src)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err := os.WriteFile(filepath.Join(dir, e5PluginName), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sums, err := os.ReadFile(filepath.Join(built.pluginDir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for l := range strings.SplitSeq(string(sums), "\n") {
		if strings.HasSuffix(l, "  "+e5PluginName) {
			line = l + "\n"
		}
	}
	if line == "" {
		t.Fatalf("the manifest lists no %s", e5PluginName)
	}
	if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (e *e5Env) options(t *testing.T, args ...string) hostproc.Options {
	return hostproc.Options{
		Binary: built.host, PluginDir: e.pluginDir, DataDir: t.TempDir(),
		DSN: e.dsn, MasterKey: e5MasterKey, Args: args,
	}
}

// startHost runs psa-host serve on the shared database. When the test
// ends it is stopped (unless it already exited) and, if the test failed,
// its log is printed under name.
func (e *e5Env) startHost(t *testing.T, name string, args ...string) *hostproc.Host {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	h, err := hostproc.Start(ctx, e.options(t, args...))
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	// Cleanups run last-registered first: stop, then print.
	t.Cleanup(func() {
		if t.Failed() {
			logs := h.Logs()
			if len(logs) > e5LogTail {
				logs = "[... earlier lines cut ...]\n" + logs[len(logs)-e5LogTail:]
			}
			t.Logf("%s (pid %d) log:\n%s", name, h.PID(), logs)
		}
	})
	t.Cleanup(func() {
		select {
		case <-h.Done():
			return // killed by the test
		default:
		}
		if err := h.Stop(30 * time.Second); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
	})
	return h
}

// e5Tenant is a tenant and an API client holding its key.
type e5Tenant struct {
	id  string
	api *hostproc.Client
}

func (e *e5Env) tenant(t *testing.T, h *hostproc.Host, name string) e5Tenant {
	t.Helper()
	id, key, err := hostproc.CreateTenant(t.Context(), e.options(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return e5Tenant{id: id, api: hostproc.NewClient(h.URL, key)}
}

// on is the same tenant talking to another host.
func (tn e5Tenant) on(h *hostproc.Host) e5Tenant {
	return e5Tenant{id: tn.id, api: hostproc.NewClient(h.URL, tn.api.Key)}
}

// connect creates a Tactical integration with the fake's API key and the
// given settings, and tests it (which activates it).
func (tn e5Tenant) connect(t *testing.T, fake *tacticalfake.Server, settings map[string]any) string {
	t.Helper()
	var in struct {
		ID string `json:"integration_id"`
	}
	if _, err := tn.api.Do(t.Context(), http.MethodPost, "/api/v1/integrations", map[string]any{
		"provider": "tacticalrmm", "name": "Tactical " + strconv.FormatInt(time.Now().UnixNano(), 36),
		"instance_url": fake.URL(), "auth_mode": "api_key",
		"credentials": map[string]string{"api_key": tacticalfake.DefaultAPIKey}, "settings": settings,
	}, &in); err != nil {
		t.Fatalf("create integration: %v", err)
	}
	var res struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}
	if _, err := tn.api.Do(t.Context(), http.MethodPost, "/api/v1/integrations/"+in.ID+"/test", map[string]any{}, &res); err != nil {
		t.Fatalf("test connection: %v", err)
	}
	if !res.OK {
		t.Fatalf("test connection failed: %s", res.Message)
	}
	return in.ID
}

// setSettings replaces an integration's settings.
func (tn e5Tenant) setSettings(t *testing.T, integrationID string, settings map[string]any) {
	t.Helper()
	if _, err := tn.api.Do(t.Context(), http.MethodPatch, "/api/v1/integrations/"+integrationID,
		map[string]any{"settings": settings}, nil); err != nil {
		t.Fatalf("set settings: %v", err)
	}
}

// mapOrgs syncs the Tactical clients and maps each of orgs (Tactical
// client ids) to a new PSA client with auto-sync on. It returns the PSA
// client id of each.
func (tn e5Tenant) mapOrgs(t *testing.T, integrationID string, orgs ...int) map[int]string {
	t.Helper()
	tn.syncOK(t, integrationID, "orgs")
	var page struct {
		Items []struct {
			ID    string `json:"mapping_id"`
			OrgID string `json:"external_organization_id"`
		} `json:"items"`
	}
	if _, err := tn.api.Do(t.Context(), http.MethodGet, "/api/v1/integrations/"+integrationID+"/mappings?limit=1000", nil, &page); err != nil {
		t.Fatalf("list mappings: %v", err)
	}
	out := map[int]string{}
	for _, org := range orgs {
		mappingID := ""
		for _, m := range page.Items {
			if m.OrgID == strconv.Itoa(org) {
				mappingID = m.ID
			}
		}
		if mappingID == "" {
			t.Fatalf("no mapping for Tactical client %d", org)
		}
		var c struct {
			ID string `json:"client_id"`
		}
		if _, err := tn.api.Do(t.Context(), http.MethodPost, "/api/v1/clients",
			map[string]string{"name": fmt.Sprintf("Customer %d", org)}, &c); err != nil {
			t.Fatalf("create client: %v", err)
		}
		if _, err := tn.api.Do(t.Context(), http.MethodPatch, "/api/v1/integrations/"+integrationID+"/mappings/"+mappingID,
			map[string]any{"client_id": c.ID, "auto_sync_assets": true}, nil); err != nil {
			t.Fatalf("map Tactical client %d: %v", org, err)
		}
		out[org] = c.ID
	}
	return out
}

// startSync queues a full sync of kind and returns its job id.
func (tn e5Tenant) startSync(t *testing.T, integrationID, kind string) string {
	t.Helper()
	var started struct {
		JobID    string `json:"job_id"`
		Existing bool   `json:"existing"`
	}
	if _, err := tn.api.Do(t.Context(), http.MethodPost, "/api/v1/integrations/"+integrationID+"/sync",
		map[string]string{"kind": kind, "mode": "full"}, &started); err != nil {
		t.Fatalf("start %s sync: %v", kind, err)
	}
	if started.Existing {
		t.Fatalf("a %s sync was already queued or running", kind)
	}
	return started.JobID
}

// syncOK runs a full sync of kind to its end and fails the test unless it
// succeeds.
func (tn e5Tenant) syncOK(t *testing.T, integrationID, kind string) hostproc.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	j, err := tn.api.WaitJob(ctx, tn.startSync(t, integrationID, kind))
	if err != nil {
		t.Fatalf("%s sync: %v", kind, err)
	}
	return j
}

// job reads a job through the API.
func (tn e5Tenant) job(t *testing.T, jobID string) hostproc.Job {
	t.Helper()
	var j hostproc.Job
	if _, err := tn.api.Do(t.Context(), http.MethodGet, "/api/v1/jobs/"+jobID, nil, &j); err != nil {
		t.Fatalf("get job %s: %v", jobID, err)
	}
	return j
}

// e5Webhook sends deliveries to one integration's ingress.
type e5Webhook struct {
	url, secret string
	client      *http.Client
}

// webhook rotates the integration's webhook secret (the only way to see
// one) and returns a sender that uses it.
func (tn e5Tenant) webhook(t *testing.T, integrationID string) e5Webhook {
	t.Helper()
	var rot struct {
		Secret     string `json:"secret"`
		URL        string `json:"url"`
		HeaderName string `json:"header_name"`
	}
	if _, err := tn.api.Do(t.Context(), http.MethodPost, "/api/v1/integrations/"+integrationID+"/webhook/rotate", nil, &rot); err != nil {
		t.Fatalf("rotate webhook secret: %v", err)
	}
	if rot.Secret == "" || rot.HeaderName != e5WebhookHeader || !strings.HasSuffix(rot.URL, "/api/webhooks/tacticalrmm/"+integrationID) {
		t.Fatalf("rotate answered header %q, url %q and a secret of %d characters", rot.HeaderName, rot.URL, len(rot.Secret))
	}
	return e5Webhook{url: rot.URL, secret: rot.Secret, client: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 1024},
	}}
}

// send posts one delivery with the secret; it returns the status and, for
// a 202, the inbox id.
func (w e5Webhook) send(ctx context.Context, body []byte) (int, string, error) {
	return w.sendWith(ctx, body, w.secret)
}

func (w e5Webhook) sendWith(ctx context.Context, body []byte, secret string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, strings.NewReader(string(body)))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "python-requests/2.32.3")
	if secret != "" {
		req.Header.Set(e5WebhookHeader, secret)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var ack struct {
		Status  string `json:"status"`
		InboxID string `json:"inbox_id"`
	}
	if resp.StatusCode == http.StatusAccepted {
		if err := json.NewDecoder(resp.Body).Decode(&ack); err != nil {
			return resp.StatusCode, "", err
		}
		if ack.Status != "accepted" || ack.InboxID == "" {
			return resp.StatusCode, "", fmt.Errorf("202 with body %+v", ack)
		}
	}
	return resp.StatusCode, ack.InboxID, nil
}

// e5WaitFor polls cond every 100 ms until it holds; past timeout the test
// fails with what cond last said. The timeout bounds a hang; it is no
// performance check.
func e5WaitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %v: %s", what, timeout, detail)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("%s: %v", what, t.Context().Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// e5Count runs a count query.
func (e *e5Env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// e5PluginPIDs lists the Tactical plugin processes that are children of
// pid (psa-host launches its plugins itself).
func e5PluginPIDs(pid int) []int {
	var out []int
	for _, child := range childPlugins(pid) { // live plugins already
		if pluginExe(child) == e5PluginName {
			out = append(out, child)
		}
	}
	return out
}

// e5IsPlugin reports whether pid is a live Tactical plugin process.
func e5IsPlugin(pid int) bool {
	return pluginExe(pid) == e5PluginName && processAlive(pid)
}

// e5Zombie reads the state field of /proc/<pid>/stat ("pid (comm) S ...").
func e5Zombie(stat string) bool {
	i := strings.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X')
}

// e5WaitPlugin waits for the host's Tactical plugin process other than
// not (0: any) and returns its pid.
func e5WaitPlugin(t *testing.T, h *hostproc.Host, not int) int {
	t.Helper()
	var pid int
	e5WaitFor(t, time.Minute, "a Tactical plugin process under the host", func() (bool, string) {
		for _, p := range e5PluginPIDs(h.PID()) {
			if p != not {
				pid = p
				return true, ""
			}
		}
		return false, fmt.Sprintf("children of %d: %v", h.PID(), e5PluginPIDs(h.PID()))
	})
	return pid
}

// e5KillPlugin ends a plugin process with SIGKILL, as a crash would.
func e5KillPlugin(t *testing.T, pid int) {
	t.Helper()
	if !e5IsPlugin(pid) {
		t.Fatalf("process %d is not a Tactical plugin", pid)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill plugin %d: %v", pid, err)
	}
}

// e5KillHost ends a host with SIGKILL. Its plugins die with it (a parent
// death signal, see TestNoPluginOutlivesItsHost); any still alive are
// killed by pid so that one failure does not spill into other tests.
func e5KillHost(t *testing.T, h *hostproc.Host) {
	t.Helper()
	plugins := e5PluginPIDs(h.PID())
	if err := h.Kill(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range plugins {
		if e5IsPlugin(pid) {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				t.Errorf("kill orphaned plugin %d: %v", pid, err)
			}
		}
	}
}

// e5SteadyMargin keeps every agent this far from a status threshold,
// longer than any of these tests runs.
const e5SteadyMargin = 3 * time.Minute

// e5Steady moves the last check-in of agents near their offline or
// overdue threshold away from it, so that no agent's status changes while
// a test runs (the plugin computes it at each sync).
func e5Steady(fake *tacticalfake.Server) {
	now := fake.Now()
	for i := range fake.NumAgents() {
		v := fake.Agent(i)
		if v.LastSeen.IsZero() {
			continue
		}
		age := now.Sub(v.LastSeen)
		offline := time.Duration(v.OfflineTime) * time.Minute
		overdue := time.Duration(v.OverdueTime) * time.Minute
		switch {
		case age > offline-e5SteadyMargin && age < offline+e5SteadyMargin:
			fake.SetLastSeen(i, now.Add(-10*time.Second))
		case age > overdue-e5SteadyMargin && age < overdue+e5SteadyMargin:
			fake.SetLastSeen(i, now.Add(-overdue-2*e5SteadyMargin))
		}
	}
}

// providerState is the Tactical provider's state as GET /api/v1/providers
// shows it.
func (tn e5Tenant) providerState(t *testing.T) string {
	t.Helper()
	var page struct {
		Items []struct {
			Name   string `json:"name"`
			State  string `json:"state"`
			Reason string `json:"reason"`
		} `json:"items"`
	}
	if _, err := tn.api.Do(t.Context(), http.MethodGet, "/api/v1/providers", nil, &page); err != nil {
		t.Fatalf("list providers: %v", err)
	}
	if len(page.Items) != 1 || page.Items[0].Name != "tacticalrmm" {
		t.Fatalf("the host lists providers %+v; want tacticalrmm alone", page.Items)
	}
	return page.Items[0].State
}

// waitProvider waits until the Tactical provider is in state.
func (tn e5Tenant) waitProvider(t *testing.T, state string) {
	t.Helper()
	e5WaitFor(t, time.Minute, "the Tactical plugin "+state, func() (bool, string) {
		got := tn.providerState(t)
		return got == state, "state " + got
	})
}
