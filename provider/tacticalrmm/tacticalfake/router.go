package tacticalfake

import (
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
)

// route is one URL pattern and the view behind it.
type route struct {
	re   *regexp.Regexp
	name string // the DRF view name OPTIONS reports
	// viewset routes (the beta API) allow only their own methods: HEAD and
	// OPTIONS are 405 there. APIViews answer HEAD like GET and OPTIONS with
	// metadata; @api_view functions allow OPTIONS but not HEAD.
	kind     viewKind
	knoxOnly bool // logout views authenticate with knox only
	public   bool // AllowAny views
	beta     bool
	methods  map[string]endpoint
}

type viewKind int

const (
	apiView viewKind = iota
	funcView
	viewSet
)

type endpoint struct {
	perm     perm
	throttle string // login view scope prefix, "" for none
	h        func(c *call)
}

func get(p perm, h func(*call)) map[string]endpoint {
	return map[string]endpoint{http.MethodGet: {perm: p, h: h}}
}

func (s *Server) routes() []*route {
	r := func(pattern, name string, kind viewKind, methods map[string]endpoint) *route {
		return &route{re: regexp.MustCompile("^" + pattern + "$"), name: name, kind: kind, methods: methods}
	}
	beta := func(rt *route) *route { rt.beta = true; return rt }
	const agentID = `(?P<agent_id>[^/]{20}[^/]+)`
	const format = `\.(?P<format>[a-z0-9]+)/?`
	logout := r(`/logout/`, "Logout", apiView, map[string]endpoint{http.MethodPost: {perm: isAuthenticated, h: s.handleLogout}})
	logout.knoxOnly = true
	logoutAll := r(`/logoutall/`, "Logout All", apiView, map[string]endpoint{http.MethodPost: {perm: isAuthenticated, h: s.handleLogoutAll}})
	logoutAll.knoxOnly = true
	public := func(rt *route) *route { rt.public = true; return rt }
	return []*route{
		public(r(`/`, "Home", funcView, get(allowAny, s.handleHome))),
		public(r(`/v2/checkcreds/`, "Check Creds V2", apiView, map[string]endpoint{http.MethodPost: {perm: allowAny, throttle: "check_creds", h: s.handleCheckCreds}})),
		public(r(`/v2/login/`, "Login View V2", apiView, map[string]endpoint{http.MethodPost: {perm: allowAny, throttle: "login", h: s.handleLogin}})),
		logout, logoutAll,
		r(`/core/version/`, "Version", funcView, get(isAuthenticated, s.handleVersion)),
		r(`/core/dashinfo/`, "Dashboard Info", funcView, get(isAuthenticated, s.handleDashInfo)),
		r(`/agents/`, "Get Agents", apiView, get(canListAgents, s.handleAgents)),
		r(`/agents/`+agentID+`/`, "Get Update Delete Agent", apiView, get(canListAgents, s.handleAgent)),
		r(`/clients/`, "Get Add Clients", apiView, get(canListClients, s.handleClients)),
		r(`/clients/(?P<pk>[0-9]+)/`, "Get Update Delete Client", apiView, get(canListClients, s.handleClient)),
		r(`/clients/sites/`, "Get Add Sites", apiView, get(canListSites, s.handleSites)),
		r(`/clients/sites/(?P<pk>[0-9]+)/`, "Get Update Delete Site", apiView, get(canListSites, s.handleSite)),
		r(`/alerts/`, "Get Add Alerts", apiView, map[string]endpoint{http.MethodPatch: {perm: canListAlerts, h: s.handleAlertsPatch}}),
		r(`/alerts/(?P<pk>[0-9]+)/`, "Get Update Delete Alert", apiView, get(canListAlerts, s.handleAlert)),
		r(`/software/`, "Get Software", apiView, get(canListSoftware, s.handleSoftwareAll)),
		r(`/software/`+agentID+`/`, "Get Software", apiView, get(canListSoftware, s.handleSoftwareAgent)),
		beta(r(`/beta/v1/`, "Api Root", apiView, get(isAuthenticated, s.handleBetaRoot))),
		beta(r(`/beta/v1/`+format, "Api Root", apiView, get(isAuthenticated, s.handleBetaRoot))),
		beta(r(`/beta/v1/agent/`, "Agent List", viewSet, get(canListAgents, s.handleBetaAgents))),
		beta(r(`/beta/v1/agent`+format, "Agent List", viewSet, get(canListAgents, s.handleBetaAgents))),
		beta(r(`/beta/v1/agent/(?P<pk>[^/.]+)/`, "Agent Instance", viewSet, get(canListAgents, s.handleBetaAgent))),
		beta(r(`/beta/v1/agent/(?P<pk>[^/.]+)`+format, "Agent Instance", viewSet, get(canListAgents, s.handleBetaAgent))),
		beta(r(`/beta/v1/client/`, "Client List", viewSet, get(canListClients, s.handleBetaClients))),
		beta(r(`/beta/v1/client`+format, "Client List", viewSet, get(canListClients, s.handleBetaClients))),
		beta(r(`/beta/v1/client/(?P<pk>[^/.]+)/`, "Client Instance", viewSet, get(canListClients, s.handleBetaClient))),
		beta(r(`/beta/v1/client/(?P<pk>[^/.]+)`+format, "Client Instance", viewSet, get(canListClients, s.handleBetaClient))),
		beta(r(`/beta/v1/site/`, "Site List", viewSet, get(canListSites, s.handleBetaSites))),
		beta(r(`/beta/v1/site`+format, "Site List", viewSet, get(canListSites, s.handleBetaSites))),
		beta(r(`/beta/v1/site/(?P<pk>[^/.]+)/`, "Site Instance", viewSet, get(canListSites, s.handleBetaSite))),
		beta(r(`/beta/v1/site/(?P<pk>[^/.]+)`+format, "Site Instance", viewSet, get(canListSites, s.handleBetaSite))),
	}
}

