// Package migrations holds the database schema as numbered golang-migrate
// files (NNNNNN_name.up.sql and .down.sql), embedded into the binary.
// host/store applies them.
package migrations

import "embed"

// FS holds every migration file at its root.
//
//go:embed *.sql
var FS embed.FS
