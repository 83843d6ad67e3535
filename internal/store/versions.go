package store

import (
	"context"
	"sync"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
)

// Two things are cached across requests, per environment: customer counts
// (internal/customers/counts.go) and the catalog
// (internal/catalog/snapshot.go). Each is reused only while its
// environment's version is unchanged. The versions live in
// customer_versions and catalog_versions, bumped by triggers in the same
// transaction as any write to the tables they cover (see
// internal/db/migrations/search.go), so whichever code, process or replica
// wrote, no replica serves a count or a catalog older than the request.
//
// A request reads both versions of an environment in one statement, on
// first need, and keeps them for its duration (WithRequestVersions). Both
// caches store what they read under the version read before reading it, so
// a write committed in between makes the stored value newer than its
// version says and the next request reads again, never the other way
// round.

// EnvVersions are an environment's versions as one request sees them (0
// before the first write).
type EnvVersions struct {
	Customers, Catalog int64
}

type versionsResult struct {
	once sync.Once
	v    EnvVersions
	err  error
}

// Versions reads environments' versions.
type Versions struct {
	client *ent.Client
	query  string
}

// NewVersions returns the version reader of a store of the given dialect
// (dialect.SQLite or dialect.Postgres), which must have the version tables
// of the migrations.
func NewVersions(client *ent.Client, dial string) *Versions {
	q := "SELECT (SELECT version FROM customer_versions WHERE environment_id = ?), (SELECT version FROM catalog_versions WHERE environment_id = ?)"
	if dial == dialect.Postgres {
		q = "SELECT (SELECT version FROM customer_versions WHERE environment_id = $1), (SELECT version FROM catalog_versions WHERE environment_id = $2)"
	}
	return &Versions{client: client, query: q}
}

// requestVersions holds one request's versions by environment.
type requestVersions struct {
	mu sync.Mutex
	m  map[uuid.UUID]*versionsResult
}

type requestVersionsKey struct{}

// WithRequestVersions returns ctx in which each environment's versions are
// read once and then kept: call it once per request.
func WithRequestVersions(ctx context.Context) context.Context {
	return context.WithValue(ctx, requestVersionsKey{}, &requestVersions{m: map[uuid.UUID]*versionsResult{}})
}

// Of returns env's versions as this request sees them.
func (vs *Versions) Of(ctx context.Context, env uuid.UUID) (EnvVersions, error) {
	var res *versionsResult
	if rv, ok := ctx.Value(requestVersionsKey{}).(*requestVersions); ok {
		rv.mu.Lock()
		res = rv.m[env]
		if res == nil {
			res = &versionsResult{}
			rv.m[env] = res
		}
		rv.mu.Unlock()
	} else {
		res = &versionsResult{}
	}
	res.once.Do(func() { res.v, res.err = vs.read(ctx, env) })
	return res.v, res.err
}

func (vs *Versions) read(ctx context.Context, env uuid.UUID) (EnvVersions, error) {
	rows, err := vs.client.QueryContext(ctx, vs.query, env, env)
	if err != nil {
		return EnvVersions{}, err
	}
	defer rows.Close()
	var customers, catalog *int64
	if rows.Next() {
		if err := rows.Scan(&customers, &catalog); err != nil {
			return EnvVersions{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return EnvVersions{}, err
	}
	var v EnvVersions
	if customers != nil {
		v.Customers = *customers
	}
	if catalog != nil {
		v.Catalog = *catalog
	}
	return v, nil
}
