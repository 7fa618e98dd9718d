package tacticalrmm

import (
	"context"
	"fmt"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/internal/api"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// defaultSoftwareBatch is how many devices go in one software batch when
// the request sets none: each carries its whole inventory (hundreds of
// items), so the record-count default would make batches far too large.
const defaultSoftwareBatch = 25

// IngestSoftware streams each agent's cached software list from the bulk
// GET /software/, never the per-agent refresh (PUT /software/<agent_id>/,
// which asks the agent over NATS). The list names agents by pk, so the
// light /agents/?detail=false list maps pks to agent_ids first.
func (p *Provider) IngestSoftware(ctx context.Context, req rmm.SoftwareRequest, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
	s, err := p.open(req.Integration, 0, 0)
	if err != nil {
		return rmm.SyncSummary{}, err
	}
	var sum rmm.SyncSummary
	only := map[string]bool{}
	for _, id := range req.DeviceExternalIDs {
		only[id] = true
	}
	agentIDs := map[int64]string{}
	err = s.api.AgentRefs(ctx, func(r api.AgentRef) error {
		if len(only) == 0 || only[r.AgentID] {
			agentIDs[r.ID] = r.AgentID
		}
		return nil
	})
	if err != nil {
		return p.withSecrets(sum, s), fmt.Errorf("ingest software: list agents: %w", err)
	}
	if len(only) > 0 && len(agentIDs) == 0 {
		return p.withSecrets(sum, s), nil // none of the devices exist (any more)
	}
	max := req.MaxBatch
	if max <= 0 {
		max = defaultSoftwareBatch
	}
	b := rmm.NewBatcher(out, max)
	var skipped int64
	err = s.api.Software(ctx, func(it *api.Item) error {
		var row api.SoftwareList
		if err := it.Decode(&row); err != nil {
			skipped++
			p.log.Warn("skipped a software list Tactical sent", "error", err)
			return nil
		}
		agentID, ok := agentIDs[row.Agent]
		if !ok {
			if len(only) == 0 {
				// An agent added since the agent list was read, or one the
				// role may not see: it cannot be named.
				skipped++
				p.log.Debug("software list of an unknown agent", "agent_pk", row.Agent)
			}
			return nil
		}
		return b.Add(ctx, rmm.SoftwareBatch{DeviceExternalID: agentID, Items: softwareItems(row.Software)})
	})
	if err == nil {
		err = b.Flush(ctx, nil)
	}
	sum.Sent = b.Sent()
	sum.Skipped = skipped
	sum = p.withSecrets(sum, s)
	if err != nil {
		return sum, fmt.Errorf("ingest software: %w", err)
	}
	sum.Cursor = []byte("{}")
	return sum, nil
}

func softwareItems(in []api.SoftwareItem) []rmm.SoftwareItem {
	out := make([]rmm.SoftwareItem, 0, len(in))
	for _, it := range in {
		size, _ := parseSize(it.Size)
		out = append(out, rmm.SoftwareItem{
			Name:        it.Name,
			Version:     it.Version,
			Publisher:   it.Publisher,
			InstallDate: parseInstallDate(it.InstallDate),
			SizeBytes:   size,
			Location:    it.Location,
		})
	}
	return out
}
