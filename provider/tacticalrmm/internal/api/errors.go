package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Causes the login flow distinguishes. They are wrapped in an *rmm.Error of
// kind ErrUnauthorized, so errors.Is works for both.
var (
	ErrBadCredentials = errors.New("bad username or password")
	ErrTOTPRequired   = errors.New("a TOTP code is required")
	ErrBadTOTP        = errors.New("the TOTP code was not accepted")
)

// HTTPError is an upstream answer that was not the expected JSON success.
// It never holds request headers or bodies, so it is safe to show.
type HTTPError struct {
	Method string
	Path   string // the request path, without query
	Status int
	// Detail is DRF's "detail", a bare JSON string body, or the first
	// validation message; at most 200 characters.
	Detail string
	// HTML is set when the body was not JSON (a Django or SPA page).
	HTML       bool
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.HTML {
		b.WriteString(" (HTML, not JSON)")
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	return b.String()
}

// NetKind says how a request failed before an HTTP answer arrived.
type NetKind string

// The transport failure kinds.
const (
	NetTimeout     NetKind = "timeout"
	NetTLS         NetKind = "tls"
	NetUnreachable NetKind = "unreachable"
)

// NetError is a transport failure: no usable HTTP answer.
type NetError struct {
	Kind NetKind
	Host string
	Err  error
}

func (e *NetError) Error() string {
	switch e.Kind {
	case NetTimeout:
		return fmt.Sprintf("%s did not answer in time", e.Host)
	case NetTLS:
		return fmt.Sprintf("TLS with %s failed: %v", e.Host, e.Err)
	}
	return fmt.Sprintf("cannot reach %s: %v", e.Host, e.Err)
}

func (e *NetError) Unwrap() error { return e.Err }

// Hints shown with HTML answers; TestConnection reuses them.
const (
	HintDashboardHost = "the URL answers with the dashboard's HTML page instead of JSON: " +
		"use the API host (usually api.<your domain>), not the dashboard host (rmm.<your domain>)"
	HintBetaDisabled = "the Tactical beta API is disabled on this server: add BETA_API_ENABLED = True " +
		"to /rmm/api/tacticalrmm/tacticalrmm/local_settings.py and restart Tactical (sudo systemctl restart rmm)"
)

// statusError maps an unexpected answer to an rmm error whose cause is he.
// listing names what was being read, for 403 messages ("agents").
func statusError(he *HTTPError, listing string) error {
	wrap := func(kind error, msg string) error {
		return &rmm.Error{Kind: kind, Msg: msg, Err: he, RetryAfter: he.RetryAfter}
	}
	what, permission := listing, "list "+listing
	if listing == "" {
		what, permission = he.Path, "call this endpoint"
	}
	switch {
	case he.Status == 401:
		return wrap(rmm.ErrUnauthorized, "Tactical rejected the credentials"+detailSuffix(he))
	case he.Status == 403:
		return wrap(rmm.ErrForbidden, fmt.Sprintf("the Tactical user's role lacks the permission to %s (%s %s)", permission, he.Method, he.Path))
	case he.Status == 429:
		return wrap(rmm.ErrRateLimited, "Tactical throttled the request"+retrySuffix(he.RetryAfter))
	case he.HTML && he.Status == 404 && strings.Contains(he.Path, "/beta/"):
		return wrap(rmm.ErrInvalidConfig, HintBetaDisabled)
	case he.HTML && he.Status >= 200 && he.Status < 300:
		return wrap(rmm.ErrInvalidConfig, HintDashboardHost)
	case he.HTML && he.Status == 404:
		return wrap(rmm.ErrInvalidConfig, fmt.Sprintf("%s %s does not exist on this server (HTML 404): check the instance URL and the Tactical version", he.Method, he.Path))
	case he.Status == 404:
		return wrap(rmm.ErrNotFound, fmt.Sprintf("%s not found%s", what, detailSuffix(he)))
	case he.Status >= 500:
		return wrap(rmm.ErrUpstreamUnavailable, fmt.Sprintf("Tactical failed with HTTP %d on %s %s", he.Status, he.Method, he.Path))
	case he.HTML:
		return wrap(rmm.ErrInvalidConfig, fmt.Sprintf("%s %s answered with HTML (HTTP %d) instead of JSON: %s", he.Method, he.Path, he.Status, HintDashboardHost))
	case he.Status == 400:
		return wrap(rmm.ErrInvalidInput, "Tactical refused the request"+detailSuffix(he))
	}
	return wrap(rmm.ErrUpstreamUnavailable, fmt.Sprintf("unexpected HTTP %d on %s %s", he.Status, he.Method, he.Path))
}

func detailSuffix(he *HTTPError) string {
	if he.Detail == "" {
		return ""
	}
	return ": " + he.Detail
}

func retrySuffix(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf("; retry in %s", d.Round(time.Second))
}

// netError maps a transport failure to an rmm error.
func netError(ne *NetError) error {
	kind := rmm.ErrUpstreamUnavailable
	msg := ne.Error()
	if ne.Kind == NetTLS {
		// A certificate problem does not heal by itself: it is configuration.
		kind = rmm.ErrInvalidConfig
		msg += " (if Tactical uses a private CA, paste it as ca_cert_pem in the integration settings)"
	}
	return &rmm.Error{Kind: kind, Msg: msg, Err: ne}
}

// errorDetail pulls a human message out of an error body: DRF's
// {"detail": "..."}, a bare JSON string such as "Bad credentials", or the
// first message of a validation error ({"field": ["..."]}).
func errorDetail(body []byte) string {
	var s string
	if json.Unmarshal(body, &s) == nil {
		return clip(s)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return ""
	}
	if d, ok := obj["detail"]; ok && json.Unmarshal(d, &s) == nil {
		return clip(s)
	}
	for _, key := range sortedKeys(obj) {
		var list []string
		if json.Unmarshal(obj[key], &list) == nil && len(list) > 0 {
			if key == "non_field_errors" {
				return clip(list[0])
			}
			return clip(key + ": " + list[0])
		}
	}
	return ""
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
