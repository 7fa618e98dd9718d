package api

import (
	"net/http"
	"strings"
)

// isUUID reports whether s is a UUID in its canonical text form. Ids are
// UUIDs; anything else cannot name a row, so it answers 404 without
// reaching the database.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// pathID returns the path value name, lower-cased, if it is a UUID, else a 404 naming
// what was looked for.
func pathID(r *http.Request, name, what string) (string, error) {
	id := r.PathValue(name)
	if !isUUID(id) {
		return "", notFound(what)
	}
	return strings.ToLower(id), nil
}
