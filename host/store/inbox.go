package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
)

// The webhook inbox: every delivery answered 2xx is a row here first, then
// workers on any replica claim it with a lease, process it and mark it
// done, failed (to retry after a backoff) or parked (for a human).

// Inbox statuses.
const (
	InboxPending    = "pending"
	InboxProcessing = "processing"
	InboxDone       = "done"
	InboxFailed     = "failed"
	InboxParked     = "parked"
)

// InboxChannel is the NOTIFY channel a new or replayed delivery is
// announced on, so idle workers of every replica wake at once.
const InboxChannel = "webhook_inbox"

// maxInboxError bounds last_error: an error text is for a human.
const maxInboxError = 2000

// NewInboxDelivery is one webhook delivery as ingress received it, the
// secret header already removed.
type NewInboxDelivery struct {
	TenantID      string
	IntegrationID string
	Provider      string
	Method        string
	Query         string
	Headers       http.Header
	Body          []byte
	// SecretVersion, when set, is WebhookTarget.SecretVersion of the
	// secret the delivery was authenticated with: it is stored only if
	// that is still the integration's secret and the integration is
	// connected (else ErrStaleSecret).
	SecretVersion []byte
}

// InboxItem describes a stored delivery without its content.
type InboxItem struct {
	ID            string     `json:"inbox_id"`
	IntegrationID string     `json:"integration_id"`
	Provider      string     `json:"provider"`
	Method        string     `json:"method"`
	ReceivedAt    time.Time  `json:"received_at"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error,omitempty"`
	NextAttemptAt *time.Time `json:"next_attempt_at"` // null unless pending or failed
	ProcessedAt   *time.Time `json:"processed_at"`
	BodySize      int        `json:"body_size"`
}

// InboxDelivery is a stored delivery with its content: what a worker
// processes and what a human debugging a parked one reads.
type InboxDelivery struct {
	InboxItem
	TenantID string      `json:"-"`
	Query    string      `json:"-"`
	Headers  http.Header `json:"-"`
	Body     []byte      `json:"-"`
}

// InboxFilter narrows ListInbox; empty fields do not filter.
type InboxFilter struct {
	Status        string
	IntegrationID string
	Limit         int
	After         string // inbox id to page after
}

func validInboxStatus(s string) bool {
	switch s {
	case InboxPending, InboxProcessing, InboxDone, InboxFailed, InboxParked:
		return true
	}
	return false
}

const inboxItemColumns = `w.inbox_id, w.integration_id, w.provider, w.method, w.received_at, w.status, w.attempts,
	coalesce(w.last_error, ''), CASE WHEN w.status IN ('pending', 'failed') THEN w.next_attempt_at END,
	w.processed_at, octet_length(w.body)`

const inboxDeliveryColumns = inboxItemColumns + `, w.tenant, w.query, w.headers, w.body`

func inboxItemDest(it *InboxItem) []any {
	return []any{&it.ID, &it.IntegrationID, &it.Provider, &it.Method, &it.ReceivedAt, &it.Status, &it.Attempts,
		&it.LastError, &it.NextAttemptAt, &it.ProcessedAt, &it.BodySize}
}

func scanInboxItem(r pgx.CollectableRow) (InboxItem, error) {
	var it InboxItem
	err := r.Scan(inboxItemDest(&it)...)
	return it, err
}

func scanInboxDelivery(r pgx.CollectableRow) (InboxDelivery, error) {
	var d InboxDelivery
	var headers []byte
	err := r.Scan(append(inboxItemDest(&d.InboxItem), &d.TenantID, &d.Query, &headers, &d.Body)...)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(headers, &d.Headers); err != nil {
		return d, fmt.Errorf("inbox headers: %w", err)
	}
	return d, nil
}

// InsertInbox stores a delivery as pending, writes its
// RMM_WEBHOOK_RECEIVED event and announces both (on InboxChannel and
// EventsChannel), in one statement: once it returns, the delivery is
// committed and will be processed. It is InsertInboxBatch for one.
func (s *Store) InsertInbox(ctx context.Context, d NewInboxDelivery) (InboxItem, error) {
	row, err := NewInboxRow(d)
	if err != nil {
		return InboxItem{}, err
	}
	out, err := s.InsertInboxBatch(ctx, []InboxRow{row})
	if err != nil {
		return InboxItem{}, err
	}
	return out[0].Item, out[0].Err
}

