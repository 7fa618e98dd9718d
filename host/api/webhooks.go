package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/host/webhooks"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// WebhookStore is the part of host/store behind the webhook settings and
// the webhook inbox routes. Every method is tenant-scoped.
type WebhookStore interface {
	RotateWebhookSecret(ctx context.Context, tenantID, integrationID string) (string, error)
	WebhookAuthFailures(ctx context.Context, tenantID, integrationID string) (store.WebhookAuthFailures, error)
	ListInbox(ctx context.Context, tenantID string, f store.InboxFilter) ([]store.InboxItem, error)
	GetInbox(ctx context.Context, tenantID, inboxID string) (store.InboxDelivery, error)
	ReplayInbox(ctx context.Context, tenantID, inboxID string) (store.InboxItem, error)
}

var _ WebhookStore = (*store.Store)(nil)

// webhookTemplateView is one piece of configuration to paste into the RMM.
type webhookTemplateView struct {
	Name    string `json:"name"`
	Method  string `json:"method"`
	URL     string `json:"url"`
	Headers string `json:"headers"`
	Body    string `json:"body"`
	Notes   string `json:"notes,omitempty"`
}

// webhookSettingsView is how to point the RMM at this host. The secret is
// only masked here; its templates keep the secret placeholder.
type webhookSettingsView struct {
	URL          string                    `json:"url"`
	Method       string                    `json:"method"`
	HeaderName   string                    `json:"header_name"`
	SecretMasked string                    `json:"secret_masked"` // "" when there is none: rotate to set one
	Templates    []webhookTemplateView     `json:"templates"`
	AuthFailures store.WebhookAuthFailures `json:"auth_failures"`
}

// rotatedWebhookView shows a new secret, once, with templates that carry
// it, ready to paste.
type rotatedWebhookView struct {
	Secret     string                `json:"secret"`
	URL        string                `json:"url"`
	Method     string                `json:"method"`
	HeaderName string                `json:"header_name"`
	Templates  []webhookTemplateView `json:"templates"`
}

func (s *server) webhookStore() (WebhookStore, error) {
	if s.cfg.WebhookStore == nil {
		return nil, errorf(http.StatusServiceUnavailable, codeUnavailable, "", "webhooks are not configured on this host")
	}
	return s.cfg.WebhookStore, nil
}

// webhookSpec is the provider's webhook settings: as it describes itself
// now, else as it did when it was launched, else (never seen running) the
// default header the ingress then expects, without templates.
func (s *server) webhookSpec(ctx context.Context, provider string) (rmm.WebhookSpec, error) {
	meta, err := s.describe(ctx, provider)
	var spec *rmm.WebhookSpec
	switch {
	case err == nil && meta.Webhook == nil:
		return rmm.WebhookSpec{}, unsupported(provider, rmm.CapWebhooks, "")
	case err == nil:
		spec = meta.Webhook
	default:
		s.log.Debug("describe for webhook settings failed; using what the plugin said at launch",
			"provider", provider, "error_kind", kindName(err))
		for _, info := range s.cfg.Providers.List() {
			if info.Name == provider && info.Webhook != nil {
				spec = info.Webhook
			}
		}
	}
	if spec == nil {
		return rmm.WebhookSpec{SecretHeader: webhooks.DefaultSecretHeader}, nil
	}
	out := *spec
	if out.SecretHeader == "" {
		out.SecretHeader = webhooks.DefaultSecretHeader
	}
	return out, nil
}

