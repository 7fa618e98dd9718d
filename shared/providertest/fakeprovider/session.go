package fakeprovider

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// The fleet names that stand for a broken upstream.
const (
	upstreamUnreachable = "unreachable"
	upstreamHang        = "hang"
	upstreamFailing     = "failing"
	upstreamRateLimited = "ratelimited"
)

var validFleetName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// session is what a real provider would cache per integration revision: a
// client bound to one upstream and one set of credentials.
type session struct {
	name   string
	fleet  *fleet // nil for the broken-upstream names
	apiKey string
	cfg    *Config
}

type sessionKey struct {
	id  string
	rev int64
}

// open returns the session for in, from the cache when the integration's
// revision was seen before. A new revision replaces the old one.
func (p *Provider) open(in rmm.Integration) (*session, error) {
	key := sessionKey{in.ID, in.Revision}
	if in.ID != "" {
		p.mu.Lock()
		s, ok := p.sessions[key]
		p.mu.Unlock()
		if ok {
			return s, nil
		}
	}
	s, err := p.newSession(in)
	if err != nil {
		return nil, err
	}
	if in.ID != "" {
		p.mu.Lock()
		for k := range p.sessions {
			if k.id == in.ID && k.rev != in.Revision {
				delete(p.sessions, k)
			}
		}
		p.sessions[key] = s
		p.mu.Unlock()
	}
	return s, nil
}

func (p *Provider) newSession(in rmm.Integration) (*session, error) {
	rest, ok := strings.CutPrefix(in.BaseURL, "fake://")
	name := strings.TrimSuffix(rest, "/")
	if !ok || !validFleetName.MatchString(name) {
		return nil, rmm.Errorf(rmm.ErrInvalidConfig, "base URL %q is not fake://<fleet name>", in.BaseURL)
	}
	spec, err := p.fleetSpec(in.Settings)
	if err != nil {
		return nil, err
	}
	s := &session{name: name, apiKey: in.Secret("api_key"), cfg: &p.cfg}
	switch name {
	case upstreamUnreachable, upstreamHang, upstreamFailing, upstreamRateLimited:
	default:
		s.fleet = p.cfg.Backend.fleet(name, spec)
	}
	return s, nil
}

// fleetSpec reads the fleet shape from an integration's settings.
func (p *Provider) fleetSpec(settings json.RawMessage) (FleetSpec, error) {
	var spec FleetSpec
	if len(bytes.TrimSpace(settings)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(settings))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			return FleetSpec{}, rmm.Errorf(rmm.ErrInvalidConfig, "settings: %w", err)
		}
	}
	spec.Orgs = orDefault(spec.Orgs, p.cfg.Orgs)
	spec.DevicesPerOrg = orDefault(spec.DevicesPerOrg, p.cfg.DevicesPerOrg)
	spec.AlertsPerDevice = orDefault(spec.AlertsPerDevice, p.cfg.AlertsPerDevice)
	spec.SoftwarePerDevice = orDefault(spec.SoftwarePerDevice, p.cfg.SoftwarePerDevice)
	return spec, nil
}

// request simulates one authenticated upstream request: latency, the
// broken-upstream behaviours, then the API key check.
func (s *session) request(ctx context.Context) error {
	if err := wait(ctx, s.cfg.Latency); err != nil {
		return err
	}
	switch s.name {
	case upstreamUnreachable:
		return rmm.Errorf(rmm.ErrUpstreamUnavailable, "cannot reach fake://%s: connection refused", s.name)
	case upstreamHang:
		<-ctx.Done()
		return fmt.Errorf("waiting for fake://%s: %w", s.name, ctx.Err())
	case upstreamFailing:
		return rmm.Errorf(rmm.ErrUpstreamUnavailable, "fake://%s answered 503 Service Unavailable", s.name)
	case upstreamRateLimited:
		return rmm.RateLimited(2*time.Second, "fake://"+s.name+" answered 429 Too Many Requests")
	}
	if s.apiKey == "" {
		return rmm.Errorf(rmm.ErrUnauthorized, "no api_key secret is set")
	}
	if subtle.ConstantTimeCompare([]byte(s.apiKey), []byte(s.cfg.APIKey)) != 1 {
		return rmm.Errorf(rmm.ErrUnauthorized, "the API key was rejected (401)")
	}
	return nil
}

// wait sleeps for d, or until ctx is done.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
