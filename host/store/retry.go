package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// Retryable reports whether err is a transaction PostgreSQL aborted to
// break a deadlock or a serialisation conflict with another one. Running
// the same write again is then safe and usually succeeds: batch writes are
// whole transactions that recompute everything they return.
func Retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40P01", // deadlock_detected
		"40001": // serialization_failure
		return true
	}
	return false
}
