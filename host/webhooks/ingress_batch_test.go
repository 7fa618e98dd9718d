package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/providertest/fakeprovider"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// gatedStore is the real store, with the first batch held until the test
// opens the gate, the batch sizes recorded, look-ups counted, and every
// batch failed when fail is set.
type gatedStore struct {
	*store.Store
	gate    chan struct{}
	fail    error
	lookups atomic.Int64

	mu      sync.Mutex
	batches []int
}

func (g *gatedStore) WebhookTargets(ctx context.Context, integrationID string) ([]store.WebhookTarget, error) {
	g.lookups.Add(1)
	return g.Store.WebhookTargets(ctx, integrationID)
}

func (g *gatedStore) InsertInboxBatch(ctx context.Context, rows []store.InboxRow) ([]store.InboxInsert, error) {
	g.mu.Lock()
	g.batches = append(g.batches, len(rows))
	first := len(g.batches) == 1
	g.mu.Unlock()
	if first && g.gate != nil {
		<-g.gate
	}
	if g.fail != nil {
		return nil, g.fail
	}
	return g.Store.InsertInboxBatch(ctx, rows)
}

func (g *gatedStore) batchSizes() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.batches...)
}

// gatedIngress serves an ingress on g with one writer.
func (e *env) gatedIngress(g *gatedStore) (*Ingress, *httptest.Server) {
	e.t.Helper()
	in := NewIngress(g, e.providers, e.log, IngressOptions{Wake: func() { e.woken.Add(1) }, Writers: 1})
	mux := http.NewServeMux()
	mux.Handle(RoutePattern, in)
	srv := httptest.NewServer(mux)
	e.t.Cleanup(srv.Close)
	return in, srv
}

// postTo sends a delivery to srv from a goroutine (no t.Fatal there).
func postTo(ctx context.Context, srv *httptest.Server, integration, secret, body string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/webhooks/fake/"+integration, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set(fakeprovider.WebhookSecretHeader, secret)
	res, err := srv.Client().Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	var b json.RawMessage
	if err := json.NewDecoder(res.Body).Decode(&b); err != nil {
		return answer{}, err
	}
	return answer{status: res.StatusCode, header: res.Header, body: string(b)}, nil
}

// storm holds the first batch at the gate, queues n more deliveries
// behind it, then opens the gate; it returns every answer, the first's
// last.
func (e *env) storm(g *gatedStore, in *Ingress, srv *httptest.Server, n int) []answer {
	e.t.Helper()
	ctx := e.t.Context()
	answers := make([]answer, n+1)
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	wg.Go(func() { answers[n], errs[n] = postTo(ctx, srv, e.integration, e.secret, `{"n": "first"}`) })
	e.waitFor("the first batch", func() bool { return len(g.batchSizes()) == 1 })
	for i := range n {
		wg.Go(func() {
			answers[i], errs[i] = postTo(ctx, srv, e.integration, e.secret, alertBody(fmt.Sprintf("acme:dev-%d", i), "a", rmm.AlertTriggered))
		})
	}
	e.waitFor("the deliveries to queue", func() bool { return in.writer.queued() == n })
	close(g.gate)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			e.t.Fatalf("delivery %d: %v", i, err)
		}
	}
	return answers
}

func TestIngressGroupCommitsConcurrentDeliveries(t *testing.T) {
	e := newEnv(t)
	g := &gatedStore{Store: e.st, gate: make(chan struct{})}
	in, srv := e.gatedIngress(g)
	const n = 40

	answers := e.storm(g, in, srv, n)
	ids := map[string]bool{}
	for i, a := range answers {
		var got accepted
		if a.status != http.StatusAccepted || json.Unmarshal([]byte(a.body), &got) != nil || got.InboxID == "" {
			t.Fatalf("delivery %d = %d %s", i, a.status, a.body)
		}
		ids[got.InboxID] = true
		if d := e.delivery(got.InboxID); d.Status != store.InboxPending || d.IntegrationID != e.integration {
			t.Fatalf("delivery %d stored as %+v", i, d.InboxItem)
		}
	}
	if len(ids) != n+1 {
		t.Fatalf("%d distinct inbox ids for %d deliveries", len(ids), n+1)
	}
	if got := e.count(`SELECT count(*) FROM webhook_inbox`); got != n+1 {
		t.Fatalf("%d rows in the inbox, want %d", got, n+1)
	}
	// The queued deliveries were stored together, and the processor was
	// woken once per batch.
	if sizes := g.batchSizes(); len(sizes) != 2 || sizes[0] != 1 || sizes[1] != n {
		t.Fatalf("batches = %v, want [1 %d]", sizes, n)
	}
	if e.woken.Load() != 2 {
		t.Fatalf("processor woken %d times, want once per batch", e.woken.Load())
	}
	// The secret was looked up for the first delivery only.
	if g.lookups.Load() != 1 {
		t.Fatalf("%d secret look-ups for %d deliveries", g.lookups.Load(), n+1)
	}
}

