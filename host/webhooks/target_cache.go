package webhooks

import (
	"sync"
	"time"

	"github.com/msp-psa/psa-host/host/store"
)

// DefaultSecretCacheTTL is how long ingress keeps an integration's
// decrypted webhook secret. It only bounds memory: every delivery is
// stored only if the secret it matched is still current (see
// store.NewInboxDelivery.SecretVersion), so a rotation on any replica
// takes effect at once.
const DefaultSecretCacheTTL = time.Minute

// maxCachedTargets bounds the cache; past it, expired entries are
// dropped, and if that is not enough, all of them.
const maxCachedTargets = 10000

// targetCache keeps, per provider and integration id, the webhook targets
// that take deliveries as the database last said, so that a storm of
// deliveries does not look up and decrypt the secret once each; every
// refusal is decided on a fresh look-up.
type targetCache struct {
	ttl time.Duration
	now func() time.Time

	mu sync.RWMutex
	m  map[string]cachedTargets
}

type cachedTargets struct {
	targets []store.WebhookTarget
	expires time.Time
}

func newTargetCache(ttl time.Duration) *targetCache {
	return &targetCache{ttl: ttl, now: time.Now, m: map[string]cachedTargets{}}
}

// get returns the cached live targets of a key, if fresh.
func (c *targetCache) get(key string) ([]store.WebhookTarget, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.expires) {
		return nil, false
	}
	return e.targets, true
}

// put caches the live targets of a key, or forgets the key when there are
// none: every refusal is decided on a fresh look-up.
func (c *targetCache) put(key string, live []store.WebhookTarget) {
	if c.ttl <= 0 {
		return
	}
	if len(live) == 0 {
		c.drop(key)
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok && len(c.m) >= maxCachedTargets {
		for id, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, id)
			}
		}
		if len(c.m) >= maxCachedTargets {
			clear(c.m)
		}
	}
	c.m[key] = cachedTargets{targets: live, expires: now.Add(c.ttl)}
}

// drop forgets a key.
func (c *targetCache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}
