package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrStaleSecret means a delivery was authenticated with a webhook secret
// that is no longer the integration's (it was rotated or replaced), or the
// integration was disconnected since: nothing was stored, and the caller
// should look the integration up again before answering.
var ErrStaleSecret = errors.New("the webhook secret or the integration changed")

// InboxInsert is the outcome of one delivery of InsertInboxBatch: its
// stored item, or why it was not stored.
type InboxInsert struct {
	Item InboxItem
	Err  error
}

// insertInboxBatchSQL stores a batch of deliveries and their
// RMM_WEBHOOK_RECEIVED events in one statement, so in one commit (one WAL
// flush) with one announcement per channel. A row whose expected secret
// version ($10) is set is stored only if the integration is connected and
// its webhook secret is still that one: ingress authenticates against a
// cached secret, and this re-checks it where it counts, on every replica's
// rotation, at no extra round trip. ok tells which rows were stored; found
// separates an unknown integration from a stale secret.
const insertInboxBatchSQL = `
WITH input AS MATERIALIZED (
    SELECT gen_random_uuid() AS inbox_id, t.*
      FROM unnest($1::int[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[],
                  $9::text[], $10::bytea[])
           AS t(ord, tenant, integration_id, provider, method, query, headers, body, event, secret_version)
), chk AS MATERIALIZED (
    SELECT input.*, i.integration_id IS NOT NULL AS found,
           i.integration_id IS NOT NULL AND (input.secret_version IS NULL OR
               (s.nonce = input.secret_version AND NOT (NOT i.is_active AND i.disconnected_at IS NOT NULL))) AS ok
      FROM input
      LEFT JOIN rmm_integrations i ON i.tenant = input.tenant AND i.integration_id = input.integration_id
      LEFT JOIN tenant_secrets s ON s.tenant = input.tenant AND s.integration_id = input.integration_id
                                AND s.secret_name = $11
), w AS (
    INSERT INTO webhook_inbox (tenant, inbox_id, integration_id, provider, method, query, headers, body)
    SELECT tenant, inbox_id, integration_id, provider, method, query, headers::jsonb, body
      FROM chk WHERE ok ORDER BY ord
    RETURNING tenant, inbox_id, received_at, next_attempt_at
), ev AS (
    INSERT INTO event_outbox (tenant, event_type, payload)
    SELECT tenant, '` + EventWebhookReceived + `',
           event::jsonb || jsonb_build_object('tenantId', tenant, 'inboxId', inbox_id)
      FROM chk WHERE ok ORDER BY ord
), announce AS MATERIALIZED (
    SELECT pg_notify('` + InboxChannel + `', '') IS NULL AS a, pg_notify('` + EventsChannel + `', '') IS NULL AS b
     WHERE EXISTS (SELECT 1 FROM chk WHERE ok)
)
SELECT chk.ord, chk.inbox_id, chk.found, chk.ok, w.received_at, w.next_attempt_at
  FROM chk
  LEFT JOIN w ON w.tenant = chk.tenant AND w.inbox_id = chk.inbox_id
  LEFT JOIN announce ON true`

// InboxRow is a delivery checked and encoded for InsertInboxBatch.
// Encoding costs CPU (the event payload parses the body), so a caller that
// batches encodes each delivery where it arrives, in parallel, and the
// writer of the batch only sends.
type InboxRow struct {
	tenant, integration, provider, method, query, headers string
	body                                                  []byte
	event                                                 string
	version                                               []byte
}

// NewInboxRow checks and encodes d; an id that is not a UUID is
// ErrNotFound.
func NewInboxRow(d NewInboxDelivery) (InboxRow, error) {
	if !isUUID(d.TenantID) || !isUUID(d.IntegrationID) {
		return InboxRow{}, ErrNotFound
	}
	if d.Method == "" {
		d.Method = http.MethodPost
	}
	headers, err := json.Marshal(d.Headers)
	if err != nil {
		return InboxRow{}, fmt.Errorf("inbox headers: %w", err)
	}
	if d.Body == nil {
		d.Body = []byte{}
	}
	d.Provider = clip(d.Provider, 50)
	event, err := webhookEventPayload(d)
	if err != nil {
		return InboxRow{}, fmt.Errorf("webhook event: %w", err)
	}
	return InboxRow{tenant: d.TenantID, integration: d.IntegrationID, provider: d.Provider,
		method: clip(d.Method, 10), query: d.Query, headers: string(headers), body: d.Body, event: string(event),
		version: d.SecretVersion}, nil
}

