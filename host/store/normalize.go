package store

import "strings"

// normalizeSoftwareName is the catalog's dedup key for a product name:
// lower-case, trimmed, inner whitespace collapsed to one space. It runs in
// Go, not SQL, because the database's C locale lower-cases ASCII only.
func normalizeSoftwareName(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}
