package tacticalfake

import (
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Knox settings of stock Tactical (REST_KNOX).
const (
	knoxTTL             = 5 * time.Hour
	knoxMinRefresh      = 600 * time.Second
	checkCredsTokenTTL  = 180 * time.Second
	msgNotAuthenticated = "Authentication credentials were not provided."
	msgInvalidToken     = "Invalid token."
	msgNoPermission     = "You do not have permission to perform this action."
)

// unauthorized answers 401; DRF adds the first authenticator's
// WWW-Authenticate to every 401.
func (c *call) unauthorized(msg string) {
	c.w.Header().Set("WWW-Authenticate", "Token")
	c.detail(http.StatusUnauthorized, msg)
}

// authenticate runs DRF's authenticators in order: knox's
// TokenAuthentication, then (unless knoxOnly) Tactical's APIAuthentication.
// It answers 401 itself and returns false when a credential is bad; no
// credentials at all leave c.user nil and return true.
func (c *call) authenticate(knoxOnly bool) bool {
	parts := strings.Fields(c.r.Header.Get("Authorization"))
	if len(parts) > 0 && strings.EqualFold(parts[0], "Token") {
		switch {
		case len(parts) == 1:
			c.unauthorized("Invalid token header. No credentials provided.")
			return false
		case len(parts) > 2:
			c.unauthorized("Invalid token header. Token string should not contain spaces.")
			return false
		}
		u, msg := c.s.knoxUser(parts[1], c.now)
		if u == nil {
			c.unauthorized(msg)
			return false
		}
		c.user, c.token = u, parts[1]
		return true
	}
	if knoxOnly {
		return true
	}
	key := c.r.Header.Get("X-Api-Key")
	if key == "" {
		return true
	}
	if !utf8.ValidString(key) {
		c.unauthorized("Invalid token header. Token string should not contain invalid characters.")
		return false
	}
	u, msg := c.s.apiKeyUser(key, c.now)
	if u == nil {
		c.unauthorized(msg)
		return false
	}
	c.user = u
	return true
}

// knoxUser checks a knox token and slides its expiry; it returns the user,
// or nil and the 401 message.
func (s *Server) knoxUser(token string, now time.Time) (*user, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	if !ok {
		return nil, msgInvalidToken
	}
	if t.expiry.Before(now) { // knox deletes an expired token on use
		delete(s.tokens, token)
		return nil, msgInvalidToken
	}
	// AUTO_REFRESH: the expiry slides to now+TTL, but is only saved when
	// that moves it by more than MIN_REFRESH_INTERVAL.
	if next := now.Add(knoxTTL); next.Sub(t.expiry) > knoxMinRefresh {
		t.expiry = next
	}
	if t.user.Inactive {
		return nil, "User inactive or deleted."
	}
	return t.user, ""
}

// apiKeyUser is APIAuthentication.authenticate_credentials.
func (s *Server) apiKeyUser(key string, now time.Time) (*user, string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.apiKeys[key]
	switch {
	case !ok:
		return nil, msgInvalidToken
	case k.user.Inactive:
		return nil, "User inactive or deleted."
	case !k.expires.IsZero() && k.expires.Before(now):
		return nil, "The token has expired."
	}
	return k.user, ""
}

// perm is a DRF permission class: it reports whether the request may go on.
type perm func(c *call) bool

func allowAny(*call) bool { return true }

func isAuthenticated(c *call) bool { return c.user != nil }

// hasPerm is tacticalrmm.permissions._has_perm for one can_* flag.
func hasPerm(c *call, flag func(Perms) bool) bool {
	return c.user != nil && (c.user.Perms.Superuser || flag(c.user.Perms))
}

func canListAgents(c *call) bool { return hasPerm(c, func(p Perms) bool { return p.ListAgents }) }

func canListClients(c *call) bool { return hasPerm(c, func(p Perms) bool { return p.ListClients }) }

func canListSites(c *call) bool { return hasPerm(c, func(p Perms) bool { return p.ListSites }) }

func canListAlerts(c *call) bool { return hasPerm(c, func(p Perms) bool { return p.ListAlerts }) }

func canListSoftware(c *call) bool { return hasPerm(c, func(p Perms) bool { return p.ListSoftware }) }

// checkPerm answers 401 for anonymous callers and 403 for the rest, as
// DRF's permission_denied does.
func (c *call) checkPerm(p perm) bool {
	if p(c) {
		return true
	}
	if c.user == nil {
		c.unauthorized(msgNotAuthenticated)
	} else {
		c.detail(http.StatusForbidden, msgNoPermission)
	}
	return false
}

// roleSeesSite is the role's can_view_clients/can_view_sites test used by
// filter_by_role and _has_perm_on_agent.
func roleSeesSite(u *user, f *fleet, siteID int) bool {
	p := u.Perms
	if p.Superuser || (len(p.ViewClients) == 0 && len(p.ViewSites) == 0) {
		return true
	}
	return slices.Contains(p.ViewSites, siteID) || slices.Contains(p.ViewClients, f.clientOfSite(siteID))
}

// roleSeesClient is ClientQuerySet.filter_by_role: the role's clients, and
// the clients of its sites.
func roleSeesClient(u *user, f *fleet, clientID int) bool {
	p := u.Perms
	if p.Superuser || (len(p.ViewClients) == 0 && len(p.ViewSites) == 0) || slices.Contains(p.ViewClients, clientID) {
		return true
	}
	for _, sid := range p.ViewSites {
		if f.clientOfSite(sid) == clientID {
			return true
		}
	}
	return false
}
