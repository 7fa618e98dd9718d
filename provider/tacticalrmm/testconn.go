package tacticalrmm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/internal/api"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// Reasons in TestConnectionResult.Reason.
const (
	ReasonInvalidConfig       = "invalid_config"
	ReasonUnreachable         = "unreachable"
	ReasonTimeout             = "timeout"
	ReasonTLS                 = "tls_error"
	ReasonDashboardHost       = "dashboard_host"
	ReasonNotTacticalAPI      = "not_tactical_api"
	ReasonBetaAPIDisabled     = "beta_api_disabled"
	ReasonBadAPIKey           = "bad_api_key"
	ReasonAPIKeyExpired       = "api_key_expired"
	ReasonUserInactive        = "user_inactive"
	ReasonBadCredentials      = "bad_credentials"
	ReasonSessionExpired      = "session_expired"
	ReasonOneTimeCodeRequired = "one_time_code_required"
	ReasonOneTimeCodeInvalid  = "one_time_code_invalid"
	ReasonForbidden           = "forbidden"
	ReasonRateLimited         = "rate_limited"
	ReasonServerError         = "server_error"
)

// TestConnection checks the URL, the credentials, the beta API and every
// listing the provider uses, and reports the server version. Problems the
// user can fix are a result with OK=false; only a cancelled call is an
// error.
func (p *Provider) TestConnection(ctx context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
	s, err := p.open(req.Integration, min(p.timeout, testTimeout), testAttempts)
	if err != nil {
		return failed(err, req.Integration.AuthMode), nil
	}
	res, err := p.testConnection(ctx, s, req)
	if cerr := ctx.Err(); cerr != nil {
		return rmm.TestConnectionResult{}, fmt.Errorf("test connection: %w", cerr)
	}
	if err != nil {
		// Keep what was learnt before the failure (version, warnings).
		f := failed(err, req.Integration.AuthMode)
		f.ServerVersion, f.Warnings = res.ServerVersion, res.Warnings
		for k, v := range res.Details {
			if f.Details == nil {
				f.Details = map[string]string{}
			}
			if _, set := f.Details[k]; !set {
				f.Details[k] = v
			}
		}
		res = f
	}
	res.NewSecrets = s.newSecrets()
	return res, nil
}

func (p *Provider) testConnection(ctx context.Context, s *session, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
	res := rmm.TestConnectionResult{Details: map[string]string{"base_url": s.api.BaseURL().String()}}
	// GET / needs no credentials: it tells an unreachable host and the
	// dashboard host apart before any login is tried. Servers before
	// v0.18.0 lack it, so other failures are left to the next steps.
	if err := s.api.Home(ctx); err != nil {
		var (
			ne *api.NetError
			he *api.HTTPError
		)
		if errors.As(err, &ne) || (errors.As(err, &he) && he.HTML && he.Status < 300) {
			return res, err
		}
	}
	if req.Integration.AuthMode == rmm.AuthPassword {
		if err := p.testLogin(ctx, s, req); err != nil {
			return res, err
		}
	}

	release, appVer, err := serverVersion(ctx, s.api)
	if err != nil {
		return res, err
	}
	res.ServerVersion = release
	if release == "" {
		res.ServerVersion = appVer
	} else {
		res.Details["trmm_version"] = release
	}
	if appVer != "" {
		res.Details["app_version"] = appVer
	}
	res.Warnings = webhookWarnings(release, appVer)

	if err := s.api.BetaRoot(ctx); err != nil {
		return res, err
	}

	// Each listing the provider reads, with the role permission it needs.
	type listing struct {
		name, perm string
		run        func() (int64, error)
	}
	count := func(path, name string) func() (int64, error) {
		return func() (int64, error) { return s.api.CountList(ctx, path, name) }
	}
	probe := func(f func(context.Context) error) func() (int64, error) {
		return func() (int64, error) { return -1, f(ctx) }
	}
	var denied []string
	for _, l := range []listing{
		{"agents", "List Agents", count("/beta/v1/agent/", "agents")},
		{"clients", "List Clients", count("/beta/v1/client/", "clients")},
		{"sites", "List Sites", count("/beta/v1/site/", "sites")},
		{"alerts", "List Alerts", probe(s.api.ProbeAlerts)},
		{"software", "List Software", probe(s.api.ProbeSoftware)},
	} {
		n, err := l.run()
		switch {
		case errors.Is(err, rmm.ErrForbidden):
			denied = append(denied, fmt.Sprintf("%s (needs %q)", l.name, l.perm))
			res.Details[l.name] = "forbidden"
		case err != nil:
			return res, err
		case n >= 0:
			res.Details[l.name] = strconv.FormatInt(n, 10)
		default:
			res.Details[l.name] = "ok"
		}
	}
	if len(denied) > 0 {
		res.Reason = ReasonForbidden
		res.Message = "Connected, but the Tactical user's role may not list " + strings.Join(denied, ", ") +
			": grant these permissions to the role in Tactical (Settings → Permissions Manager)."
		return res, nil
	}
	res.OK = true
	version := res.ServerVersion
	if version == "" {
		version = "(version unknown)"
	}
	res.Message = fmt.Sprintf("Connected to Tactical RMM %s at %s: %s agents, %s clients, %s sites.",
		version, res.Details["base_url"], res.Details["agents"], res.Details["clients"], res.Details["sites"])
	return res, nil
}

