package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type timingTracer struct{ t *testing.T }
type startKey struct{}

func (tt timingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return context.WithValue(context.WithValue(ctx, startKey{}, time.Now()), "sql", d.SQL)
}
func (tt timingTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	s := ctx.Value("sql").(string)
	el := time.Since(ctx.Value(startKey{}).(time.Time))
	if el > 50*time.Millisecond {
		tt.t.Logf("%v %s", el, strings.Join(strings.Fields(s), " ")[:min(200, len(strings.Join(strings.Fields(s), " ")))])
	}
}

func TestDbgSoftware(t *testing.T) {
	ts := newTestStore(t)
	cfg, _ := pgxpool.ParseConfig(ts.dsn)
	cfg.ConnConfig.Tracer = timingTracer{t}
	s2, _ := OpenConfig(t.Context(), cfg, testBox(t))
	defer s2.Close()
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	if _, err := s2.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": f.client}, testDevices(200, "org-1")); err != nil {
		t.Fatal(err)
	}
	c, err := s2.UpsertSoftware(ctx, f.tenant, f.integration, softwareBatch(2, 3, 0))
	t.Log(c, err)
	c, err = s2.UpsertSoftware(ctx, f.tenant, f.integration, softwareBatch(190, 50, 10))
	t.Log(c, err)
}
