package tacticalrmm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/internal/api"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// deviceCursor is the SyncDevices cursor. It is a time, not a position:
// Tactical has no change feed, only last_seen_range_after (API.md §8).
type deviceCursor struct {
	LastSeenAfter time.Time `json:"last_seen_after"`
}

// SyncDevices streams agents, limited to req.OrgExternalIDs when set. An
// incremental sync with a cursor lists only agents seen since the cursor.
func (p *Provider) SyncDevices(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
	s, err := p.open(req.Integration, 0, 0)
	if err != nil {
		return rmm.SyncSummary{}, err
	}
	start := p.now().UTC()
	var sum rmm.SyncSummary
	orgs, err := parseOrgIDs(req.OrgExternalIDs)
	if err != nil {
		return sum, err
	}
	base := url.Values{"ordering": {"id"}}
	if req.Mode == rmm.SyncIncremental && len(req.Cursor) > 0 {
		var c deviceCursor
		if err := json.Unmarshal(req.Cursor, &c); err != nil || c.LastSeenAfter.IsZero() {
			sum.Warnings = append(sum.Warnings, "the device cursor was not readable, so all devices were listed")
		} else {
			base.Set("last_seen_range_after", c.LastSeenAfter.UTC().Format(time.RFC3339))
		}
	}

	sites, err := p.siteIndex(ctx, s)
	if err != nil {
		return p.withSecrets(sum, s), err
	}
	b := rmm.NewBatcher(out, req.MaxBatch)
	var total, skipped atomic.Int64
	walk := func(query url.Values, orgHint string) error {
		spec := api.WalkSpec{Path: "/beta/v1/agent/", Query: query, PageSize: s.pageSize,
			Parallelism: s.parallelism, Listing: "agents", OrderedByID: true}
		decode := func(raw json.RawMessage) (api.Decoded[rmm.Device], error) {
			d, a, err := mapAgent(raw, start, sites, orgHint)
			if err != nil {
				p.log.Warn("skipped an agent Tactical sent", "agent_pk", a.ID, "error", err)
				return api.Decoded[rmm.Device]{ID: a.ID, Skip: true}, nil
			}
			return api.Decoded[rmm.Device]{ID: a.ID, Value: d}, nil
		}
		onCount := func(n int64) { b.SetTotal(total.Add(n)) }
		emit := func(ctx context.Context, d api.Decoded[rmm.Device]) error {
			if d.Skip {
				skipped.Add(1)
				return nil
			}
			return b.Add(ctx, d.Value)
		}
		_, err := api.Walk(ctx, s.api, spec, decode, onCount, emit)
		return err
	}
	if len(orgs) == 0 {
		err = walk(base, "")
	}
	for _, org := range orgs {
		q := cloneValues(base)
		q.Set("client_id", strconv.FormatInt(org, 10))
		if err = walk(q, strconv.FormatInt(org, 10)); err != nil {
			break
		}
	}
	if err == nil {
		err = b.Flush(ctx, nil)
	}
	sum.Sent = b.Sent()
	sum.Skipped = skipped.Load()
	if sum.Skipped > 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d agents could not be translated and were skipped; see the plugin log", sum.Skipped))
	}
	sum = p.withSecrets(sum, s)
	if err != nil {
		return sum, fmt.Errorf("sync devices: %w", err)
	}
	// The next incremental sync starts a margin before this one, so that
	// clock skew and agents checking in while it ran are not missed.
	sum.Cursor, _ = json.Marshal(deviceCursor{LastSeenAfter: start.Add(-p.cursorMargin).Truncate(time.Second)})
	return sum, nil
}

func (p *Provider) withSecrets(sum rmm.SyncSummary, s *session) rmm.SyncSummary {
	sum.NewSecrets = s.newSecrets()
	return sum
}

// siteIndex reads every site, for the site → client mapping the agent list
// lacks (it carries only the site pk, API.md §4.4).
func (p *Provider) siteIndex(ctx context.Context, s *session) (map[int64]siteRef, error) {
	sites := map[int64]siteRef{}
	err := s.api.Sites(ctx, s.pageSize, func(_ context.Context, site api.Site) error {
		sites[site.ID] = siteRef{name: site.Name, clientID: site.Client}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	return sites, nil
}

// parseOrgIDs reads organisation external ids (Tactical client pks),
// sorted and without repeats, so the output order is stable.
func parseOrgIDs(ids []string) ([]int64, error) {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
		if err != nil || n <= 0 {
			return nil, rmm.Errorf(rmm.ErrInvalidInput, "%q is not a Tactical client id", id)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