// testLogin checks the username and password, and the TOTP code when the
// account has TOTP. A stored token is kept for TOTP accounts when no code
// was given, so a routine re-test needs no code.
func (p *Provider) testLogin(ctx context.Context, s *session, req rmm.TestConnectionRequest) error {
	user, pass := req.Integration.Secret(SecretUsername), req.Integration.Secret(SecretPassword)
	if user == "" || pass == "" {
		return nil // token only: the requests below test it
	}
	cc, err := s.api.CheckCreds(ctx, user, pass)
	if err != nil {
		return err
	}
	switch {
	case !cc.TOTP:
		if cc.Token == "" {
			return rmm.Errorf(rmm.ErrUpstreamUnavailable, "Tactical's checkcreds answer carried no token")
		}
		s.api.AdoptToken(cc.Token)
	case req.OneTimeCode != "":
		lr, err := s.api.Login(ctx, user, pass, req.OneTimeCode)
		if err != nil {
			return err
		}
		s.api.AdoptToken(lr.Token)
	case !s.api.HasToken():
		return &rmm.Error{Kind: rmm.ErrUnauthorized, Err: api.ErrTOTPRequired,
			Msg: "this Tactical account uses two-factor authentication: enter the current TOTP code and test again"}
	}
	return nil
}

// serverVersion reads the release from /core/dashinfo/, falling back to
// APP_VER from /core/version/ (dashinfo refuses installer users).
func serverVersion(ctx context.Context, c *api.Client) (release, appVer string, err error) {
	info, derr := c.DashInfo(ctx)
	if derr == nil && info.TRMMVersion != "" {
		release = info.TRMMVersion
	}
	var he *api.HTTPError
	if derr != nil && !(errors.As(derr, &he) && (he.Status == 400 || he.Status == 404 && !he.HTML)) {
		return "", "", derr // credentials, network, HTML: the version endpoint would fail alike
	}
	appVer, verr := c.AppVersion(ctx)
	if release == "" && verr != nil {
		// Report the first failure: it is the one the user must fix.
		if derr != nil {
			return "", "", derr
		}
		return "", "", verr
	}
	return release, appVer, nil
}

// failed turns an error into a precise failed result.
func failed(err error, mode rmm.AuthMode) rmm.TestConnectionResult {
	res := rmm.TestConnectionResult{Reason: ReasonServerError, Message: userMessage(err)}
	var (
		ne *api.NetError
		he *api.HTTPError
	)
	switch {
	case errors.Is(err, api.ErrTOTPRequired):
		res.Reason, res.OneTimeCodeRequired = ReasonOneTimeCodeRequired, true
	case errors.Is(err, api.ErrBadTOTP):
		res.Reason, res.OneTimeCodeRequired = ReasonOneTimeCodeInvalid, true
	case errors.Is(err, api.ErrBadCredentials):
		res.Reason = ReasonBadCredentials
	case errors.As(err, &ne):
		res.Reason = map[api.NetKind]string{api.NetTimeout: ReasonTimeout, api.NetTLS: ReasonTLS}[ne.Kind]
		if res.Reason == "" {
			res.Reason = ReasonUnreachable
		}
		res.Message = "Cannot connect: " + userMessage(err)
	case errors.As(err, &he):
		res.Reason, res.Message = httpReason(he, mode, err)
	case errors.Is(err, rmm.ErrInvalidConfig):
		res.Reason = ReasonInvalidConfig
	case errors.Is(err, rmm.ErrRateLimited):
		res.Reason = ReasonRateLimited
	}
	if d := rmm.RetryAfter(err); d > 0 {
		res.Details = map[string]string{"retry_after_seconds": strconv.Itoa(int(d.Seconds()))}
	}
	return res
}

func httpReason(he *api.HTTPError, mode rmm.AuthMode, err error) (string, string) {
	switch {
	case he.HTML && he.Status >= 200 && he.Status < 300:
		return ReasonDashboardHost, "The URL is not the Tactical API: " + api.HintDashboardHost + "."
	case he.HTML && he.Status == 404 && strings.Contains(he.Path, "/beta/"):
		return ReasonBetaAPIDisabled, api.HintBetaDisabled + "."
	case he.HTML && he.Status < 500:
		return ReasonNotTacticalAPI, fmt.Sprintf("The URL does not look like the Tactical API (%s answered HTML with HTTP %d): "+
			"check the URL; it should be the API host, usually https://api.<your domain>.", he.Path, he.Status)
	case he.Status == 401:
		return unauthorizedReason(he.Detail, mode)
	case he.Status == 403:
		return ReasonForbidden, userMessage(err)
	case he.Status == 429:
		return ReasonRateLimited, "Tactical is throttling logins from this address" + retryText(err) + "."
	}
	return ReasonServerError, userMessage(err)
}

func unauthorizedReason(detail string, mode rmm.AuthMode) (string, string) {
	switch {
	case strings.Contains(detail, "expired"):
		return ReasonAPIKeyExpired, "The Tactical API key has expired: create a new key (Settings → Global Settings → API Keys) or extend its expiration."
	case strings.Contains(detail, "inactive"):
		return ReasonUserInactive, "The Tactical user this key or login belongs to is inactive or deleted."
	case mode == rmm.AuthPassword:
		return ReasonSessionExpired, "Tactical refused the session token: test again with the username, password and, if the account has one, a TOTP code."
	}
	return ReasonBadAPIKey, "Tactical rejected the API key: check that it was copied whole and that it still exists."
}

func retryText(err error) string {
	if d := rmm.RetryAfter(err); d > 0 {
		return fmt.Sprintf(": try again in %d s", int(d.Seconds()))
	}
	return ""
}

// userMessage is the message of an *rmm.Error without the kind prefix.
func userMessage(err error) string {
	var re *rmm.Error
	if errors.As(err, &re) && re.Msg != "" {
		return re.Msg
	}
	return err.Error()
}
