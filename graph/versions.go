package graph

import (
	"context"
	"sync"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"
)

// Two things are cached across requests, per environment: customer counts
// (counts.go) and the catalog (catalog_snapshot.go). Each is reused only
// while its environment's version is unchanged. The versions live in
// customer_versions and catalog_versions, bumped by triggers in the same
// transaction as any write to the tables they cover (see
// internal/db/migrations/search.go), so whichever code, process or replica
// wrote, no replica serves a count or a catalog older than the request.
//
// A request reads both versions of an environment in one statement, on
// first need, and keeps them for its duration. Both caches store what they
// read under the version read before reading it, so a write committed in
// between makes the stored value newer than its version says and the next
// request reads again, never the other way round.

type versions struct {
	customers, catalog int64
}

type versionsResult struct {
	once sync.Once
	v    versions
	err  error
}

// EnableCaches turns the cross-request caches on, for a store of the given
// dialect (dialect.SQLite or dialect.Postgres), which must have the
// version tables of the migrations.
func (r *Resolver) EnableCaches(dial string) {
	q := "SELECT (SELECT version FROM customer_versions WHERE environment_id = ?), (SELECT version FROM catalog_versions WHERE environment_id = ?)"
	if dial == dialect.Postgres {
		q = "SELECT (SELECT version FROM customer_versions WHERE environment_id = $1), (SELECT version FROM catalog_versions WHERE environment_id = $2)"
	}
	r.versionsQuery = q
	r.counts = &countCache{entries: map[countKey]countEntry{}}
	r.catalogs = &catalogCache{byEnv: map[uuid.UUID]*catalogSnapshot{}}
	r.rendered = &renderedStatements{text: map[string]string{}}
}

// versions returns env's versions as this request sees them (0 before the
// first write).
func (r *Resolver) versions(ctx context.Context, env uuid.UUID) (versions, error) {
	var res *versionsResult
	if l := loadersFrom(ctx); l != nil {
		l.mu.Lock()
		if l.versions == nil {
			l.versions = map[uuid.UUID]*versionsResult{}
		}
		res = l.versions[env]
		if res == nil {
			res = &versionsResult{}
			l.versions[env] = res
		}
		l.mu.Unlock()
	} else {
		res = &versionsResult{}
	}
	res.once.Do(func() { res.v, res.err = r.readVersions(ctx, env) })
	return res.v, res.err
}

func (r *Resolver) readVersions(ctx context.Context, env uuid.UUID) (versions, error) {
	rows, err := r.Client.QueryContext(ctx, r.versionsQuery, env, env)
	if err != nil {
		return versions{}, err
	}
	defer rows.Close()
	var customers, catalog *int64
	if rows.Next() {
		if err := rows.Scan(&customers, &catalog); err != nil {
			return versions{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return versions{}, err
	}
	var v versions
	if customers != nil {
		v.customers = *customers
	}
	if catalog != nil {
		v.catalog = *catalog
	}
	return v, nil
}
