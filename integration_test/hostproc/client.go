package hostproc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client calls the host's HTTP API as one tenant.
type Client struct {
	URL  string
	Key  string
	HTTP *http.Client
}

// NewClient returns a client for the host at url with an API key.
func NewClient(url, key string) *Client {
	return &Client{URL: url, Key: key, HTTP: &http.Client{Timeout: 2 * time.Minute}}
}

// Error is a non-2xx answer.
type Error struct {
	Status int
	Body   string
}

func (e *Error) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// Do sends body (JSON-encoded unless nil or []byte) and decodes a 2xx
// answer into out (unless nil). It returns the status; a non-2xx answer is
// an *Error.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, rd)
	if err != nil {
		return 0, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, &Error{Status: resp.StatusCode, Body: string(data)}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// Job is the API's view of a sync job.
type Job struct {
	ID        string `json:"job_id"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	Processed int64  `json:"processed"`
	Total     int64  `json:"total"`
	Counts    struct {
		Created   int64 `json:"created"`
		Updated   int64 `json:"updated"`
		Unchanged int64 `json:"unchanged"`
		Failed    int64 `json:"failed"`
		Deleted   int64 `json:"deleted"`
	} `json:"counts"`
	Error string `json:"error"`
}

// Sync starts a sync job and waits until it ends.
func (c *Client) Sync(ctx context.Context, integrationID, kind, mode string) (Job, error) {
	var started struct {
		JobID string `json:"job_id"`
	}
	if _, err := c.Do(ctx, http.MethodPost, "/api/v1/integrations/"+integrationID+"/sync",
		map[string]string{"kind": kind, "mode": mode}, &started); err != nil {
		return Job{}, err
	}
	return c.WaitJob(ctx, started.JobID)
}

// WaitJob polls a job until it succeeds or fails.
func (c *Client) WaitJob(ctx context.Context, jobID string) (Job, error) {
	for {
		var j Job
		if _, err := c.Do(ctx, http.MethodGet, "/api/v1/jobs/"+jobID, nil, &j); err != nil {
			return j, err
		}
		switch j.Status {
		case "succeeded":
			return j, nil
		case "failed", "cancelled":
			return j, fmt.Errorf("job %s %s: %s", jobID, j.Status, j.Error)
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
