package tacticalfake

import (
	"encoding/json"
	"net/http"
	"strings"
)

// authTokenFields validates like DRF's AuthTokenSerializer and
// authenticates. It returns the user, or the serializer errors in
// DRF's order.
func (s *Server) authTokenFields(data any) (*user, [][2]string) {
	m, ok := data.(map[string]any)
	if !ok {
		return nil, [][2]string{{"non_field_errors", "Invalid data. Expected a dictionary, but got list."}}
	}
	var errs [][2]string
	field := func(name string, trim bool) string {
		v, present := m[name]
		if !present {
			errs = append(errs, [2]string{name, "This field is required."})
			return ""
		}
		str, ok := pyStrField(v)
		if !ok {
			errs = append(errs, [2]string{name, "Not a valid string."})
			return ""
		}
		if trim {
			str = strings.TrimSpace(str)
		}
		if str == "" {
			errs = append(errs, [2]string{name, "This field may not be blank."})
		}
		return str
	}
	username := field("username", true)
	password := field("password", false)
	if len(errs) > 0 {
		return nil, errs
	}
	s.mu.RLock()
	u, ok := s.users[username]
	s.mu.RUnlock()
	// Django's ModelBackend refuses inactive users like bad passwords.
	if !ok || u.Inactive || u.Password == "" || u.Password != password {
		return nil, [][2]string{{"non_field_errors", "Unable to log in with provided credentials."}}
	}
	return u, nil
}

// pyStrField is DRF CharField.to_internal_value: strings and numbers.
func pyStrField(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// pyStr is Python's str() of a parsed JSON value.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	}
	return ""
}

func writeFieldErrors(c *call, errs [][2]string) {
	var w jw
	w.open()
	for i := 0; i < len(errs); {
		name := errs[i][0]
		w.key(name)
		w.openArr()
		for ; i < len(errs) && errs[i][0] == name; i++ {
			w.str(errs[i][1])
		}
		w.closeArr()
	}
	w.close()
	c.json(http.StatusBadRequest, w.b)
}

// handleCheckCreds is CheckCredsV2.
func (s *Server) handleCheckCreds(c *call) {
	data, ok := c.dataOrFail()
	if !ok {
		return
	}
	u, errs := s.authTokenFields(data)
	if errs != nil {
		// The failure path audits request.data["username"]: a KeyError
		// (or TypeError on a non-dict) when it is missing.
		m, isMap := data.(map[string]any)
		if _, has := m["username"]; !isMap || !has {
			c.serverError()
			return
		}
		c.jsonString(http.StatusBadRequest, "Bad credentials")
		return
	}
	if u.BlockDashboardLogin {
		c.jsonString(http.StatusBadRequest, "Bad credentials")
		return
	}
	if u.TOTPSecret != "" {
		c.json(http.StatusOK, []byte(`{"totp":true}`))
		return
	}
	s.mu.Lock()
	tok, exp := s.issueTokenLocked(u, checkCredsTokenTTL)
	s.mu.Unlock()
	var w jw
	w.open()
	w.key("expiry")
	w.time(exp)
	w.key("token")
	w.str(tok)
	w.key("totp")
	w.bool(false)
	w.close()
	c.json(http.StatusOK, w.b)
}

// handleLogin is LoginViewV2.
func (s *Server) handleLogin(c *call) {
	data, ok := c.dataOrFail()
	if !ok {
		return
	}
	u, errs := s.authTokenFields(data)
	if errs != nil {
		writeFieldErrors(c, errs)
		return
	}
	if u.BlockDashboardLogin {
		c.jsonString(http.StatusBadRequest, "Bad credentials")
		return
	}
	code, has := data.(map[string]any)["twofactor"]
	if !has {
		c.serverError() // request.data["twofactor"]: KeyError
		return
	}
	key, err := decodeTOTPSecret(u.TOTPSecret)
	if u.TOTPSecret == "" || err != nil {
		c.serverError() // pyotp.TOTP(None) fails on use
		return
	}
	if !verifyTOTP(key, pyStr(code), c.now) {
		c.jsonString(http.StatusBadRequest, "Bad credentials")
		return
	}
	s.mu.Lock()
	tok, exp := s.issueTokenLocked(u, knoxTTL)
	s.mu.Unlock()
	var w jw
	w.open()
	w.key("expiry")
	w.time(exp)
	w.key("token")
	w.str(tok)
	if versionAtLeast(s.Version(), "0.20.0") {
		w.key("username")
		w.str(u.Username)
		w.key("name")
		w.null()
	}
	w.close()
	c.json(http.StatusOK, w.b)
}

// handleLogout is knox's LogoutView: it deletes the token used.
func (s *Server) handleLogout(c *call) {
	s.mu.Lock()
	delete(s.tokens, c.token)
	s.mu.Unlock()
	c.noContent()
}

// handleLogoutAll is knox's LogoutAllView: every token of the user goes.
func (s *Server) handleLogoutAll(c *call) {
	s.mu.Lock()
	for k, t := range s.tokens {
		if t.user == c.user {
			delete(s.tokens, k)
		}
	}
	s.mu.Unlock()
	c.noContent()
}

func (c *call) noContent() {
	c.drfHeaders()
	c.w.WriteHeader(http.StatusNoContent)
}
