package tacticalfake

import (
	"net/http"
	"slices"
	"strings"
)

// siteStats are the annotations of the non-beta client and site lists.
type siteStats struct {
	agents      int
	maintenance bool
}

// statsBySite counts the agents of every site; removed agents are gone.
func (s *Server) statsBySite() map[int]*siteStats {
	out := map[int]*siteStats{}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := range s.fleet.n {
		if s.removedLocked(i) {
			continue
		}
		core, _ := s.coreLocked(i)
		st := out[core.siteID]
		if st == nil {
			st = &siteStats{}
			out[core.siteID] = st
		}
		st.agents++
		st.maintenance = st.maintenance || core.maintenance
	}
	return out
}

// siteJSON is the non-beta SiteSerializer; stats nil drops agent_count
// and maintenance_mode, as the unannotated detail and list views do.
func siteJSON(w *jw, st *siteRec, clientName string, stats *siteStats, annotated bool) {
	w.open()
	w.key("id")
	w.int(st.id)
	w.key("name")
	w.str(st.name)
	w.key("server_policy")
	w.intOrNull(st.serverPolicy)
	w.key("workstation_policy")
	w.intOrNull(st.workstationPolicy)
	w.key("alert_template")
	w.intOrNull(st.alertTemplate)
	w.key("client_name")
	w.str(clientName)
	w.key("client")
	w.int(st.clientID)
	w.key("custom_fields")
	w.openArr()
	w.closeArr()
	if annotated {
		w.key("agent_count")
		if stats != nil {
			w.int(stats.agents)
		} else {
			w.int(0)
		}
	}
	w.key("block_policy_inheritance")
	w.bool(st.blockInheritance)
	if annotated {
		w.key("maintenance_mode")
		w.bool(stats != nil && stats.maintenance)
	}
	w.key("failing_checks")
	writeFailing(w, st.failError, st.failWarning)
	w.close()
}

// clientJSON is the non-beta ClientSerializer with its nested sites.
func (s *Server) clientJSON(w *jw, u *user, cl *clientRec, stats map[int]*siteStats, annotated bool) {
	w.open()
	w.key("id")
	w.int(cl.id)
	w.key("name")
	w.str(cl.name)
	w.key("server_policy")
	w.intOrNull(cl.serverPolicy)
	w.key("workstation_policy")
	w.intOrNull(cl.workstationPolicy)
	w.key("alert_template")
	w.intOrNull(cl.alertTemplate)
	w.key("block_policy_inheritance")
	w.bool(cl.blockInheritance)
	w.key("sites")
	w.openArr()
	count, maint := 0, false
	for _, st := range s.sitesByName(cl.siteIDs) {
		ss := stats[st.id]
		if ss != nil {
			count += ss.agents
			maint = maint || ss.maintenance
		}
		if roleSeesSite(u, s.fleet, st.id) {
			siteJSON(w, st, cl.name, ss, true)
		}
	}
	w.closeArr()
	w.key("custom_fields")
	w.openArr()
	w.closeArr()
	if annotated {
		w.key("agent_count")
		w.int(count)
		w.key("maintenance_mode")
		w.bool(maint)
	}
	w.key("failing_checks")
	writeFailing(w, cl.failError, cl.failWarning)
	w.close()
}

// sitesByName orders sites as the Site model does (by name).
func (s *Server) sitesByName(ids []int) []*siteRec {
	out := make([]*siteRec, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.fleet.site(id))
	}
	slices.SortStableFunc(out, func(a, b *siteRec) int { return strings.Compare(a.name, b.name) })
	return out
}

// handleClients is GetAddClients.get: role-filtered, by name.
func (s *Server) handleClients(c *call) {
	stats := s.statsBySite()
	var w jw
	w.openArr()
	for _, cl := range s.clientsByName() {
		if roleSeesClient(c.user, s.fleet, cl.id) {
			s.clientJSON(&w, c.user, cl, stats, true)
		}
	}
	w.closeArr()
	c.json(http.StatusOK, w.b)
}

// handleClient is GetUpdateDeleteClient.get: no client-level agent_count
// or maintenance_mode (not annotated).
func (s *Server) handleClient(c *call) {
	pk, _ := pyInt(c.params["pk"])
	cl := s.fleet.client(pk)
	if cl == nil {
		c.detail(http.StatusNotFound, "No Client matches the given query.")
		return
	}
	if !roleSeesClient(c.user, s.fleet, pk) {
		c.detail(http.StatusForbidden, msgNoPermission)
		return
	}
	var w jw
	s.clientJSON(&w, c.user, cl, s.statsBySite(), false)
	c.json(http.StatusOK, w.b)
}

// handleSites is GetAddSites.get: SiteSerializer without the annotations.
func (s *Server) handleSites(c *call) {
	ids := make([]int, 0, len(s.fleet.sites))
	for _, st := range s.fleet.sites {
		if roleSeesSite(c.user, s.fleet, st.id) {
			ids = append(ids, st.id)
		}
	}
	var w jw
	w.openArr()
	for _, st := range s.sitesByName(ids) {
		siteJSON(&w, st, s.fleet.client(st.clientID).name, nil, false)
	}
	w.closeArr()
	c.json(http.StatusOK, w.b)
}

func (s *Server) handleSite(c *call) {
	pk, _ := pyInt(c.params["pk"])
	st := s.fleet.site(pk)
	if st == nil {
		c.detail(http.StatusNotFound, "No Site matches the given query.")
		return
	}
	if !roleSeesSite(c.user, s.fleet, pk) {
		c.detail(http.StatusForbidden, msgNoPermission)
		return
	}
	var w jw
	siteJSON(&w, st, s.fleet.client(st.clientID).name, nil, false)
	c.json(http.StatusOK, w.b)
}
