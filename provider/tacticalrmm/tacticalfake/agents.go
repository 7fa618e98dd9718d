package tacticalfake

import (
	"net/http"
)

// handleAgents is GetAgents.get: role-filtered, unpaginated, streamed.
func (s *Server) handleAgents(c *call) {
	if mt, _ := c.query("monitoring_type"); mt != "" && mt != "server" && mt != "workstation" {
		c.jsonString(http.StatusBadRequest, "monitoring type does not exist")
		return
	}
	siteID, clientID := 0, 0
	if v, ok := c.query("site"); ok {
		n, ok := pyInt(v)
		if !ok {
			c.serverError() // int() of the filter value raises ValueError
			return
		}
		siteID = n
		if siteID == 0 {
			siteID = -1 // site_id=0 matches nothing
		}
	} else if v, ok := c.query("client"); ok {
		n, ok := pyInt(v)
		if !ok {
			c.serverError()
			return
		}
		clientID = n
		if clientID == 0 {
			clientID = -1
		}
	}
	detail := true
	if v, ok := c.query("detail"); ok && v != "true" {
		detail = false
	}
	mt, _ := c.query("monitoring_type")

	var idx []agentCore
	s.mu.RLock()
	for i := range s.fleet.n {
		if s.removedLocked(i) {
			continue
		}
		core, _ := s.coreLocked(i)
		switch {
		case !roleSeesSite(c.user, s.fleet, core.siteID):
		case siteID != 0 && core.siteID != siteID:
		case clientID != 0 && s.fleet.clientOfSite(core.siteID) != clientID:
		case mt != "" && (mt == "server") != core.server:
		default:
			idx = append(idx, core)
		}
	}
	s.mu.RUnlock()

	v := s.view()
	sw := c.stream()
	sw.jw.openArr()
	for _, core := range idx {
		if detail {
			v.tableRow(&sw.jw, s.fleet.full(core))
		} else {
			v.hostnameRow(&sw.jw, core, s.fleet.hostname(core), s.fleet.agentID(core.idx))
		}
		sw.maybeFlush()
	}
	sw.jw.closeArr()
	sw.flush()
}

// agentByAgentID resolves <agent:agent_id> for views that check
// _has_perm_on_agent and then get_object_or_404; it answers 404/403 itself.
func (s *Server) agentByAgentID(c *call) (agentCore, bool) {
	i, ok := s.fleet.indexOfAgentID(c.params["agent_id"])
	s.mu.RLock()
	if ok && s.removedLocked(i) {
		ok = false
	}
	var core agentCore
	if ok {
		core, _ = s.coreLocked(i)
	}
	s.mu.RUnlock()
	if !ok {
		c.detail(http.StatusNotFound, "No Agent matches the given query.")
		return core, false
	}
	if !roleSeesSite(c.user, s.fleet, core.siteID) {
		c.detail(http.StatusForbidden, msgNoPermission)
		return core, false
	}
	return core, true
}

// handleAgent is GetUpdateDeleteAgent.get (AgentSerializer, exclude id).
func (s *Server) handleAgent(c *call) {
	core, ok := s.agentByAgentID(c)
	if !ok {
		return
	}
	var w jw
	s.view().agentDetail(&w, s.fleet.full(core), s.zones)
	c.json(http.StatusOK, w.b)
}
