package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Defaults for Config fields left zero.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultMaxAttempts = 3
	DefaultRetryBase   = 250 * time.Millisecond
	DefaultRetryMax    = 5 * time.Second
	// maxSmallBody bounds bodies read whole (details, errors, login).
	maxSmallBody = 16 << 20
	userAgent    = "psa-host-tacticalrmm"
)

// Config configures a Client. BaseURL and HTTP are required.
type Config struct {
	BaseURL     *url.URL // from NormalizeBaseURL
	HTTP        *http.Client
	Credentials Credentials
	Logger      hclog.Logger
	// Timeout bounds the wait for response headers, and each wait for body
	// bytes, of one attempt. Time spent by the caller between reads (e.g. in
	// a slow sink) does not count.
	Timeout     time.Duration
	MaxAttempts int           // attempts for idempotent reads, at least 1
	RetryBase   time.Duration // first backoff; doubled per attempt, with jitter
	RetryMax    time.Duration // backoff cap
}

// Client talks to one Tactical instance with one set of credentials. It is
// safe for concurrent use. Build one per call; share the *http.Client.
type Client struct {
	base      *url.URL
	http      *http.Client
	log       hclog.Logger
	timeout   time.Duration
	attempts  int
	retryBase time.Duration
	retryMax  time.Duration
	auth      *session
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	c := &Client{
		base:      cfg.BaseURL,
		http:      cfg.HTTP,
		log:       cfg.Logger,
		timeout:   cfg.Timeout,
		attempts:  cfg.MaxAttempts,
		retryBase: cfg.RetryBase,
		retryMax:  cfg.RetryMax,
		auth:      newSession(cfg.Credentials),
	}
	if c.log == nil {
		c.log = hclog.NewNullLogger()
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.attempts <= 0 {
		c.attempts = DefaultMaxAttempts
	}
	if c.retryBase <= 0 {
		c.retryBase = DefaultRetryBase
	}
	if c.retryMax <= 0 {
		c.retryMax = DefaultRetryMax
	}
	return c
}

// BaseURL returns the normalised API root.
func (c *Client) BaseURL() *url.URL { u := *c.base; return &u }

// call is one API request.
type call struct {
	method string
	path   string // e.g. "/beta/v1/agent/"; the trailing slash is enforced
	query  url.Values
	body   any // JSON-encoded when non-nil
	// idempotent calls are retried on 5xx and transport failures.
	idempotent bool
	// anonymous calls carry no credentials (the login endpoints).
	anonymous bool
	// listing names what the call reads, for a 403 message ("agents").
	listing string
}

// do sends c and returns a 2xx response whose body is JSON (or empty, for
// 204). The caller must close the body. Every other outcome is an error
// wrapping an rmm sentinel.
func (c *Client) do(ctx context.Context, cl call) (*http.Response, error) {
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return nil, fmt.Errorf("encode %s %s body: %w", cl.method, cl.path, err)
		}
	}
	if !cl.anonymous {
		if err := c.ensureLoggedIn(ctx); err != nil {
			return nil, err
		}
	}
	renewed := false
	for attempt := 1; ; attempt++ {
		resp, gen, err := c.send(ctx, cl, payload)
		if err != nil {
			var ne *NetError
			if errors.As(err, &ne) && cl.idempotent && ne.Kind != NetTLS && attempt < c.attempts {
				if werr := c.backoff(ctx, attempt, 0); werr != nil {
					return nil, werr
				}
				continue
			}
			return nil, err
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			if resp.StatusCode == http.StatusNoContent || isJSON(resp.Header) {
				return resp, nil
			}
			return nil, c.failure(cl, resp)
		}
		if resp.StatusCode == http.StatusUnauthorized && !cl.anonymous && !renewed && c.auth.canRenew() {
			drain(resp)
			renewed = true
			if err := c.renew(ctx, gen); err != nil {
				return nil, err
			}
			attempt-- // a renewal is not a retry of a failure
			continue
		}
		if resp.StatusCode >= 500 && cl.idempotent && attempt < c.attempts {
			ra := retryAfter(resp.Header)
			drain(resp)
			if werr := c.backoff(ctx, attempt, ra); werr != nil {
				return nil, werr
			}
			continue
		}
		return nil, c.failure(cl, resp)
	}
}

