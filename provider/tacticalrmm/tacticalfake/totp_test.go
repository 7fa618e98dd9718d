package tacticalfake

import (
	"testing"
	"time"
)

// RFC 6238 appendix B, SHA-1, truncated to 6 digits as pyotp does.
func TestTOTPMatchesRFC6238(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	} {
		if got := TOTP(secret, time.Unix(tc.unix, 0)); got != tc.want {
			t.Errorf("TOTP at %d = %s, want %s", tc.unix, got, tc.want)
		}
	}
	// pyotp pads and case-folds the secret.
	if a, b := TOTP("jbswy3dpehpk3pxp", time.Unix(59, 0)), TOTP("JBSWY3DPEHPK3PXP", time.Unix(59, 0)); a != b || a == "" {
		t.Errorf("case folding: %q vs %q", a, b)
	}
	if TOTP("not base32!", time.Unix(59, 0)) != "" {
		t.Error("a bad secret gave a code")
	}
}
