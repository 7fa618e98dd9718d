package api

import (
	"context"
	"net/http"
	"unicode/utf8"

	"github.com/msp-psa/psa-host/shared/rmm"
)

const maxOneTimeCodeLen = 64

type testConnectionRequest struct {
	// TwoFactor is a one-time code (TOTP) for this attempt only.
	TwoFactor string `json:"twofactor"`
}

// testConnectionResponse is the outcome of a connection test. A test that
// reached the provider answers 200 even when ok is false: bad credentials
// are a result, not an error.
type testConnectionResponse struct {
	OK            bool              `json:"ok"`
	Message       string            `json:"message"`
	Reason        string            `json:"reason"`
	TOTPRequired  bool              `json:"totp_required"`
	ServerVersion string            `json:"server_version"`
	Warnings      []string          `json:"warnings"`
	Details       map[string]string `json:"details"`
}

func (s *server) testConnection(w http.ResponseWriter, r *http.Request) error {
	var req testConnectionRequest
	if err := s.decodeOptionalJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.TwoFactor) > maxOneTimeCodeLen || !utf8.ValidString(req.TwoFactor) {
		return invalid("twofactor", "twofactor must be a one-time code of at most %d characters", maxOneTimeCodeLen)
	}
	in, err := s.integration(r)
	if err != nil {
		return err
	}
	if err := s.requireCapability(r.Context(), in.Provider, rmm.CapTestConnection, ""); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.CallTimeout)
	defer cancel()
	res, err := s.cfg.Syncer.TestConnection(ctx, tenantOf(r), in.ID, req.TwoFactor)
	if err != nil {
		return pluginError(err, "integration")
	}
	// NewSecrets never leave the host: the syncer stores them.
	writeJSON(w, http.StatusOK, testConnectionResponse{
		OK: res.OK, Message: res.Message, Reason: res.Reason, TOTPRequired: res.OneTimeCodeRequired,
		ServerVersion: res.ServerVersion, Warnings: nonNil(res.Warnings), Details: nonNilMap(res.Details),
	})
	return nil
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
