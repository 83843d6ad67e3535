package graph

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"
)

// Counting is the dearest part of a customers page: totalCount reads every
// matching index entry (80 000 at 100 000 customers), while the page reads
// a few dozen. Lists are read far more often than customers change, so a
// count is kept and reused until the environment's customers change.
//
// "Change" is told by customer_versions, a version per environment that
// triggers bump in the same transaction as any write to customers (see
// internal/db/migrations/search.go): whichever code, process or replica
// wrote, a count is reused only while the version it was taken at is still
// current, and reading the version is one primary-key lookup. Only counts
// that depend on nothing but the customers rows are cached: a filter on
// subscriptions or promotional entitlements (other tables, and statuses
// derived from the clock) is counted every time.

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
	dialect string // empty: caching is off
	mu      sync.Mutex
	entries map[countKey]countEntry
}

// EnableCountCache turns the customer count cache on for a store of the
// given dialect (dialect.SQLite or dialect.Postgres), which must have the
// customer_versions table of the migrations.
func (r *Resolver) EnableCountCache(dial string) {
	r.counts = &countCache{dialect: dial, entries: map[countKey]countEntry{}}
}

// countCustomers returns count(), or the count cached for (env, filterKey)
// when the environment's customers have not changed since it was taken.
// cacheable false counts every time.
func (r *Resolver) countCustomers(ctx context.Context, env uuid.UUID, filterKey string, cacheable bool, count func(context.Context) (int, error)) (int, error) {
	c := r.counts
	if c == nil || !cacheable {
		return count(ctx)
	}
	version, err := c.version(ctx, r, env)
	if err != nil {
		return 0, err
	}
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
func (r *Resolver) peekCount(env uuid.UUID, filterKey string) (int, bool) {
	c := r.counts
	if c == nil {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[countKey{env, filterKey}]
	return e.n, ok
}

// version reads env's customer version (0 before its first write). It is
// read before counting, so a write committed in between makes the stored
// count newer than its version says: the next request recounts, never
// the other way round.
func (c *countCache) version(ctx context.Context, r *Resolver, env uuid.UUID) (int64, error) {
	q := "SELECT version FROM customer_versions WHERE environment_id = ?"
	if c.dialect == dialect.Postgres {
		q = "SELECT version FROM customer_versions WHERE environment_id = $1"
	}
	rows, err := r.Client.QueryContext(ctx, q, env)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var v int64
	if rows.Next() {
		if err := rows.Scan(&v); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	return v, nil
}
