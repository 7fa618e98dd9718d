package tacticalfake

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// agentFilter is the beta AgentFilter (django-filter), SearchFilter and
// OrderingFilter, parsed from one request.
type agentFilter struct {
	id                 *float64
	hostname, os       *string
	plat, monType      *string
	needsReboot        *bool
	loggedIn, lastUser *string
	siteID, clientID   int
	after, before      *time.Time
	search             []string
	descending         bool
}

// needsFull reports whether matching needs the generated heavy fields.
func (f *agentFilter) needsFull() bool {
	return f.os != nil || f.needsReboot != nil || f.loggedIn != nil || f.lastUser != nil || len(f.search) > 0
}

// parseAgentFilter returns the filter, or django-filter's form errors
// (field, message) in declaration order.
func (s *Server) parseAgentFilter(c *call) (*agentFilter, [][2]string) {
	f := &agentFilter{}
	var errs [][2]string
	str := func(key string) *string {
		if v, ok := c.query(key); ok && v != "" {
			return &v
		}
		return nil
	}
	choice := func(key string, choices ...string) *string {
		v := str(key)
		if v != nil && !slices.Contains(choices, *v) {
			errs = append(errs, [2]string{key, "Select a valid choice. " + *v + " is not one of the available choices."})
			return nil
		}
		return v
	}
	if v := str("id"); v != nil {
		n, err := strconv.ParseFloat(strings.TrimSpace(*v), 64)
		if err != nil {
			errs = append(errs, [2]string{"id", "Enter a number."})
		} else {
			f.id = &n
		}
	}
	f.hostname = str("hostname")
	f.os = str("operating_system")
	f.plat = choice("plat", "windows", "linux", "darwin")
	f.monType = choice("monitoring_type", "server", "workstation")
	if v := str("needs_reboot"); v != nil {
		// NullBooleanSelect: unknown spellings mean "no filter".
		switch *v {
		case "true", "True", "2":
			t := true
			f.needsReboot = &t
		case "false", "False", "3":
			t := false
			f.needsReboot = &t
		}
	}
	f.loggedIn = str("logged_in_username")
	f.lastUser = str("last_logged_in_user")
	if v := str("site"); v != nil {
		n, ok := pyInt(*v)
		if !ok || s.fleet.site(n) == nil {
			errs = append(errs, [2]string{"site", "Select a valid choice. That choice is not one of the available choices."})
		} else {
			f.siteID = n
		}
	}
	if v := str("client_id"); v != nil {
		n, err := strconv.ParseFloat(strings.TrimSpace(*v), 64)
		switch {
		case err != nil:
			errs = append(errs, [2]string{"client_id", "Enter a number."})
		case n != float64(int(n)):
			f.clientID = -1 // matches nothing
		default:
			f.clientID = int(n)
		}
	}
	badRange := false
	for _, k := range []string{"last_seen_range_after", "last_seen_range_before"} {
		if v := str(k); v != nil {
			t, ok := parseDjangoDateTime(*v)
			if !ok {
				badRange = true
				continue
			}
			if k == "last_seen_range_after" {
				f.after = &t
			} else {
				f.before = &t
			}
		}
	}
	if badRange {
		errs = append(errs, [2]string{"last_seen_range", "Enter a valid date/time."})
	}
	if v, ok := c.query("search"); ok {
		f.search = strings.Fields(strings.ReplaceAll(strings.ReplaceAll(v, "\x00", ""), ",", " "))
	}
	f.descending = orderingDescending(c)
	return f, errs
}

// orderingDescending is OrderingFilter with ordering_fields=["id"]: the
// first valid term decides, anything else is ignored.
func orderingDescending(c *call) bool {
	v, _ := c.query("ordering")
	for _, t := range strings.Split(v, ",") {
		switch strings.TrimSpace(t) {
		case "id":
			return false
		case "-id":
			return true
		}
	}
	return false
}

// matchCore applies the filters that only need the agent's core.
func (f *agentFilter) matchCore(fl *fleet, c agentCore) bool {
	switch {
	case f.id != nil && *f.id != float64(c.pk):
		return false
	case f.plat != nil && *f.plat != c.plat.String():
		return false
	case f.monType != nil && (*f.monType == "server") != c.server:
		return false
	case f.siteID != 0 && f.siteID != c.siteID:
		return false
	case f.clientID != 0 && f.clientID != fl.clientOfSite(c.siteID):
		return false
	case f.after != nil && (c.lastSeen.IsZero() || c.lastSeen.Before(*f.after)):
		return false
	case f.before != nil && (c.lastSeen.IsZero() || c.lastSeen.After(*f.before)):
		return false
	case f.hostname != nil && *f.hostname != fl.hostname(c):
		return false
	}
	return true
}

// matchFull applies the rest; a is the agent fully generated.
func (f *agentFilter) matchFull(a *agentFull) bool {
	switch {
	case f.os != nil && *f.os != a.os:
		return false
	case f.needsReboot != nil && *f.needsReboot != a.needsReboot:
		return false
	case f.loggedIn != nil && *f.loggedIn != a.loggedIn:
		return false
	case f.lastUser != nil && *f.lastUser != a.lastLoggedIn:
		return false
	}
	if len(f.search) > 0 {
		var w jw
		writeServices(&w, a.services)
		hay := strings.ToLower(a.hostname)
		svcs := strings.ToLower(string(w.b))
		for _, t := range f.search {
			t = strings.ToLower(t)
			if !strings.Contains(hay, t) && !strings.Contains(svcs, t) {
				return false
			}
		}
	}
	return true
}
