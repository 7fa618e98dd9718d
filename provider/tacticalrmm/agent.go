package tacticalrmm

import (
	"context"
	"fmt"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/internal/api"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// SyncAgent refreshes one agent by its agent_id.
//
// The beta detail is keyed by the integer pk, and ?agent_id= on the beta
// list is a server error (API.md §4.2), so the pk is not at hand. Finding
// it costs either the light /agents/?detail=false list (about 100 bytes per
// agent, so megabytes on a large fleet) or a hostname the request does not
// carry. GET /agents/<agent_id>/ takes the agent_id directly and costs one
// request of a fixed size (~200 KB, most of it the time-zone list) whatever
// the fleet size; its site is an int, so one small beta site read gives the
// client. Two bounded requests: the cheapest correct path.
func (p *Provider) SyncAgent(ctx context.Context, req rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
	s, err := p.open(req.Integration, 0, 0)
	if err != nil {
		return rmm.SyncAgentResult{}, err
	}
	res, err := p.syncAgent(ctx, s, req.DeviceExternalID)
	res.NewSecrets = s.newSecrets()
	return res, err
}

func (p *Provider) syncAgent(ctx context.Context, s *session, agentID string) (rmm.SyncAgentResult, error) {
	var res rmm.SyncAgentResult
	raw, err := s.api.AgentDetail(ctx, agentID)
	if err != nil {
		return res, fmt.Errorf("sync agent: %w", err)
	}
	var a api.Agent
	if err := api.Unmarshal(raw, &a); err != nil {
		return res, rmm.Errorf(rmm.ErrUpstreamUnavailable, "sync agent: cannot translate the agent Tactical sent: undecodable agent: %v", err)
	}
	if a.AgentID != agentID {
		return res, rmm.Errorf(rmm.ErrUpstreamUnavailable, "sync agent: asked for agent %q, Tactical answered with %q", agentID, a.AgentID)
	}
	sites := newSites()
	if a.Site != nil {
		if err := sites.learn(ctx, s, *a.Site); err != nil {
			return res, fmt.Errorf("sync agent: %w", err)
		}
	}
	d, err := translateAgent(a, p.now(), sites, "")
	if err != nil {
		return res, rmm.Errorf(rmm.ErrUpstreamUnavailable, "sync agent: %v", err)
	}
	// Raw keeps the detail without its bulk: services and the non-beta
	// detail's copies of global data (every time zone, policies, the
	// alert template).
	if d.Raw, err = withoutKeys(raw, "services", "all_timezones", "winupdatepolicy",
		"effective_patch_policy", "applied_policies", "alert_template"); err != nil {
		return res, rmm.Errorf(rmm.ErrUpstreamUnavailable, "sync agent: undecodable agent: %v", err)
	}
	res.Device = d
	return res, nil
}
