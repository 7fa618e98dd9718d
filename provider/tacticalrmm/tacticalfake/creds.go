package tacticalfake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// Perms is a user's Role: the can_* permissions the views check, and the
// clients and sites the role may see. A superuser passes every check.
type Perms struct {
	Superuser    bool
	ListAgents   bool // can_list_agents
	ListClients  bool // can_list_clients
	ListSites    bool // can_list_sites
	ListAlerts   bool // can_list_alerts
	ListSoftware bool // can_list_software
	// ViewClients and ViewSites are the role's can_view_clients and
	// can_view_sites (ids). Both empty means every client and site. They
	// filter the non-beta lists (filter_by_role); the beta lists ignore them.
	ViewClients []int
	ViewSites   []int
}

// SuperuserPerms is a role with is_superuser.
func SuperuserPerms() Perms { return Perms{Superuser: true} }

// ReadOnlyPerms is a role that may list everything a sync reads.
func ReadOnlyPerms() Perms {
	return Perms{ListAgents: true, ListClients: true, ListSites: true, ListAlerts: true, ListSoftware: true}
}

// User is a Tactical user.
type User struct {
	Username string
	Password string
	// TOTPSecret is the base32 totp_key; "" means TOTP is not set up.
	TOTPSecret string
	Perms      Perms
	Inactive   bool
	// BlockDashboardLogin makes both login views answer "Bad credentials".
	BlockDashboardLogin bool
}

type user struct {
	User
	id int
}

type apiKey struct {
	user    *user
	expires time.Time // zero: never
}

// knoxToken is a knox AuthToken: the token string itself is the map key.
type knoxToken struct {
	user   *user
	expiry time.Time
}

// AddUser adds or replaces a user.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addUserLocked(u)
}

func (s *Server) addUserLocked(u User) *user {
	u.Perms.ViewClients = slices.Clone(u.Perms.ViewClients)
	u.Perms.ViewSites = slices.Clone(u.Perms.ViewSites)
	if old, ok := s.users[u.Username]; ok {
		old.User = u // keep the identity: keys and tokens stay attached
		return old
	}
	s.nextUserID++
	nu := &user{User: u, id: s.nextUserID}
	s.users[u.Username] = nu
	return nu
}

// AddAPIKey adds an API key owned by a new user with perms. A zero expires
// means the key never expires.
func (s *Server) AddAPIKey(key string, perms Perms, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.addUserLocked(User{Username: fmt.Sprintf("apikey-user-%d", s.nextUserID+1), Perms: perms})
	s.apiKeys[key] = &apiKey{user: u, expires: expires}
}

// AddUserAPIKey adds an API key owned by an existing user.
func (s *Server) AddUserAPIKey(username, key string, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return fmt.Errorf("tacticalfake: no user %q", username)
	}
	s.apiKeys[key] = &apiKey{user: u, expires: expires}
	return nil
}

// SetUserInactive sets a user's is_active to !inactive.
func (s *Server) SetUserInactive(username string, inactive bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return fmt.Errorf("tacticalfake: no user %q", username)
	}
	u.Inactive = inactive
	return nil
}

// IssueToken creates a knox token for a user, as a login would, expiring
// ttl from now.
func (s *Server) IssueToken(username string, ttl time.Duration) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return "", fmt.Errorf("tacticalfake: no user %q", username)
	}
	tok, _ := s.issueTokenLocked(u, ttl)
	return tok, nil
}

func (s *Server) issueTokenLocked(u *user, ttl time.Duration) (string, time.Time) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	tok := hex.EncodeToString(b[:])
	exp := s.now().Add(ttl)
	s.tokens[tok] = &knoxToken{user: u, expiry: exp}
	return tok, exp
}

// TokenExpiry returns a knox token's stored expiry, and whether the token
// exists.
func (s *Server) TokenExpiry(token string) (time.Time, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens[token]
	if !ok {
		return time.Time{}, false
	}
	return t.expiry, true
}
