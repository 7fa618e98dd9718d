package api

import (
	"net/url"
	"strings"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// NormalizeBaseURL turns what a user typed as the instance URL into the API
// root every request path is appended to: the scheme defaults to https, and
// trailing slashes and a stray "/api" suffix are removed (Tactical serves its
// routes at the root of the api. host, API.md §1.1). A path prefix in front of
// that, for a reverse proxy, is kept.
func NormalizeBaseURL(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, rmm.Errorf(rmm.ErrInvalidConfig, "the instance URL is empty: enter the Tactical API URL, e.g. https://api.example.com")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, rmm.Errorf(rmm.ErrInvalidConfig, "the instance URL is not a valid URL")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, rmm.Errorf(rmm.ErrInvalidConfig, "the instance URL must use https (or http), not %q", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, rmm.Errorf(rmm.ErrInvalidConfig, "the instance URL has no host name")
	}
	if u.User != nil {
		// Never echo the URL here: its user info may hold a password.
		return nil, rmm.Errorf(rmm.ErrInvalidConfig, "the instance URL must not contain a user name or password; enter credentials in their own fields")
	}
	p := strings.TrimRight(u.Path, "/")
	if strings.HasSuffix(strings.ToLower(p), "/api") {
		p = strings.TrimRight(p[:len(p)-len("/api")], "/")
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: p}, nil
}

// resolve returns base + path, with the trailing slash Tactical requires
// (API.md §1.4: a slash-less POST is redirected and replayed as a GET).
func resolve(base *url.URL, path string, query url.Values) *url.URL {
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u := *base
	u.Path = base.Path + path
	u.RawPath = ""
	u.RawQuery = ""
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return &u
}
