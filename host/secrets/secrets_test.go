package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testBox(t *testing.T, fill byte) *Box {
	t.Helper()
	b, err := NewBox(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpenRoundTripAndBinding(t *testing.T) {
	b := testBox(t, 1)
	nonce, ct, err := b.Seal([]byte("hunter2-api-key"), []byte("tenant|integration|api_key"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("hunter2")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	got, err := b.Open(nonce, ct, []byte("tenant|integration|api_key"))
	if err != nil || string(got) != "hunter2-api-key" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open(nonce, ct, []byte("tenant|other|api_key")); !errors.Is(err, ErrCannotOpen) {
		t.Fatalf("Open with another row's data = %v, want ErrCannotOpen", err)
	}
	if _, err := testBox(t, 2).Open(nonce, ct, []byte("tenant|integration|api_key")); !errors.Is(err, ErrCannotOpen) {
		t.Fatalf("Open under another key = %v, want ErrCannotOpen", err)
	}
	ct[0] ^= 1
	if _, err := b.Open(nonce, ct, []byte("tenant|integration|api_key")); !errors.Is(err, ErrCannotOpen) {
		t.Fatalf("Open of tampered data = %v, want ErrCannotOpen", err)
	}
	n2, _, _ := b.Seal([]byte("x"), nil)
	if bytes.Equal(n2, nonce) {
		t.Fatal("nonces repeat")
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sub", "master.key")
	if _, err := LoadKey("", file, false); err == nil {
		t.Fatal("missing key file without create must fail")
	}
	k1, err := LoadKey("", file, true)
	if err != nil || len(k1) != KeySize {
		t.Fatalf("create = %v, %v", len(k1), err)
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v", st.Mode(), err)
	}
	k2, err := LoadKey("", file, true)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("second load must read the same key")
	}
	env := strings.Repeat("ab", 32)
	k3, err := LoadKey(env, file, false)
	if err != nil || k3[0] != 0xab {
		t.Fatalf("env key = %v, %v", k3, err)
	}
	if _, err := LoadKey("too-short", "", false); err == nil || strings.Contains(err.Error(), "too-short") {
		t.Fatalf("bad env key must fail without echoing it: %v", err)
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "****",
		"short":                  "****",
		"ABCDEFGHIJKLMNOPQRSTUV": "****STUV",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAPIKeys(t *testing.T) {
	k, err := NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	if APIKeyID(k.Plain) != k.ID || !EqualHash(k.Plain, k.Hash) {
		t.Fatalf("key %+v does not verify", k)
	}
	if EqualHash(k.Plain+"x", k.Hash) || APIKeyID("Bearer nonsense") != "" {
		t.Fatal("wrong keys must not verify")
	}
	k2, _ := NewAPIKey()
	if k2.Plain == k.Plain || k2.ID == k.ID {
		t.Fatal("keys repeat")
	}
}
