package pgtest

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestNewGivesFreshDatabasesOnOneCluster(t *testing.T) {
	first, second := New(t), New(t)
	if first == second {
		t.Fatal("two calls returned the same DSN")
	}
	a := open(t, first)
	b := open(t, second)

	var nameA, nameB, addrA, addrB string
	if err := a.QueryRow(t.Context(), `SELECT current_database(), inet_server_port()::text`).Scan(&nameA, &addrA); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRow(t.Context(), `SELECT current_database(), inet_server_port()::text`).Scan(&nameB, &addrB); err != nil {
		t.Fatal(err)
	}
	if nameA == nameB {
		t.Errorf("both DSNs reach database %q", nameA)
	}
	if addrA != addrB {
		t.Errorf("ports %s and %s: want one shared cluster", addrA, addrB)
	}

	// Empty: no user tables; and what one test creates the other cannot see.
	if _, err := a.Exec(t.Context(), `CREATE TABLE only_in_a (id int)`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(t.Context(),
		`SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("fresh database has %d user tables", n)
	}
}

func TestDatabaseIsDroppedAfterTheTest(t *testing.T) {
	outer := t
	var dsn string
	t.Run("user", func(t *testing.T) {
		dsn = New(t)
		// Left open past the subtest on purpose: the drop must not wait for it.
		leaked, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		outer.Cleanup(func() { leaked.Close(outer.Context()) })
	})
	if conn, err := pgx.Connect(t.Context(), dsn); err == nil {
		conn.Close(t.Context())
		t.Error("the subtest's database still exists after it ended")
	}
}

func TestParallelNew(t *testing.T) {
	for i := range 4 {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			conn := open(t, New(t))
			if _, err := conn.Exec(t.Context(), `SELECT $1::int`, i); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDatabaseName(t *testing.T) {
	tests := []struct {
		n    int
		test string
		want string
	}{
		{1, "TestX", "t1_testx"},
		{12, "TestX/sub case#01", "t12_testx_sub_case_01"},
		{3, "Test" + strings.Repeat("A", 100), "t3_test" + strings.Repeat("a", 56)},
		{4, "Test__", "t4_test"},
	}
	for _, tt := range tests {
		got := databaseName(tt.n, tt.test)
		if got != tt.want {
			t.Errorf("databaseName(%d, %q) = %q, want %q", tt.n, tt.test, got, tt.want)
		}
		if len(got) > 63 {
			t.Errorf("%q is longer than 63 bytes", got)
		}
	}
}

func open(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(t.Context()) })
	return conn
}
