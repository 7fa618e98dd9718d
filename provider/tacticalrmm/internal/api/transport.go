package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// TransportOptions configure the *http.Client shared by all calls for one
// integration revision.
type TransportOptions struct {
	// CACertPEM, when set, is trusted in addition to the system roots.
	CACertPEM string
	// MaxConnsPerHost bounds parallel connections to the instance.
	MaxConnsPerHost int
}

// NewHTTPClient returns a client that verifies TLS, reuses connections,
// accepts gzip (the transport asks for it and inflates transparently) and
// never forwards credentials across a redirect to another host.
func NewHTTPClient(opts TransportOptions) (*http.Client, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if strings.TrimSpace(opts.CACertPEM) != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(opts.CACertPEM)) {
			return nil, rmm.Errorf(rmm.ErrInvalidConfig, "ca_cert_pem holds no PEM certificate")
		}
		tlsConf.RootCAs = pool
	}
	maxConns := opts.MaxConnsPerHost
	if maxConns <= 0 {
		maxConns = 8
	}
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   10 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          maxConns,
		MaxIdleConnsPerHost:   maxConns,
		MaxConnsPerHost:       maxConns,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Agent pages are megabytes; the default 4 KiB buffer turns a
		// 10,000-agent sync into tens of thousands of read calls.
		ReadBufferSize: 256 << 10,
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}, nil
}

// checkRedirect removes credentials from a request redirected to another
// origin. net/http already drops Authorization for another domain, but not
// X-API-KEY, and it keeps both on an https→http downgrade.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	first := via[0].URL
	if !strings.EqualFold(req.URL.Host, first.Host) || req.URL.Scheme != first.Scheme {
		for _, h := range []string{"X-API-KEY", "Authorization", "Cookie"} {
			req.Header.Del(h)
		}
	}
	return nil
}
