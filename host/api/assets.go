package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// agentStatuses are the values the agent_status filter takes.
func agentStatuses() []string {
	return []string{string(rmm.StatusOnline), string(rmm.StatusOffline), string(rmm.StatusOverdue), string(rmm.StatusUnknown)}
}

// idFilter reads an optional id query parameter.
func idFilter(r *http.Request, name string) (string, error) {
	v := r.URL.Query().Get(name)
	if v != "" && !isUUID(v) {
		return "", badRequest(name, "%s must be an id", name)
	}
	return strings.ToLower(v), nil
}

func (s *server) listAssets(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := parsePage(q)
	if err != nil {
		return err
	}
	f := store.AssetFilter{AgentStatus: q.Get("agent_status"), Limit: p.limit + 1, After: p.after}
	if f.IntegrationID, err = idFilter(r, "integration_id"); err != nil {
		return err
	}
	if f.ClientID, err = idFilter(r, "client_id"); err != nil {
		return err
	}
	if f.AgentStatus != "" && !slices.Contains(agentStatuses(), f.AgentStatus) {
		return badRequest("agent_status", "agent_status must be one of online, offline, overdue, unknown")
	}
	list, err := s.cfg.Store.ListAssets(r.Context(), tenantOf(r), f)
	if err != nil {
		return storeError(err, "asset")
	}
	writeJSON(w, http.StatusOK, fromStore(list, func(a store.Asset) string { return a.ID }, p.limit))
	return nil
}

func (s *server) getAsset(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "asset")
	if err != nil {
		return err
	}
	a, err := s.cfg.Store.GetAsset(r.Context(), tenantOf(r), id)
	if err != nil {
		return storeError(err, "asset")
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *server) assetSoftware(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r.URL.Query())
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "asset")
	if err != nil {
		return err
	}
	// The asset is looked up first: an unknown asset is 404, not an empty
	// list.
	if _, err := s.cfg.Store.GetAsset(r.Context(), tenantOf(r), id); err != nil {
		return storeError(err, "asset")
	}
	list, err := s.cfg.Store.AssetSoftware(r.Context(), tenantOf(r), id)
	if err != nil {
		return storeError(err, "asset")
	}
	writeJSON(w, http.StatusOK, inMemory(list, func(sw store.AssetSoftware) string { return sw.SoftwareID }, p))
	return nil
}

func (s *server) listAlerts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := parsePage(q)
	if err != nil {
		return err
	}
	f := store.AlertFilter{Status: q.Get("status"), Limit: p.limit + 1, After: p.after}
	if f.IntegrationID, err = idFilter(r, "integration_id"); err != nil {
		return err
	}
	if f.Status != "" && f.Status != "active" && f.Status != "resolved" {
		return badRequest("status", "status must be active or resolved")
	}
	list, err := s.cfg.Store.ListAlerts(r.Context(), tenantOf(r), f)
	if err != nil {
		return storeError(err, "alert")
	}
	writeJSON(w, http.StatusOK, fromStore(list, func(a store.Alert) string { return a.ID }, p.limit))
	return nil
}