// InsertInboxBatch stores many deliveries at once, each as InsertInbox
// would, in one statement: one commit and one announcement for the batch,
// which is what lets ingress keep up with a storm of deliveries on a
// database that flushes every commit to disk. It returns one outcome per
// row, in order. A row whose integration is unknown gets ErrNotFound, one
// whose secret version is no longer current gets ErrStaleSecret; the
// others are stored all the same. The error is for the batch as a whole
// (the database failed): then none was stored, unless the failure cut the
// commit itself short, as with any commit.
func (s *Store) InsertInboxBatch(ctx context.Context, rows []InboxRow) ([]InboxInsert, error) {
	out := make([]InboxInsert, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	all := make([]int, len(rows))
	for i := range all {
		all[i] = i
	}
	err := s.insertBatchRows(ctx, rows, all, out)
	switch {
	case err == nil:
		return out, nil
	case len(rows) == 1 && pgErrCode(err) == pgForeignKeyViolation:
		out[0] = InboxInsert{Err: ErrNotFound}
		return out, nil
	case len(rows) == 1 || !isRowError(err):
		return nil, err
	}
	// A row broke a constraint (its integration was deleted meanwhile) or
	// holds what the database refuses: store the others one by one, so
	// that it fails alone.
	for i := range rows {
		err := s.insertBatchRows(ctx, rows, []int{i}, out)
		switch {
		case pgErrCode(err) == pgForeignKeyViolation:
			out[i] = InboxInsert{Err: ErrNotFound}
		case err != nil:
			out[i] = InboxInsert{Err: err}
		}
	}
	return out, nil
}

// insertBatchRows runs insertInboxBatchSQL for the rows at the indexes
// which and fills their outcomes in out.
func (s *Store) insertBatchRows(ctx context.Context, rows []InboxRow, which []int, out []InboxInsert) error {
	n := len(which)
	ords := make([]int32, n)
	tenants, integrations, providers := make([]string, n), make([]string, n), make([]string, n)
	methods, queries, headers, events := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	bodies, versions := make([][]byte, n), make([][]byte, n)
	for k, i := range which {
		r := rows[i]
		ords[k], tenants[k], integrations[k], providers[k] = int32(i), r.tenant, r.integration, r.provider
		methods[k], queries[k], headers[k], events[k] = r.method, r.query, r.headers, r.event
		bodies[k], versions[k] = r.body, r.version
	}
	res, err := s.pool.Query(ctx, insertInboxBatchSQL, ords, tenants, integrations, providers, methods, queries,
		headers, bodies, events, versions, WebhookSecretName)
	if err != nil {
		return fmt.Errorf("store webhooks: %w", err)
	}
	var (
		ord               int32
		id                string
		found, ok         bool
		received, nextTry *time.Time
	)
	seen := 0
	_, err = pgx.ForEachRow(res, []any{&ord, &id, &found, &ok, &received, &nextTry}, func() error {
		if ord < 0 || int(ord) >= len(rows) {
			return fmt.Errorf("store webhooks: unexpected row %d", ord)
		}
		seen++
		r := rows[ord]
		switch {
		case !found:
			out[ord] = InboxInsert{Err: ErrNotFound}
		case !ok || received == nil:
			out[ord] = InboxInsert{Err: ErrStaleSecret}
		default:
			out[ord] = InboxInsert{Item: InboxItem{ID: id, IntegrationID: strings.ToLower(r.integration),
				Provider: r.provider, Method: r.method, ReceivedAt: *received, Status: InboxPending,
				NextAttemptAt: nextTry, BodySize: len(r.body)}}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store webhooks: %w", err)
	}
	if seen != n {
		return fmt.Errorf("store webhooks: %d outcomes for %d deliveries", seen, n)
	}
	return nil
}

// isRowError is true for the errors one row can cause alone: class 22
// (data exception, e.g. a NUL byte in text) and 23 (integrity constraint
// violation).
func isRowError(err error) bool {
	code := pgErrCode(err)
	return strings.HasPrefix(code, "22") || strings.HasPrefix(code, "23")
}
