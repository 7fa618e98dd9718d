package tacticalfake

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// AgentView is a snapshot of one generated agent as the fake serves it.
type AgentView struct {
	Index          int // 0-based position in the fleet
	PK             int // the integer id (beta lookup key)
	AgentID        string
	Hostname       string
	Platform       string // "windows", "linux" or "darwin"
	MonitoringType string // "server" or "workstation"
	SiteID         int
	SiteName       string
	ClientID       int
	ClientName     string
	LastSeen       time.Time // zero when last_seen is null
	Modified       time.Time
	OfflineTime    int    // minutes
	OverdueTime    int    // minutes
	Status         string // as of the fake's clock
	Removed        bool
	SoftwareCount  int // items GET /software/ lists for it
}

// Counts summarise the fleet as currently served (removed agents excluded).
type Counts struct {
	Clients, Sites                 int
	Agents, Windows, Linux, Darwin int
	Software                       int // software items over all agents
	SoftwareRows                   int // rows of GET /software/
	Alerts                         int
}

// ClientInfo is one client.
type ClientInfo struct {
	ID      int
	Name    string
	SiteIDs []int
}

// SiteInfo is one site.
type SiteInfo struct {
	ID, ClientID int
	Name         string
}

// NumAgents is the size of the generated fleet, removed agents included.
func (s *Server) NumAgents() int { return s.fleet.n }

func (s *Server) checkIndex(i int) {
	if i < 0 || i >= s.fleet.n {
		panic(fmt.Sprintf("tacticalfake: agent index %d out of range [0,%d)", i, s.fleet.n))
	}
}

// coreLocked computes agent i with its overlay; s.mu must be held.
func (s *Server) coreLocked(i int) (agentCore, bool) {
	ov := s.overlays[i]
	return s.fleet.core(i, ov), ov != nil && ov.removed
}

// Agent returns agent i (0 <= i < NumAgents).
func (s *Server) Agent(i int) AgentView {
	s.checkIndex(i)
	s.mu.RLock()
	c, removed := s.coreLocked(i)
	s.mu.RUnlock()
	f := s.fleet
	v := AgentView{
		Index: i, PK: c.pk, AgentID: f.agentID(i), Hostname: f.hostname(c), Platform: c.plat.String(),
		MonitoringType: "workstation", SiteID: c.siteID, SiteName: view{f: f}.siteName(c.siteID),
		ClientID: f.clientOfSite(c.siteID), ClientName: view{f: f}.clientName(c.siteID),
		LastSeen: c.lastSeen, Modified: c.modified, OfflineTime: c.offlineMin, OverdueTime: c.overdueMin,
		Status: status(c.lastSeen, s.now(), c.offlineMin, c.overdueMin), Removed: removed,
	}
	if c.server {
		v.MonitoringType = "server"
	}
	if c.plat == platWindows {
		v.SoftwareCount = f.spec.SoftwarePerWindowsAgent
	}
	return v
}

// AgentJSON returns agent i exactly as a beta list row.
func (s *Server) AgentJSON(i int) []byte {
	s.checkIndex(i)
	v := s.view()
	s.mu.RLock()
	c, _ := s.coreLocked(i)
	s.mu.RUnlock()
	var w jw
	v.listRow(&w, s.fleet.full(c))
	return w.b
}

// AgentIndex finds an agent by agent_id.
func (s *Server) AgentIndex(agentID string) (int, bool) { return s.fleet.indexOfAgentID(agentID) }

// Clients lists the clients in id order.
func (s *Server) Clients() []ClientInfo {
	out := make([]ClientInfo, len(s.fleet.clients))
	for k, c := range s.fleet.clients {
		out[k] = ClientInfo{ID: c.id, Name: c.name, SiteIDs: append([]int(nil), c.siteIDs...)}
	}
	return out
}

// Sites lists the sites in id order.
func (s *Server) Sites() []SiteInfo {
	out := make([]SiteInfo, len(s.fleet.sites))
	for k, st := range s.fleet.sites {
		out[k] = SiteInfo{ID: st.id, ClientID: st.clientID, Name: st.name}
	}
	return out
}

