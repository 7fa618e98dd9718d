package fakeprovider

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// SyncOrgs implements rmm.Provider.
func (p *Provider) SyncOrgs(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
	if err := p.require(rmm.CapSyncOrgs, "SyncOrgs"); err != nil {
		return rmm.SyncSummary{}, err
	}
	s, err := p.open(req.Integration)
	if err != nil {
		return rmm.SyncSummary{}, err
	}
	if err := s.request(ctx); err != nil {
		return rmm.SyncSummary{}, fmt.Errorf("sync orgs: %w", err)
	}
	orgs, _, version := s.fleet.snapshot(0)
	sum, err := stream(ctx, s, out, orgs, req.MaxBatch, encodeCursor(version))
	if err != nil {
		return sum, fmt.Errorf("sync orgs: %w", err)
	}
	p.cfg.Logger.Debug("orgs synced", "integration_id", req.Integration.ID, "sent", sum.Sent)
	return sum, nil
}

// SyncDevices implements rmm.Provider. An incremental sync with a cursor
// returns only the devices changed since the cursor was issued.
func (p *Provider) SyncDevices(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
	if err := p.require(rmm.CapSyncDevices, "SyncDevices"); err != nil {
		return rmm.SyncSummary{}, err
	}
	var since uint64
	if req.Mode == rmm.SyncIncremental {
		if err := p.require(rmm.CapIncrementalDevices, "incremental SyncDevices"); err != nil {
			return rmm.SyncSummary{}, err
		}
		v, err := decodeCursor(req.Cursor)
		if err != nil {
			return rmm.SyncSummary{}, err
		}
		since = v
	}
	s, err := p.open(req.Integration)
	if err != nil {
		return rmm.SyncSummary{}, err
	}
	if err := s.request(ctx); err != nil {
		return rmm.SyncSummary{}, fmt.Errorf("sync devices: %w", err)
	}
	_, devs, version := s.fleet.snapshot(since)
	if len(req.OrgExternalIDs) > 0 {
		devs = slices.DeleteFunc(devs, func(d rmm.Device) bool {
			return !slices.Contains(req.OrgExternalIDs, d.OrgExternalID)
		})
	}
	sum, err := stream(ctx, s, out, devs, req.MaxBatch, encodeCursor(version))
	if err != nil {
		return sum, fmt.Errorf("sync devices: %w", err)
	}
	p.cfg.Logger.Debug("devices synced", "integration_id", req.Integration.ID, "mode", req.Mode, "sent", sum.Sent)
	return sum, nil
}

// stream sends items in batches of at most maxBatch, as pages fetched one
// by one from the upstream, and closes with a summary carrying cursor.
func stream[T any](ctx context.Context, s *session, out rmm.Sink[T], items []T, maxBatch int, cursor []byte) (rmm.SyncSummary, error) {
	b := rmm.NewBatcher(out, maxBatch)
	b.SetTotal(int64(len(items)))
	page := maxBatch
	if page <= 0 {
		page = rmm.DefaultMaxBatch
	}
	for i, item := range items {
		if i > 0 && i%page == 0 {
			if err := s.request(ctx); err != nil {
				return rmm.SyncSummary{Sent: b.Sent()}, err
			}
		}
		if err := b.Add(ctx, item); err != nil {
			return rmm.SyncSummary{Sent: b.Sent()}, err
		}
	}
	if err := b.Flush(ctx, nil); err != nil {
		return rmm.SyncSummary{Sent: b.Sent()}, err
	}
	return rmm.SyncSummary{Sent: b.Sent(), Cursor: cursor}, nil
}

// Cursors are the fleet version, prefixed to catch foreign cursors.
const cursorPrefix = "fakev1:"

func encodeCursor(version uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(cursorPrefix), version)
}

func decodeCursor(c []byte) (uint64, error) {
	if len(c) == 0 {
		return 0, nil
	}
	if len(c) != len(cursorPrefix)+8 || string(c[:len(cursorPrefix)]) != cursorPrefix {
		return 0, rmm.Errorf(rmm.ErrInvalidInput, "cursor was not issued by this provider")
	}
	return binary.BigEndian.Uint64(c[len(cursorPrefix):]), nil
}
