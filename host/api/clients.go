package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/msp-psa/psa-host/host/store"
)

const maxNameLen = 200

type createClientRequest struct {
	Name string `json:"name"`
}

func (s *server) listClients(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r.URL.Query())
	if err != nil {
		return err
	}
	clients, err := s.cfg.Store.ListClients(r.Context(), tenantOf(r))
	if err != nil {
		return storeError(err, "client")
	}
	writeJSON(w, http.StatusOK, inMemory(clients, func(c store.Client) string { return c.ID }, p))
	return nil
}

func (s *server) getClient(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "client")
	if err != nil {
		return err
	}
	c, err := s.cfg.Store.GetClient(r.Context(), tenantOf(r), id)
	if err != nil {
		return storeError(err, "client")
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *server) createClient(w http.ResponseWriter, r *http.Request) error {
	var req createClientRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	name, err := cleanName("name", req.Name)
	if err != nil {
		return err
	}
	c, err := s.cfg.Store.CreateClient(r.Context(), tenantOf(r), name)
	if err != nil {
		return storeError(err, "client")
	}
	w.Header().Set("Location", "/api/v1/clients/"+c.ID)
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// cleanName trims a display name: empty is missing (400), too long or not
// text is invalid (422).
func cleanName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", missing(field)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, isControl):
		return "", invalid(field, "%s must be printable text", field)
	case utf8.RuneCountInString(name) > maxNameLen:
		return "", invalid(field, "%s must be at most %d characters", field, maxNameLen)
	}
	return name, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
