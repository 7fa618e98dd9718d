package integration_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// e5Storm is a set of webhook deliveries about known alerts.
type e5Storm struct {
	bodies  [][]byte
	alerts  map[string]e5StormAlert // by dedup key
	base    time.Time
	firstID int
}

// e5StormAlert is what one alert of a storm must end up as.
type e5StormAlert struct {
	agent    string // "" for a custom alert
	linked   bool   // its agent is in a mapped organisation
	resolved bool
}

// newE5Storm builds n alerts, from alert id firstID, about agents taken in
// turn from agents (a custom alert without an agent for ""), with
// linked[agent] telling which of them belong to mapped organisations. Every
// alert gets a failure delivery; even ones get it twice (a resend of the
// same occurrence) and odd ones a resolve, so each alert must end with one
// occurrence, resolved exactly when its resolve was sent, in whatever
// order the deliveries are processed.
func newE5Storm(n, firstID int, agents []string, linked map[string]bool) *e5Storm {
	s := &e5Storm{alerts: map[string]e5StormAlert{}, base: time.Date(2026, 6, 16, 8, 0, 0, 0, time.UTC), firstID: firstID}
	for k := range n {
		id := firstID + k
		agent := agents[k%len(agents)]
		s.alerts["alert:"+strconv.Itoa(id)] = e5StormAlert{agent: agent, linked: linked[agent], resolved: k%2 == 1}
		s.bodies = append(s.bodies, s.body(id, agent, false))
		if k%2 == 0 {
			s.bodies = append(s.bodies, s.body(id, agent, false))
		} else {
			s.bodies = append(s.bodies, s.body(id, agent, true))
		}
	}
	return s
}

// body renders an alert as the recommended templates do; the resolve
// repeats the failure's fields, as Tactical's alert row still has them.
func (s *e5Storm) body(id int, agent string, resolve bool) []byte {
	agentID, class := agent, "availability"
	if agent == "" {
		agentID, class = "None", "custom"
	}
	at := s.base.Add(time.Duration(id-s.firstID) * time.Second)
	event, extra := "failure", ""
	if resolve {
		event = "resolved"
		extra = fmt.Sprintf(`, "resolved": "True", "resolved_on": "%s"`, at.Add(time.Hour).Format("2006-01-02 15:04:05.000000-07:00"))
	}
	return fmt.Appendf(nil, `{"event": "%s", "alert_id": "%d", "agent_id": "%s", "alert_type": "%s", "severity": "error", `+
		`"alert_time": "%s"%s, "message": "storm alert %d"}`,
		event, id, agentID, class, at.Format("2006-01-02 15:04:05.000000-07:00"), extra, id)
}

// check compares the integration's alerts with what the storm must leave.
func (s *e5Storm) check(t *testing.T, got map[string]e5Alert) {
	t.Helper()
	if len(got) != len(s.alerts) {
		t.Errorf("%d alerts stored, want %d (one per alert id)", len(got), len(s.alerts))
	}
	bad := 0
	for key, want := range s.alerts {
		a, ok := got[key]
		status := map[bool]string{false: "active", true: "resolved"}[want.resolved]
		switch {
		case !ok:
			t.Errorf("alert %s was not stored", key)
		case a.Occurrences != 1 || a.Status != status || a.DeviceID != want.agent || (a.AssetID != "") != want.linked:
			if bad++; bad <= 10 {
				t.Errorf("alert %s: %d occurrences, %s, device %q, asset %q; want 1 occurrence, %s, device %q, linked to an asset: %v",
					key, a.Occurrences, a.Status, a.DeviceID, a.AssetID, status, want.agent, want.linked)
			}
		}
	}
	if bad > 10 {
		t.Errorf("... and %d more alerts wrong", bad-10)
	}
}

// e5StormAgents picks the agents a storm's alerts are about: agents of
// the mapped organisation, agents of one not mapped, an agent deleted from
// Tactical, and none (custom alerts). It returns them and which are in
// the mapped organisation.
func e5StormAgents(t *testing.T, fake *tacticalfake.Server, mappedOrg, otherOrg int) ([]string, map[string]bool) {
	t.Helper()
	mapped, other := e5AgentsOf(fake, mappedOrg), e5AgentsOf(fake, otherOrg)
	if len(mapped) < 3 || len(other) < 3 {
		t.Fatalf("the fleet's clients have %d and %d agents; want 3 each", len(mapped), len(other))
	}
	fake.RemoveAgent(other[2].Index)
	agents := []string{"", mapped[0].AgentID, other[0].AgentID, mapped[1].AgentID, other[2].AgentID, mapped[2].AgentID, other[1].AgentID, ""}
	linked := map[string]bool{mapped[0].AgentID: true, mapped[1].AgentID: true, mapped[2].AgentID: true}
	return agents, linked
}

