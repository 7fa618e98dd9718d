package tacticalrmm

import (
	"net/http"
	"sync"
)

// clientCache keeps one *http.Client per integration revision, so calls
// for the same integration reuse connections. It is bounded: the least
// recently used entry goes first, and a new revision replaces the old one
// at once (its settings or credentials changed).
type clientCache struct {
	mu    sync.Mutex
	max   int
	tick  uint64
	byKey map[cacheKey]*cacheEntry
}

type cacheKey struct {
	id       string
	revision int64
	// caHash tells apart integrations without an ID (tests, probes) that
	// trust different CAs.
	caHash [32]byte
}

type cacheEntry struct {
	client *http.Client
	used   uint64
}

func newClientCache(max int) *clientCache {
	return &clientCache{max: max, byKey: map[cacheKey]*cacheEntry{}}
}

// get returns the cached client for key, or builds one with build.
func (c *clientCache) get(key cacheKey, build func() (*http.Client, error)) (*http.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	if e, ok := c.byKey[key]; ok {
		e.used = c.tick
		return e.client, nil
	}
	hc, err := build()
	if err != nil {
		return nil, err
	}
	for k, e := range c.byKey {
		if k.id == key.id && k.id != "" {
			c.drop(k, e)
		}
	}
	for len(c.byKey) >= c.max {
		c.evictOldest()
	}
	c.byKey[key] = &cacheEntry{client: hc, used: c.tick}
	return hc, nil
}

func (c *clientCache) evictOldest() {
	var (
		oldKey cacheKey
		old    *cacheEntry
	)
	for k, e := range c.byKey {
		if old == nil || e.used < old.used {
			oldKey, old = k, e
		}
	}
	if old != nil {
		c.drop(oldKey, old)
	}
}

// drop forgets an entry. Calls still using its client finish normally;
// only idle connections are closed.
func (c *clientCache) drop(k cacheKey, e *cacheEntry) {
	delete(c.byKey, k)
	e.client.CloseIdleConnections()
}

func (c *clientCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byKey)
}
