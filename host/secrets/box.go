// Package secrets keeps tenant secrets encrypted at rest and tells the rest
// of the host how to show them: only ever masked.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the master key's size: AES-256.
const KeySize = 32

// Box seals and opens secrets with AES-256-GCM under one master key.
type Box struct {
	aead  cipher.AEAD
	keyID string
}

// NewBox returns a Box for a 32-byte master key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("master key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	sum := sha256.Sum256(key)
	return &Box{aead: aead, keyID: hex.EncodeToString(sum[:4])}, nil
}

// KeyID names the master key without revealing it, so rows sealed under an
// older key can be found when the key is rotated.
func (b *Box) KeyID() string { return b.keyID }

// Seal encrypts plaintext. The associated data binds the ciphertext to its
// row (tenant, integration, secret name): a ciphertext copied to another row
// will not open.
func (b *Box) Seal(plaintext, associated []byte) (nonce, ciphertext []byte, err error) {
	nonce = make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, fmt.Errorf("nonce: %w", err)
	}
	return nonce, b.aead.Seal(nil, nonce, plaintext, associated), nil
}

// ErrCannotOpen means a ciphertext was tampered with, belongs to another
// row, or was sealed under another master key.
var ErrCannotOpen = errors.New("secret cannot be decrypted: wrong master key or tampered data")

// Open decrypts what Seal produced with the same associated data.
func (b *Box) Open(nonce, ciphertext, associated []byte) ([]byte, error) {
	if len(nonce) != b.aead.NonceSize() {
		return nil, ErrCannotOpen
	}
	out, err := b.aead.Open(nil, nonce, ciphertext, associated)
	if err != nil {
		return nil, ErrCannotOpen
	}
	return out, nil
}

// ParseKey decodes a master key given as 64 hex digits or standard base64.
func ParseKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if k, err := hex.DecodeString(text); err == nil && len(k) == KeySize {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(text); err == nil && len(k) == KeySize {
		return k, nil
	}
	return nil, errors.New("master key must be 32 bytes written as 64 hex digits or base64")
}

// LoadKey reads the master key from the environment value if set, else from
// the key file. With create set and no key anywhere, it writes a new random
// key to the file (mode 0600): the development default of `make run`.
func LoadKey(envValue, file string, create bool) ([]byte, error) {
	if envValue != "" {
		k, err := ParseKey(envValue)
		if err != nil {
			return nil, fmt.Errorf("PSA_MASTER_KEY: %w", err)
		}
		return k, nil
	}
	if file == "" {
		return nil, errors.New("no master key: set PSA_MASTER_KEY or --master-key-file")
	}
	data, err := os.ReadFile(file)
	switch {
	case err == nil:
		k, err := ParseKey(string(data))
		if err != nil {
			return nil, fmt.Errorf("master key file %s: %w", file, err)
		}
		return k, nil
	case errors.Is(err, os.ErrNotExist) && create:
		k := make([]byte, KeySize)
		if _, err := rand.Read(k); err != nil {
			return nil, fmt.Errorf("generate master key: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return nil, fmt.Errorf("master key file: %w", err)
		}
		if err := os.WriteFile(file, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("master key file: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("master key file: %w", err)
	}
}
