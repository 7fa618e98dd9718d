package tacticalfake

import (
	"net/http"
	"slices"
	"strings"
)

// handleBetaRoot is DefaultRouter's API root: absolute links.
func (s *Server) handleBetaRoot(c *call) {
	var w jw
	w.open()
	for _, name := range []string{"agent", "client", "site"} {
		w.key(name)
		if c.params["format"] != "" {
			w.str(c.absoluteURL("/beta/v1/" + name + "." + c.params["format"]))
		} else {
			w.str(c.absoluteURL("/beta/v1/" + name + "/"))
		}
	}
	w.close()
	c.json(http.StatusOK, w.b)
}

// agentIDParam runs AgentViewSet.check_permissions with ?agent_id= copied
// into the view's kwargs: AgentPerms then checks the caller may see that
// agent. It returns false after answering.
func (s *Server) agentIDParam(c *call, agentID string) bool {
	if c.user.Perms.Superuser {
		return true
	}
	i, ok := s.fleet.indexOfAgentID(agentID)
	s.mu.RLock()
	removed := ok && s.removedLocked(i)
	var core agentCore
	if ok {
		core, _ = s.coreLocked(i)
	}
	s.mu.RUnlock()
	if !ok || removed {
		c.detail(http.StatusNotFound, "No Agent matches the given query.")
		return false
	}
	if !roleSeesSite(c.user, s.fleet, core.siteID) {
		c.detail(http.StatusForbidden, msgNoPermission)
		return false
	}
	return true
}

// handleBetaAgents is AgentViewSet.list.
func (s *Server) handleBetaAgents(c *call) {
	if id, ok := c.query("agent_id"); ok {
		// The bug: get_serializer_class reads self.kwargs["pk"] → KeyError.
		if s.agentIDParam(c, id) {
			c.serverError()
		}
		return
	}
	filter, errs := s.parseAgentFilter(c)
	if errs != nil {
		writeFieldErrors(c, errs)
		return
	}
	size := c.pageSize()

	// Collect the matching indices; cores are cheap, heavy fields are only
	// generated when a filter needs them.
	var matches []int32
	cores := map[int32]agentCore{}
	s.mu.RLock()
	n := s.fleet.n
	for k := range n {
		i := k
		if filter.descending {
			i = n - 1 - k
		}
		if s.removedLocked(i) {
			continue
		}
		core, _ := s.coreLocked(i)
		if !filter.matchCore(s.fleet, core) {
			continue
		}
		if filter.needsFull() && !filter.matchFull(s.fleet.full(core)) {
			continue
		}
		matches = append(matches, int32(i))
	}
	s.mu.RUnlock()

	page, numPages, ok := c.page(len(matches), size)
	if !ok {
		return
	}
	lo := min((page-1)*size, len(matches))
	hi := min(lo+size, len(matches))
	window := matches[lo:hi]

	// Snapshot what the page needs under the lock, render outside it.
	rows := make([][]byte, len(window))
	s.mu.RLock()
	for k, i := range window {
		rows[k] = s.cachedRowLocked(int(i))
		if rows[k] == nil {
			cores[i], _ = s.coreLocked(int(i))
		}
	}
	s.mu.RUnlock()
	v := s.view()

	sw := c.stream()
	c.envelope(sw, len(matches), page, numPages)
	for k, i := range window {
		if rows[k] != nil {
			sw.jw.raw(rows[k])
		} else {
			v.listRow(&sw.jw, s.fleet.full(cores[i]))
		}
		sw.maybeFlush()
	}
	sw.jw.closeArr()
	sw.jw.close()
	sw.flush()
}

// lookupPK is the viewset's get_object: a non-integer pk is "Not found.",
// an unknown one "No <Model> matches the given query.".
func lookupPK(c *call, model string, exists func(int) bool) (int, bool) {
	pk, ok := pyInt(c.params["pk"])
	if !ok {
		c.detail(http.StatusNotFound, "Not found.")
		return 0, false
	}
	if !exists(pk) {
		c.detail(http.StatusNotFound, "No "+model+" matches the given query.")
		return 0, false
	}
	return pk, true
}

