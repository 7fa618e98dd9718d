package fakeprovider

import (
	"context"
	"fmt"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// SyncAgent implements rmm.Provider.
func (p *Provider) SyncAgent(ctx context.Context, req rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
	if err := p.require(rmm.CapSyncAgent, "SyncAgent"); err != nil {
		return rmm.SyncAgentResult{}, err
	}
	s, err := p.open(req.Integration)
	if err != nil {
		return rmm.SyncAgentResult{}, err
	}
	if err := s.request(ctx); err != nil {
		return rmm.SyncAgentResult{}, fmt.Errorf("sync agent: %w", err)
	}
	d, ok := s.fleet.device(req.DeviceExternalID)
	if !ok {
		return rmm.SyncAgentResult{}, rmm.Errorf(rmm.ErrNotFound, "device %q does not exist", req.DeviceExternalID)
	}
	return rmm.SyncAgentResult{Device: d}, nil
}