// Counts summarises what the fake currently serves.
func (s *Server) Counts() Counts {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := s.fleet
	c := Counts{Clients: len(f.clients), Sites: len(f.sites)}
	for i := range f.n {
		if ov := s.overlays[i]; ov != nil && ov.removed {
			continue
		}
		c.Agents++
		switch f.platOf(i) {
		case platWindows:
			c.Windows++
		case platLinux:
			c.Linux++
		default:
			c.Darwin++
		}
	}
	if f.spec.SoftwarePerWindowsAgent > 0 {
		c.SoftwareRows = c.Windows
		c.Software = c.Windows * f.spec.SoftwarePerWindowsAgent
	}
	for _, a := range s.alerts {
		if s.alertVisibleLocked(a) {
			c.Alerts++
		}
	}
	return c
}

func (s *Server) overlayLocked(i int) *overlay {
	ov := s.overlays[i]
	if ov == nil {
		ov = &overlay{}
		s.overlays[i] = ov
	}
	return ov
}

// Touch simulates an agent save: last_seen and modified_time become now,
// and the volatile fields (services, disks, logged-in user, checks...)
// change.
func (s *Server) Touch(i int) {
	s.checkIndex(i)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ov := s.overlayLocked(i)
	ov.rev++
	ov.modified, ov.lastSeen, ov.lastSeenSet = now, now, true
	s.invalidateLocked(i)
}

// SetLastSeen sets agent i's last_seen; the zero time makes it null.
// modified_time is left alone, as an agent check-in leaves it.
func (s *Server) SetLastSeen(i int, t time.Time) {
	s.checkIndex(i)
	s.mu.Lock()
	defer s.mu.Unlock()
	ov := s.overlayLocked(i)
	ov.lastSeen, ov.lastSeenSet = t.UTC().Truncate(time.Microsecond), true
	if t.IsZero() {
		ov.lastSeen = time.Time{}
	}
	s.invalidateLocked(i)
}

// MoveAgent moves agent i to another site, as an edit in the UI would.
func (s *Server) MoveAgent(i, siteID int) error {
	s.checkIndex(i)
	if s.fleet.site(siteID) == nil {
		return fmt.Errorf("tacticalfake: no site %d", siteID)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ov := s.overlayLocked(i)
	ov.siteID, ov.modified = siteID, now
	s.invalidateLocked(i)
	return nil
}

// RemoveAgent deletes agent i: it disappears from every list, its lookups
// give 404, and its alerts and software go with it (cascade).
func (s *Server) RemoveAgent(i int) {
	s.checkIndex(i)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overlayLocked(i).removed = true
}

// RestoreAgent undoes RemoveAgent.
func (s *Server) RestoreAgent(i int) {
	s.checkIndex(i)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overlayLocked(i).removed = false
}

func (s *Server) removedLocked(i int) bool {
	ov := s.overlays[i]
	return ov != nil && ov.removed
}

func (s *Server) view() view {
	return view{f: s.fleet, now: s.now(), version: s.Version()}
}

// PreRender renders every agent's beta list row and software row now and
// serves them from memory until the agent changes, so a benchmark measures
// the client, not the fake. It costs the full payload size in memory.
func (s *Server) PreRender() {
	v := s.view()
	n := s.fleet.n
	rows := make([][]byte, n)
	sw := make([][]byte, n)
	s.mu.RLock()
	cores := make([]agentCore, n)
	for i := range cores {
		cores[i], _ = s.coreLocked(i)
	}
	s.mu.RUnlock()
	workers := max(1, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var buf jw // reused: each row is copied out at its exact size
			for i := w; i < n; i += workers {
				buf.b, buf.prev = buf.b[:0], 0
				v.listRow(&buf, s.fleet.full(cores[i]))
				rows[i] = bytes.Clone(buf.b)
				if s.fleet.hasSoftware(cores[i]) {
					buf.b, buf.prev = buf.b[:0], 0
					s.fleet.softwareRow(&buf, cores[i])
					sw[i] = bytes.Clone(buf.b)
				}
			}
		})
	}
	wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rowCache, s.swCache = rows, sw
}

func (s *Server) invalidateLocked(i int) {
	if s.rowCache != nil {
		s.rowCache[i] = nil
	}
}

func (s *Server) invalidateAllLocked() {
	if s.rowCache != nil {
		clear(s.rowCache)
	}
}

// cachedRowLocked returns agent i's pre-rendered row, or nil.
func (s *Server) cachedRowLocked(i int) []byte {
	if s.rowCache == nil {
		return nil
	}
	return s.rowCache[i]
}
