package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/msp-psa/psa-host/host/secrets"
	"github.com/msp-psa/psa-host/host/store"
)

// handlerFunc is a route handler; a returned error becomes the error body.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// requestInfo carries what the access log line needs from inner layers.
type requestInfo struct {
	tenantID string
}

type requestInfoKey struct{}
type tenantKey struct{}

// statusWriter remembers the status sent, for the log and for panics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one line per request. It never logs bodies, headers
// or query strings: they may carry keys and credentials.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		sw := &statusWriter{ResponseWriter: w}
		// The mux records the matched pattern on the request it is given.
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.log.Info("request", "method", r.Method, "route", routeOf(r), "status", status,
			"duration", time.Since(start), "tenant_id", info.tenantID)
	})
}

// routeOf names the pattern a request matched, never its raw path (which
// may carry ids the operator's log need not keep per request).
func routeOf(r *http.Request) string {
	if r.Pattern == "" || r.Pattern == "/" {
		return "unmatched"
	}
	return r.Pattern
}

// recoverPanics turns a handler panic into a 500 so one bad request does
// not take the connection down with an empty answer.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { // the client went away: let net/http handle it
				panic(v)
			}
			s.log.Error("handler panic", "method", r.Method, "route", routeOf(r),
				"panic", panicText(v), "stack", string(debug.Stack()))
			if sw.status == 0 {
				writeJSON(sw, http.StatusInternalServerError,
					errorBody{Error: errorDetail{Code: codeInternal, Message: "internal error"}})
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// panicText describes a panic value. Only runtime errors are shown in
// full; anything else might hold request data, so only its type is.
func panicText(v any) string {
	if re, ok := v.(runtime.Error); ok {
		return re.Error()
	}
	return fmt.Sprintf("value of type %T", v)
}

// open adapts a handler that needs no authentication.
func (s *server) open(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authed adapts a handler that runs for the tenant of the request's bearer
// key.
func (s *server) authed(h handlerFunc) http.Handler {
	return s.open(func(w http.ResponseWriter, r *http.Request) error {
		tenantID, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
			info.tenantID = tenantID
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, tenantID)))
	})
}

func unauthorized(msg string) *apiError {
	return errorf(http.StatusUnauthorized, codeUnauthorized, "", "%s", msg)
}

func (s *server) authenticate(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", unauthorized("an API key is required: send Authorization: Bearer <key>")
	}
	scheme, key, ok := strings.Cut(h, " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return "", unauthorized("use Authorization: Bearer <key>")
	}
	// A key not of our shape cannot match; spare the database.
	if secrets.APIKeyID(key) == "" {
		return "", unauthorized("the API key is not valid")
	}
	tenantID, err := s.cfg.Store.AuthenticateAPIKey(r.Context(), key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", unauthorized("the API key is not valid")
	case err != nil:
		return "", storeError(err, "api key")
	}
	return tenantID, nil
}

// tenantOf returns the tenant the request was authenticated for.
func tenantOf(r *http.Request) string {
	t, _ := r.Context().Value(tenantKey{}).(string)
	return t
}
