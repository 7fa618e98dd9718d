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

// targetCache keeps, per integration id, the webhook targets as the
// database last said, so that a storm of deliveries does not look up and
// decrypt the secret once each. Only targets that take deliveries are
// kept; every refusal is decided on a fresh look-up.
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

// get returns the cached targets of an integration id, if fresh.
func (c *targetCache) get(integrationID string) ([]store.WebhookTarget, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.m[integrationID]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.expires) {
		return nil, false
	}
	return e.targets, true
}

// put caches targets when one of them takes deliveries, else forgets the
// id.
func (c *targetCache) put(integrationID string, targets []store.WebhookTarget) {
	if c.ttl <= 0 {
		return
	}
	live := false
	for _, t := range targets {
		live = live || (!t.Disconnected && t.Secret != "")
	}
	if !live {
		c.drop(integrationID)
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[integrationID]; !ok && len(c.m) >= maxCachedTargets {
		for id, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, id)
			}
		}
		if len(c.m) >= maxCachedTargets {
			clear(c.m)
		}
	}
	c.m[integrationID] = cachedTargets{targets: targets, expires: now.Add(c.ttl)}
}

// drop forgets an integration id.
func (c *targetCache) drop(integrationID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, integrationID)
}
