package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// stormChildArg, as the first argument, makes the binary the webhook
// senders. They run in a process of their own, like an RMM would, so that
// their CPU and memory are not counted as the host's.
const stormChildArg = "__bench_webhook_storm__"

// stormSpec is what the senders are told, on stdin (it holds the secret,
// which must not show in a process list).
type stormSpec struct {
	URL     string   `json:"url"`
	Header  string   `json:"header"`
	Secret  string   `json:"secret"`
	Total   int      `json:"total"`
	Senders int      `json:"senders"`
	Agents  []string `json:"agents"`
}

// stormOutcome is what the senders observed, on stdout.
type stormOutcome struct {
	Sent   int           `json:"sent"`
	Failed int           `json:"failed"` // no answer, or not 2xx
	Wall   time.Duration `json:"wall"`
	P50    time.Duration `json:"p50"`
	P99    time.Duration `json:"p99"`
}

// webhookBody is a Tactical alert URL action's body (API.md, the
// provider's webhook templates) for alert n of agent agentID.
func webhookBody(n int, agentID string) []byte {
	return fmt.Appendf(nil, `{"event": "failure", "alert_id": %d, "alert_type": "availability", "severity": "error", `+
		`"message": "bench-host-%d is overdue.", "alert_time": "2026-06-16 12:30:40.221904+00:00", `+
		`"agent_id": %q, "hostname": "bench-host-%d", "client": "Bench", "site": "HQ", "status": "overdue"}`,
		500000+n, n, agentID, n)
}

func postWebhook(ctx context.Context, c *http.Client, url, secretHeader, secret string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(secretHeader, secret)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// sendStorm posts spec.Total deliveries from spec.Senders concurrent
// senders, each timing its own requests.
func sendStorm(ctx context.Context, spec stormSpec) stormOutcome {
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConns: spec.Senders, MaxIdleConnsPerHost: spec.Senders},
		Timeout:   30 * time.Second,
	}
	defer client.CloseIdleConnections()
	lat := make([]time.Duration, spec.Total)
	var next, failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range spec.Senders {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= spec.Total || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				code, err := postWebhook(ctx, client, spec.URL, spec.Header, spec.Secret, webhookBody(i, spec.Agents[i%len(spec.Agents)]))
				lat[i] = time.Since(t0)
				if err != nil || code/100 != 2 {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return stormOutcome{Sent: spec.Total, Failed: int(failed.Load()), Wall: time.Since(start),
		P50: percentile(lat, 0.50), P99: percentile(lat, 0.99)}
}

// serveStorm is the sender process's main.
func serveStorm(ctx context.Context) error {
	var spec stormSpec
	if err := json.NewDecoder(os.Stdin).Decode(&spec); err != nil {
		return fmt.Errorf("read storm spec: %w", err)
	}
	if spec.Total < 1 || spec.Senders < 1 || len(spec.Agents) == 0 {
		return fmt.Errorf("empty storm spec")
	}
	return json.NewEncoder(os.Stdout).Encode(sendStorm(ctx, spec))
}

// runStormChild runs the senders in a child process and returns what
// they observed.
func runStormChild(ctx context.Context, spec stormSpec) (stormOutcome, error) {
	var out stormOutcome
	exe, err := os.Executable()
	if err != nil {
		return out, err
	}
	in, err := json.Marshal(spec)
	if err != nil {
		return out, err
	}
	cmd := exec.CommandContext(ctx, exe, stormChildArg)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	b, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("webhook senders: %w", err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("webhook senders said %q: %w", b, err)
	}
	return out, nil
}

// percentile is the nearest-rank q-quantile of ds (which it sorts).
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	k := int(math.Ceil(q*float64(len(ds)))) - 1
	return ds[min(max(k, 0), len(ds)-1)]
}
