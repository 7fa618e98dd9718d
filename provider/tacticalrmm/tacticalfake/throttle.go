package tacticalfake

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type throttleRate struct {
	scope  string
	num    int
	period time.Duration
}

// loginThrottles are the two AnonRateThrottle scopes of one login view.
func (s *Server) loginThrottles(view string) []throttleRate {
	if !versionAtLeast(s.Version(), "1.5.0") {
		return nil // throttles arrived in v1.5.0
	}
	perMin, perDay := s.opts.LoginRatePerMinute, s.opts.LoginRatePerDay
	if perMin == 0 {
		perMin = 10
	}
	if perDay == 0 {
		perDay = 300
	}
	var out []throttleRate
	if perMin > 0 {
		out = append(out, throttleRate{view + "_min", perMin, time.Minute})
	}
	if perDay > 0 {
		out = append(out, throttleRate{view + "_day", perDay, 24 * time.Hour})
	}
	return out
}

// throttleIdent is DRF's get_ident with NUM_PROXIES unset: the whole
// X-Forwarded-For header, spaces removed, else the peer address.
func throttleIdent(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		return strings.Join(strings.Fields(xff), "")
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// checkThrottles runs DRF's check_throttles for an anonymous request and
// answers 429 itself when any scope is exhausted. Every throttle is asked,
// so a passing scope records the request even when another one fails.
func (c *call) checkThrottles(rates []throttleRate) bool {
	if c.user != nil || len(rates) == 0 {
		return true // AnonRateThrottle ignores authenticated requests
	}
	ident := throttleIdent(c.r)
	s := c.s
	s.mu.Lock()
	var waits []float64
	failed := false
	for _, rt := range rates {
		key := rt.scope + "|" + ident
		h := s.throttles[key]
		for len(h) > 0 && !h[len(h)-1].After(c.now.Add(-rt.period)) {
			h = h[:len(h)-1] // history is newest first
		}
		if len(h) >= rt.num {
			failed = true
			remaining := rt.period - c.now.Sub(h[len(h)-1])
			if avail := rt.num - len(h) + 1; avail > 0 {
				waits = append(waits, remaining.Seconds()/float64(avail))
			}
			s.throttles[key] = h
			continue
		}
		s.throttles[key] = append([]time.Time{c.now}, h...)
	}
	s.mu.Unlock()
	if !failed {
		return true
	}
	if len(waits) == 0 {
		c.detail(http.StatusTooManyRequests, "Request was throttled.")
		return false
	}
	wait := 0.0
	for _, w := range waits {
		wait = math.Max(wait, w)
	}
	n := int(math.Ceil(wait))
	msg := fmt.Sprintf("Request was throttled. Expected available in %d seconds.", n)
	if n == 1 {
		msg = "Request was throttled. Expected available in 1 second."
	}
	if n > 0 {
		c.w.Header().Set("Retry-After", strconv.Itoa(n))
	}
	c.detail(http.StatusTooManyRequests, msg)
	return false
}
