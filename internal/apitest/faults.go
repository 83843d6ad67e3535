package apitest

import (
	"context"
	"database/sql"
	"sync/atomic"

	"entgo.io/ent/dialect"

	"github.com/stigg-selfhost/stiggql/internal/sqlbatch"
)

// faultDriver fails chosen queries run outside a transaction, as a database
// that went away would. It wraps the driver of the test server's client.
type faultDriver struct {
	dialect.Driver
	fail atomic.Pointer[func(query string) error]
}

// Query runs the query, unless the fault function returns an error for it.
func (d *faultDriver) Query(ctx context.Context, query string, args, v any) error {
	if f := d.fail.Load(); f != nil {
		if err := (*f)(query); err != nil {
			return err
		}
	}
	return d.Driver.Query(ctx, query, args, v)
}

// QueryBatch runs a batch (internal/sqlbatch) unless the fault function
// returns an error for one of its statements.
func (d *faultDriver) QueryBatch(ctx context.Context, qs []sqlbatch.Query) error {
	return sqlbatch.Through(ctx, d, d.Driver, qs, func(ctx context.Context, qs []sqlbatch.Query) error {
		if f := d.fail.Load(); f != nil {
			for _, q := range qs {
				if err := (*f)(q.SQL); err != nil {
					return err
				}
			}
		}
		return sqlbatch.Run(ctx, d.Driver, qs)
	})
}

// Pipelines reports whether the driver below sends a batch in one round
// trip.
func (d *faultDriver) Pipelines() bool { return sqlbatch.Pipelines(d.Driver) }

// FailQueries makes every query run outside a transaction whose text fail
// returns an error for fail with it (nil stops). Transactions are left
// alone, so mutations still commit and publish their events.
func (s *Server) FailQueries(fail func(query string) error) {
	if fail == nil {
		s.faults.fail.Store(nil)
		return
	}
	s.faults.fail.Store(&fail)
}

// The sql/execquery feature and transactions with options reach the
// wrapped driver through these; they pass through untouched.

type execQuerier interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
}

func (d *faultDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.Driver.(execQuerier).ExecContext(ctx, query, args...)
}

func (d *faultDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if f := d.fail.Load(); f != nil {
		if err := (*f)(query); err != nil {
			return nil, err
		}
	}
	return d.Driver.(execQuerier).QueryContext(ctx, query, args...)
}

func (d *faultDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	return d.Driver.(execQuerier).BeginTx(ctx, opts)
}
