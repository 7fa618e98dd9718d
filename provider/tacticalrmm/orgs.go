package tacticalrmm

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/internal/api"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// SyncOrgs streams Tactical clients, each with its sites. Clients come
// from /beta/v1/client/ (a plain array, in name order) and sites from the
// paged /beta/v1/site/.
func (p *Provider) SyncOrgs(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
	s, err := p.open(req.Integration, 0, 0)
	if err != nil {
		return rmm.SyncSummary{}, err
	}
	var sum rmm.SyncSummary
	bySite := map[int64][]rmm.Site{}
	err = s.api.Sites(ctx, s.pageSize, func(_ context.Context, site api.Site) error {
		bySite[site.Client] = append(bySite[site.Client], rmm.Site{ExternalID: strconv.FormatInt(site.ID, 10), Name: site.Name})
		return nil
	})
	if err != nil {
		return p.withSecrets(sum, s), fmt.Errorf("sync orgs: list sites: %w", err)
	}
	// The client list is small and has no count, so it is read whole to
	// give the batches a total.
	var orgs []rmm.Org
	err = s.api.Orgs(ctx, func(_ context.Context, o api.Org) error {
		raw, err := withoutKeys(o.Raw)
		if err != nil {
			raw = nil
		}
		orgs = append(orgs, rmm.Org{
			ExternalID: strconv.FormatInt(o.ID, 10),
			Name:       o.Name,
			Sites:      bySite[o.ID],
			Raw:        json.RawMessage(raw),
		})
		return nil
	})
	if err != nil {
		return p.withSecrets(sum, s), fmt.Errorf("sync orgs: list clients: %w", err)
	}
	b := rmm.NewBatcher(out, req.MaxBatch)
	b.SetTotal(int64(len(orgs)))
	for _, o := range orgs {
		if err = b.Add(ctx, o); err != nil {
			break
		}
	}
	if err == nil {
		err = b.Flush(ctx, nil)
	}
	sum.Sent = b.Sent()
	sum = p.withSecrets(sum, s)
	if err != nil {
		return sum, fmt.Errorf("sync orgs: %w", err)
	}
	sum.Cursor = []byte("{}")
	return sum, nil
}
