package store

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/msp-psa/psa-host/host/pgcluster/pgtest"
	"github.com/msp-psa/psa-host/host/secrets"
)

// statementCounter counts the statements (queries, execs, COPYs) the
// store sends, to show that a batch costs a fixed number of them.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	// Statistics upkeep (analyzeIfGrown) is per batch too, but runs only
	// while a table is young, so it would make counts differ by batch.
	if !strings.HasPrefix(d.SQL, "ANALYZE") && !strings.Contains(d.SQL, "FROM pg_class") {
		c.n.Add(1)
	}
	return ctx
}
func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *statementCounter) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *statementCounter) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}

// testStore is a store on a fresh, migrated database.
type testStore struct {
	*Store
	dsn     string
	counter *statementCounter
}

func testBox(t testing.TB) *secrets.Box {
	t.Helper()
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func newTestStore(t testing.TB) *testStore {
	t.Helper()
	dsn := pgtest.New(t)
	if err := MigrateUp(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	counter := &statementCounter{}
	cfg.ConnConfig.Tracer = counter
	s, err := OpenConfig(t.Context(), cfg, testBox(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &testStore{Store: s, dsn: dsn, counter: counter}
}

// fixture is a tenant with a client and an integration.
type fixture struct {
	tenant, client, integration string
}

func (ts *testStore) newFixture(t testing.TB, name string) fixture {
	t.Helper()
	ctx := t.Context()
	tn, _, err := ts.CreateTenant(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := ts.CreateClient(ctx, tn.ID, name+" client")
	if err != nil {
		t.Fatal(err)
	}
	in, err := ts.CreateIntegration(ctx, tn.ID, NewIntegration{
		Provider: "tacticalrmm", Name: name + " tactical", InstanceURL: "https://api.example.com",
		AuthMode: "api_key", Secrets: map[string]string{"api_key": "KEY-0123456789abcdef"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{tenant: tn.ID, client: cl.ID, integration: in.ID}
}

// queryInt runs a query returning one integer.
func (ts *testStore) queryInt(t testing.TB, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := ts.pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// rowVersions returns "key xmin xmax" for every row of table, to prove a
// write touched no row: an update changes xmin, a lock sets xmax.
func (ts *testStore) rowVersions(t testing.TB, table string) map[string]string {
	t.Helper()
	rows, err := ts.pool.Query(t.Context(),
		`SELECT ctid::text, xmin::text || '/' || xmax::text FROM `+pgx.Identifier{table}.Sanitize())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var k, v string
	if _, err := pgx.ForEachRow(rows, []any{&k, &v}, func() error { out[k] = v; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}