// ClaimInbox leases the oldest due delivery of any tenant to owner, marks
// it processing and counts the attempt. Due is pending or failed with its
// next attempt time passed, or processing under a lease that ran out (its
// host stopped). Replicas never claim one delivery at once: the row is
// taken with FOR UPDATE SKIP LOCKED. ok is false when none is due.
//
// Each kind of due delivery is found on its own, in index order, so a
// claim reads a few index entries however long the backlog: one condition
// with OR made PostgreSQL collect and sort every due row (13 ms per claim
// with 20,000 pending, taken from the CPU that ingress needs in a storm).
// The oldest of the (at most three) candidates is claimed; the others are
// only locked for the statement.
func (s *Store) ClaimInbox(ctx context.Context, owner string, lease time.Duration) (InboxDelivery, bool, error) {
	if owner == "" {
		return InboxDelivery{}, false, &InvalidError{Field: "owner", Msg: "is required"}
	}
	rows, err := s.pool.Query(ctx, `
WITH pending AS (
    SELECT tenant, inbox_id, next_attempt_at, received_at FROM webhook_inbox
     WHERE status = 'pending' AND next_attempt_at <= now()
     ORDER BY next_attempt_at LIMIT 1
       FOR UPDATE SKIP LOCKED
), failed AS (
    SELECT tenant, inbox_id, next_attempt_at, received_at FROM webhook_inbox
     WHERE status = 'failed' AND next_attempt_at <= now()
     ORDER BY next_attempt_at LIMIT 1
       FOR UPDATE SKIP LOCKED
), expired AS (
    SELECT tenant, inbox_id, next_attempt_at, received_at FROM webhook_inbox
     WHERE status = 'processing' AND lease_expires_at < now()
     ORDER BY lease_expires_at LIMIT 1
       FOR UPDATE SKIP LOCKED
), next AS (
    SELECT tenant, inbox_id FROM (
        SELECT * FROM pending UNION ALL SELECT * FROM failed UNION ALL SELECT * FROM expired
    ) due
     ORDER BY next_attempt_at, received_at
     LIMIT 1
), w AS (
    UPDATE webhook_inbox w
       SET status = 'processing', lease_owner = $1,
           lease_expires_at = now() + $2::bigint * interval '1 microsecond', attempts = w.attempts + 1
      FROM next WHERE w.tenant = next.tenant AND w.inbox_id = next.inbox_id
    RETURNING w.*
)
SELECT `+inboxDeliveryColumns+` FROM w`, owner, micros(lease))
	if err != nil {
		return InboxDelivery{}, false, fmt.Errorf("claim webhook: %w", err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanInboxDelivery)
	if errors.Is(err, pgx.ErrNoRows) {
		return InboxDelivery{}, false, nil
	}
	if err != nil {
		return InboxDelivery{}, false, fmt.Errorf("claim webhook: %w", err)
	}
	return d, true, nil
}

// finishInbox moves a delivery owner holds out of processing; ErrConflict
// when owner no longer holds its lease (it expired and another worker
// took the delivery over).
func (s *Store) finishInbox(ctx context.Context, tenantID, inboxID, owner, set string, args ...any) error {
	if !isUUID(tenantID) || !isUUID(inboxID) {
		return ErrNotFound
	}
	tag, err := s.pool.Exec(ctx, `
UPDATE webhook_inbox SET `+set+`, lease_owner = NULL, lease_expires_at = NULL
 WHERE tenant = $1 AND inbox_id = $2 AND status = 'processing' AND lease_owner = $3`,
		append([]any{tenantID, inboxID, owner}, args...)...)
	if err != nil {
		return fmt.Errorf("update webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: webhook %s is not processing under this lease", ErrConflict, inboxID)
	}
	return nil
}

// CompleteInbox marks a processed delivery done.
func (s *Store) CompleteInbox(ctx context.Context, tenantID, inboxID, owner string) error {
	return s.finishInbox(ctx, tenantID, inboxID, owner,
		`status = 'done', processed_at = now(), last_error = NULL`)
}

// RetryInbox marks a delivery failed, to be claimed again after delay.
func (s *Store) RetryInbox(ctx context.Context, tenantID, inboxID, owner, errMsg string, delay time.Duration) error {
	return s.finishInbox(ctx, tenantID, inboxID, owner,
		`status = 'failed', last_error = $4, next_attempt_at = now() + $5::bigint * interval '1 microsecond'`,
		clip(errMsg, maxInboxError), micros(max(delay, 0)))
}

// ParkInbox sets a delivery aside with its error, for a human to read and
// replay.
func (s *Store) ParkInbox(ctx context.Context, tenantID, inboxID, owner, errMsg string) error {
	return s.finishInbox(ctx, tenantID, inboxID, owner,
		`status = 'parked', last_error = $4, processed_at = now()`, clip(errMsg, maxInboxError))
}

// ReplayInbox queues a parked, failed or done delivery again, at once and
// with its attempts reset, and announces it. A pending or processing one is
// ErrConflict: it is about to run, or running.
func (s *Store) ReplayInbox(ctx context.Context, tenantID, inboxID string) (InboxItem, error) {
	if !isUUID(tenantID) || !isUUID(inboxID) {
		return InboxItem{}, ErrNotFound
	}
	var it InboxItem
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM webhook_inbox WHERE tenant = $1 AND inbox_id = $2 FOR UPDATE`,
			tenantID, inboxID).Scan(&status)
		if err != nil {
			return notFound(err, "replay webhook")
		}
		if status == InboxPending || status == InboxProcessing {
			return fmt.Errorf("%w: the webhook is %s", ErrConflict, status)
		}
		rows, err := tx.Query(ctx, `
UPDATE webhook_inbox w
   SET status = 'pending', attempts = 0, next_attempt_at = now(), processed_at = NULL,
       lease_owner = NULL, lease_expires_at = NULL
 WHERE tenant = $1 AND inbox_id = $2
RETURNING `+inboxItemColumns, tenantID, inboxID)
		if err != nil {
			return fmt.Errorf("replay webhook: %w", err)
		}
		if it, err = pgx.CollectExactlyOneRow(rows, scanInboxItem); err != nil {
			return fmt.Errorf("replay webhook: %w", err)
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify('`+InboxChannel+`', '')`); err != nil {
			return fmt.Errorf("replay webhook: %w", err)
		}
		return nil
	})
	if err != nil {
		return InboxItem{}, err
	}
	return it, nil
}

