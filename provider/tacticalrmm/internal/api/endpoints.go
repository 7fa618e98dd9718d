package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// MinAgentIDLen is the shortest agent id Tactical routes: its path
// converter is [^/]{20}[^/]+, and a shorter id gets an HTML 404 (API.md
// §1.2).
const MinAgentIDLen = 21

// Home probes GET / ({"status": "ok"}, no auth, API.md §1.1).
func (c *Client) Home(ctx context.Context) error {
	cl := call{method: http.MethodGet, path: "/", anonymous: true, idempotent: true}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	var v map[string]any
	return c.readJSON(ctx, cl, resp, &v)
}

// DashInfo reads GET /core/dashinfo/, which carries the release version.
func (c *Client) DashInfo(ctx context.Context) (DashInfo, error) {
	cl := call{method: http.MethodGet, path: "/core/dashinfo/", idempotent: true}
	var out DashInfo
	resp, err := c.do(ctx, cl)
	if err != nil {
		return out, err
	}
	return out, c.readJSON(ctx, cl, resp, &out)
}

// AppVersion reads GET /core/version/: APP_VER, a JSON string such as
// "0.0.203", shared by several releases (API.md preamble).
func (c *Client) AppVersion(ctx context.Context) (string, error) {
	cl := call{method: http.MethodGet, path: "/core/version/", idempotent: true}
	var out string
	resp, err := c.do(ctx, cl)
	if err != nil {
		return "", err
	}
	return out, c.readJSON(ctx, cl, resp, &out)
}

// BetaRoot probes GET /beta/v1/: JSON when the beta API is on, an HTML 404
// (mapped to ErrInvalidConfig with the fix) when it is off.
func (c *Client) BetaRoot(ctx context.Context) error {
	cl := call{method: http.MethodGet, path: "/beta/v1/", idempotent: true, listing: "the beta API root"}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	var v map[string]any
	return c.readJSON(ctx, cl, resp, &v)
}

// CountList reads the first row of a paged beta list and returns its
// count; for a plain array it returns the array length.
func (c *Client) CountList(ctx context.Context, path, listing string) (int64, error) {
	cl := call{method: http.MethodGet, path: path, idempotent: true, listing: listing,
		query: url.Values{"page_size": {"1"}}}
	info, err := c.list(ctx, cl, func(*Item) error { return nil })
	if err != nil {
		return 0, err
	}
	if !info.Enveloped {
		return int64(info.Items), nil
	}
	return info.Count, nil
}

// ProbeAlerts checks that alerts can be listed, reading at most one.
func (c *Client) ProbeAlerts(ctx context.Context) error {
	cl := call{method: http.MethodPatch, path: "/alerts/", idempotent: true, listing: "alerts",
		body: map[string]int{"top": 1}}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	var v json.RawMessage
	return c.readJSON(ctx, cl, resp, &v)
}

// ProbeSoftware checks that software can be listed. GET /software/ has no
// pagination and can be tens of MB, so only the status and content type
// are read.
func (c *Client) ProbeSoftware(ctx context.Context) error {
	return c.probe(ctx, call{method: http.MethodGet, path: "/software/", idempotent: true, listing: "software"})
}

// Orgs streams GET /beta/v1/client/: a plain array ordered by name (the
// client view is not paginated), or a page envelope should that change.
func (c *Client) Orgs(ctx context.Context, emit func(context.Context, Org) error) error {
	spec := WalkSpec{Path: "/beta/v1/client/", Listing: "clients", Parallelism: 1}
	decode := func(it *Item) (Decoded[Org], error) {
		var o Org
		raw, err := it.Raw()
		if err != nil {
			return Decoded[Org]{}, err
		}
		if err := Unmarshal(raw, &o); err != nil {
			return Decoded[Org]{}, rmm.Errorf(rmm.ErrUpstreamUnavailable, "malformed client row: %w", err)
		}
		o.Raw = bytes.Clone(raw) // raw is only valid during the call
		return Decoded[Org]{ID: o.ID, Value: o}, nil
	}
	_, err := Walk(ctx, c, spec, decode, nil,
		func(ctx context.Context, d Decoded[Org]) error { return emit(ctx, d.Value) })
	return err
}

