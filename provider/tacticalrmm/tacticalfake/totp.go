package tacticalfake

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// TOTP is the RFC 6238 code (SHA-1, 30-second steps, 6 digits) for a
// base32 secret at time t, as pyotp computes it. It returns "" for a secret
// that is not base32.
func TOTP(secret string, t time.Time) string {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return ""
	}
	return hotp(key, t.Unix()/30)
}

// decodeTOTPSecret is pyotp's byte_secret: pad to a multiple of 8 and
// decode case-insensitively.
func decodeTOTPSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(secret)
	if m := len(s) % 8; m != 0 {
		s += strings.Repeat("=", 8-m)
	}
	return base32.StdEncoding.DecodeString(s)
}

func hotp(key []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0xf
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1000000)
}

// verifyTOTP is pyotp's TOTP.verify(code, valid_window=10).
func verifyTOTP(key []byte, code string, now time.Time) bool {
	step := now.Unix() / 30
	ok := false
	for d := int64(-10); d <= 10; d++ {
		if subtle.ConstantTimeCompare([]byte(code), []byte(hotp(key, step+d))) == 1 {
			ok = true
		}
	}
	return ok
}