// ListInbox lists a tenant's deliveries, newest first. After is the id of
// the last delivery of the previous page.
func (s *Store) ListInbox(ctx context.Context, tenantID string, f InboxFilter) ([]InboxItem, error) {
	if !isUUID(tenantID) {
		return []InboxItem{}, nil
	}
	q := psql().Select(inboxItemColumns).From("webhook_inbox w").
		Where("w.tenant = ?", tenantID).
		OrderBy("w.received_at DESC", "w.inbox_id DESC").
		Limit(pageSize(f.Limit))
	if f.Status != "" {
		if !validInboxStatus(f.Status) {
			return nil, &InvalidError{Field: "status", Msg: "must be pending, processing, done, failed or parked"}
		}
		q = q.Where("w.status = ?", f.Status)
	}
	for _, id := range []struct{ field, value, where string }{
		{"integration_id", f.IntegrationID, "w.integration_id = ?"},
		{"after", f.After, "(w.received_at, w.inbox_id) < (SELECT received_at, inbox_id FROM webhook_inbox WHERE tenant = w.tenant AND inbox_id = ?)"},
	} {
		if id.value == "" {
			continue
		}
		if !isUUID(id.value) {
			return nil, &InvalidError{Field: id.field, Msg: "must be a UUID"}
		}
		q = q.Where(id.where, id.value)
	}
	sqlText, args, err := q.ToSql()
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	rows, err := s.pool.Query(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanInboxItem)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return list, nil
}

// GetInbox returns one delivery with its content.
func (s *Store) GetInbox(ctx context.Context, tenantID, inboxID string) (InboxDelivery, error) {
	if !isUUID(tenantID) || !isUUID(inboxID) {
		return InboxDelivery{}, ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT `+inboxDeliveryColumns+` FROM webhook_inbox w
	  WHERE w.tenant = $1 AND w.inbox_id = $2`, tenantID, inboxID)
	if err != nil {
		return InboxDelivery{}, fmt.Errorf("get webhook: %w", err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanInboxDelivery)
	if err != nil {
		return InboxDelivery{}, notFound(err, "get webhook")
	}
	return d, nil
}

// PurgeInbox deletes deliveries processed (done) longer ago than age,
// across tenants, and returns how many. Parked ones stay for a human.
func (s *Store) PurgeInbox(ctx context.Context, age time.Duration) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
DELETE FROM webhook_inbox
 WHERE status = 'done' AND processed_at < now() - $1::bigint * interval '1 microsecond'`, micros(age))
	if err != nil {
		return 0, fmt.Errorf("purge webhooks: %w", err)
	}
	return tag.RowsAffected(), nil
}

// ListenInbox calls wake once it listens on InboxChannel and then for
// every notification, until ctx ends (nil) or the connection fails (an
// error; the caller listens again after a pause). It holds a connection of
// its own, outside the pool.
func (s *Store) ListenInbox(ctx context.Context, wake func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listen for webhooks: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, `LISTEN `+InboxChannel); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listen for webhooks: %w", err)
	}
	// Deliveries stored before LISTEN took effect were announced to no one.
	wake()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("listen for webhooks: %w", err)
		}
		wake()
	}
}
