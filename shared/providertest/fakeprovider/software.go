package fakeprovider

import (
	"context"
	"fmt"
	"slices"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// IngestSoftware implements rmm.Provider: one SoftwareBatch per device,
// MaxBatch devices per batch.
func (p *Provider) IngestSoftware(ctx context.Context, req rmm.SoftwareRequest, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
	if err := p.require(rmm.CapSoftware, "IngestSoftware"); err != nil {
		return rmm.SyncSummary{}, err
	}
	s, err := p.open(req.Integration)
	if err != nil {
		return rmm.SyncSummary{}, err
	}
	if err := s.request(ctx); err != nil {
		return rmm.SyncSummary{}, fmt.Errorf("ingest software: %w", err)
	}
	_, devs, _ := s.fleet.snapshot(0)
	inv := make([]rmm.SoftwareBatch, 0, len(devs))
	for _, d := range devs {
		if len(req.DeviceExternalIDs) > 0 && !slices.Contains(req.DeviceExternalIDs, d.ExternalID) {
			continue
		}
		inv = append(inv, rmm.SoftwareBatch{DeviceExternalID: d.ExternalID, Items: s.fleet.software(d.ExternalID)})
	}
	sum, err := stream(ctx, s, out, inv, req.MaxBatch, nil)
	if err != nil {
		return sum, fmt.Errorf("ingest software: %w", err)
	}
	p.cfg.Logger.Debug("software ingested", "integration_id", req.Integration.ID, "devices", sum.Sent)
	return sum, nil
}
