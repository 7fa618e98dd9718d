package store

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

func TestDbgTiming(t *testing.T) {
	ts := newTestStore(t)
	cfg, _ := pgxpool.ParseConfig(ts.dsn)
	cfg.ConnConfig.Tracer = timingTracer{t}
	s2, _ := OpenConfig(t.Context(), cfg, testBox(t))
	defer s2.Close()
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	for i := 0; i < 3000; i += 1000 {
		if _, err := s2.UpsertDevices(ctx, f.tenant, f.integration, "p", map[string]string{"org": f.client}, devicesFrom(i, 1000, "org")); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3000; i += 500 {
		st := time.Now()
		if _, err := s2.UpsertSoftware(ctx, f.tenant, f.integration, softwareBatch(500, 100, i)); err != nil {
			t.Fatal(err)
		}
		t.Log("batch", i, time.Since(st))
	}
}
