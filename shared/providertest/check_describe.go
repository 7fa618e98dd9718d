package providertest

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

var (
	machineName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	semver      = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
)

// knownCapabilities are the capabilities this version of the contract
// defines.
func knownCapabilities() []rmm.Capability {
	return []rmm.Capability{
		rmm.CapTestConnection, rmm.CapSyncOrgs, rmm.CapSyncDevices, rmm.CapIncrementalDevices,
		rmm.CapSyncAgent, rmm.CapWebhooks, rmm.CapBackfillAlerts, rmm.CapSoftware,
	}
}

// checkDescribe: the metadata is complete and valid.
func checkDescribe(t testing.TB, l *leg) {
	md := l.md
	if !machineName.MatchString(md.Name) {
		t.Errorf("Name %q is not a machine name (lower case letters, digits, - and _)", md.Name)
	}
	if md.DisplayName == "" {
		t.Error("DisplayName is empty")
	}
	if !semver.MatchString(md.Version) {
		t.Errorf("Version %q is not a semantic version", md.Version)
	}
	if md.ProtocolVersion < 1 || md.ProtocolVersion > rmm.ProtocolVersion {
		t.Errorf("ProtocolVersion is %d, want 1..%d", md.ProtocolVersion, rmm.ProtocolVersion)
	}
	if len(md.Editions) == 0 {
		t.Error("Editions is empty: the host would enable the provider nowhere")
	}
	for _, e := range md.Editions {
		if _, err := rmm.ParseEdition(string(e)); err != nil {
			t.Errorf("Editions: %v", err)
		}
	}
	if len(md.Capabilities) == 0 {
		t.Error("Capabilities is empty")
	}
	for i, c := range md.Capabilities {
		if !slices.Contains(knownCapabilities(), c) {
			t.Errorf("Capabilities: %q is not a capability of the contract", c)
		}
		if slices.Contains(md.Capabilities[:i], c) {
			t.Errorf("Capabilities: %q is listed twice", c)
		}
	}
	if md.Supports(rmm.CapIncrementalDevices) && !md.Supports(rmm.CapSyncDevices) {
		t.Errorf("declares %q without %q", rmm.CapIncrementalDevices, rmm.CapSyncDevices)
	}
	if md.Supports(rmm.CapWebhooks) && md.Webhook == nil {
		t.Errorf("declares %q but has no Webhook spec telling the user how to set deliveries up", rmm.CapWebhooks)
	}
	for _, m := range md.AuthModes {
		if m.Mode == "" {
			t.Error("AuthModes holds an entry without a Mode")
		}
	}
}

// checkCapabilities: every call whose capability is not declared fails
// with ErrUnsupported, and no declared one does.
func checkCapabilities(t testing.TB, l *leg) {
	u := l.upstream(t)
	in := u.Valid
	probes := map[rmm.Capability]func(ctx context.Context) error{
		rmm.CapTestConnection: func(ctx context.Context) error {
			_, err := l.p.TestConnection(ctx, rmm.TestConnectionRequest{Integration: in})
			return err
		},
		rmm.CapSyncAgent: func(ctx context.Context) error {
			_, err := l.p.SyncAgent(ctx, rmm.SyncAgentRequest{Integration: in, DeviceExternalID: u.KnownDeviceID})
			return err
		},
		rmm.CapWebhooks: func(ctx context.Context) error {
			req := u.BadWebhook
			if len(u.Webhooks) > 0 {
				req = u.Webhooks[0].Request
			}
			_, err := l.p.HandleWebhook(ctx, req)
			return err
		},
		rmm.CapIncrementalDevices: func(ctx context.Context) error {
			_, err := l.p.SyncDevices(ctx, rmm.SyncRequest{Integration: in, Mode: rmm.SyncIncremental}, discard[rmm.Device]())
			return err
		},
	}
	for _, b := range bulkCalls() {
		probes[b.cap] = func(ctx context.Context) error {
			_, _, err := b.run(ctx, l.p, u, in, 0, nil)
			return err
		}
	}
	for _, c := range knownCapabilities() {
		subtest(t, string(c), func(t testing.TB) {
			_, err := call(t, l, string(c), l.h.callTimeout(), func(ctx context.Context) (struct{}, error) {
				return struct{}{}, probes[c](ctx)
			})
			unsupported := errors.Is(err, rmm.ErrUnsupported)
			switch {
			case l.supports(c) && unsupported:
				t.Errorf("%q is declared, but the call fails with %s", c, describeErr(err))
			case !l.supports(c) && c == rmm.CapIncrementalDevices:
				// An undeclared incremental mode may fall back to a full sync.
				if err != nil && !unsupported {
					t.Errorf("%q is not declared: an incremental sync must fail with ErrUnsupported or sync in full, got %s", c, describeErr(err))
				}
			case !l.supports(c) && !unsupported:
				t.Errorf("%q is not declared, so the call must fail with ErrUnsupported, got %s", c, describeErr(err))
			}
		})
	}
}

// discard is a Sink that drops everything.
func discard[T any]() rmm.Sink[T] {
	return rmm.SinkFunc[T](func(context.Context, rmm.Batch[T]) error { return nil })
}
