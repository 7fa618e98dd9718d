package api

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// integrationView is an integration as answers show it: secrets masked,
// the webhook secret left out entirely, and a one-word connection state.
type integrationView struct {
	store.Integration
	Secrets        []store.SecretInfo `json:"secrets"`
	HasCredentials bool               `json:"has_credentials"`
	// Connection is "connected" (a test passed and it was not disconnected
	// since), "disconnected" (credentials cleared) or "not_connected".
	Connection string `json:"connection"`
}

func viewIntegration(in store.Integration) integrationView {
	v := integrationView{Integration: in, Secrets: []store.SecretInfo{}}
	for _, si := range in.Secrets {
		if si.Name == webhookSecretName {
			continue
		}
		v.Secrets = append(v.Secrets, si)
	}
	v.HasCredentials = len(v.Secrets) > 0
	switch {
	case in.IsActive:
		v.Connection = "connected"
	case in.DisconnectedAt != nil && !v.HasCredentials:
		v.Connection = "disconnected"
	default:
		v.Connection = "not_connected"
	}
	if len(v.Settings) == 0 || string(v.Settings) == "null" {
		v.Settings = json.RawMessage(emptySettingsJSON)
	}
	return v
}

func (s *server) listIntegrations(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r.URL.Query())
	if err != nil {
		return err
	}
	list, err := s.cfg.Store.ListIntegrations(r.Context(), tenantOf(r))
	if err != nil {
		return storeError(err, "integration")
	}
	views := make([]integrationView, 0, len(list))
	for _, in := range list {
		views = append(views, viewIntegration(in))
	}
	writeJSON(w, http.StatusOK, inMemory(views, func(v integrationView) string { return v.ID }, p))
	return nil
}

func (s *server) getIntegration(w http.ResponseWriter, r *http.Request) error {
	in, err := s.integration(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewIntegration(in))
	return nil
}

// integration loads the integration named by the path's {id} for the
// request's tenant.
func (s *server) integration(r *http.Request) (store.Integration, error) {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return store.Integration{}, err
	}
	in, err := s.cfg.Store.GetIntegration(r.Context(), tenantOf(r), id)
	if err != nil {
		return store.Integration{}, storeError(err, "integration")
	}
	return in, nil
}

type createIntegrationRequest struct {
	Provider    string            `json:"provider"`
	Name        string            `json:"name"`
	InstanceURL string            `json:"instance_url"`
	AuthMode    string            `json:"auth_mode"`
	Credentials map[string]string `json:"credentials"`
	Settings    json.RawMessage   `json:"settings"`
}

// createIntegration validates everything, the provider's auth modes
// included, before it writes anything.
func (s *server) createIntegration(w http.ResponseWriter, r *http.Request) error {
	var req createIntegrationRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	for _, f := range []struct{ name, value string }{
		{"provider", req.Provider}, {"name", req.Name}, {"instance_url", req.InstanceURL}, {"auth_mode", req.AuthMode},
	} {
		if f.value == "" {
			return missing(f.name)
		}
	}
	settings, err := cleanSettings(req.Settings)
	if err != nil {
		return err
	}
	name, err := cleanName("name", req.Name)
	if err != nil {
		return err
	}
	instanceURL, err := normalizeInstanceURL(req.InstanceURL)
	if err != nil {
		return err
	}
	meta, err := s.describe(r.Context(), req.Provider)
	switch {
	case errors.Is(err, rmm.ErrNotFound):
		return invalid("provider", "unknown provider %q", req.Provider)
	case err != nil:
		return pluginError(err, "provider")
	}
	spec, err := authSpec(meta, req.Provider, req.AuthMode)
	if err != nil {
		return err
	}
	if err := checkCredentialNames(spec, req.Credentials); err != nil {
		return err
	}
	if err := checkRequired(spec, func(n string) bool { return req.Credentials[n] != "" }); err != nil {
		return err
	}
	sec := make(map[string]string, len(req.Credentials)+1)
	for k, v := range req.Credentials {
		if v != "" {
			sec[k] = v
		}
	}
	if sec[webhookSecretName], err = newWebhookSecret(); err != nil {
		return err
	}
	in, err := s.cfg.Store.CreateIntegration(r.Context(), tenantOf(r), store.NewIntegration{
		Provider: req.Provider, Name: name, InstanceURL: instanceURL,
		AuthMode: spec.Mode, Settings: settings, Secrets: sec,
	})
	if err != nil {
		return storeError(err, "integration")
	}
	w.Header().Set("Location", "/api/v1/integrations/"+in.ID)
	writeJSON(w, http.StatusCreated, viewIntegration(in))
	return nil
}

