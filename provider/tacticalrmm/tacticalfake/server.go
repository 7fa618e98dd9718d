package tacticalfake

import (
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultAPIKey is a superuser API key every Server accepts. It has the
// shape of a key made by Tactical's UI: 32 upper-case letters and digits.
const DefaultAPIKey = "TACTICALFAKESUPERUSERAPIKEY00001"

// DefaultUsername is the superuser that owns DefaultAPIKey.
const DefaultUsername = "fake-admin"

// DefaultVersion is the Tactical release the fake plays by default.
const DefaultVersion = "1.5.1"

// Options configure a Server. The zero value is a plain-HTTP v1.5.1 API
// host with the beta API on and DefaultFleet.
type Options struct {
	// Version is the Tactical release ("1.5.1", "1.5.0", "1.4.0", ...);
	// "" means DefaultVersion. It decides dashinfo's trmm_version, the
	// APP_VER of /core/version/ and the few version-gated behaviours.
	Version string
	// TLS serves HTTPS with httptest's certificate (see Client, CertPool).
	TLS bool
	// SPA makes the server play the rmm. dashboard host: every path and
	// method answers 200 with the SPA's index.html.
	SPA bool
	// BetaDisabled plays a server without BETA_API_ENABLED: everything
	// under /beta/v1/ is Django's HTML 404.
	BetaDisabled bool
	// PublicURL, when set (e.g. "https://api.example.com"), is used instead
	// of the request's scheme and Host in absolute links, as behind a proxy.
	PublicURL string
	// Now is the fake's clock; nil means time.Now. Statuses, token expiry
	// and throttles all read it.
	Now func() time.Time
	// Fleet is the generated data; the zero value means DefaultFleet().
	Fleet FleetSpec
	// LoginRatePerMinute and LoginRatePerDay are the throttle rates of
	// /v2/checkcreds/ and /v2/login/ per client IP; 0 means Tactical's
	// defaults (10 and 300), a negative value turns that throttle off.
	LoginRatePerMinute int
	LoginRatePerDay    int
	// PreRender renders and caches every agent row and software row at
	// start (see Server.PreRender).
	PreRender bool
}

// FleetSpec describes the generated fleet. Everything is a pure function of
// the spec, so two servers with the same spec serve the same data.
type FleetSpec struct {
	Clients        int
	SitesPerClient int
	Agents         int
	// WindowsShare and LinuxShare are the fractions of Windows and Linux
	// agents (rounded to whole agents); the rest are macOS. Both zero means
	// 0.8 and 0.15.
	WindowsShare float64
	LinuxShare   float64
	// SoftwarePerWindowsAgent is the exact number of software items cached
	// for each Windows agent; POSIX agents never report software.
	SoftwarePerWindowsAgent int
	// Alerts is the number of generated alerts (some without an agent).
	Alerts int
	Seed   int64
}

// DefaultFleet is a small fleet for unit tests: 3 clients with 2 sites
// each, 12 agents (10 Windows, 1 Linux, 1 macOS), 40 alerts and 42
// software items per Windows agent (420 in all).
func DefaultFleet() FleetSpec {
	return FleetSpec{
		Clients: 3, SitesPerClient: 2, Agents: 12,
		WindowsShare: 0.84, LinuxShare: 0.09,
		SoftwarePerWindowsAgent: 42, Alerts: 40, Seed: 1,
	}
}

// Server is a running fake Tactical RMM API host.
type Server struct {
	opts      Options
	hs        *httptest.Server
	closeOnce sync.Once
	clock     func() time.Time
	fleet     *fleet
	zones     []byte // the rendered all_timezones array
	table     []*route

	mu          sync.RWMutex
	version     string
	overlays    map[int]*overlay
	alerts      []*alertRec // in "heap order": the order PATCH /alerts/ returns
	alertByID   map[int]*alertRec
	nextAlertID int
	users       map[string]*user
	apiKeys     map[string]*apiKey
	tokens      map[string]*knoxToken
	nextUserID  int
	throttles   map[string][]time.Time
	faults      []*faultState
	counts      map[string]int
	reqLog      []RequestRecord
	panics      []string
	rowCache    [][]byte // beta list rows by agent index, when pre-rendered
	swCache     [][]byte // software rows by agent index, when pre-rendered
}

// New starts a fake server. The caller must Close it.
func New(opts Options) *Server {
	s := &Server{
		opts:      opts,
		clock:     opts.Now,
		overlays:  map[int]*overlay{},
		alertByID: map[int]*alertRec{},
		users:     map[string]*user{},
		apiKeys:   map[string]*apiKey{},
		tokens:    map[string]*knoxToken{},
		throttles: map[string][]time.Time{},
		counts:    map[string]int{},
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.version = opts.Version
	if s.version == "" {
		s.version = DefaultVersion
	}
	spec := opts.Fleet
	if spec == (FleetSpec{}) {
		spec = DefaultFleet()
	}
	s.fleet = newFleet(spec, s.now())
	s.zones = renderZones()
	s.table = s.routes()
	s.seedAlerts()
	s.addUserLocked(User{Username: DefaultUsername, Password: "fake-admin-password", Perms: SuperuserPerms()})
	s.apiKeys[DefaultAPIKey] = &apiKey{user: s.users[DefaultUsername]}
	if opts.PreRender {
		s.PreRender()
	}
	if opts.TLS {
		s.hs = httptest.NewTLSServer(s)
	} else {
		s.hs = httptest.NewServer(s)
	}
	return s
}

// NewT starts a fake server that is closed when the test ends.
func NewT(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

// URL is the server's base URL without a trailing slash, e.g.
// "http://127.0.0.1:41234".
func (s *Server) URL() string { return strings.TrimSuffix(s.hs.URL, "/") }

// Close shuts the server down, cancelling hanging requests first. It may
// be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.hs.CloseClientConnections()
		s.hs.Close()
	})
}

// Client returns a new http.Client that trusts the server's certificate
// when TLS is on. It shares the server's transport, which Close shuts.
func (s *Server) Client() *http.Client {
	c := *s.hs.Client()
	return &c
}

// CertPool returns a pool holding the server's certificate, or nil without
// TLS.
func (s *Server) CertPool() *x509.CertPool {
	if s.hs.Certificate() == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.hs.Certificate())
	return pool
}

// Now is the fake's current time, truncated to microseconds as Django
// stores it.
func (s *Server) Now() time.Time { return s.now() }

func (s *Server) now() time.Time { return s.clock().UTC().Truncate(time.Microsecond) }

// Version is the Tactical release the fake plays.
func (s *Server) Version() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}

// SetVersion changes the Tactical release the fake plays, e.g. "1.5.0".
func (s *Server) SetVersion(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version = v
	s.invalidateAllLocked()
}
