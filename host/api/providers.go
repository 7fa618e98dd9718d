package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/msp-psa/psa-host/host/pluginmgr"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// providerView is one plugin as a settings UI needs it: what it is, whether
// it runs, and how to authenticate to its RMM.
type providerView struct {
	Name            string           `json:"name"`
	DisplayName     string           `json:"display_name"`
	Version         string           `json:"version"`
	ProtocolVersion int              `json:"protocol_version"`
	Editions        []rmm.Edition    `json:"editions"`
	Capabilities    []rmm.Capability `json:"capabilities"`
	State           pluginmgr.State  `json:"state"`
	Reason          string           `json:"reason,omitempty"`
	AuthModes       []authModeView   `json:"auth_modes"`
	Webhooks        bool             `json:"webhooks"`
}

type authModeView struct {
	Mode            rmm.AuthMode `json:"mode"`
	RequiredSecrets []string     `json:"required_secrets"`
	OptionalSecrets []string     `json:"optional_secrets"`
}

// listProviders shows every plugin found. Running ones are described live
// (in parallel, each bounded) for their auth modes; the others keep what
// the plugin manager last knew.
func (s *server) listProviders(w http.ResponseWriter, r *http.Request) error {
	infos := s.cfg.Providers.List()
	views := make([]providerView, len(infos))
	var wg sync.WaitGroup
	for i, info := range infos {
		views[i] = providerView{
			Name: info.Name, DisplayName: info.DisplayName, Version: info.Version,
			ProtocolVersion: info.ProtocolVersion, Editions: nonNil(info.Editions),
			Capabilities: nonNil(info.Capabilities), State: info.State, Reason: info.Reason,
			AuthModes: []authModeView{},
		}
		if info.State != pluginmgr.StateRunning || info.Name == "" {
			continue
		}
		wg.Go(func() {
			meta, err := s.describe(r.Context(), info.Name)
			if err != nil {
				s.log.Warn("describe failed", "provider", info.Name, "error_kind", kindName(err))
				return
			}
			views[i].AuthModes = authModes(meta.AuthModes)
			views[i].Webhooks = meta.Webhook != nil
			views[i].Capabilities = nonNil(meta.Capabilities)
		})
	}
	wg.Wait()
	writeJSON(w, http.StatusOK, listPage[providerView]{Items: views})
	return nil
}

func authModes(specs []rmm.AuthModeSpec) []authModeView {
	out := make([]authModeView, 0, len(specs))
	for _, m := range specs {
		out = append(out, authModeView{Mode: m.Mode, RequiredSecrets: nonNil(m.RequiredSecrets), OptionalSecrets: nonNil(m.OptionalSecrets)})
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// describe asks a provider for its metadata, bounded by DescribeTimeout.
// An unknown name is rmm.ErrNotFound.
func (s *server) describe(ctx context.Context, name string) (rmm.Metadata, error) {
	p, err := s.cfg.Providers.Provider(name)
	if err != nil {
		return rmm.Metadata{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.DescribeTimeout)
	defer cancel()
	return p.Describe(ctx)
}

// describeIntegrationProvider describes the provider of an existing
// integration; a provider that is no longer loaded is unavailable (503),
// not an unknown resource.
func (s *server) describeIntegrationProvider(ctx context.Context, provider string) (rmm.Metadata, error) {
	meta, err := s.describe(ctx, provider)
	switch {
	case errors.Is(err, rmm.ErrNotFound):
		return rmm.Metadata{}, &apiError{Status: http.StatusServiceUnavailable, Code: codePluginDown,
			Msg: "provider " + strconv.Quote(provider) + " is not loaded on this host", cause: err}
	case err != nil:
		return rmm.Metadata{}, pluginError(err, "provider")
	}
	return meta, nil
}

// requireCapability refuses with 422 when the integration's provider lacks
// c; field names the request field that asked for it.
func (s *server) requireCapability(ctx context.Context, provider string, c rmm.Capability, field string) error {
	meta, err := s.describeIntegrationProvider(ctx, provider)
	if err != nil {
		return err
	}
	if !meta.Supports(c) {
		return unsupported(provider, c, field)
	}
	return nil
}

// kindName names an error's class for logs, never its message.
func kindName(err error) string {
	if k := rmm.Kind(err); k != nil {
		return k.Error()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "other"
}
