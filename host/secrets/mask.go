package secrets

// Mask shows only the last four characters of a secret, and nothing of a
// secret too short for that to be safe.
func Mask(secret string) string {
	r := []rune(secret)
	if len(r) < 12 {
		return "****"
	}
	return "****" + string(r[len(r)-4:])
}

// Last4 returns the last four characters kept beside a sealed secret so it
// can be shown masked without decrypting it, or "" for short secrets.
func Last4(secret string) string {
	r := []rune(secret)
	if len(r) < 12 {
		return ""
	}
	return string(r[len(r)-4:])
}
