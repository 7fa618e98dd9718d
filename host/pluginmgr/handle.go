package pluginmgr

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// handle is the stable rmm.Provider for one provider name. Every call goes
// to the instance that is live at that moment, and passes through the
// host-side middleware: fail fast while down, mask secrets, log the call.
type handle struct {
	name string
	e    *entry
	log  hclog.Logger
}

var _ rmm.Provider = (*handle)(nil)

// live returns the provider of the running process, or an
// ErrPluginUnavailable error that says why there is none.
func (h *handle) live() (rmm.Provider, error) {
	inst, state, reason := h.e.current()
	switch {
	case inst == nil && reason != "":
		return nil, rmm.Errorf(rmm.ErrPluginUnavailable, "provider %q is %s: %s", h.name, state, reason)
	case inst == nil:
		return nil, rmm.Errorf(rmm.ErrPluginUnavailable, "provider %q is %s", h.name, state)
	case inst.client.Exited():
		// Exited before the supervisor noticed; do not wait on a dead socket.
		return nil, rmm.Errorf(rmm.ErrPluginUnavailable, "provider %q: its process exited", h.name)
	}
	return inst.provider, nil
}

// call runs one RPC on the live provider with the middleware around it.
// clean, when set, masks secrets in the result.
func call[R any](ctx context.Context, h *handle, rpc string, in rmm.Integration,
	do func(context.Context, rmm.Provider) (R, error), clean func(R) R) (R, error) {
	start := time.Now()
	var res R
	p, err := h.live()
	if err == nil {
		res, err = do(ctx, p)
	}
	err = newSanitizer(in.Secrets).error(err)
	if clean != nil {
		res = clean(res)
	}
	if h.log.IsDebug() {
		h.log.Debug("rpc", "rpc", rpc, "integration_id", in.ID, "duration", time.Since(start), "error_kind", errorKind(err))
	}
	return res, err
}

// errorKind names an error's class for logs; never its message, which may
// carry data from the RMM.
func errorKind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	}
	if k := rmm.Kind(err); k != nil {
		return strings.ReplaceAll(k.Error(), " ", "_")
	}
	return "internal"
}

func (h *handle) Describe(ctx context.Context) (rmm.Metadata, error) {
	return call(ctx, h, "Describe", rmm.Integration{},
		func(ctx context.Context, p rmm.Provider) (rmm.Metadata, error) { return p.Describe(ctx) }, nil)
}

func (h *handle) TestConnection(ctx context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
	return call(ctx, h, "TestConnection", req.Integration,
		func(ctx context.Context, p rmm.Provider) (rmm.TestConnectionResult, error) {
			return p.TestConnection(ctx, req)
		},
		func(r rmm.TestConnectionResult) rmm.TestConnectionResult {
			// A credential the call just obtained is masked too.
			s := newSanitizer(req.Integration.Secrets, r.NewSecrets)
			r.Message = s.text(r.Message)
			r.Warnings = s.texts(r.Warnings)
			r.Details = s.values(r.Details)
			return r
		})
}

func (h *handle) SyncOrgs(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
	return call(ctx, h, "SyncOrgs", req.Integration,
		func(ctx context.Context, p rmm.Provider) (rmm.SyncSummary, error) { return p.SyncOrgs(ctx, req, out) },
		cleanSummary(req.Integration))
}

func (h *handle) SyncDevices(ctx context.Context, req rmm.SyncRequest, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
	return call(ctx, h, "SyncDevices", req.Integration,
		func(ctx context.Context, p rmm.Provider) (rmm.SyncSummary, error) {
			return p.SyncDevices(ctx, req, out)
		},
		cleanSummary(req.Integration))
}

func (h *handle) SyncAgent(ctx context.Context, req rmm.SyncAgentRequest) (rmm.SyncAgentResult, error) {
	return call(ctx, h, "SyncAgent", req.Integration,
		func(ctx context.Context, p rmm.Provider) (rmm.SyncAgentResult, error) { return p.SyncAgent(ctx, req) }, nil)
}

func (h *handle) HandleWebhook(ctx context.Context, req rmm.WebhookRequest) (rmm.WebhookResult, error) {
	return call(ctx, h, "HandleWebhook", req.Integration,
		func(ctx context.Context, p rmm.Provider) (rmm.WebhookResult, error) { return p.HandleWebhook(ctx, req) },
		func(r rmm.WebhookResult) rmm.WebhookResult {
			r.Message = newSanitizer(req.Integration.Secrets).text(r.Message)
			return r
		})
}

func (h *handle) BackfillAlerts(ctx context.Context, req rmm.BackfillRequest, out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
	return call(ctx, h, "BackfillAlerts", req.Integration,
		func(ctx context.Context, p rmm.Provider) (rmm.SyncSummary, error) {
			return p.BackfillAlerts(ctx, req, out)
		},
		cleanSummary(req.Integration))
}

func (h *handle) IngestSoftware(ctx context.Context, req rmm.SoftwareRequest, out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
	return call(ctx, h, "IngestSoftware", req.Integration,
		func(ctx context.Context, p rmm.Provider) (rmm.SyncSummary, error) {
			return p.IngestSoftware(ctx, req, out)
		},
		cleanSummary(req.Integration))
}

// cleanSummary masks secrets, old and newly obtained, in a summary's
// warnings.
func cleanSummary(in rmm.Integration) func(rmm.SyncSummary) rmm.SyncSummary {
	return func(r rmm.SyncSummary) rmm.SyncSummary {
		r.Warnings = newSanitizer(in.Secrets, r.NewSecrets).texts(r.Warnings)
		return r
	}
}
