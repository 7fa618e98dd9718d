package tacticalfake

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Alert is one Tactical alert row. Zero times are null.
type Alert struct {
	ID int // 0 in AddAlert means "assign the next id"
	// AgentPK is the agent's integer id, 0 for an alert without an agent
	// (a custom alert): those omit hostname, agent_id, client and site.
	AgentPK  int
	Type     string // "availability", "check", "task" or "custom"
	Message  string // "" in AddAlert means Tactical's message for Type
	Severity string // "info", "warning" or "error"
	Time     time.Time
	Snoozed  bool
	// SnoozeUntil is when a snooze ends.
	SnoozeUntil   time.Time
	Resolved      bool
	ResolvedOn    time.Time
	Hidden        bool
	EmailSent     time.Time
	AssignedCheck int // 0: null
	AssignedTask  int // 0: null
	// The failure and resolved action (webhook) results.
	ActionRun             time.Time
	ActionStdout          string
	ActionRetcode         int
	ResolvedActionRun     time.Time
	ResolvedActionStdout  string
	ResolvedActionRetcode int
}

type alertRec struct{ Alert }

var checkAlertDescs = []struct{ kind, desc string }{
	{"diskspace", "Disk Space Check: Drive C: -  Warning Threshold: 25% Error Threshold: 10%"},
	{"ping", "Ping: Default gateway"},
	{"cpuload", "CPU Load Check: Warning Threshold: 80% Error Threshold: 95%"},
	{"memory", "Memory Check: Warning Threshold: 85% Error Threshold: 95%"},
	{"winsvc", "Service Check - Print Spooler"},
	{"eventlog", "Event Log Check: System - Disk errors"},
	{"script", "Script Check - BitLocker status"},
}

var taskAlertNames = []string{"Nightly cleanup", "Weekly reboot", "Defrag", "Backup verify"}

// defaultMessage is the message Tactical writes for each alert type.
func (s *Server) defaultMessage(a *Alert, r *rng) string {
	host, client, site := "", "", ""
	if a.AgentPK != 0 {
		core := s.fleet.core(a.AgentPK-1, nil)
		v := view{f: s.fleet}
		host, client, site = s.fleet.hostname(core), v.clientName(core.siteID), v.siteName(core.siteID)
	}
	switch a.Type {
	case "availability":
		return fmt.Sprintf("%s in %s, %s is overdue.", host, client, site)
	case "check":
		d := checkAlertDescs[r.intn(len(checkAlertDescs))]
		return fmt.Sprintf("%s has a %s check: %s that failed.", host, d.kind, d.desc)
	case "task":
		return fmt.Sprintf("%s has task: %s that failed.", host, pick(r, taskAlertNames))
	}
	return "Custom alert: " + pick(r, []string{"Backup job failed", "License expiring", "Certificate expires in 14 days"})
}

// seedAlerts generates FleetSpec.Alerts alerts, in id order.
func (s *Server) seedAlerts() {
	f := s.fleet
	s.nextAlertID = 1001
	for k := range f.spec.Alerts {
		r := newRNG(f.spec.Seed, streamAlerts, uint64(k), 0)
		a := Alert{ID: s.nextAlertID, Time: f.t0.Add(-time.Duration(r.between(60, 45*86400))*time.Second - time.Duration(r.intn(1e6))*time.Microsecond)}
		s.nextAlertID++
		if f.n > 0 && !r.chance(0.12) {
			a.AgentPK = r.intn(f.n) + 1
			switch p := r.float(); {
			case p < 0.4:
				a.Type, a.Severity = "availability", "error"
			case p < 0.85:
				a.Type, a.Severity, a.AssignedCheck = "check", pick(&r, []string{"error", "warning", "warning", "info"}), 300+r.intn(500)
			default:
				a.Type, a.Severity, a.AssignedTask = "task", pick(&r, []string{"error", "warning"}), 50+r.intn(100)
			}
		} else {
			a.Type, a.Severity = "custom", pick(&r, []string{"info", "warning", "error"})
		}
		a.Message = s.defaultMessage(&a, &r)
		a.Hidden = r.chance(0.08)
		if r.chance(0.4) {
			a.Resolved = true
			a.ResolvedOn = a.Time.Add(time.Duration(r.between(300, 2*86400)) * time.Second)
			if a.ResolvedOn.After(f.t0) {
				a.ResolvedOn = f.t0.Add(-time.Second)
			}
		} else if r.chance(0.08) {
			a.Snoozed = true
			a.SnoozeUntil = f.t0.Add(time.Duration(r.between(1, 7)) * 24 * time.Hour)
		}
		if r.chance(0.3) {
			a.EmailSent = a.Time.Add(1650 * time.Millisecond)
		}
		if r.chance(0.6) {
			ticket := 40000 + k
			a.ActionRun = a.Time.Add(1180 * time.Millisecond)
			a.ActionStdout = fmt.Sprintf(`{"status":"accepted","ticket":"T-%d"}`, ticket)
			a.ActionRetcode = 200
			if a.Resolved {
				a.ResolvedActionRun = a.ResolvedOn.Add(670 * time.Millisecond)
				a.ResolvedActionStdout = fmt.Sprintf(`{"status":"closed","ticket":"T-%d"}`, ticket)
				a.ResolvedActionRetcode = 200
			}
		}
		rec := &alertRec{Alert: a}
		s.alerts = append(s.alerts, rec)
		s.alertByID[a.ID] = rec
	}
}

