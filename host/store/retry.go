package store

// Retryable reports whether err is a transaction PostgreSQL aborted to
// break a deadlock or a serialisation conflict with another one. Running
// the same write again is then safe and usually succeeds: batch writes are
// whole transactions that recompute everything they return.
func Retryable(err error) bool {
	switch pgErrCode(err) {
	case pgDeadlock, pgSerialization:
		return true
	}
	return false
}