// send makes one attempt. The returned response's body is guarded by the
// idle watchdog and releases the attempt's context when closed.
func (c *Client) send(ctx context.Context, cl call, payload []byte) (*http.Response, uint64, error) {
	u := resolve(c.base, cl.path, cl.query)
	actx, cancel := context.WithCancelCause(ctx)
	wd := newWatchdog(c.timeout, cancel)
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, u.String(), body)
	if err != nil {
		cancel(nil)
		return nil, 0, fmt.Errorf("build %s %s: %w", cl.method, cl.path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	var gen uint64
	if !cl.anonymous {
		gen = c.auth.apply(req.Header)
	}
	start := time.Now()
	wd.arm()
	resp, err := c.http.Do(req)
	wd.disarm()
	if err != nil {
		cancel(nil)
		c.log.Debug("tactical request failed", "method", cl.method, "path", cl.path, "duration", time.Since(start))
		return nil, gen, c.transportError(ctx, cl, wd, err)
	}
	c.log.Debug("tactical request", "method", cl.method, "path", cl.path, "status", resp.StatusCode, "duration", time.Since(start))
	resp.Body = &guardedBody{rc: resp.Body, wd: wd, cancel: cancel, host: c.base.Host}
	return resp, gen, nil
}

// transportError classifies a failed round trip. A cancelled or expired
// caller context is returned as such (wrapped), never as an upstream
// problem, so callers can tell "I gave up" from "it is down".
func (c *Client) transportError(ctx context.Context, cl call, wd *watchdog, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%s %s: %w", cl.method, cl.path, cerr)
	}
	host := c.base.Host
	ne := &NetError{Kind: NetUnreachable, Host: host, Err: stripURL(err)}
	var (
		nerr     net.Error
		unknown  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		verifErr *tls.CertificateVerificationError
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
	)
	switch {
	case wd.fired():
		ne.Kind = NetTimeout
	case errors.As(err, &verifErr), errors.As(err, &unknown), errors.As(err, &hostErr),
		errors.As(err, &invalid), errors.As(err, &recErr), errors.As(err, &alertErr):
		ne.Kind = NetTLS
	case errors.As(err, &nerr) && nerr.Timeout():
		ne.Kind = NetTimeout
	}
	return netError(ne)
}

// stripURL drops the *url.Error wrapper, whose text repeats the URL.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// failure reads a non-success answer and maps it to an rmm error.
func (c *Client) failure(cl call, resp *http.Response) error {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	he := &HTTPError{
		Method:     cl.method,
		Path:       resolve(c.base, cl.path, nil).Path,
		Status:     resp.StatusCode,
		HTML:       !isJSON(resp.Header),
		RetryAfter: retryAfter(resp.Header),
	}
	if !he.HTML {
		he.Detail = errorDetail(b)
	}
	return statusError(he, cl.listing)
}

// backoff sleeps before attempt+1: exponential with full jitter, or what
// the server asked for in Retry-After when that is longer (within the cap).
func (c *Client) backoff(ctx context.Context, attempt int, serverWait time.Duration) error {
	d := jitter(c.retryBase, c.retryMax, attempt)
	if serverWait > d {
		d = min(serverWait, c.retryMax)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("waiting to retry: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}

// readJSON decodes a whole (bounded) body into v.
func (c *Client) readJSON(ctx context.Context, cl call, resp *http.Response, v any) error {
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent {
		return nil
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxSmallBody))
	if err := dec.Decode(v); err != nil {
		return c.readError(ctx, cl, err)
	}
	return nil
}

// readError maps a failure while reading or decoding a body.
func (c *Client) readError(ctx context.Context, cl call, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%s %s: %w", cl.method, cl.path, cerr)
	}
	var ne *NetError
	if errors.As(err, &ne) {
		return netError(ne)
	}
	var re *rmm.Error
	if errors.As(err, &re) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return rmm.Errorf(rmm.ErrUpstreamUnavailable, "the answer to %s %s was cut short", cl.method, cl.path)
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var syn2 *jsontext.SyntacticError
	if errors.As(err, &syn) || errors.As(err, &typ) || errors.As(err, &syn2) {
		return rmm.Errorf(rmm.ErrUpstreamUnavailable, "the answer to %s %s is not the JSON Tactical sends: %w", cl.method, cl.path, err)
	}
	return rmm.Errorf(rmm.ErrUpstreamUnavailable, "reading the answer to %s %s: %w", cl.method, cl.path, err)
}

func isJSON(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "application/json" || (len(mt) > 5 && mt[len(mt)-5:] == "+json"))
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
