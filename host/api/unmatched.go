package api

import (
	"net/http"
	"strings"
)

// unmatched answers requests no route took. The catch-all "/" pattern
// matches every method, so the mux never sends its own 405: this finds the
// methods the path is served under and answers 405 with Allow, or 404.
func (s *server) unmatched(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		s.writeError(w, r, errorf(http.StatusNotFound, codeNotFound, "", "no such route"))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.writeError(w, r, errorf(http.StatusMethodNotAllowed, codeMethodNotAllowed, "",
		"method %s is not allowed here; use %s", r.Method, strings.Join(allow, ", ")))
}