// newWebhookSecret makes the shared secret an RMM sends with its webhooks.
func newWebhookSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

type patchIntegrationRequest struct {
	Name        *string           `json:"name"`
	InstanceURL *string           `json:"instance_url"`
	AuthMode    *string           `json:"auth_mode"`
	Credentials map[string]string `json:"credentials"`
	Settings    json.RawMessage   `json:"settings"`
}

// patchIntegration changes what is given. Credentials are merged into the
// current auth mode's (an empty value deletes an optional one); a new auth
// mode replaces them all, except the webhook secret.
func (s *server) patchIntegration(w http.ResponseWriter, r *http.Request) error {
	var req patchIntegrationRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	cur, err := s.integration(r)
	if err != nil {
		return err
	}
	var p store.IntegrationPatch
	if req.Settings != nil {
		if p.Settings, err = cleanSettings(req.Settings); err != nil {
			return err
		}
	}
	if req.Name != nil {
		name, err := cleanName("name", *req.Name)
		if err != nil {
			return err
		}
		p.Name = &name
	}
	if req.InstanceURL != nil {
		u, err := normalizeInstanceURL(*req.InstanceURL)
		if err != nil {
			return err
		}
		p.InstanceURL = &u
	}
	if req.AuthMode != nil || req.Credentials != nil {
		if err := s.patchCredentials(r, cur, req, &p); err != nil {
			return err
		}
	}
	if p.Name == nil && p.InstanceURL == nil && p.AuthMode == nil && p.Settings == nil && p.Secrets == nil {
		writeJSON(w, http.StatusOK, viewIntegration(cur))
		return nil
	}
	in, err := s.cfg.Store.UpdateIntegration(r.Context(), tenantOf(r), cur.ID, p)
	if err != nil {
		return storeError(err, "integration")
	}
	writeJSON(w, http.StatusOK, viewIntegration(in))
	return nil
}

// patchCredentials validates the auth mode and credentials of a patch
// against the provider and fills p's secrets.
func (s *server) patchCredentials(r *http.Request, cur store.Integration, req patchIntegrationRequest, p *store.IntegrationPatch) error {
	mode := string(cur.AuthMode)
	if req.AuthMode != nil {
		if *req.AuthMode == "" {
			return missing("auth_mode")
		}
		mode = *req.AuthMode
	}
	meta, err := s.describeIntegrationProvider(r.Context(), cur.Provider)
	if err != nil {
		return err
	}
	spec, err := authSpec(meta, cur.Provider, mode)
	if err != nil {
		return err
	}
	if err := checkCredentialNames(spec, req.Credentials); err != nil {
		return err
	}
	if mode == string(cur.AuthMode) {
		stored := map[string]bool{}
		for _, si := range cur.Secrets {
			stored[si.Name] = true
		}
		present := func(n string) bool {
			if v, given := req.Credentials[n]; given {
				return v != ""
			}
			return stored[n]
		}
		if err := checkRequired(spec, present); err != nil {
			return err
		}
		if len(req.Credentials) > 0 {
			p.Secrets = req.Credentials
		}
		return nil
	}
	if err := checkRequired(spec, func(n string) bool { return req.Credentials[n] != "" }); err != nil {
		return err
	}
	sec := make(map[string]string, len(req.Credentials))
	for k, v := range req.Credentials {
		if v != "" {
			sec[k] = v
		}
	}
	// The store keeps the webhook secret through a replace: the RMM has it.
	p.AuthMode = &spec.Mode
	p.Secrets = sec
	p.ReplaceSecrets = true
	return nil
}

// disconnectIntegration clears the credentials and deactivates the
// integration; synced data, mappings and the webhook secret stay.
func (s *server) disconnectIntegration(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "integration")
	if err != nil {
		return err
	}
	in, err := s.cfg.Store.DisconnectIntegration(r.Context(), tenantOf(r), id)
	if err != nil {
		return storeError(err, "integration")
	}
	writeJSON(w, http.StatusOK, viewIntegration(in))
	return nil
}
