package pgcluster

import (
	"slices"
	"strings"
	"testing"
)

func TestServerEnvDropsPGVariables(t *testing.T) {
	t.Setenv("PGPORT", "1")
	t.Setenv("PGDATA", "/elsewhere")
	t.Setenv("PGCLUSTER_KEEP", "no") // any PG prefix goes
	t.Setenv("KEEP_ME", "yes")
	env := serverEnv()
	for _, kv := range env {
		if strings.HasPrefix(kv, "PG") {
			t.Errorf("serverEnv kept %q", kv)
		}
	}
	if !slices.Contains(env, "KEEP_ME=yes") {
		t.Error("serverEnv dropped an unrelated variable")
	}
}

func TestNewPasswordIsRandomAndDSNSafe(t *testing.T) {
	a, err := newPassword()
	if err != nil {
		t.Fatal(err)
	}
	b, err := newPassword()
	if err != nil {
		t.Fatal(err)
	}
	if a == b || len(a) < 32 {
		t.Errorf("passwords %q and %q: want distinct and at least 32 characters", a, b)
	}
	if strings.ContainsAny(a, "@:/?#%") {
		t.Errorf("password %q needs escaping in a URL", a)
	}
}

func TestLastLines(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb", 5, "a\nb"},
		{"", 3, ""},
	}
	for _, tt := range tests {
		if got := lastLines(tt.in, tt.n); got != tt.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
