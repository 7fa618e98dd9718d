package integration_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/integration_test/hostproc"
	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// e5Event is one entry of GET /api/v1/events.
type e5Event struct {
	ID      int64          `json:"event_id"`
	Type    string         `json:"event_type"`
	Payload map[string]any `json:"payload"`
}

func (e e5Event) str(field string) string {
	switch v := e.Payload[field].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// e5EventPage is one page of GET /api/v1/events.
type e5EventPage struct {
	Items     []e5Event `json:"items"`
	NextAfter int64     `json:"next_after"`
}

// e5Consumer reads the event feed the way a PSA would: small pages,
// resuming after the last event it saw, for as long as it runs.
type e5Consumer struct {
	api   *hostproc.Client
	limit int

	mu     sync.Mutex
	events []e5Event
	err    error
}

func (c *e5Consumer) run(ctx context.Context) {
	var after int64
	for ctx.Err() == nil {
		var page e5EventPage
		_, err := c.api.Do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/events?after=%d&limit=%d", after, c.limit), nil, &page)
		if err != nil {
			if ctx.Err() == nil {
				c.fail(fmt.Errorf("read events after %d: %w", after, err))
			}
			return
		}
		if len(page.Items) > c.limit {
			c.fail(fmt.Errorf("a page of %d events for limit %d", len(page.Items), c.limit))
		}
		wantNext := after
		if n := len(page.Items); n > 0 {
			wantNext = page.Items[n-1].ID
		}
		if page.NextAfter != wantNext {
			c.fail(fmt.Errorf("next_after %d after a page ending at %d", page.NextAfter, wantNext))
		}
		c.mu.Lock()
		c.events = append(c.events, page.Items...)
		c.mu.Unlock()
		after = page.NextAfter
		if len(page.Items) < c.limit {
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

func (c *e5Consumer) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

func (c *e5Consumer) seen() ([]e5Event, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events), c.err
}

// readAllEvents reads the whole feed from the start in large pages.
func (tn e5Tenant) readAllEvents(t *testing.T) []e5Event {
	t.Helper()
	var all []e5Event
	var after int64
	for {
		var page e5EventPage
		if _, err := tn.api.Do(t.Context(), http.MethodGet, fmt.Sprintf("/api/v1/events?after=%d&limit=1000", after), nil, &page); err != nil {
			t.Fatalf("read events: %v", err)
		}
		all = append(all, page.Items...)
		if len(page.Items) == 0 {
			return all
		}
		after = page.NextAfter
	}
}

// e5EventAlert builds webhook bodies for custom alerts (no agent) and alerts
// about agents of an organisation that is not mapped: neither refreshes
// an asset, so the only events they cause are about webhooks and alerts.
func e5EventAlert(id int, agent string, resolve bool) []byte {
	agentID, class := agent, "availability"
	if agent == "" {
		agentID, class = "None", "custom"
	}
	at := time.Date(2026, 6, 16, 9, 0, 0, 0, time.UTC).Add(time.Duration(id) * time.Second).Format("2006-01-02 15:04:05.000000-07:00")
	if resolve {
		return fmt.Appendf(nil, `{"event": "resolved", "alert_id": "%d", "agent_id": "%s", "alert_type": "%s", "severity": "warning", "alert_time": "%s", "resolved": "True", "resolved_on": "2026-06-17 09:00:00+00:00", "message": "alert %d"}`,
			id, agentID, class, at, id)
	}
	return fmt.Appendf(nil, `{"event": "failure", "alert_id": "%d", "agent_id": "%s", "alert_type": "%s", "severity": "warning", "alert_time": "%s", "message": "alert %d"}`,
		id, agentID, class, at, id)
}

// TestE2E5EventsSeenOnceInOrder has a consumer read GET /api/v1/events
// seven at a time, resuming from its cursor, while device syncs run and
// webhooks arrive at the same time. It must see every event once, in
// strictly increasing order, exactly the feed as read afterwards, and the
// events must be exactly what changed: one RMM_DEVICE_CREATED per agent of
// the mapped organisation, RMM_DEVICE_UPDATED for the agents changed in
// Tactical, RMM_DEVICE_OFFLINE for the one that stopped checking in,
// RMM_WEBHOOK_RECEIVED per delivery, RMM_ALERT_TRIGGERED and _RESOLVED per
// alert, and RMM_SYNC_STARTED and _COMPLETED per job, each after its
// cause.
func TestE2E5EventsSeenOnceInOrder(t *testing.T) {
	env := e5NewEnv(t, tacticalfake.FleetSpec{Clients: 2, SitesPerClient: 1, Agents: 40, Seed: 13})
	host := env.startHost(t, "host")
	tn := env.tenant(t, host, "Events MSP")
	consumer := &e5Consumer{api: tn.api, limit: 7}
	cctx, stopConsumer := context.WithCancel(t.Context())
	var consuming sync.WaitGroup
	consuming.Go(func() { consumer.run(cctx) })
	defer func() { stopConsumer(); consuming.Wait() }()

	integration := tn.connect(t, env.fake, map[string]any{})
	clients := env.fake.Clients()
	tn.mapOrgs(t, integration, clients[0].ID)
	mapped, unmapped := e5AgentsOf(env.fake, clients[0].ID), e5AgentsOf(env.fake, clients[1].ID)
	hook := tn.webhook(t, integration)
	alertAgent := func(id int) string {
		if id%2 == 0 {
			return ""
		}
		return unmapped[id%len(unmapped)].AgentID
	}

	// Round 1: the first device sync, with 30 alerts arriving meanwhile.
	var inbox []string
	send := func(bodies [][]byte) {
		ids := make([]string, len(bodies))
		var wg sync.WaitGroup
		for i, b := range bodies {
			wg.Go(func() {
				status, id, err := hook.send(t.Context(), b)
				if err != nil || status != http.StatusAccepted {
					t.Errorf("webhook %s: status %d, %v", b, status, err)
				}
				ids[i] = id
			})
		}
		wg.Wait()
		inbox = append(inbox, ids...)
	}
	waitInbox := func() {
		e5WaitFor(t, time.Minute, "webhooks processed", func() (bool, string) {
			n := env.count(t, `SELECT count(*) FROM webhook_inbox WHERE tenant = $1 AND status <> 'done'`, tn.id)
			return n == 0, fmt.Sprintf("%d not done", n)
		})
	}
	var round1 [][]byte
	for id := 1; id <= 30; id++ {
		round1 = append(round1, e5EventAlert(id, alertAgent(id), false))
	}
	job1 := tn.startSync(t, integration, "devices")
	send(round1)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if _, err := tn.api.WaitJob(ctx, job1); err != nil {
		t.Fatal(err)
	}
	waitInbox()

	// Round 2: Tactical changes: three online agents check in (their
	// vitals change), one stops checking in. A second sync runs while 15
	// alerts resolve and 10 new ones arrive.
	var touched []string
	var silent tacticalfake.AgentView
	for _, v := range mapped {
		switch {
		case v.Status == "online" && len(touched) < 3:
			env.fake.Touch(v.Index)
			touched = append(touched, v.AgentID)
		case v.Status == "online" && silent.AgentID == "":
			silent = v
			env.fake.SetLastSeen(v.Index, env.fake.Now().Add(-72*time.Hour))
		}
	}
	if len(touched) < 3 || silent.AgentID == "" {
		t.Fatalf("the mapped organisation has too few online agents (%d agents)", len(mapped))
	}
	var round2 [][]byte
	for id := 1; id <= 15; id++ {
		round2 = append(round2, e5EventAlert(id, alertAgent(id), true))
	}
	for id := 31; id <= 40; id++ {
		round2 = append(round2, e5EventAlert(id, alertAgent(id), false))
	}
	job2 := tn.startSync(t, integration, "devices")
	send(round2)
	if _, err := tn.api.WaitJob(ctx, job2); err != nil {
		t.Fatal(err)
	}
	waitInbox()

	// Let the consumer catch up with the outbox, then stop it.
	total := env.count(t, `SELECT count(*) FROM event_outbox WHERE tenant = $1`, tn.id)
	e5WaitFor(t, time.Minute, "the consumer caught up", func() (bool, string) {
		got, err := consumer.seen()
		if err != nil {
			t.Fatal(err)
		}
		return len(got) >= total, fmt.Sprintf("%d of %d events read", len(got), total)
	})
	stopConsumer()
	consuming.Wait()
	got, err := consumer.seen()
	if err != nil {
		t.Fatal(err)
	}

	// Once each, in order, and nothing skipped.
	for i := 1; i < len(got); i++ {
		if got[i].ID <= got[i-1].ID {
			t.Fatalf("event %d (id %d) came after id %d: not strictly increasing", i, got[i].ID, got[i-1].ID)
		}
	}
	all := tn.readAllEvents(t)
	if len(all) != total || len(got) != total {
		t.Fatalf("the consumer read %d events, the whole feed has %d, the outbox %d", len(got), len(all), total)
	}
	for i := range all {
		if all[i].ID != got[i].ID || all[i].Type != got[i].Type {
			t.Fatalf("event %d: the consumer read %d %s, the feed has %d %s", i, got[i].ID, got[i].Type, all[i].ID, all[i].Type)
		}
	}

	// Exactly what changed.
	var jobs []string
	rows, err := env.db.Query(t.Context(), `SELECT job_id::text FROM sync_jobs WHERE tenant = $1 AND status = 'succeeded'`, tn.id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, id)
	}
	rows.Close()
	if n := env.count(t, `SELECT count(*) FROM sync_jobs WHERE tenant = $1`, tn.id); n != len(jobs) || n != 3 {
		t.Fatalf("%d jobs, %d succeeded; want the orgs sync and two device syncs, all succeeded", n, len(jobs))
	}
	mappedIDs := make([]string, 0, len(mapped))
	for _, v := range mapped {
		mappedIDs = append(mappedIDs, v.AgentID)
	}
	alertIDs := func(from, to int) []string {
		var out []string
		for id := from; id <= to; id++ {
			out = append(out, strconv.Itoa(id))
		}
		return out
	}
	want := map[string]map[string]int{
		"RMM_SYNC_STARTED":     e5Once(jobs),
		"RMM_SYNC_COMPLETED":   e5Once(jobs),
		"RMM_DEVICE_CREATED":   e5Once(mappedIDs),
		"RMM_DEVICE_UPDATED":   e5Once(append(slices.Clone(touched), silent.AgentID)),
		"RMM_DEVICE_OFFLINE":   e5Once([]string{silent.AgentID}),
		"RMM_WEBHOOK_RECEIVED": e5Once(inbox),
		"RMM_ALERT_TRIGGERED":  e5Once(append(alertIDs(1, 30), alertIDs(31, 40)...)),
		"RMM_ALERT_RESOLVED":   e5Once(alertIDs(1, 15)),
	}
	key := map[string]string{
		"RMM_SYNC_STARTED": "jobId", "RMM_SYNC_COMPLETED": "jobId",
		"RMM_DEVICE_CREATED": "externalDeviceId", "RMM_DEVICE_UPDATED": "externalDeviceId", "RMM_DEVICE_OFFLINE": "externalDeviceId",
		"RMM_WEBHOOK_RECEIVED": "inboxId", "RMM_ALERT_TRIGGERED": "externalAlertId", "RMM_ALERT_RESOLVED": "externalAlertId",
	}
	gotSet := map[string]map[string]int{}
	firstOf := map[string]int64{} // "type/key" -> event id
	for _, e := range got {
		k, known := key[e.Type]
		if !known {
			t.Errorf("unexpected event %d %s: %v", e.ID, e.Type, e.Payload)
			continue
		}
		if e.str("tenantId") != tn.id || (e.Type != "RMM_WEBHOOK_RECEIVED" && e.str("integrationId") != integration) {
			t.Errorf("event %d %s names tenant %q and integration %q", e.ID, e.Type, e.str("tenantId"), e.str("integrationId"))
		}
		if gotSet[e.Type] == nil {
			gotSet[e.Type] = map[string]int{}
		}
		gotSet[e.Type][e.str(k)]++
		if _, ok := firstOf[e.Type+"/"+e.str(k)]; !ok {
			firstOf[e.Type+"/"+e.str(k)] = e.ID
		}
	}
	for _, typ := range slices.Sorted(maps.Keys(want)) {
		if !maps.Equal(gotSet[typ], want[typ]) {
			t.Errorf("%s: got %v\nwant %v", typ, gotSet[typ], want[typ])
		}
	}

	// Each after its cause: a job's events between its start and its end,
	// an alert's after the delivery that brought it.
	for _, j := range jobs {
		if firstOf["RMM_SYNC_STARTED/"+j] >= firstOf["RMM_SYNC_COMPLETED/"+j] {
			t.Errorf("job %s: completed (event %d) before it started (event %d)", j, firstOf["RMM_SYNC_COMPLETED/"+j], firstOf["RMM_SYNC_STARTED/"+j])
		}
	}
	for _, d := range mappedIDs {
		if c := firstOf["RMM_DEVICE_CREATED/"+d]; c <= firstOf["RMM_SYNC_STARTED/"+job1] || c >= firstOf["RMM_SYNC_COMPLETED/"+job1] {
			t.Errorf("device %s created (event %d) outside its sync (events %d to %d)", d, c, firstOf["RMM_SYNC_STARTED/"+job1], firstOf["RMM_SYNC_COMPLETED/"+job1])
		}
	}
	received := map[string]int64{} // "failure/1" -> first delivery event id
	for _, e := range got {
		if e.Type != "RMM_WEBHOOK_RECEIVED" {
			continue
		}
		raw, _ := e.Payload["rawPayload"].(map[string]any)
		k := fmt.Sprintf("%v/%v", raw["event"], raw["alert_id"])
		if _, ok := received[k]; !ok {
			received[k] = e.ID
		}
	}
	for id := 1; id <= 40; id++ {
		if r, a := received[fmt.Sprintf("failure/%d", id)], firstOf[fmt.Sprintf("RMM_ALERT_TRIGGERED/%d", id)]; r == 0 || a <= r {
			t.Errorf("alert %d triggered (event %d), its delivery received (event %d): want the delivery first", id, a, r)
		}
	}
	for id := 1; id <= 15; id++ {
		if r, a := received[fmt.Sprintf("resolved/%d", id)], firstOf[fmt.Sprintf("RMM_ALERT_RESOLVED/%d", id)]; r == 0 || a <= r {
			t.Errorf("alert %d resolved (event %d), its delivery received (event %d): want the delivery first", id, a, r)
		}
	}
	t.Logf("%d events read in pages of %d: %s", len(got), consumer.limit, e5TypeCounts(got))
}

// e5Once is a multiset holding each key once.
func e5Once(keys []string) map[string]int {
	out := make(map[string]int, len(keys))
	for _, k := range keys {
		out[k] = 1
	}
	return out
}

func e5TypeCounts(events []e5Event) string {
	n := map[string]int{}
	for _, e := range events {
		n[e.Type]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(n)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, n[k]))
	}
	return strings.Join(parts, ", ")
}
