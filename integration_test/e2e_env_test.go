package integration_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/host/pgcluster/pgtest"
	"github.com/msp-psa/psa-host/host/secrets"
	"github.com/msp-psa/psa-host/integration_test/hostproc"
)

// maxLoggedOnFailure caps the host log printed for a failed test: a
// 10,000-agent sync at debug level is a lot of text.
const maxLoggedOnFailure = 256 << 10

// pluginLogPrefix starts the names of the lines the Tactical plugin
// process logs itself, which go-plugin forwards into the host's log.
const pluginLogPrefix = "psa-host.plugin.tacticalrmm.rmm-provider-tacticalrmm:"

// e2eEnv is one running psa-host serve on its own fresh database, with a
// direct connection to that database for the checks that must look at
// rows, and a record of every API answer for the secret checks.
type e2eEnv struct {
	host      *hostproc.Host
	opts      hostproc.Options
	db        *pgx.Conn
	box       *secrets.Box
	responses *responseLog

	mu      sync.Mutex
	secrets map[string]string // value -> what it is, for messages
}

// startE2E starts psa-host serve with the real plugin directory on a new
// database. When the test ends it stops the host, then checks that no
// registered secret appears in an API answer or the host's log (plugin
// logs included), and prints the log if the test failed.
func startE2E(t *testing.T) *e2eEnv {
	t.Helper()
	dsn := pgtest.New(t)
	key := make([]byte, secrets.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &e2eEnv{
		opts: hostproc.Options{
			Binary: built.host, PluginDir: built.pluginDir, DataDir: t.TempDir(),
			DSN: dsn, MasterKey: hex.EncodeToString(key),
		},
		box:       box,
		responses: &responseLog{},
		secrets:   map[string]string{},
	}
	e.db, err = pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.db.Close(context.WithoutCancel(t.Context())) })

	startCtx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	e.host, err = hostproc.Start(startCtx, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: stop, then check, then print.
	t.Cleanup(func() {
		if t.Failed() {
			logs := e.host.Logs()
			if len(logs) > maxLoggedOnFailure {
				logs = "[... earlier lines cut ...]\n" + logs[len(logs)-maxLoggedOnFailure:]
			}
			t.Logf("psa-host log:\n%s", logs)
		}
	})
	t.Cleanup(func() { e.checkNoSecretLeaked(t) })
	t.Cleanup(func() {
		if err := e.host.Stop(30 * time.Second); err != nil {
			t.Errorf("stop psa-host: %v", err)
		}
	})
	return e
}

// tenant creates a tenant through the CLI and returns its id and an API
// client holding its key.
func (e *e2eEnv) tenant(t *testing.T, name string) (string, *hostproc.Client) {
	t.Helper()
	id, key, err := hostproc.CreateTenant(t.Context(), e.opts, name)
	if err != nil {
		t.Fatal(err)
	}
	e.addSecret("the API key of tenant "+name, key)
	c := hostproc.NewClient(e.host.URL, key)
	c.HTTP.Transport = &recordingTransport{next: http.DefaultTransport, log: e.responses}
	return id, c
}

// addSecret registers a value that must never appear in an API answer or
// the host's log.
func (e *e2eEnv) addSecret(what, value string) {
	if value == "" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.secrets[value] = what
}

// storedSecret decrypts one of an integration's secrets from
// tenant_secrets, with the master key the host was given. It also checks
// that the row does not hold the value in the clear.
func (e *e2eEnv) storedSecret(t *testing.T, tenantID, integrationID, name string) string {
	t.Helper()
	var nonce, ciphertext []byte
	err := e.db.QueryRow(t.Context(),
		`SELECT nonce, ciphertext FROM tenant_secrets WHERE tenant = $1 AND integration_id = $2 AND secret_name = $3`,
		tenantID, integrationID, name).Scan(&nonce, &ciphertext)
	if err != nil {
		t.Fatalf("read secret %s of integration %s: %v", name, integrationID, err)
	}
	plain, err := e.box.Open(nonce, ciphertext, []byte(tenantID+"|"+integrationID+"|"+name))
	if err != nil {
		t.Fatalf("open secret %s: %v", name, err)
	}
	if bytes.Contains(ciphertext, plain) {
		t.Errorf("tenant_secrets holds %s in the clear", name)
	}
	return string(plain)
}

// checkNoSecretLeaked looks for every registered secret in every API
// answer and in the host's output; plugin logs reach the host's stderr.
func (e *e2eEnv) checkNoSecretLeaked(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.secrets) == 0 {
		t.Error("no secret was registered: the leak check checked nothing")
	}
	logs := e.host.Logs() + e.host.Stdout()
	if !strings.Contains(logs, pluginLogPrefix) {
		t.Errorf("no line of the Tactical plugin's own log (%q) in the host's log: the check would miss the plugin", pluginLogPrefix)
	}
	answers := e.responses.all()
	for value, what := range e.secrets {
		if strings.Contains(logs, value) {
			t.Errorf("%s appears in the host's log", what)
		}
		for _, a := range answers {
			if strings.Contains(a.body, value) {
				t.Errorf("%s appears in the answer to %s %s", what, a.method, a.path)
			}
		}
	}
}

// recordedAnswer is one API answer.
type recordedAnswer struct {
	method, path string
	status       int
	body         string
}

type responseLog struct {
	mu      sync.Mutex
	answers []recordedAnswer
}

func (l *responseLog) add(a recordedAnswer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answers = append(l.answers, a)
}

func (l *responseLog) all() []recordedAnswer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]recordedAnswer(nil), l.answers...)
}

// recordingTransport keeps a copy of every answer body.
type recordingTransport struct {
	next http.RoundTripper
	log  *responseLog
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read answer to %s %s: %w", req.Method, req.URL.Path, err)
	}
	rt.log.add(recordedAnswer{method: req.Method, path: req.URL.RequestURI(), status: resp.StatusCode, body: string(body)})
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
