package tacticalrmm

import (
	"crypto/sha256"
	"net/http"
	"time"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/internal/api"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// session is what one call needs: the API client for its integration and
// the paging settings in force.
type session struct {
	api         *api.Client
	pageSize    int
	parallelism int
}

// open builds the session for integ. Problems with the integration itself
// (URL, settings, missing secrets) are ErrInvalidConfig.
func (p *Provider) open(integ rmm.Integration, timeout time.Duration, attempts int) (*session, error) {
	set, err := parseSettings(integ.Settings)
	if err != nil {
		return nil, err
	}
	base, err := api.NormalizeBaseURL(integ.BaseURL)
	if err != nil {
		return nil, err
	}
	creds, err := credentials(integ)
	if err != nil {
		return nil, err
	}
	parallelism := p.parallelism
	if set.Parallelism > 0 {
		parallelism = set.Parallelism
	}
	key := cacheKey{id: integ.ID, revision: integ.Revision, caHash: sha256.Sum256([]byte(set.CACertPEM))}
	hc, err := p.clients.get(key, func() (*http.Client, error) {
		return api.NewHTTPClient(api.TransportOptions{CACertPEM: set.CACertPEM, MaxConnsPerHost: parallelism + 2})
	})
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = p.timeout
	}
	if attempts <= 0 || (p.attempts > 0 && p.attempts < attempts) {
		attempts = p.attempts
	}
	s := &session{
		api: api.New(api.Config{
			BaseURL:     base,
			HTTP:        hc,
			Credentials: creds,
			Logger:      p.log.With("integration", integ.ID),
			Timeout:     timeout,
			MaxAttempts: attempts,
			RetryBase:   p.retryBase,
		}),
		pageSize:    p.pageSize,
		parallelism: parallelism,
	}
	if set.PageSize > 0 {
		s.pageSize = clampPageSize(set.PageSize)
	}
	return s, nil
}

// credentials picks the secrets of the integration's auth mode.
func credentials(integ rmm.Integration) (api.Credentials, error) {
	switch integ.AuthMode {
	case rmm.AuthAPIKey, "":
		key := integ.Secret(SecretAPIKey)
		if key == "" {
			return api.Credentials{}, rmm.Errorf(rmm.ErrInvalidConfig, "the Tactical API key is missing")
		}
		return api.Credentials{APIKey: key}, nil
	case rmm.AuthPassword:
		c := api.Credentials{
			Username: integ.Secret(SecretUsername),
			Password: integ.Secret(SecretPassword),
			Token:    integ.Secret(SecretToken),
		}
		if c.Token == "" && (c.Username == "" || c.Password == "") {
			return api.Credentials{}, rmm.Errorf(rmm.ErrInvalidConfig, "the Tactical username or password is missing")
		}
		return c, nil
	}
	return api.Credentials{}, rmm.Errorf(rmm.ErrInvalidConfig, "Tactical does not support the auth mode %q: use %q or %q",
		integ.AuthMode, rmm.AuthAPIKey, rmm.AuthPassword)
}

// newSecrets returns the token obtained during the call for the host to
// store, or nil.
func (s *session) newSecrets() map[string]string {
	if tok := s.api.NewToken(); tok != "" {
		return map[string]string{SecretToken: tok}
	}
	return nil
}