// TestE2E5WebhookStormPluginKilled sends 1,000 webhooks at once, each
// from its own goroutine, and SIGKILLs the Tactical plugin once the first
// 400 are acknowledged and processing has begun; the other 600 are let go
// at that moment and arrive while the host restarts the plugin. Every delivery must get a 202 and end up processed exactly
// once: 1,000 inbox rows, each done, each the body sent, and one alert per
// alert id with one occurrence each, resolved where a resolve was sent.
func TestE2E5WebhookStormPluginKilled(t *testing.T) {
	env := e5NewEnv(t, tacticalfake.FleetSpec{Clients: 2, SitesPerClient: 1, Agents: 20, Seed: 9})
	host := env.startHost(t, "host")
	tn := env.tenant(t, host, "Storm MSP")
	integration := tn.connect(t, env.fake, map[string]any{})
	clients := env.fake.Clients()
	tn.mapOrgs(t, integration, clients[0].ID)
	hook := tn.webhook(t, integration)
	agents, linked := e5StormAgents(t, env.fake, clients[0].ID, clients[1].ID)
	storm := newE5Storm(500, 10000, agents, linked)
	if len(storm.bodies) != 1000 {
		t.Fatalf("the storm has %d deliveries, want 1000", len(storm.bodies))
	}
	oldPID := e5WaitPlugin(t, host, 0)

	const killAfter = 400
	type ack struct {
		status  int
		inboxID string
		err     error
	}
	acks := make([]ack, len(storm.bodies))
	next := make(chan int)
	halfway := make(chan struct{})
	var acked sync.WaitGroup
	acked.Add(killAfter)
	var senders sync.WaitGroup
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for range len(storm.bodies) {
		senders.Go(func() {
			for i := range next {
				status, id, err := hook.send(ctx, storm.bodies[i])
				acks[i] = ack{status, id, err}
				if i < killAfter {
					acked.Done()
				}
			}
		})
	}
	go func() {
		defer close(next)
		for i := range storm.bodies {
			if i == killAfter {
				select { // the rest are sent once the plugin was killed
				case <-halfway:
				case <-ctx.Done():
					return
				}
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()

	acked.Wait()
	done := func() int {
		return env.count(t, `SELECT count(*) FROM webhook_inbox WHERE tenant = $1 AND status = 'done'`, tn.id)
	}
	e5WaitFor(t, time.Minute, "processing under way", func() (bool, string) { return done() > 0, "no delivery done yet" })
	doneAtKill := done()
	e5KillPlugin(t, oldPID)
	close(halfway)
	senders.Wait()
	if doneAtKill >= killAfter {
		t.Fatalf("all %d first deliveries were processed before the kill; the storm did not overlap it", doneAtKill)
	}

	ids := map[string]int{}
	for i, a := range acks {
		switch {
		case a.err != nil || a.status != http.StatusAccepted:
			t.Errorf("delivery %d: status %d, %v; want 202", i, a.status, a.err)
		case ids[a.inboxID] != 0:
			t.Errorf("deliveries %d and %d got the same inbox id %s", ids[a.inboxID]-1, i, a.inboxID)
		default:
			ids[a.inboxID] = i + 1
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	newPID := e5WaitPlugin(t, host, oldPID)
	tn.waitProvider(t, "running")
	if n := done(); n >= len(storm.bodies) {
		t.Fatalf("all %d deliveries were processed before the plugin was back; the storm did not overlap its restart", n)
	}
	e5WaitFor(t, 2*time.Minute, "every delivery processed", func() (bool, string) {
		var pending, parked int
		if err := env.db.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE status NOT IN ('done', 'parked')),
			count(*) FILTER (WHERE status = 'parked') FROM webhook_inbox WHERE tenant = $1`, tn.id).Scan(&pending, &parked); err != nil {
			t.Fatal(err)
		}
		if parked > 0 {
			t.Fatalf("%d deliveries were parked", parked)
		}
		return pending == 0, fmt.Sprintf("%d not yet done", pending)
	})

	rows, err := env.db.Query(t.Context(), `SELECT inbox_id::text, status, attempts, body FROM webhook_inbox WHERE tenant = $1`, tn.id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	stored, retried := 0, 0
	for rows.Next() {
		var id, status string
		var attempts int
		var body []byte
		if err := rows.Scan(&id, &status, &attempts, &body); err != nil {
			t.Fatal(err)
		}
		stored++
		i, ok := ids[id]
		switch {
		case !ok:
			t.Errorf("inbox row %s answers no delivery", id)
		case status != "done" || !bytes.Equal(body, storm.bodies[i-1]):
			t.Errorf("inbox row %s (delivery %d): %s, body %q; want done with the body sent", id, i-1, status, body)
		}
		if attempts > 1 {
			retried++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if stored != len(storm.bodies) {
		t.Errorf("%d inbox rows, want %d: one per delivery", stored, len(storm.bodies))
	}
	storm.check(t, env.alerts(t, tn.id, integration))
	t.Logf("%d deliveries done at the kill, %d retried after it; plugin %d restarted as %d", doneAtKill, retried, oldPID, newPID)
}
