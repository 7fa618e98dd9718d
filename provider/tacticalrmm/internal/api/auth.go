package api

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Credentials authenticate a Client. An APIKey wins when set (X-API-KEY,
// API.md §2.1). Otherwise a Knox Token is sent (Authorization: Token), and
// Username and Password, when present, let the client log in again once
// when the token is refused (API.md §2.2-2.4).
type Credentials struct {
	APIKey   string
	Username string
	Password string
	Token    string
}

// session holds the credentials and the Knox token obtained during a
// Client's life.
type session struct {
	mu       sync.Mutex
	creds    Credentials
	gen      uint64 // bumped whenever the token changes
	renewed  bool   // the one re-login after a 401 was spent
	obtained string // a token got by logging in, for the host to store
}

func newSession(c Credentials) *session { return &session{creds: c} }

// apply sets the credential header and returns the token generation used.
func (s *session) apply(h http.Header) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.creds.APIKey != "":
		h.Set("X-API-KEY", s.creds.APIKey)
	case s.creds.Token != "":
		h.Set("Authorization", "Token "+s.creds.Token)
	}
	return s.gen
}

func (s *session) canRenew() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creds.APIKey == "" && s.creds.Username != "" && s.creds.Password != ""
}

// NewToken returns the Knox token this client obtained by logging in, or ""
// when it used the credentials it was given. The host must store it.
func (c *Client) NewToken() string {
	c.auth.mu.Lock()
	defer c.auth.mu.Unlock()
	return c.auth.obtained
}

// ensureLoggedIn logs in first when the client has a username and password
// but no token yet.
func (c *Client) ensureLoggedIn(ctx context.Context) error {
	s := c.auth
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.creds.APIKey != "" || s.creds.Token != "" {
		return nil
	}
	if s.creds.Username == "" || s.creds.Password == "" {
		return rmm.Errorf(rmm.ErrInvalidConfig, "no Tactical credentials: set an API key, or a username and password")
	}
	tok, err := c.loginFlow(ctx, s.creds.Username, s.creds.Password, "")
	if err != nil {
		return err
	}
	s.setToken(tok)
	return nil
}

// renew logs in again after the token of generation gen was refused. Of
// several requests that saw the same 401, the first logs in and the others
// reuse its token. Only one re-login happens per Client.
func (c *Client) renew(ctx context.Context, gen uint64) error {
	s := c.auth
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		return nil
	}
	if s.renewed {
		return rmm.Errorf(rmm.ErrUnauthorized, "Tactical refused the session token again after logging in")
	}
	s.renewed = true
	tok, err := c.loginFlow(ctx, s.creds.Username, s.creds.Password, "")
	if errors.Is(err, ErrTOTPRequired) {
		return &rmm.Error{Kind: rmm.ErrUnauthorized, Err: ErrTOTPRequired,
			Msg: "the stored Tactical session expired and this account uses two-factor authentication: " +
				"re-authenticate with a TOTP code (test the connection with a code)"}
	}
	if err != nil {
		return err
	}
	s.setToken(tok)
	return nil
}

func (s *session) setToken(tok string) {
	s.creds.Token = tok
	s.obtained = tok
	s.gen++
}

// LogIn runs the whole login with the client's username and password and
// code (empty when the user has none) and adopts the token. It is what
// TestConnection uses, so it always talks to the server.
func (c *Client) LogIn(ctx context.Context, code string) (string, error) {
	s := c.auth
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, err := c.loginFlow(ctx, s.creds.Username, s.creds.Password, code)
	if err != nil {
		return "", err
	}
	s.setToken(tok)
	return tok, nil
}

// loginFlow is checkcreds, then login with the TOTP code when the account
// has TOTP. An account without TOTP gets its token from checkcreds: it is
// issued for 180 s, but Knox's auto-refresh turns it into an ordinary 5-hour
// sliding token on first use (API.md §2.3), and /v2/login/ cannot be used
// without a code.
func (c *Client) loginFlow(ctx context.Context, user, pass, code string) (string, error) {
	cc, err := c.CheckCreds(ctx, user, pass)
	if err != nil {
		return "", err
	}
	if !cc.TOTP {
		if cc.Token == "" {
			return "", rmm.Errorf(rmm.ErrUpstreamUnavailable, "Tactical's checkcreds answer carried no token")
		}
		return cc.Token, nil
	}
	if code == "" {
		return "", &rmm.Error{Kind: rmm.ErrUnauthorized, Err: ErrTOTPRequired,
			Msg: "this Tactical account uses two-factor authentication: enter the current TOTP code"}
	}
	lr, err := c.Login(ctx, user, pass, code)
	if err != nil {
		return "", err
	}
	return lr.Token, nil
}

// CheckCredsResult is the answer of POST /v2/checkcreds/.
type CheckCredsResult struct {
	TOTP   bool      `json:"totp"`
	Token  string    `json:"token"`
	Expiry time.Time `json:"expiry"`
}

// CheckCreds posts the username and password (API.md §2.3).
func (c *Client) CheckCreds(ctx context.Context, user, pass string) (CheckCredsResult, error) {
	cl := call{method: http.MethodPost, path: "/v2/checkcreds/", anonymous: true,
		body: map[string]string{"username": user, "password": pass}}
	var out CheckCredsResult
	resp, err := c.do(ctx, cl)
	if err != nil {
		return out, loginError(err, false)
	}
	return out, c.readJSON(ctx, cl, resp, &out)
}

// LoginResult is the answer of POST /v2/login/.
type LoginResult struct {
	Token    string    `json:"token"`
	Expiry   time.Time `json:"expiry"`
	Username string    `json:"username"`
}

// Login posts the username, password and TOTP code (API.md §2.4). The
// twofactor key is always sent: without it the server fails with a 500.
func (c *Client) Login(ctx context.Context, user, pass, code string) (LoginResult, error) {
	cl := call{method: http.MethodPost, path: "/v2/login/", anonymous: true,
		body: map[string]string{"username": user, "password": pass, "twofactor": code}}
	var out LoginResult
	resp, err := c.do(ctx, cl)
	if err != nil {
		return out, loginError(err, true)
	}
	if err := c.readJSON(ctx, cl, resp, &out); err != nil {
		return out, err
	}
	if out.Token == "" {
		return out, rmm.Errorf(rmm.ErrUpstreamUnavailable, "Tactical's login answer carried no token")
	}
	return out, nil
}

// loginError turns a 400 from the login views into a credentials error.
// The two views answer differently (API.md §2.3-2.4): checkcreds says
// "Bad credentials" for a bad password; login says {"non_field_errors":
// [...]} for a bad password and "Bad credentials" for a wrong TOTP code.
func loginError(err error, withCode bool) error {
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusBadRequest || he.HTML {
		return err
	}
	if withCode && he.Detail == "Bad credentials" {
		return &rmm.Error{Kind: rmm.ErrUnauthorized, Err: ErrBadTOTP,
			Msg: "Tactical did not accept the TOTP code: enter the current code from the authenticator app"}
	}
	return &rmm.Error{Kind: rmm.ErrUnauthorized, Err: ErrBadCredentials,
		Msg: "Tactical rejected the username or password (or the user may not log in to the dashboard)"}
}

// AdoptToken makes tok the client's token, as one it obtained: the host
// must store it.
func (c *Client) AdoptToken(tok string) {
	s := c.auth
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setToken(tok)
}

// HasToken reports whether the client holds a Knox token.
func (c *Client) HasToken() bool {
	c.auth.mu.Lock()
	defer c.auth.mu.Unlock()
	return c.auth.creds.Token != ""
}
