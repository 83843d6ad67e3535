package store

import (
	"context"
	"fmt"
	"sync"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/sqlbatch"
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
	// fold: the versions may be read by the request's first statement
	// (FoldInto); true on PostgreSQL, where a statement is a round trip.
	fold bool
}

// NewVersions returns the version reader of a store of the given dialect
// (dialect.SQLite or dialect.Postgres), which must have the version tables
// of the migrations.
func NewVersions(client *ent.Client, dial string) *Versions {
	q := "SELECT (SELECT version FROM customer_versions WHERE environment_id = ?), (SELECT version FROM catalog_versions WHERE environment_id = ?)"
	if dial == dialect.Postgres {
		q = "SELECT (SELECT version FROM customer_versions WHERE environment_id = $1), (SELECT version FROM catalog_versions WHERE environment_id = $2)"
	}
	return &Versions{client: client, query: q, fold: dial == dialect.Postgres}
}

// SetFolding turns folding the versions read into another statement on or
// off (FoldInto; on by default on PostgreSQL, off on SQLite): for tests
// comparing both paths.
func (vs *Versions) SetFolding(on bool) { vs.fold = on }

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
	res := vs.result(ctx, env)
	res.once.Do(func() { res.v, res.err = vs.read(ctx, env) })
	return res.v, res.err
}

// result is the request's memo of env's versions (a fresh one outside a
// request).
func (vs *Versions) result(ctx context.Context, env uuid.UUID) *versionsResult {
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
	return res
}

// Folding the versions read into the request's first statement. On
// PostgreSQL every statement is a round trip, and a request that reads a
// customer first (getCustomerByRefId) or a customers page with a cached
// count would send the versions read as a statement of its own. That first
// statement can read them instead, as two scalar subqueries next to its
// columns: the versions are then read in the same snapshot as its rows,
// before anything cached under them is consulted, which is all Of
// promises. A statement that returns no row reads nothing, and Of reads
// them on its own when needed.

// Folded column names: FoldInto's extra columns.
const (
	foldedCustomerVersion = "folded_customer_version"
	foldedCatalogVersion  = "folded_catalog_version"
)

// FoldInto returns a query modifier that makes a statement also read env's
// versions, when folding is on and the request in ctx has not read them
// yet; nil otherwise. Pass each row the statement returns (its Value
// method) to Folded.
func (vs *Versions) FoldInto(ctx context.Context, env uuid.UUID) func(*sql.Selector) {
	if !vs.foldable(ctx, env) {
		return nil
	}
	return func(s *sql.Selector) {
		for _, c := range [...]struct{ table, as string }{
			{"customer_versions", foldedCustomerVersion},
			{"catalog_versions", foldedCatalogVersion},
		} {
			s.AppendSelectExprAs(sql.ExprFunc(func(b *sql.Builder) {
				b.WriteString("SELECT version FROM " + c.table + " WHERE environment_id = ").Arg(env)
			}), c.as)
		}
	}
}

// foldable reports whether the request in ctx may read env's versions
// with another statement: folding is on and it has not read them yet.
func (vs *Versions) foldable(ctx context.Context, env uuid.UUID) bool {
	if vs == nil || !vs.fold {
		return false
	}
	rv, ok := ctx.Value(requestVersionsKey{}).(*requestVersions)
	if !ok {
		return false // outside a request: nothing would keep what it read
	}
	rv.mu.Lock()
	_, read := rv.m[env]
	rv.mu.Unlock()
	return !read
}

// Folded records, as the request's versions of env, what a statement made
// with FoldInto read; value is a returned row's Value method. Versions the
// request has already read stay as they are.
func (vs *Versions) Folded(ctx context.Context, env uuid.UUID, value func(string) (ent.Value, error)) error {
	var v EnvVersions
	for _, c := range [...]struct {
		name string
		into *int64
	}{{foldedCustomerVersion, &v.Customers}, {foldedCatalogVersion, &v.Catalog}} {
		x, err := value(c.name)
		if err != nil {
			return err
		}
		switch n := x.(type) {
		case nil: // no write yet: 0
		case int64:
			*c.into = n
		default:
			return fmt.Errorf("store: folded version %s is a %T", c.name, x)
		}
	}
	res := vs.result(ctx, env)
	res.once.Do(func() { res.v = v })
	return nil
}

func (vs *Versions) read(ctx context.Context, env uuid.UUID) (EnvVersions, error) {
	rows, err := vs.client.QueryContext(ctx, vs.query, env, env)
	if err != nil {
		return EnvVersions{}, err
	}
	defer rows.Close()
	return scanVersions(rows)
}

// Batched returns the statement that reads env's versions as one of a
// batch sent in one round trip (internal/sqlbatch), when folding is on and
// the request in ctx has not read them yet; nil otherwise. What it reads
// becomes the request's versions of env.
func (vs *Versions) Batched(ctx context.Context, env uuid.UUID) *sqlbatch.Query {
	if !vs.foldable(ctx, env) {
		return nil
	}
	return &sqlbatch.Query{SQL: vs.query, Args: []any{env, env}, Scan: func(rows *sql.Rows) error {
		v, err := scanVersions(rows)
		if err != nil {
			return err
		}
		res := vs.result(ctx, env)
		res.once.Do(func() { res.v = v })
		return nil
	}}
}

// scanVersions reads the versions query's row.
func scanVersions(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) (EnvVersions, error) {
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