// handleBetaAgent is AgentViewSet.retrieve (by integer pk).
func (s *Server) handleBetaAgent(c *call) {
	if id, ok := c.query("agent_id"); ok && !s.agentIDParam(c, id) {
		return
	}
	pk, ok := lookupPK(c, "Agent", func(pk int) bool {
		if pk < 1 || pk > s.fleet.n {
			return false
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		return !s.removedLocked(pk - 1)
	})
	if !ok {
		return
	}
	s.mu.RLock()
	core, _ := s.coreLocked(pk - 1)
	s.mu.RUnlock()
	var w jw
	s.view().betaDetail(&w, s.fleet.full(core))
	c.json(http.StatusOK, w.b)
}

// clientsByName is the Client model's default ordering.
func (s *Server) clientsByName() []*clientRec {
	out := make([]*clientRec, 0, len(s.fleet.byName))
	for _, k := range s.fleet.byName {
		out = append(out, &s.fleet.clients[k])
	}
	return out
}

func writeFailing(w *jw, errFlag, warnFlag bool) {
	w.open()
	w.key("error")
	w.bool(errFlag)
	w.key("warning")
	w.bool(warnFlag)
	w.close()
}

// betaClient is the beta ClientSerializer (fields="__all__").
func betaClient(w *jw, cl *clientRec) {
	w.open()
	w.key("id")
	w.int(cl.id)
	w.key("created_by")
	w.strOrNull(cl.createdBy)
	w.key("created_time")
	w.time(cl.created)
	w.key("modified_by")
	w.strOrNull(cl.modifiedBy)
	w.key("modified_time")
	w.time(cl.modified)
	w.key("name")
	w.str(cl.name)
	w.key("block_policy_inheritance")
	w.bool(cl.blockInheritance)
	w.key("failing_checks")
	writeFailing(w, cl.failError, cl.failWarning)
	w.key("workstation_policy")
	w.intOrNull(cl.workstationPolicy)
	w.key("server_policy")
	w.intOrNull(cl.serverPolicy)
	w.key("alert_template")
	w.intOrNull(cl.alertTemplate)
	w.close()
}

// betaSite is the beta SiteSerializer (fields="__all__").
func betaSite(w *jw, st *siteRec) {
	w.open()
	w.key("id")
	w.int(st.id)
	w.key("created_by")
	w.strOrNull(st.createdBy)
	w.key("created_time")
	w.time(st.created)
	w.key("modified_by")
	w.strOrNull(st.modifiedBy)
	w.key("modified_time")
	w.time(st.modified)
	w.key("name")
	w.str(st.name)
	w.key("block_policy_inheritance")
	w.bool(st.blockInheritance)
	w.key("failing_checks")
	writeFailing(w, st.failError, st.failWarning)
	w.key("client")
	w.int(st.clientID)
	w.key("workstation_policy")
	w.intOrNull(st.workstationPolicy)
	w.key("server_policy")
	w.intOrNull(st.serverPolicy)
	w.key("alert_template")
	w.intOrNull(st.alertTemplate)
	w.close()
}

// handleBetaClients is ClientViewSet.list: no pagination class, so a plain
// array of every client by name, page parameters ignored.
func (s *Server) handleBetaClients(c *call) {
	var w jw
	w.openArr()
	for _, cl := range s.clientsByName() {
		betaClient(&w, cl)
	}
	w.closeArr()
	c.json(http.StatusOK, w.b)
}

func (s *Server) handleBetaClient(c *call) {
	pk, ok := lookupPK(c, "Client", func(pk int) bool { return s.fleet.client(pk) != nil })
	if !ok {
		return
	}
	if !roleSeesClient(c.user, s.fleet, pk) {
		c.detail(http.StatusForbidden, msgNoPermission)
		return
	}
	var w jw
	betaClient(&w, s.fleet.client(pk))
	c.json(http.StatusOK, w.b)
}

// handleBetaSites is SiteViewSet.list: paginated, search over name,
// ordering by id.
func (s *Server) handleBetaSites(c *call) {
	var terms []string
	if v, ok := c.query("search"); ok {
		terms = strings.Fields(strings.ReplaceAll(v, ",", " "))
	}
	var sites []*siteRec
	for k := range s.fleet.sites {
		st := &s.fleet.sites[k]
		name := strings.ToLower(st.name)
		if slices.ContainsFunc(terms, func(t string) bool { return !strings.Contains(name, strings.ToLower(t)) }) {
			continue
		}
		sites = append(sites, st)
	}
	if orderingDescending(c) {
		slices.Reverse(sites)
	}
	size := c.pageSize()
	page, numPages, ok := c.page(len(sites), size)
	if !ok {
		return
	}
	lo := min((page-1)*size, len(sites))
	hi := min(lo+size, len(sites))
	sw := c.stream()
	c.envelope(sw, len(sites), page, numPages)
	for _, st := range sites[lo:hi] {
		betaSite(&sw.jw, st)
	}
	sw.jw.closeArr()
	sw.jw.close()
	sw.flush()
}

func (s *Server) handleBetaSite(c *call) {
	pk, ok := lookupPK(c, "Site", func(pk int) bool { return s.fleet.site(pk) != nil })
	if !ok {
		return
	}
	if !roleSeesSite(c.user, s.fleet, pk) {
		c.detail(http.StatusForbidden, msgNoPermission)
		return
	}
	var w jw
	betaSite(&w, s.fleet.site(pk))
	c.json(http.StatusOK, w.b)
}
