package secrets

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
)

// APIKeyPrefix starts every host API key, so a leaked key is recognisable.
const APIKeyPrefix = "psa_"

// APIKey is a newly minted host API key. Plain is shown to the user once;
// only ID and Hash are stored.
type APIKey struct {
	ID    string // public lookup part, stored in clear
	Plain string // APIKeyPrefix + ID + "_" + secret
	Hash  string // sha256 of Plain, hex
}

// NewAPIKey mints a key with 256 bits of secret.
func NewAPIKey() (APIKey, error) {
	id := make([]byte, 6)
	sec := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return APIKey{}, fmt.Errorf("api key: %w", err)
	}
	if _, err := rand.Read(sec); err != nil {
		return APIKey{}, fmt.Errorf("api key: %w", err)
	}
	k := APIKey{ID: hex.EncodeToString(id)}
	k.Plain = APIKeyPrefix + k.ID + "_" + hex.EncodeToString(sec)
	k.Hash = HashAPIKey(k.Plain)
	return k, nil
}

// HashAPIKey is the stored form of a key. The key carries 256 random bits,
// so a plain SHA-256 is enough: there is nothing to brute-force.
func HashAPIKey(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// APIKeyID extracts the lookup id from a presented key, or "" when the key
// is not of our shape.
func APIKeyID(plain string) string {
	rest, ok := strings.CutPrefix(plain, APIKeyPrefix)
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 12 {
		return ""
	}
	return id
}

// EqualHash compares a presented key with a stored hash in constant time.
func EqualHash(plain, storedHash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashAPIKey(plain)), []byte(storedHash)) == 1
}

// Equal compares two secrets in constant time (for webhook shared secrets).
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
