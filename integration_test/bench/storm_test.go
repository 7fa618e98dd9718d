package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestSendStorm(t *testing.T) {
	var got, refused atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Secret") != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var body struct {
			AlertID int    `json:"alert_id"`
			AgentID string `json:"agent_id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.AgentID == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got.Add(1)
		if body.AlertID%10 == 0 { // every tenth delivery is refused
			refused.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	tests := []struct {
		name       string
		secret     string
		wantFailed int
	}{
		{"refusals are failures", "s3cret", 10},
		{"a wrong secret fails every delivery", "nope", 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got.Store(0)
			out := sendStorm(t.Context(), stormSpec{URL: srv.URL, Header: "X-Secret", Secret: tt.secret,
				Total: 100, Senders: 8, Agents: []string{"a", "b", "c"}})
			if out.Sent != 100 || out.Failed != tt.wantFailed {
				t.Fatalf("sent %d failed %d, want 100 and %d", out.Sent, out.Failed, tt.wantFailed)
			}
			if tt.secret == "s3cret" && got.Load() != 100 {
				t.Fatalf("the server saw %d deliveries, want 100", got.Load())
			}
			if out.P50 <= 0 || out.P99 < out.P50 || out.Wall < out.P99 {
				t.Fatalf("latencies p50 %v p99 %v wall %v are inconsistent", out.P50, out.P99, out.Wall)
			}
		})
	}
}
