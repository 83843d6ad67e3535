package db

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"

	"github.com/stigg-selfhost/stiggql/internal/db/migrations"
)

// WithDriver makes Open wrap the ent driver with wrap, for instance to
// trace or count every statement; given several times, the wrappers nest
// (the first given is innermost). The pool (Store.DB) stays unwrapped.
func WithDriver(wrap func(dialect.Driver) dialect.Driver) Option {
	return func(o *options) {
		if prev := o.wrap; prev != nil {
			o.wrap = func(d dialect.Driver) dialect.Driver { return wrap(prev(d)) }
			return
		}
		o.wrap = wrap
	}
}

// ErrNotMigrated reports a database that answers but lacks the schema.
var ErrNotMigrated = errors.New("database schema not migrated")

// Ready reports whether the store can serve requests: the database answers
// and every migration of this release is applied (an error wrapping
// ErrNotMigrated otherwise). It writes nothing.
//
// A full disk is ErrDiskFull: on SQLite when the database's file system
// has less than a MiB free, on both when a write failed for want of space
// in the last 30 seconds.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.DB.PingContext(ctx); err != nil {
		return err
	}
	if recentlyFull() || s.Dialect == dialect.SQLite && sqliteDiskFull(s.dsn) {
		return ErrDiskFull
	}
	n, err := migrations.PendingCount(ctx, s.DB, s.Dialect)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %v", ErrNotMigrated, err)
	}
	if n > 0 {
		return fmt.Errorf("%w: %d migrations pending (run the migrate command)", ErrNotMigrated, n)
	}
	return nil
}
