// Package benchdata picks the benchmark's subjects out of a seeded database,
// for the in-process benchmarks (bench/) and the load script
// (bench/cmd/refs, scripts/bench.sh) alike.
package benchdata

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/internal/db"
)

// CustomersWithSubscriptions returns up to limit customerIds of customers of
// the environment env having exactly n subscriptions, in customerId order.
func CustomersWithSubscriptions(ctx context.Context, db *sql.DB, dialectName string, env any, n, limit int) ([]string, error) {
	q := `SELECT c.customer_id FROM customers c JOIN customer_subscriptions s ON s.customer_id = c.id
		WHERE c.environment_id = ? AND c.deleted_at IS NULL GROUP BY c.id, c.customer_id HAVING count(*) = ? ORDER BY c.customer_id LIMIT ?`
	if dialectName == dialect.Postgres {
		q = strings.NewReplacer("environment_id = ?", "environment_id = $1", "count(*) = ?", "count(*) = $2", "LIMIT ?", "LIMIT $3").Replace(q)
	}
	rows, err := db.QueryContext(ctx, q, env, n, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var refs []string
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("no customer has %d subscriptions", n)
	}
	return refs, nil
}

// Open opens a seeded database for a benchmark command, without migrating
// it, and finds the environment with slug env.
func Open(ctx context.Context, url, env string) (*db.Store, uuid.UUID, error) {
	st, err := db.Open(ctx, url, db.WithoutMigrate())
	if err != nil {
		return nil, uuid.Nil, err
	}
	e, err := st.Client.Environment.Query().Where(environment.Slug(env)).Only(ctx)
	if err != nil {
		st.Close()
		return nil, uuid.Nil, fmt.Errorf("environment %s: %w", env, err)
	}
	return st, e.ID, nil
}
