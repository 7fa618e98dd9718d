package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	sq "github.com/Masterminds/squirrel"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes the store maps to its own errors.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
	pgCheckViolation      = "23514"
	pgInvalidText         = "22P02"
	pgDeadlock            = "40P01"
	pgSerialization       = "40001"
)

// psql builds PostgreSQL statements ($1 placeholders) for pgx.
func psql() sq.StatementBuilderType {
	return sq.StatementBuilder.PlaceholderFormat(sq.Dollar)
}

// pgErrCode returns err's SQLSTATE, or "".
func pgErrCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// pgConstraint returns the constraint a PostgreSQL error names, or "".
func pgConstraint(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}

// isUUID reports whether s is a UUID in PostgreSQL's canonical text form.
// Ids that are not UUIDs cannot exist, so callers answer ErrNotFound
// without asking the database (which would fail with a syntax error).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range []byte(s) {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// notFound turns pgx.ErrNoRows into ErrNotFound and wraps other errors.
func notFound(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return fmt.Errorf("%s: %w", what, err)
}

// clip shortens s to at most n characters, so that an over-long value from
// an RMM does not fail a whole batch on a varchar(n) column.
func clip(s string, n int) string {
	if len(s) <= n { // bytes >= runes
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// textPtr is nil (SQL NULL) for "".
func textPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// containsFold reports whether sub is within s, ignoring case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// storableJSON says whether raw can go into a jsonb column as it is:
// valid JSON (one pass of encoding/json/v2's syntax check, several times
// faster than encoding/json's) in valid UTF-8 and without \u0000, which
// jsonb refuses. A record an RMM sent that fails is kept without its raw
// copy rather than failing its whole batch.
func storableJSON(raw []byte) bool {
	return len(raw) > 0 && jsontext.Value(raw).IsValid(jsontext.AllowDuplicateNames(true)) &&
		!bytes.Contains(raw, []byte(`\u0000`))
}