func TestIngressFailingBatchAnswersEveryWaiter(t *testing.T) {
	e := newEnv(t)
	g := &gatedStore{Store: e.st, gate: make(chan struct{}), fail: errors.New("write webhooks: connection reset")}
	in, srv := e.gatedIngress(g)
	const n = 25

	for i, a := range e.storm(g, in, srv, n) {
		if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
			t.Fatalf("delivery %d = %d %s, want 503", i, a.status, a.body)
		}
	}
	if sizes := g.batchSizes(); len(sizes) != 2 || sizes[1] != n {
		t.Fatalf("batches = %v, want [1 %d]", sizes, n)
	}
	if got := e.count(`SELECT count(*) FROM webhook_inbox`); got != 0 {
		t.Fatalf("%d rows in the inbox", got)
	}
	if e.woken.Load() != 0 {
		t.Fatal("a failed batch woke the processor")
	}
}

func TestIngressRotationRefusesTheCachedSecret(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// Replica B shares the database and has a cache of its own.
	replica := &gatedStore{Store: e.openStore()}
	_, srvB := e.gatedIngress(replica)
	postB := func(secret string) answer {
		t.Helper()
		a, err := postTo(ctx, srvB, e.integration, secret, `{"replica": "b"}`)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	old := e.secret
	e.accept(`{"n": 1}`)
	if a := postB(old); a.status != http.StatusAccepted {
		t.Fatalf("B before rotation = %d %s", a.status, a.body)
	}
	if a := postB(old); a.status != http.StatusAccepted || replica.lookups.Load() != 1 {
		t.Fatalf("B again = %d, %d look-ups; want 202 from the cached secret", a.status, replica.lookups.Load())
	}

	// The API rotates through the store, on whichever replica.
	fresh, err := e.st.RotateWebhookSecret(ctx, e.tenant, e.integration)
	if err != nil {
		t.Fatal(err)
	}
	before := e.count(`SELECT count(*) FROM webhook_inbox`)
	if a := e.post(e.integration, old, `{"n": 2}`); a.status != http.StatusUnauthorized {
		t.Fatalf("old secret here after rotation = %d %s", a.status, a.body)
	}
	if a := postB(old); a.status != http.StatusUnauthorized {
		t.Fatalf("old secret on B after rotation = %d %s", a.status, a.body)
	}
	if got := e.count(`SELECT count(*) FROM webhook_inbox`); got != before {
		t.Fatalf("%d deliveries stored with the old secret", got-before)
	}
	e.secret = fresh
	e.accept(`{"n": 3}`)
	if a := postB(fresh); a.status != http.StatusAccepted {
		t.Fatalf("new secret on B = %d %s", a.status, a.body)
	}

	// Disconnected after its secret was cached: refused as disconnected.
	if _, err := e.st.DisconnectIntegration(ctx, e.tenant, e.integration); err != nil {
		t.Fatal(err)
	}
	if a := postB(fresh); a.status != http.StatusNotFound {
		t.Fatalf("after disconnect = %d %s", a.status, a.body)
	}
	if n := e.count(`SELECT coalesce(sum(failure_count), 0)::int FROM webhook_auth_failures WHERE integration_id = $1`, e.integration); n != 2 {
		t.Fatalf("auth failures counted = %d, want 2", n)
	}
}