// AddAlert stores a new alert and returns its id. A zero Time is now; an
// empty Message is Tactical's message for the type. It panics on an
// AgentPK that is not in the fleet.
func (s *Server) AddAlert(a Alert) int {
	if a.AgentPK < 0 || a.AgentPK > s.fleet.n {
		panic(fmt.Sprintf("tacticalfake: AddAlert: no agent with pk %d", a.AgentPK))
	}
	if a.Time.IsZero() {
		a.Time = s.now()
	}
	a.Time = a.Time.UTC().Truncate(time.Microsecond)
	if a.Type == "" {
		a.Type = "custom"
		if a.AgentPK != 0 {
			a.Type = "availability"
		}
	}
	if a.Severity == "" {
		a.Severity = "error"
	}
	if a.Message == "" {
		r := newRNG(0, streamAlerts, uint64(a.AgentPK), 1)
		a.Message = s.defaultMessage(&a, &r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.ID == 0 {
		a.ID = s.nextAlertID
	}
	s.nextAlertID = max(s.nextAlertID, a.ID+1)
	if old := s.alertByID[a.ID]; old != nil {
		s.alerts = slices.DeleteFunc(s.alerts, func(x *alertRec) bool { return x == old })
	}
	rec := &alertRec{Alert: a}
	s.alerts = append(s.alerts, rec)
	s.alertByID[a.ID] = rec
	return a.ID
}

// UpdateAlert changes an alert in place. Like an UPDATE in PostgreSQL, it
// moves the row to the end of the unordered list PATCH /alerts/ returns.
func (s *Server) UpdateAlert(id int, change func(*Alert)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.alertByID[id]
	if rec == nil {
		return fmt.Errorf("tacticalfake: no alert %d", id)
	}
	change(&rec.Alert)
	rec.ID = id
	s.alerts = slices.DeleteFunc(s.alerts, func(x *alertRec) bool { return x == rec })
	s.alerts = append(s.alerts, rec)
	return nil
}

// ResolveAlert resolves an alert as PUT /alerts/<pk>/ {"type":"resolve"}
// does: resolved, resolved_on now, snooze cleared. No action runs.
func (s *Server) ResolveAlert(id int) error {
	now := s.now()
	return s.UpdateAlert(id, func(a *Alert) {
		a.Resolved, a.ResolvedOn, a.Snoozed, a.SnoozeUntil = true, now, false, time.Time{}
	})
}

// Alerts returns every alert that still exists, by id.
func (s *Server) Alerts() []Alert {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Alert
	for _, a := range s.alerts {
		if s.alertVisibleLocked(a) {
			out = append(out, a.Alert)
		}
	}
	slices.SortFunc(out, func(a, b Alert) int { return a.ID - b.ID })
	return out
}

// alertVisibleLocked: alerts of removed agents are deleted with them.
func (s *Server) alertVisibleLocked(a *alertRec) bool {
	return a.AgentPK == 0 || !s.removedLocked(a.AgentPK-1)
}

// alertForRoleLocked is AlertQuerySet.filter_by_role.
func (s *Server) alertForRoleLocked(u *user, a *alertRec) (agentCore, bool) {
	if !s.alertVisibleLocked(a) {
		return agentCore{}, false
	}
	if a.AgentPK == 0 {
		p := u.Perms
		return agentCore{}, p.Superuser || (len(p.ViewClients) == 0 && len(p.ViewSites) == 0)
	}
	core, _ := s.coreLocked(a.AgentPK - 1)
	return core, roleSeesSite(u, s.fleet, core.siteID)
}

func (s *Server) writeAlert(w *jw, a *Alert, core agentCore) {
	w.open()
	w.key("id")
	w.int(a.ID)
	if a.AgentPK != 0 {
		v := view{f: s.fleet}
		w.key("hostname")
		w.str(s.fleet.hostname(core))
		w.key("agent_id")
		w.str(s.fleet.agentID(core.idx))
		w.key("client")
		w.str(v.clientName(core.siteID))
		w.key("site")
		w.str(v.siteName(core.siteID))
	}
	w.key("alert_time")
	w.time(a.Time)
	w.key("alert_type")
	w.str(a.Type)
	w.key("message")
	w.str(a.Message)
	w.key("snoozed")
	w.bool(a.Snoozed)
	w.key("snooze_until")
	w.time(a.SnoozeUntil)
	w.key("resolved")
	w.bool(a.Resolved)
	w.key("resolved_on")
	w.time(a.ResolvedOn)
	w.key("severity")
	w.str(a.Severity)
	w.key("email_sent")
	w.time(a.EmailSent)
	w.key("resolved_email_sent")
	w.null()
	w.key("sms_sent")
	w.null()
	w.key("resolved_sms_sent")
	w.null()
	w.key("hidden")
	w.bool(a.Hidden)
	writeAction(w, "", a.ActionRun, a.ActionStdout, a.ActionRetcode)
	writeAction(w, "resolved_", a.ResolvedActionRun, a.ResolvedActionStdout, a.ResolvedActionRetcode)
	w.key("agent")
	w.intOrNull(a.AgentPK)
	w.key("assigned_check")
	w.intOrNull(a.AssignedCheck)
	w.key("assigned_task")
	w.intOrNull(a.AssignedTask)
	w.close()
}

func writeAction(w *jw, prefix string, run time.Time, stdout string, retcode int) {
	w.key(prefix + "action_run")
	w.time(run)
	if run.IsZero() {
		for _, k := range []string{"action_stdout", "action_stderr", "action_retcode", "action_execution_time"} {
			w.key(prefix + k)
			w.null()
		}
		return
	}
	w.key(prefix + "action_stdout")
	w.str(stdout)
	w.key(prefix + "action_stderr")
	w.str("")
	w.key(prefix + "action_retcode")
	w.int(retcode)
	w.key(prefix + "action_execution_time")
	w.str("0.0000")
}

// alertQuery is one PATCH /alerts/ body, decoded to the three modes.
type alertQuery struct {
	top               *int
	filterMode        bool
	snoozed, resolved *bool // nil: no filter
	none              bool  // a filter that matches nothing
	clients           []int
	clientFilter      bool
	severities        []string
	severityFilter    bool
	days              *int
}

// parseAlertQuery mirrors GetAddAlerts.patch; ok=false means Python would
// raise (an HTML 500).
func parseAlertQuery(data any) (q alertQuery, ok bool) {
	m, isMap := data.(map[string]any)
	if !isMap {
		return q, false // request.data.keys() on a list
	}
	if v, has := m["top"]; has {
		n, ok := pyIntValue(v)
		if !ok || n < 0 {
			return q, false // int() fails, or negative slicing is refused
		}
		q.top = &n
		return q, true
	}
	for _, k := range []string{"timeFilter", "clientFilter", "severityFilter", "resolvedFilter", "snoozedFilter"} {
		if _, has := m[k]; has {
			q.filterMode = true
		}
	}
	if !q.filterMode {
		return q, true
	}
	// snoozedFilter/resolvedFilter: only a falsy value filters, on that
	// value; null compares with IS NULL and matches nothing.
	for _, k := range []string{"snoozedFilter", "resolvedFilter"} {
		v, has := m[k]
		if !has || pyTruthy(v) {
			continue
		}
		var want bool
		switch x := v.(type) {
		case nil:
			q.none = true
		case bool:
			want = x
		case json.Number:
			want = false
		case string:
			return q, false // "" is not a valid boolean
		default:
			_ = x // empty list/dict
			return q, false
		}
		if k == "snoozedFilter" {
			q.snoozed = &want
		} else {
			q.resolved = &want
		}
	}
	if v, has := m["clientFilter"]; has {
		list, ok := v.([]any)
		if !ok {
			return q, false
		}
		q.clientFilter = true
		for _, x := range list {
			n, ok := pyIntValue(x)
			if !ok {
				return q, false
			}
			q.clients = append(q.clients, n)
		}
	}
	if v, has := m["severityFilter"]; has {
		list, ok := v.([]any)
		if !ok {
			return q, false
		}
		q.severityFilter = true
		for _, x := range list {
			q.severities = append(q.severities, pyStr(x))
		}
	}
	if v, has := m["timeFilter"]; has {
		n, ok := pyIntValue(v)
		if !ok {
			return q, false
		}
		q.days = &n
	}
	return q, true
}

// pyIntValue is Python's int() of a parsed JSON value.
func pyIntValue(v any) (int, bool) {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.Atoi(x.String()); err == nil {
			return n, true
		}
		f, err := strconv.ParseFloat(x.String(), 64)
		if err != nil || math.IsInf(f, 0) {
			return 0, false
		}
		return int(f), true // int(30.7) truncates
	case string:
		return pyInt(x)
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func pyTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case json.Number:
		f, _ := strconv.ParseFloat(x.String(), 64)
		return f != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// handleAlertsPatch is PATCH /alerts/ in its three modes (API.md §6.2).
func (s *Server) handleAlertsPatch(c *call) {
	data, ok := c.dataOrFail()
	if !ok {
		return
	}
	q, ok := parseAlertQuery(data)
	if !ok {
		c.serverError()
		return
	}
	type row struct {
		a    Alert
		core agentCore
	}
	var rows []row
	s.mu.RLock()
	for _, rec := range s.alerts {
		core, visible := s.alertForRoleLocked(c.user, rec)
		if !visible {
			continue
		}
		a := rec.Alert
		switch {
		case q.top != nil:
			if a.Resolved || a.Snoozed || a.Hidden {
				continue
			}
		case q.filterMode:
			if !q.matches(s.fleet, a, core, c.now) {
				continue
			}
		}
		rows = append(rows, row{a, core})
	}
	s.mu.RUnlock()

	var w jw
	if q.top != nil {
		slices.SortStableFunc(rows, func(x, y row) int { return x.a.Time.Compare(y.a.Time) })
		w.open()
		w.key("alerts_count")
		w.int(len(rows))
		w.key("alerts")
		rows = rows[:min(*q.top, len(rows))]
	}
	w.openArr()
	for _, r := range rows {
		s.writeAlert(&w, &r.a, r.core)
	}
	w.closeArr()
	if q.top != nil {
		w.close()
	}
	c.json(http.StatusOK, w.b)
}

func (q *alertQuery) matches(f *fleet, a Alert, core agentCore, now time.Time) bool {
	switch {
	case q.none:
		return false
	case q.snoozed != nil && a.Snoozed != *q.snoozed:
		return false
	case q.resolved != nil && a.Resolved != *q.resolved:
		return false
	case q.clientFilter && (a.AgentPK == 0 || !slices.Contains(q.clients, f.clientOfSite(core.siteID))):
		return false
	case q.severityFilter && !slices.Contains(q.severities, a.Severity):
		return false
	case q.days != nil && (a.Time.After(now) || !a.Time.After(now.Add(-time.Duration(*q.days)*24*time.Hour))):
		return false
	}
	return true
}

// handleAlert is GET /alerts/<pk>/.
func (s *Server) handleAlert(c *call) {
	pk, _ := pyInt(c.params["pk"])
	s.mu.RLock()
	rec := s.alertByID[pk]
	var core agentCore
	visible := false
	if rec != nil {
		core, visible = s.alertForRoleLocked(c.user, rec)
		if !visible && s.alertVisibleLocked(rec) {
			visible = true // the detail view is not role-filtered
			if rec.AgentPK != 0 {
				core, _ = s.coreLocked(rec.AgentPK - 1)
			}
		}
	}
	var a Alert
	if rec != nil {
		a = rec.Alert
	}
	s.mu.RUnlock()
	if !visible {
		c.detail(http.StatusNotFound, "No Alert matches the given query.")
		return
	}
	var w jw
	s.writeAlert(&w, &a, core)
	c.json(http.StatusOK, w.b)
}
