package api

import (
	"context"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
)

// storePinger finds a way to check the database behind st: its own Ping,
// else the pool it exposes. Nil when it offers neither.
func storePinger(st Store) pinger {
	switch v := st.(type) {
	case pinger:
		return v
	case interface{ Pool() *pgxpool.Pool }:
		return poolPinger{v}
	}
	return nil
}

type poolPinger struct {
	st interface{ Pool() *pgxpool.Pool }
}

func (p poolPinger) Ping(ctx context.Context) error {
	pool := p.st.Pool()
	if pool == nil {
		return errNoDatabase
	}
	return pool.Ping(ctx)
}

type healthError string

func (e healthError) Error() string { return string(e) }

const errNoDatabase = healthError("no database")

// healthz answers 200 while the database answers within HealthTimeout.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) error {
	if s.health == nil {
		return errorf(http.StatusServiceUnavailable, codeUnavailable, "", "no database configured")
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HealthTimeout)
	defer cancel()
	if err := s.health.Ping(ctx); err != nil {
		s.log.Warn("health check: database unreachable", "error", err)
		return errorf(http.StatusServiceUnavailable, codeUnavailable, "", "the database is unreachable")
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}