// Sites streams every page of GET /beta/v1/site/ in id order.
func (c *Client) Sites(ctx context.Context, pageSize int, emit func(context.Context, Site) error) error {
	spec := WalkSpec{Path: "/beta/v1/site/", Listing: "sites", PageSize: pageSize, Parallelism: 1,
		OrderedByID: true, Query: url.Values{"ordering": {"id"}}}
	_, err := Walk(ctx, c, spec, decodeAs[Site](func(s Site) int64 { return s.ID }), nil,
		func(ctx context.Context, d Decoded[Site]) error { return emit(ctx, d.Value) })
	return err
}

// Site reads GET /beta/v1/site/{pk}/.
func (c *Client) Site(ctx context.Context, pk int64) (Site, error) {
	cl := call{method: http.MethodGet, path: "/beta/v1/site/" + strconv.FormatInt(pk, 10) + "/",
		idempotent: true, listing: "sites"}
	var out Site
	resp, err := c.do(ctx, cl)
	if err != nil {
		return out, err
	}
	return out, c.readJSON(ctx, cl, resp, &out)
}

// AgentDetail reads GET /agents/<agent_id>/ (non-beta, by agent_id) and
// returns the raw object. An id Tactical cannot route is ErrNotFound
// without a request.
func (c *Client) AgentDetail(ctx context.Context, agentID string) (json.RawMessage, error) {
	if len(agentID) < MinAgentIDLen || strings.ContainsRune(agentID, '/') {
		return nil, rmm.Errorf(rmm.ErrNotFound, "no Tactical agent has the id %q (agent ids have at least %d characters)", agentID, MinAgentIDLen)
	}
	cl := call{method: http.MethodGet, path: "/agents/" + url.PathEscape(agentID) + "/", idempotent: true, listing: "agents"}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxSmallBody))
	if err != nil {
		return nil, c.readError(ctx, cl, err)
	}
	if !json.Valid(b) {
		return nil, rmm.Errorf(rmm.ErrUpstreamUnavailable, "the agent detail is not valid JSON")
	}
	return b, nil
}

// AgentRefs streams GET /agents/?detail=false: id, agent_id and hostname
// of every agent the role may see, about 100 bytes each.
func (c *Client) AgentRefs(ctx context.Context, emit func(AgentRef) error) error {
	cl := call{method: http.MethodGet, path: "/agents/", idempotent: true, listing: "agents",
		query: url.Values{"detail": {"false"}}}
	_, err := c.list(ctx, cl, func(it *Item) error {
		var r AgentRef
		if err := it.Decode(&r); err != nil {
			return rmm.Errorf(rmm.ErrUpstreamUnavailable, "an agent row of /agents/ is malformed: %w", err)
		}
		return emit(r)
	})
	return err
}

// Alerts streams PATCH /alerts/ with f. PATCH is a read here, so it is
// retried like one.
func (c *Client) Alerts(ctx context.Context, f AlertFilter, emit func(*Item) error) error {
	cl := call{method: http.MethodPatch, path: "/alerts/", idempotent: true, listing: "alerts", body: f}
	_, err := c.list(ctx, cl, emit)
	return err
}

// Software streams the bulk cached GET /software/ one agent at a time. It
// never asks agents to refresh (that is PUT /software/<agent_id>/).
func (c *Client) Software(ctx context.Context, emit func(*Item) error) error {
	cl := call{method: http.MethodGet, path: "/software/", idempotent: true, listing: "software"}
	_, err := c.list(ctx, cl, emit)
	return err
}

// decodeAs returns a Walk decode function for plain records.
func decodeAs[T any](id func(T) int64) func(*Item) (Decoded[T], error) {
	return func(it *Item) (Decoded[T], error) {
		var v T
		if err := it.Decode(&v); err != nil {
			return Decoded[T]{}, rmm.Errorf(rmm.ErrUpstreamUnavailable, "malformed %T row: %w", v, err)
		}
		return Decoded[T]{ID: id(v), Value: v}, nil
	}
}