// resolve is Django's URL resolver over the mounted routes.
func (s *Server) resolve(path string) (*route, map[string]string) {
	for _, rt := range s.table {
		if rt.beta && s.opts.BetaDisabled {
			continue
		}
		m := rt.re.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		params := map[string]string{}
		for i, name := range rt.re.SubexpNames() {
			if name != "" && m[i] != "" {
				params[name] = m[i]
			}
		}
		return rt, params
	}
	return nil, nil
}

// ServeHTTP is the whole server: counters and faults, then the SPA or the
// Django stack.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.record(r)
	if f := s.takeFault(r); f != nil {
		if !s.applyFault(w, r, f) {
			return
		}
		if f.TruncateBody {
			s.serveTruncated(w, r)
			return
		}
	}
	s.serve(w, r)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.opts.SPA {
		writeSPA(w)
		return
	}
	c := &call{s: s, w: w, r: r, now: s.now()}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.notePanic(fmt.Sprintf("%s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack()))
			c.serverError()
		}
	}()
	rt, params := s.resolve(r.URL.Path)
	if rt == nil {
		// CommonMiddleware's APPEND_SLASH: a 404 whose slash form resolves
		// becomes a 301 there, for every method (DEBUG is off).
		if !strings.HasSuffix(r.URL.Path, "/") {
			if rt2, _ := s.resolve(r.URL.Path + "/"); rt2 != nil {
				loc := r.URL.EscapedPath() + "/"
				if r.URL.RawQuery != "" {
					loc += "?" + r.URL.RawQuery
				}
				djangoHeaders(w.Header())
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Header().Set("Location", loc)
				w.Header().Set("Content-Length", "0")
				w.WriteHeader(http.StatusMovedPermanently)
				return
			}
		}
		c.notFoundHTML()
		return
	}
	c.rt, c.params = rt, params
	s.dispatch(c)
}

// dispatch is DRF's APIView.dispatch: content negotiation, authentication,
// permissions, throttles, then the handler or 405.
func (s *Server) dispatch(c *call) {
	rt := c.rt
	c.allow = allowHeader(rt)
	if f := c.params["format"]; f != "" && f != "json" {
		c.detail(http.StatusNotFound, "Not found.")
		return
	}
	if f, ok := c.query("format"); ok && f != "json" {
		c.detail(http.StatusNotFound, "Not found.")
		return
	}
	if !acceptsJSON(c.r.Header.Values("Accept")) {
		c.detail(http.StatusNotAcceptable, "Could not satisfy the request Accept header.")
		return
	}
	if !c.authenticate(rt.knoxOnly) {
		return
	}
	method := c.r.Method
	if method == http.MethodHead && rt.kind == apiView {
		method = http.MethodGet
	}
	ep, ok := rt.methods[method]
	if !ok {
		p := isAuthenticated
		if rt.public {
			p = allowAny
		}
		if !c.checkPerm(p) {
			return
		}
		if c.r.Method == http.MethodOptions && rt.kind != viewSet {
			c.options()
			return
		}
		c.detail(http.StatusMethodNotAllowed, fmt.Sprintf("Method \"%s\" not allowed.", c.r.Method))
		return
	}
	if !c.checkPerm(ep.perm) {
		return
	}
	if ep.throttle != "" && !c.checkThrottles(s.loginThrottles(ep.throttle)) {
		return
	}
	ep.h(c)
}

func allowHeader(rt *route) string {
	var ms []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if _, ok := rt.methods[m]; ok {
			ms = append(ms, m)
		}
	}
	if rt.kind == apiView && slices.Contains(ms, http.MethodGet) {
		ms = append(ms, http.MethodHead)
	}
	if rt.kind != viewSet {
		ms = append(ms, http.MethodOptions)
	}
	return strings.Join(ms, ", ")
}

// acceptsJSON is DRF's content negotiation with JSONRenderer only.
func acceptsJSON(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			switch mt {
			case "*/*", "application/*", "application/json":
				return true
			}
		}
	}
	return false
}

// options is DRF's SimpleMetadata for an APIView.
func (c *call) options() {
	var w jw
	w.open()
	w.key("name")
	w.str(c.rt.name)
	w.key("description")
	w.str("")
	w.key("renders")
	w.strs([]string{"application/json"})
	w.key("parses")
	w.strs([]string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data"})
	w.close()
	c.json(http.StatusOK, w.b)
}

const spaIndex = `<!DOCTYPE html><html><head><title>Tactical RMM</title><meta charset=utf-8><meta name=description content="Tactical RMM"><meta name=format-detection content="telephone=no"><meta name=msapplication-tap-highlight content=no><meta name=viewport content="user-scalable=no,initial-scale=1,maximum-scale=1,minimum-scale=1,width=device-width"><link rel=icon type=image/png sizes=128x128 href=icons/favicon-128x128.png><script type=module crossorigin src=/assets/index.8b1f7c2e.js></script><link rel=stylesheet href=/assets/index.4c2d9a61.css></head><body><div id=q-app></div></body></html>`

// writeSPA is the rmm. dashboard host: nginx serves index.html for any
// path and method.
func writeSPA(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", fmt.Sprint(len(spaIndex)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(spaIndex))
}
