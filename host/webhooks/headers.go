package webhooks

import (
	"net/http"
	"net/url"
	"strings"
)

// RoutePattern is the ingress route, for an http.ServeMux.
const RoutePattern = "/api/webhooks/{provider}/{integration_id}"

// DefaultSecretHeader carries the shared secret for a provider whose
// plugin never described itself to this host.
const DefaultSecretHeader = "X-PSA-Webhook-Secret"

// Path is the ingress path of one integration.
func Path(provider, integrationID string) string {
	return "/api/webhooks/" + url.PathEscape(provider) + "/" + url.PathEscape(integrationID)
}

// SecretHeader names the header that carries provider's webhook secret, as
// its plugin said at launch, or DefaultSecretHeader when it never did. ok
// is false for a provider that said it takes no webhooks.
func SecretHeader(providers Providers, provider string) (header string, ok bool) {
	for _, info := range providers.List() {
		if info.Name != provider {
			continue
		}
		switch {
		case info.Webhook == nil:
			return "", false
		case info.Webhook.SecretHeader != "":
			return info.Webhook.SecretHeader, true
		}
		return DefaultSecretHeader, true
	}
	return DefaultSecretHeader, true
}

// storedHeaders is what of a delivery's headers goes into the inbox: all
// but the secret and other credentials.
func storedHeaders(h http.Header, secretHeader string) http.Header {
	out := make(http.Header, len(h))
	for name, values := range h {
		if strings.EqualFold(name, secretHeader) || isCredentialHeader(name) {
			continue
		}
		out[name] = append([]string(nil), values...)
	}
	return out
}

// isCredentialHeader names headers never stored with a delivery, whatever
// the provider's secret header: they carry credentials.
func isCredentialHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization", "Cookie":
		return true
	}
	return false
}
