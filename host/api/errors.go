package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// Error codes of the error body.
const (
	codeBadRequest       = "bad_request"
	codeInvalidJSON      = "invalid_json"
	codeMissingField     = "missing_field"
	codeUnknownField     = "unknown_field"
	codeWrongType        = "wrong_type"
	codeUnauthorized     = "unauthorized"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeConflict         = "conflict"
	codeTooLarge         = "payload_too_large"
	codeMediaType        = "unsupported_media_type"
	codeInvalidValue     = "invalid_value"
	codeUnsupported      = "unsupported_capability"
	codeRateLimited      = "rate_limited"
	codePluginDown       = "plugin_unavailable"
	codeUpstream         = "upstream_error"
	codeTimeout          = "timeout"
	codeUnavailable      = "unavailable"
	codeInternal         = "internal"
)

// apiError is an error with the answer it deserves.
type apiError struct {
	Status     int
	Code       string
	Msg        string
	Field      string
	RetryAfter time.Duration
	// cause is logged for 5xx answers; never sent.
	cause error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Msg, e.cause)
	}
	return e.Code + ": " + e.Msg
}

func (e *apiError) Unwrap() error { return e.cause }

func errorf(status int, code, field, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func badRequest(field, format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, codeBadRequest, field, format, args...)
}

func missing(field string) *apiError {
	return errorf(http.StatusBadRequest, codeMissingField, field, "%s is required", field)
}

func invalid(field, format string, args ...any) *apiError {
	return errorf(http.StatusUnprocessableEntity, codeInvalidValue, field, format, args...)
}

func notFound(what string) *apiError {
	return errorf(http.StatusNotFound, codeNotFound, "", "%s not found", what)
}

func unsupported(provider string, c rmm.Capability, field string) *apiError {
	return errorf(http.StatusUnprocessableEntity, codeUnsupported, field,
		"provider %q does not support %q", provider, c)
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// storeError maps an error of a store or syncer call; what is left is a 500.
func storeError(err error, what string) *apiError {
	return classify(err, what, http.StatusInternalServerError)
}

// pluginError maps an error of a call that reached a plugin; what is left
// is the upstream's failure, a 502.
func pluginError(err error, what string) *apiError {
	return classify(err, what, http.StatusBadGateway)
}

// classify turns err into an answer. Messages sent to the client come from
// the rmm.Error a plugin raised (already scrubbed of secrets by the plugin
// manager) or are fixed text; store and driver errors are never echoed.
func classify(err error, what string, otherwise int) *apiError {
	if ae, ok := errors.AsType[*apiError](err); ok {
		return ae
	}
	var inv *store.InvalidError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound(what)
	case errors.Is(err, store.ErrConflict):
		return &apiError{Status: http.StatusConflict, Code: codeConflict, Msg: "conflicts with an existing " + what, cause: err}
	case errors.As(err, &inv):
		return invalid(inv.Field, "%s", inv.Msg)
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusGatewayTimeout, Code: codeTimeout, Msg: "the operation timed out", cause: err}
	case errors.Is(err, context.Canceled):
		return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable, Msg: "the request was canceled", cause: err}
	}
	msg := pluginMessage(err)
	switch rmm.Kind(err) {
	case rmm.ErrPluginUnavailable:
		return &apiError{Status: http.StatusServiceUnavailable, Code: codePluginDown,
			Msg: "the provider plugin is unavailable, try again shortly: " + msg, cause: err}
	case rmm.ErrInvalidConfig:
		return &apiError{Status: http.StatusUnprocessableEntity, Code: codeInvalidValue, Msg: msg, cause: err}
	case rmm.ErrInvalidInput:
		return &apiError{Status: http.StatusUnprocessableEntity, Code: codeInvalidValue, Msg: msg, cause: err}
	case rmm.ErrUnsupported:
		return &apiError{Status: http.StatusUnprocessableEntity, Code: codeUnsupported, Msg: msg, cause: err}
	case rmm.ErrNotFound:
		return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Msg: msg, cause: err}
	case rmm.ErrRateLimited:
		return &apiError{Status: http.StatusTooManyRequests, Code: codeRateLimited, Msg: msg,
			RetryAfter: rmm.RetryAfter(err), cause: err}
	case rmm.ErrUnauthorized, rmm.ErrForbidden, rmm.ErrUpstreamUnavailable:
		return &apiError{Status: http.StatusBadGateway, Code: codeUpstream, Msg: msg, cause: err}
	}
	if otherwise == http.StatusBadGateway {
		return &apiError{Status: http.StatusBadGateway, Code: codeUpstream, Msg: "the provider call failed", cause: err}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: codeInternal, Msg: "internal error", cause: err}
}

// pluginMessage is the user-facing text of a plugin error: the message of
// the outermost rmm.Error, or the kind's name.
func pluginMessage(err error) string {
	if e, ok := errors.AsType[*rmm.Error](err); ok {
		if e.Msg != "" {
			return e.Msg
		}
		if e.Kind != nil {
			return e.Kind.Error()
		}
	}
	if k := rmm.Kind(err); k != nil {
		return k.Error()
	}
	return "unknown error"
}

// writeError sends err as the error body, logging the cause of a 5xx.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := storeError(err, "resource")
	if ae.Status >= 500 && ae.cause != nil {
		s.log.Error("request failed", "method", r.Method, "route", routeOf(r), "status", ae.Status, "error", ae.cause)
	}
	if ae.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="psa-host"`)
	}
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ae.RetryAfter.Seconds()))))
	}
	writeJSON(w, ae.Status, errorBody{Error: errorDetail{Code: ae.Code, Message: ae.Msg, Field: ae.Field}})
}
