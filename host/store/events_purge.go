package store

import (
	"context"
	"fmt"
	"time"
)

// purgeEventsBatch bounds one purge transaction.
const purgeEventsBatch = 10000

// purgeEventsSQL deletes, of the $2 oldest events by id (the order index
// serves it), those created before $1 microseconds ago. Ids grow with
// time, so the oldest events come first.
const purgeEventsSQL = `
DELETE FROM event_outbox e
 USING (SELECT tenant, event_id FROM event_outbox ORDER BY event_id LIMIT $2) old
 WHERE e.tenant = old.tenant AND e.event_id = old.event_id
   AND e.created_at < now() - $1::bigint * interval '1 microsecond'`

// PurgeEvents deletes events older than age, in transactions of a bounded
// size, and returns how many it deleted. A consumer reading the outbox
// (GET /api/v1/events) must keep up within age, or it misses events.
func (s *Store) PurgeEvents(ctx context.Context, age time.Duration) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, purgeEventsSQL, micros(age), purgeEventsBatch)
		if err != nil {
			return total, fmt.Errorf("purge events: %w", err)
		}
		// A pass that deleted nothing found only events to keep among
		// the oldest: every later one is newer.
		if tag.RowsAffected() == 0 {
			return total, nil
		}
		total += tag.RowsAffected()
	}
}
