package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/host/secrets"
	"github.com/msp-psa/psa-host/host/store"
)

// Ingress defaults.
const (
	DefaultMaxBodyBytes = 1 << 20
	// DefaultStoreTimeout bounds the look-up and the insert. Tactical gives
	// up on a delivery after 8 s and never retries it.
	DefaultStoreTimeout = 5 * time.Second
)

// IngressOptions tune ingress; zero values take the defaults.
type IngressOptions struct {
	// MaxBodyBytes caps a body; larger ones answer 413.
	MaxBodyBytes int64
	// StoreTimeout bounds the database work of one delivery.
	StoreTimeout time.Duration
	// Wake is called after a batch of deliveries is stored, to start
	// processing them at once on this replica (Processor.Wake). Other
	// replicas hear of them through the database.
	Wake func()
	// Writers is how many batches of deliveries may be written at once.
	// Default 1: batches grow while one commits.
	Writers int
	// SecretCacheTTL is how long an integration's webhook secret is kept
	// decrypted in memory. Default DefaultSecretCacheTTL; negative looks
	// the secret up for every delivery.
	SecretCacheTTL time.Duration
}

// Ingress is the webhook endpoint. It needs no API key: the shared secret
// in the provider's header authenticates the delivery.
type Ingress struct {
	st        IngressStore
	providers Providers
	log       hclog.Logger
	opts      IngressOptions
	targets   *targetCache
	writer    *inboxWriter
}

// NewIngress returns the ingress handler; mount it at RoutePattern.
func NewIngress(st IngressStore, providers Providers, log hclog.Logger, opts IngressOptions) *Ingress {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.StoreTimeout <= 0 {
		opts.StoreTimeout = DefaultStoreTimeout
	}
	if opts.Wake == nil {
		opts.Wake = func() {}
	}
	if opts.Writers <= 0 {
		opts.Writers = 1
	}
	if opts.SecretCacheTTL == 0 {
		opts.SecretCacheTTL = DefaultSecretCacheTTL
	}
	return &Ingress{st: st, providers: providers, log: log.Named("webhooks"), opts: opts,
		targets: newTargetCache(opts.SecretCacheTTL), writer: newInboxWriter(st.InsertInboxBatch, opts.Wake, opts.Writers)}
}

// accepted is the answer to a stored delivery.
type accepted struct {
	Status  string `json:"status"`
	InboxID string `json:"inbox_id"`
}

// ServeHTTP checks, in order: the method, the integration, the secret,
// then the body; it stores the delivery and answers 202 once it is
// committed. It never logs the body or the secret.
func (in *Ingress) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "webhooks are sent with POST")
		return
	}
	// The sender may hang up (Tactical waits 8 s); a delivery it sent in
	// full is still stored.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), in.opts.StoreTimeout)
	defer cancel()
	provider, integrationID := r.PathValue("provider"), strings.ToLower(r.PathValue("integration_id"))

	header, takesWebhooks := SecretHeader(in.providers, provider)
	if !takesWebhooks {
		writeError(w, http.StatusNotFound, "not_found", "this provider takes no webhooks")
		return
	}
	got := strings.TrimSpace(r.Header.Get(header))
	target, ok := in.cachedTarget(provider, integrationID, got)
	if !ok {
		if target, ok = in.authenticate(ctx, w, r, provider, integrationID, header, got); !ok {
			return
		}
	}

	body, failed := in.readBody(w, r)
	if failed {
		return
	}
	d := store.NewInboxDelivery{
		TenantID: target.TenantID, IntegrationID: target.IntegrationID, Provider: target.Provider,
		Method: r.Method, Query: r.URL.RawQuery, Headers: storedHeaders(r.Header, header), Body: body,
		SecretVersion: target.SecretVersion,
	}
	it, err := in.store(ctx, d)
	if errors.Is(err, store.ErrStaleSecret) {
		// The secret was rotated or the integration disconnected since
		// the secret was cached: decide again on what the database says.
		in.targets.drop(targetKey(provider, integrationID))
		if target, ok = in.authenticate(ctx, w, r, provider, integrationID, header, got); !ok {
			return
		}
		d.TenantID, d.IntegrationID, d.SecretVersion = target.TenantID, target.IntegrationID, target.SecretVersion
		it, err = in.store(ctx, d)
	}
	if err != nil {
		in.unavailable(w, "store delivery", integrationID, err)
		return
	}
	in.log.Debug("webhook stored", "provider", provider, "integration_id", target.IntegrationID,
		"inbox_id", it.ID, "bytes", len(body))
	writeJSON(w, http.StatusAccepted, accepted{Status: "accepted", InboxID: it.ID})
}

