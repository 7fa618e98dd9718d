package tacticalrmm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// walk reads one agent list. keep, when not nil, drops the devices of
	// organisations the request did not name.
	walk := func(query url.Values, orgHint string, keep map[string]bool) error {
		spec := api.WalkSpec{Path: "/beta/v1/agent/", Query: query, PageSize: s.pageSize,
			Parallelism: s.parallelism, Listing: "agents", OrderedByID: true}
		decode := func(it *api.Item) (api.Decoded[listedAgent], error) {
			var a api.Agent
			err := it.Decode(&a)
			if err == nil && a.Site != nil && orgHint == "" {
				// A site created after the index was read: learn it.
				if _, known := sites.get(*a.Site); !known {
					if err := sites.learn(ctx, s, *a.Site); err != nil {
						return api.Decoded[listedAgent]{}, err
					}
				}
			}
			var d rmm.Device
			if err == nil {
				d, err = translateAgent(a, start, sites, orgHint)
			}
			if err != nil {
				p.log.Warn("skipped an agent Tactical sent", "agent_pk", a.ID, "error", err)
				return api.Decoded[listedAgent]{ID: a.ID, Skip: true}, nil
			}
			other := keep != nil && !keep[d.OrgExternalID]
			return api.Decoded[listedAgent]{ID: a.ID, Value: listedAgent{device: d, otherOrg: other}}, nil
		}
		onCount := func(n int64) { b.SetTotal(total.Add(n)) }
		// Counting happens here, not in decode: a page read again after
		// it broke off is decoded twice but emitted once.
		emit := func(ctx context.Context, d api.Decoded[listedAgent]) error {
			switch {
			case d.Skip:
				skipped.Add(1)
				return nil
			case d.Value.otherOrg:
				b.SetTotal(total.Add(-1))
				return nil
			}
			return b.Add(ctx, d.Value.device)
		}
		_, err := api.Walk(ctx, s.api, spec, decode, onCount, emit)
		return err
	}
	switch {
	case len(orgs) == 0:
		err = walk(base, "", nil)
	case wholeListIsCheaper(orgs, sites.clients()):
		// One walk of the whole list, with its pages read in parallel,
		// beats one short walk per organisation.
		keep := map[string]bool{}
		for _, org := range orgs {
			keep[strconv.FormatInt(org, 10)] = true
		}
		err = walk(base, "", keep)
	default:
		for _, org := range orgs {
			q := cloneValues(base)
			q.Set("client_id", strconv.FormatInt(org, 10))
			if err = walk(q, strconv.FormatInt(org, 10), nil); err != nil {
				break
			}
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

// listedAgent is an agent of the list, translated.
type listedAgent struct {
	device   rmm.Device
	otherOrg bool // of an organisation the request did not name
}

// wholeListIsCheaper says whether to read the whole agent list once rather
// than once per requested organisation: when the request names at least
// half of the organisations that have sites. A whole list is read with
// its pages in parallel, while organisations of a few hundred agents are
// one page each, read one after another.
func wholeListIsCheaper(orgs []int64, clients int) bool {
	return clients > 0 && 2*len(orgs) >= clients
}

// sites is the site index of one sync. Pages are decoded concurrently, and
// a site created after the index was read is learnt on first sight.
type sites struct {
	mu sync.RWMutex
	m  map[int64]siteRef
	// tried holds the pks looked up one by one, found or not, so that each
	// costs at most one request per sync.
	tried map[int64]bool
}

func (x *sites) get(pk int64) (siteRef, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	s, ok := x.m[pk]
	return s, ok
}

// clients counts the organisations that have sites.
func (x *sites) clients() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	seen := map[int64]bool{}
	for _, s := range x.m {
		seen[s.clientID] = true
	}
	return len(seen)
}

// learn reads site pk from Tactical into the index. A site that does not
// exist (deleted meanwhile) is remembered as tried and left unknown.
func (x *sites) learn(ctx context.Context, s *session, pk int64) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.tried[pk] {
		return nil
	}
	x.tried[pk] = true
	site, err := s.api.Site(ctx, pk)
	if errors.Is(err, rmm.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read site %d of an agent: %w", pk, err)
	}
	x.m[site.ID] = siteRef{name: site.Name, clientID: site.Client}
	return nil
}

// siteIndex reads every site, for the site → client mapping the agent list
// lacks (it carries only the site pk, API.md §4.4).
func newSites() *sites { return &sites{m: map[int64]siteRef{}, tried: map[int64]bool{}} }

func (p *Provider) siteIndex(ctx context.Context, s *session) (*sites, error) {
	idx := newSites()
	err := s.api.Sites(ctx, s.pageSize, func(_ context.Context, site api.Site) error {
		idx.m[site.ID] = siteRef{name: site.Name, clientID: site.Client}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	return idx, nil
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
