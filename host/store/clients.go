package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

const clientColumns = `client_id, client_name, created_at, updated_at`

func scanClient(r pgx.CollectableRow) (Client, error) {
	var c Client
	err := r.Scan(&c.ID, &c.Name, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// CreateClient creates a PSA client.
func (s *Store) CreateClient(ctx context.Context, tenantID, name string) (Client, error) {
	if !isUUID(tenantID) {
		return Client{}, ErrNotFound
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return Client{}, &InvalidError{Field: "name", Msg: "a client needs a name"}
	}
	rows, err := s.pool.Query(ctx,
		`INSERT INTO clients (tenant, client_name) VALUES ($1, $2) RETURNING `+clientColumns,
		tenantID, name)
	if err != nil {
		return Client{}, fmt.Errorf("create client: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanClient)
	if pgErrCode(err) == pgForeignKeyViolation {
		return Client{}, ErrNotFound
	}
	if err != nil {
		return Client{}, fmt.Errorf("create client: %w", err)
	}
	return c, nil
}

// ListClients lists a tenant's clients by name.
func (s *Store) ListClients(ctx context.Context, tenantID string) ([]Client, error) {
	if !isUUID(tenantID) {
		return []Client{}, nil
	}
	rows, err := s.pool.Query(ctx,
		`SELECT `+clientColumns+` FROM clients WHERE tenant = $1 ORDER BY client_name, client_id`,
		tenantID)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	cs, err := pgx.CollectRows(rows, scanClient)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return cs, nil
}

// GetClient returns one client.
func (s *Store) GetClient(ctx context.Context, tenantID, clientID string) (Client, error) {
	if !isUUID(tenantID) || !isUUID(clientID) {
		return Client{}, ErrNotFound
	}
	rows, err := s.pool.Query(ctx,
		`SELECT `+clientColumns+` FROM clients WHERE tenant = $1 AND client_id = $2`,
		tenantID, clientID)
	if err != nil {
		return Client{}, fmt.Errorf("get client: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanClient)
	if err != nil {
		return Client{}, notFound(err, "get client")
	}
	return c, nil
}
