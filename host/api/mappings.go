package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/msp-psa/psa-host/host/store"
)

func (s *server) listMappings(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r.URL.Query())
	if err != nil {
		return err
	}
	in, err := s.integration(r)
	if err != nil {
		return err
	}
	list, err := s.cfg.Store.ListMappings(r.Context(), tenantOf(r), in.ID)
	if err != nil {
		return storeError(err, "mapping")
	}
	writeJSON(w, http.StatusOK, inMemory(list, func(m store.Mapping) string { return m.ID }, p))
	return nil
}

// patchMappingRequest keeps client_id raw to tell "absent" from null
// (unmap).
type patchMappingRequest struct {
	ClientID       json.RawMessage `json:"client_id"`
	AutoSyncAssets *bool           `json:"auto_sync_assets"`
}

// patchMapping maps an organisation to a client (or unmaps it with null)
// and toggles auto-sync. The client must be the tenant's own.
func (s *server) patchMapping(w http.ResponseWriter, r *http.Request) error {
	var req patchMappingRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	in, err := s.integration(r)
	if err != nil {
		return err
	}
	mappingID, err := pathID(r, "mapping_id", "mapping")
	if err != nil {
		return err
	}
	p := store.MappingPatch{AutoSyncAssets: req.AutoSyncAssets}
	if req.ClientID != nil {
		if err := s.mappingClient(r, req.ClientID, &p); err != nil {
			return err
		}
	}
	m, err := s.cfg.Store.UpdateMapping(r.Context(), tenantOf(r), in.ID, mappingID, p)
	if err != nil {
		return storeError(err, "mapping")
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// mappingClient sets p's client from the raw client_id: null unmaps, a
// string must name one of the tenant's clients.
func (s *server) mappingClient(r *http.Request, raw json.RawMessage, p *store.MappingPatch) error {
	if string(raw) == "null" {
		p.ClearClient = true
		return nil
	}
	var clientID string
	if err := json.Unmarshal(raw, &clientID); err != nil {
		return errorf(http.StatusBadRequest, codeWrongType, "client_id", "client_id must be a string or null")
	}
	if !isUUID(clientID) {
		return invalid("client_id", "client_id must be a client's id")
	}
	clientID = strings.ToLower(clientID)
	_, err := s.cfg.Store.GetClient(r.Context(), tenantOf(r), clientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Another tenant's client is no more visible than a missing one.
		return invalid("client_id", "no such client")
	case err != nil:
		return storeError(err, "client")
	}
	p.ClientID = &clientID
	return nil
}
