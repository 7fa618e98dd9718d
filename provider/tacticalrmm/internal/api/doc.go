// Package api is a typed client for the Tactical RMM REST API, written to
// the behaviour documented in shared/tactical/API.md.
//
// It knows the protocol (paths, trailing slashes, auth headers, Knox login,
// pagination, error shapes) and nothing about the rmm records the provider
// builds from it. Every failure it returns wraps one of the rmm sentinel
// errors, so callers can branch with errors.Is, and carries an *HTTPError or
// a *NetError for the details. No error message or log line ever contains a
// credential.
package api
