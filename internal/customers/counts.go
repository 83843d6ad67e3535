package customers

import (
	"context"
	"sync"

	"github.com/google/uuid"
)

// Counting is the dearest part of a customers page: totalCount reads every
// matching index entry (80 000 at 100 000 customers), while the page reads
// a few dozen. Lists are read far more often than customers change, so a
// count is kept and reused while the environment's customer version is
// unchanged (internal/store/versions.go). Only counts that depend on nothing but the
// customers rows are cached: a filter on subscriptions or promotional
// entitlements (other tables, and statuses derived from the clock) is
// counted every time.

// maxCachedCounts bounds the cache; past it, the cache starts over.
const maxCachedCounts = 4096

type countKey struct {
	env    uuid.UUID
	filter string
}

type countEntry struct {
	version int64
	n       int
}

// countCache holds customer counts by environment and filter.
type countCache struct {
	mu      sync.Mutex
	entries map[countKey]countEntry
}

// count returns count(), or the count cached for (env, filterKey) when the
// environment's customers have not changed since it was taken. cacheable
// false counts every time.
func (p *Pages) count(ctx context.Context, env uuid.UUID, filterKey string, cacheable bool, count func(context.Context) (int, error)) (int, error) {
	c := p.counts
	if c == nil || !cacheable {
		return count(ctx)
	}
	v, err := p.versions.Of(ctx, env)
	if err != nil {
		return 0, err
	}
	version := v.Customers
	key := countKey{env, filterKey}
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.version == version {
		return e.n, nil
	}
	n, err := count(ctx)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxCachedCounts {
		c.entries = map[countKey]countEntry{}
	}
	c.entries[key] = countEntry{version, n}
	c.mu.Unlock()
	return n, nil
}

// peekCount returns a count cached for (env, filterKey) whatever its
// version: an estimate, for choosing how to run a query, never an answer.
func (p *Pages) peekCount(env uuid.UUID, filterKey string) (int, bool) {
	c := p.counts
	if c == nil {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[countKey{env, filterKey}]
	return e.n, ok
}
