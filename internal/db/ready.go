package db

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
)

// WithDriver makes Open wrap the ent driver with wrap, for instance to
// trace every statement. The pool (Store.DB) stays unwrapped.
func WithDriver(wrap func(dialect.Driver) dialect.Driver) Option {
	return func(o *options) { o.wrap = wrap }
}

// ErrNotMigrated reports a database that answers but lacks the schema.
var ErrNotMigrated = errors.New("database schema not migrated")

// readinessTable is a table every migrated schema has. Until migrations are
// versioned, its presence is how readiness tells a migrated database.
const readinessTable = "customers"

// Ready reports whether the store can serve requests: the database answers
// and its schema is in place (an error wrapping ErrNotMigrated otherwise).
// It reads no rows.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.DB.PingContext(ctx); err != nil {
		return err
	}
	rows, err := s.DB.QueryContext(ctx, "SELECT 1 FROM "+readinessTable+" WHERE 1 = 0")
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: table %s is missing", ErrNotMigrated, readinessTable)
	}
	return rows.Close()
}
