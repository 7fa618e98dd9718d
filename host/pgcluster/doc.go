// Package pgcluster runs a private PostgreSQL cluster from the machine's
// PostgreSQL server binaries (Debian's postgresql package): throwaway
// clusters for tests and a persistent one for `make run`.
//
// A cluster lives in one directory:
//
//	data/          PGDATA, made by initdb
//	run/           the Unix socket (omitted when the path would be too long)
//	password       the superuser's password, mode 0600
//	postgres.log   the server's log
//
// Authentication is scram-sha-256 for every connection, TCP and Unix
// socket alike, with a random superuser password made at initdb time and
// kept in the password file. The server listens on 127.0.0.1 only. Trust
// authentication would be simpler, but it would let any local user of the
// machine into a `make run` database, so even test clusters use a password.
//
// The server is a direct child of the calling process (not detached by
// pg_ctl) with a parent-death signal: when the process that started it dies
// for any reason (a panic, a test timeout, SIGKILL) the server gets SIGINT
// and shuts down, so no postmaster is left behind. It runs in its own
// process group, so a Ctrl-C on the terminal reaches only the parent, which
// then stops the cluster in order.
//
// PostgreSQL refuses to run as root. When the caller is root, initdb and the
// server run as the "postgres" user, the cluster directory is owned by it,
// and every directory above it must be searchable by that user.
//
// The package is Linux-only (parent-death signal, /proc).
package pgcluster
