package tacticalfake

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// Fault makes matching requests misbehave. Faults are checked in the order
// they were injected; the first match applies.
type Fault struct {
	PathPrefix string // "" matches every path
	Method     string // "" matches every method
	// Status, when set, is answered instead of the real response, with Body
	// (Content-Type application/json unless Header sets one) and Header.
	Status int
	Body   string
	Header http.Header
	// Latency delays the response (the real one, or Status).
	Latency time.Duration
	// Hang blocks until the client gives up (the request context ends).
	Hang bool
	// TruncateBody sends the real response's headers with its full
	// Content-Length, then half the body, then drops the connection.
	TruncateBody bool
	// Times is how many requests the fault applies to; 0 means forever.
	Times int
}

type faultState struct {
	Fault
	used int
}

// AuthKind names a credential a request carried.
type AuthKind string

// The credential kinds RequestLog reports.
const (
	AuthAPIKey AuthKind = "x-api-key"
	AuthToken  AuthKind = "token"  // Authorization: Token ...
	AuthOther  AuthKind = "other"  // an Authorization header of another scheme
	AuthCookie AuthKind = "cookie" // any Cookie header
)

// RequestRecord is one request the server saw. It never holds credential
// values, only their kinds.
type RequestRecord struct {
	Method   string
	Path     string
	RawQuery string
	Auth     []AuthKind
}

// maxLog bounds RequestLog; older entries are dropped.
const maxLog = 100000

// InjectFault adds a fault.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests counts the requests made to exactly this path (no query), e.g.
// "/beta/v1/agent/".
func (s *Server) Requests(path string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.counts[path]
}

// RequestLog returns the requests seen so far, oldest first.
func (s *Server) RequestLog() []RequestRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]RequestRecord(nil), s.reqLog...)
}

// Panics returns the handler panics the fake turned into HTML 500s. The
// fake's own bugs land here; deliberate 500s (the Tactical bugs it
// reproduces) do not.
func (s *Server) Panics() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]string(nil), s.panics...)
}

func (s *Server) notePanic(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.panics = append(s.panics, msg)
}

func (s *Server) record(r *http.Request) {
	rec := RequestRecord{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	if r.Header.Get("X-Api-Key") != "" {
		rec.Auth = append(rec.Auth, AuthAPIKey)
	}
	if a := strings.Fields(r.Header.Get("Authorization")); len(a) > 0 {
		if strings.EqualFold(a[0], "Token") {
			rec.Auth = append(rec.Auth, AuthToken)
		} else {
			rec.Auth = append(rec.Auth, AuthOther)
		}
	}
	if r.Header.Get("Cookie") != "" {
		rec.Auth = append(rec.Auth, AuthCookie)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[r.URL.Path]++
	if len(s.reqLog) >= maxLog {
		s.reqLog = append(s.reqLog[:0], s.reqLog[len(s.reqLog)-maxLog/2:]...)
	}
	s.reqLog = append(s.reqLog, rec)
}

// takeFault returns the first fault matching r and counts its use.
func (s *Server) takeFault(r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !strings.HasPrefix(r.URL.Path, f.PathPrefix) || (f.Method != "" && !strings.EqualFold(f.Method, r.Method)) {
			continue
		}
		f.used++
		if f.Times > 0 && f.used >= f.Times {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		out := f.Fault
		return &out
	}
	return nil
}

// applyFault plays the fault's delay and canned answer; it returns true
// when the real handler should still run.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	if f.Hang {
		<-r.Context().Done()
		return false
	}
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return false
		}
	}
	if f.Status == 0 {
		return true
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(f.Body))
	return false
}

// serveTruncated renders the real response, then sends only half of it
// under the full Content-Length and aborts the connection.
func (s *Server) serveTruncated(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	s.serve(rec, r)
	body := rec.Body.Bytes()
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	_, _ = w.Write(bytes.Clone(body[:len(body)/2]))
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	panic(http.ErrAbortHandler)
}