// webhookURL is where the RMM sends an integration's webhooks.
func (s *server) webhookURL(r *http.Request, provider, integrationID string) string {
	base := strings.TrimRight(s.cfg.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + webhooks.Path(provider, integrationID)
}

// renderTemplates fills the URL placeholder in; the secret placeholder is
// filled in only when secret is not "".
func renderTemplates(spec rmm.WebhookSpec, url, secret string) []webhookTemplateView {
	fill := func(text string) string {
		text = strings.ReplaceAll(text, rmm.WebhookURLPlaceholder, url)
		if secret != "" {
			text = strings.ReplaceAll(text, rmm.WebhookSecretPlaceholder, secret)
		}
		return text
	}
	out := make([]webhookTemplateView, 0, len(spec.Templates))
	for _, t := range spec.Templates {
		method := t.Method
		if method == "" {
			method = http.MethodPost
		}
		out = append(out, webhookTemplateView{Name: t.Name, Method: method, URL: fill(t.URL),
			Headers: fill(t.Headers), Body: fill(t.Body), Notes: fill(t.Notes)})
	}
	return out
}

func (s *server) getWebhookSettings(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.webhookStore()
	if err != nil {
		return err
	}
	in, err := s.integration(r)
	if err != nil {
		return err
	}
	spec, err := s.webhookSpec(r.Context(), in.Provider)
	if err != nil {
		return err
	}
	failures, err := ws.WebhookAuthFailures(r.Context(), tenantOf(r), in.ID)
	if err != nil {
		return storeError(err, "integration")
	}
	v := webhookSettingsView{
		URL: s.webhookURL(r, in.Provider, in.ID), Method: http.MethodPost, HeaderName: spec.SecretHeader,
		AuthFailures: failures,
	}
	for _, si := range in.Secrets {
		if si.Name == webhookSecretName {
			v.SecretMasked = si.Masked
		}
	}
	v.Templates = renderTemplates(spec, v.URL, "")
	writeJSON(w, http.StatusOK, v)
	return nil
}

// rotateWebhookSecret sets a new secret and shows it this once; the old
// one stops working at once.
func (s *server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.webhookStore()
	if err != nil {
		return err
	}
	in, err := s.integration(r)
	if err != nil {
		return err
	}
	spec, err := s.webhookSpec(r.Context(), in.Provider)
	if err != nil {
		return err
	}
	secret, err := ws.RotateWebhookSecret(r.Context(), tenantOf(r), in.ID)
	if err != nil {
		return storeError(err, "integration")
	}
	url := s.webhookURL(r, in.Provider, in.ID)
	writeJSON(w, http.StatusOK, rotatedWebhookView{
		Secret: secret, URL: url, Method: http.MethodPost, HeaderName: spec.SecretHeader,
		Templates: renderTemplates(spec, url, secret),
	})
	return nil
}

func (s *server) listInbox(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.webhookStore()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p, err := parsePage(q)
	if err != nil {
		return err
	}
	f := store.InboxFilter{Status: q.Get("status"), Limit: p.limit + 1, After: p.after}
	switch f.Status {
	case "", store.InboxPending, store.InboxProcessing, store.InboxDone, store.InboxFailed, store.InboxParked:
	default:
		return badRequest("status", "status must be pending, processing, done, failed or parked")
	}
	if f.IntegrationID, err = idFilter(r, "integration_id"); err != nil {
		return err
	}
	list, err := ws.ListInbox(r.Context(), tenantOf(r), f)
	if err != nil {
		return storeError(err, "webhook delivery")
	}
	writeJSON(w, http.StatusOK, fromStore(list, func(it store.InboxItem) string { return it.ID }, p.limit))
	return nil
}

// inboxDetailView is a delivery with its body, to debug a parked one: as
// JSON when it is (ingress takes nothing else, but a byte-order mark
// stays), else base64.
type inboxDetailView struct {
	store.InboxItem
	Body       json.RawMessage `json:"body,omitempty"`
	BodyBase64 string          `json:"body_base64,omitempty"`
}

func (s *server) getInbox(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.webhookStore()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "webhook delivery")
	if err != nil {
		return err
	}
	d, err := ws.GetInbox(r.Context(), tenantOf(r), id)
	if err != nil {
		return storeError(err, "webhook delivery")
	}
	v := inboxDetailView{InboxItem: d.InboxItem}
	if json.Valid(d.Body) {
		v.Body = d.Body
	} else {
		v.BodyBase64 = base64.StdEncoding.EncodeToString(d.Body)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *server) replayInbox(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.webhookStore()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "webhook delivery")
	if err != nil {
		return err
	}
	it, err := ws.ReplayInbox(r.Context(), tenantOf(r), id)
	switch {
	case errors.Is(err, store.ErrConflict):
		return &apiError{Status: http.StatusConflict, Code: codeConflict, cause: err,
			Msg: "the delivery is pending or processing; only parked, failed or done deliveries can be replayed"}
	case err != nil:
		return storeError(err, "webhook delivery")
	}
	writeJSON(w, http.StatusOK, it)
	return nil
}
