package store

import (
	"errors"
	"strings"
	"testing"
)

func TestTenantsAndAPIKeys(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()

	tn, key, err := ts.CreateTenant(ctx, "  Acme MSP ")
	if err != nil {
		t.Fatal(err)
	}
	if tn.Name != "Acme MSP" || !isUUID(tn.ID) || !strings.HasPrefix(key, "psa_") {
		t.Fatalf("CreateTenant = %+v, %q", tn, key)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM api_keys WHERE key_hash = $1 OR key_prefix = $1`, key); n != 0 {
		t.Fatal("the plain key is stored")
	}
	got, err := ts.TenantByName(ctx, "Acme MSP")
	if err != nil || got.ID != tn.ID {
		t.Fatalf("TenantByName = %+v, %v", got, err)
	}
	if _, err := ts.TenantByName(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("TenantByName(unknown) = %v", err)
	}
	var inv *InvalidError
	if _, _, err := ts.CreateTenant(ctx, " "); !errors.As(err, &inv) || inv.Field != "name" {
		t.Fatalf("CreateTenant(blank) = %v", err)
	}

	other, otherKey, err := ts.CreateTenant(ctx, "Other MSP")
	if err != nil {
		t.Fatal(err)
	}
	second, err := ts.CreateAPIKey(ctx, tn.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.CreateAPIKey(ctx, "00000000-0000-0000-0000-000000000000", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CreateAPIKey(unknown tenant) = %v", err)
	}

	// A forged key keeps a real key's public id but not its secret.
	forged := key[:len(key)-4] + "0000"
	if forged == key {
		forged = key[:len(key)-4] + "1111"
	}
	for _, tc := range []struct {
		name, key, want string
	}{
		{"first key", key, tn.ID},
		{"second key", second, tn.ID},
		{"other tenant's key", otherKey, other.ID},
		{"forged secret", forged, ""},
		{"not a key", "Bearer nonsense", ""},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ts.AuthenticateAPIKey(ctx, tc.key)
			if tc.want == "" {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("AuthenticateAPIKey = %q, %v; want ErrNotFound", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("AuthenticateAPIKey = %q, %v; want %q", got, err, tc.want)
			}
		})
	}

	t.Run("last_used_at is written at most once a minute", func(t *testing.T) {
		versions := func() string {
			var v string
			if err := ts.pool.QueryRow(ctx, `SELECT xmin::text FROM api_keys WHERE tenant = $1 AND name = 'ci'`, tn.ID).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		before := versions()
		if _, err := ts.AuthenticateAPIKey(ctx, second); err != nil {
			t.Fatal(err)
		}
		if versions() != before {
			t.Fatal("a second use within the minute rewrote the key row")
		}
		if _, err := ts.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE tenant = $1 AND name = 'ci'`, tn.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.AuthenticateAPIKey(ctx, second); err != nil {
			t.Fatal(err)
		}
		if n := ts.queryInt(t, `SELECT count(*) FROM api_keys WHERE tenant = $1 AND name = 'ci' AND last_used_at > now() - interval '10 seconds'`, tn.ID); n != 1 {
			t.Fatal("a stale last_used_at was not refreshed")
		}
	})

	t.Run("revoked keys and inactive tenants are refused", func(t *testing.T) {
		if _, err := ts.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = now() WHERE tenant = $1 AND name = 'ci'`, tn.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.AuthenticateAPIKey(ctx, second); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoked key = %v", err)
		}
		if _, err := ts.pool.Exec(ctx, `UPDATE tenants SET is_active = false WHERE tenant = $1`, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.AuthenticateAPIKey(ctx, otherKey); !errors.Is(err, ErrNotFound) {
			t.Fatalf("inactive tenant's key = %v", err)
		}
	})
}

func TestClients(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	a, _, _ := ts.CreateTenant(ctx, "a")
	b, _, _ := ts.CreateTenant(ctx, "b")
	zeta, err := ts.CreateClient(ctx, a.ID, "Zeta")
	if err != nil {
		t.Fatal(err)
	}
	alpha, err := ts.CreateClient(ctx, a.ID, "Alpha")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.CreateClient(ctx, b.ID, "Beta"); err != nil {
		t.Fatal(err)
	}
	list, err := ts.ListClients(ctx, a.ID)
	if err != nil || len(list) != 2 || list[0].ID != alpha.ID || list[1].ID != zeta.ID {
		t.Fatalf("ListClients = %+v, %v", list, err)
	}
	if got, err := ts.GetClient(ctx, a.ID, zeta.ID); err != nil || got.Name != "Zeta" {
		t.Fatalf("GetClient = %+v, %v", got, err)
	}
	if _, err := ts.GetClient(ctx, b.ID, zeta.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetClient(other tenant) = %v", err)
	}
	if _, err := ts.GetClient(ctx, a.ID, "not-a-uuid"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetClient(malformed) = %v", err)
	}
	var inv *InvalidError
	if _, err := ts.CreateClient(ctx, a.ID, ""); !errors.As(err, &inv) || inv.Field != "name" {
		t.Fatalf("CreateClient(blank) = %v", err)
	}
	if _, err := ts.CreateClient(ctx, "00000000-0000-0000-0000-000000000000", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CreateClient(unknown tenant) = %v", err)
	}
}