// store encodes d here, in the request's goroutine, and has the group
// commit store it.
func (in *Ingress) store(ctx context.Context, d store.NewInboxDelivery) (store.InboxItem, error) {
	row, err := store.NewInboxRow(d)
	if err != nil {
		return store.InboxItem{}, err
	}
	return in.writer.store(ctx, row, len(d.Body))
}

// cachedTarget matches the secret got against the cached live targets of
// an integration. A miss, or a secret that does not match, is decided on a
// fresh look-up (authenticate): the secret may have just been rotated.
func (in *Ingress) cachedTarget(provider, integrationID, got string) (store.WebhookTarget, bool) {
	live, ok := in.targets.get(targetKey(provider, integrationID))
	if !ok {
		return store.WebhookTarget{}, false
	}
	return matchSecret(live, got)
}

// targetKey keys the target cache: the live targets depend on the
// provider named in the path.
func targetKey(provider, integrationID string) string { return provider + "/" + integrationID }

// authenticate looks the integration up, caches what it found and matches
// the secret got; when ok is false it has answered the request (404, 401
// or 503).
func (in *Ingress) authenticate(ctx context.Context, w http.ResponseWriter, r *http.Request,
	provider, integrationID, header, got string) (target store.WebhookTarget, ok bool) {
	targets, err := in.st.WebhookTargets(ctx, integrationID)
	if err != nil {
		in.unavailable(w, "find integration", integrationID, err)
		return target, false
	}
	live, status := liveTargets(targets, provider)
	in.targets.put(targetKey(provider, integrationID), live)
	if live == nil {
		writeError(w, http.StatusNotFound, "not_found", status)
		return target, false
	}
	if target, ok = matchSecret(live, got); !ok {
		in.refuse(ctx, w, r, live, header)
	}
	return target, ok
}

// liveTargets keeps the integrations of provider that take deliveries;
// when none does, it says why.
func liveTargets(targets []store.WebhookTarget, provider string) ([]store.WebhookTarget, string) {
	var live []store.WebhookTarget
	why := "no integration of this provider has this id"
	for _, t := range targets {
		switch {
		case t.Provider != provider:
		case t.Disconnected:
			why = "the integration is disconnected; reconnect it to receive webhooks"
		case t.Secret == "":
			why = "the integration has no webhook secret; rotate it to set one"
		default:
			live = append(live, t)
		}
	}
	return live, why
}

// matchSecret finds the target whose secret got is, comparing each in
// constant time.
func matchSecret(targets []store.WebhookTarget, got string) (store.WebhookTarget, bool) {
	var match store.WebhookTarget
	found := false
	for _, t := range targets {
		if secrets.Equal(got, t.Secret) && got != "" {
			match, found = t, true
		}
	}
	return match, found
}

// refuse answers 401 and counts the failure; nothing else is stored.
func (in *Ingress) refuse(ctx context.Context, w http.ResponseWriter, r *http.Request, targets []store.WebhookTarget, header string) {
	addr := remoteHost(r)
	for _, t := range targets {
		if err := in.st.RecordWebhookAuthFailure(ctx, t.TenantID, t.IntegrationID, addr); err != nil {
			in.log.Warn("count webhook auth failure", "integration_id", t.IntegrationID, "error", err)
		}
	}
	in.log.Warn("webhook refused: missing or wrong secret", "integration_id", targets[0].IntegrationID,
		"remote_addr", addr, "header", header)
	writeError(w, http.StatusUnauthorized, "unauthorized", "the "+header+" header is missing or wrong")
}

func remoteHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// readBody reads a bounded JSON body; failed means an error was answered.
func (in *Ingress) readBody(w http.ResponseWriter, r *http.Request) (body []byte, failed bool) {
	if enc := r.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body uncompressed")
		return nil, true
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, in.opts.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large",
				fmt.Sprintf("the body is larger than %d bytes", in.opts.MaxBodyBytes))
		} else {
			writeError(w, http.StatusBadRequest, "bad_request", "the body could not be read")
		}
		return nil, true
	}
	text := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	switch {
	case len(text) == 0:
		writeError(w, http.StatusBadRequest, "invalid_json", "the body is empty; a JSON body is expected")
		return nil, true
	case !json.Valid(text):
		writeError(w, http.StatusBadRequest, "invalid_json", "the body is not JSON")
		return nil, true
	}
	return body, false
}

// unavailable answers 503 for a database failure: nothing was stored, and
// a sender that retries may try again.
func (in *Ingress) unavailable(w http.ResponseWriter, what, integrationID string, err error) {
	in.log.Error("webhook not stored", "step", what, "integration_id", integrationID, "error", err)
	w.Header().Set("Retry-After", "5")
	writeError(w, http.StatusServiceUnavailable, "unavailable", "the webhook could not be stored; try again")
}

// writeJSON answers in the host API's style.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}
