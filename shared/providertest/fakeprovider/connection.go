package fakeprovider

import (
	"context"
	"errors"
	"fmt"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// TestConnection implements rmm.Provider. Configuration, credential and
// upstream problems are results with OK=false; only a done ctx is an error.
func (p *Provider) TestConnection(ctx context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
	if err := p.require(rmm.CapTestConnection, "TestConnection"); err != nil {
		return rmm.TestConnectionResult{}, err
	}
	s, err := p.open(req.Integration)
	if err != nil {
		return failed("invalid_config", err.Error()), nil
	}
	err = s.request(ctx)
	switch {
	case err == nil:
		_, devs, _ := s.fleet.snapshot(0)
		p.cfg.Logger.Debug("connection tested", "integration_id", req.Integration.ID, "fleet", s.name)
		return rmm.TestConnectionResult{
			OK:            true,
			Message:       fmt.Sprintf("Connected to fleet %q with %d devices.", s.name, len(devs)),
			ServerVersion: "fake-" + p.cfg.Version,
		}, nil
	case ctx.Err() != nil:
		return rmm.TestConnectionResult{}, fmt.Errorf("test connection: %w", err)
	case errors.Is(err, rmm.ErrUnauthorized):
		return failed("unauthorized", "The API key was rejected: check the api_key secret."), nil
	case errors.Is(err, rmm.ErrRateLimited):
		return failed("rate_limited", "The RMM is rate limiting requests: try again in a minute."), nil
	case errors.Is(err, rmm.ErrUpstreamUnavailable):
		return failed("upstream_unavailable", "The RMM cannot be reached: check the base URL. ("+err.Error()+")"), nil
	}
	return rmm.TestConnectionResult{}, fmt.Errorf("test connection: %w", err)
}

func failed(reason, msg string) rmm.TestConnectionResult {
	return rmm.TestConnectionResult{OK: false, Reason: reason, Message: msg}
}
