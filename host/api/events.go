package api

import (
	"net/http"
	"strconv"

	"github.com/msp-psa/psa-host/host/store"
)

// eventsPage is one page of the event outbox; next_after is the cursor to
// resume from (the last event's id, or the request's when there were none).
type eventsPage struct {
	Items     []store.Event `json:"items"`
	NextAfter int64         `json:"next_after"`
}

// listEvents reads the tenant's events in order after a cursor, so a
// consumer sees every change once and can resume where it stopped.
func (s *server) listEvents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var after int64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return badRequest("after", "after must be an event id (a non-negative integer)")
		}
		after = n
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return badRequest("limit", "limit must be an integer from 1 to 1000")
		}
		limit = n
	}
	events, err := s.cfg.Store.Events(r.Context(), tenantOf(r), after, limit)
	if err != nil {
		return storeError(err, "event")
	}
	page := eventsPage{Items: events, NextAfter: after}
	if page.Items == nil {
		page.Items = []store.Event{}
	}
	if n := len(events); n > 0 {
		page.NextAfter = events[n-1].ID
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}
