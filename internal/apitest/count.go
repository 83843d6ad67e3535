package apitest

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// CountingDriver is a dialect.Driver decorator that counts the statements
// (Query and Exec calls, inside transactions too) sent to the database, so
// tests can show that the number of statements a request runs does not
// grow with the number of rows it returns.
type CountingDriver struct {
	dialect.Driver
	n atomic.Int64
	// Log, when set, receives every statement (for debugging a count).
	Log func(query string)
	// fail, when set, decides the error of each query run outside a
	// transaction (see FailQueries).
	fail atomic.Pointer[func(query string) error]
}

// FailQueries makes every query run outside a transaction whose text
// fail returns an error for fail with it, as a database that went away
// would (nil stops). Transactions are left alone, so mutations still
// commit and publish their events.
func (d *CountingDriver) FailQueries(fail func(query string) error) {
	if fail == nil {
		d.fail.Store(nil)
		return
	}
	d.fail.Store(&fail)
}

// Count returns the number of statements run so far.
func (d *CountingDriver) Count() int64 { return d.n.Load() }

// Reset sets the count back to zero.
func (d *CountingDriver) Reset() { d.n.Store(0) }

// Exec counts and runs a statement.
func (d *CountingDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.count(query)
	return d.Driver.Exec(ctx, query, args, v)
}

// Query counts and runs a query.
func (d *CountingDriver) Query(ctx context.Context, query string, args, v any) error {
	d.count(query)
	if f := d.fail.Load(); f != nil {
		if err := (*f)(query); err != nil {
			return err
		}
	}
	return d.Driver.Query(ctx, query, args, v)
}

// Tx starts a transaction whose statements are counted too.
func (d *CountingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, d: d}, nil
}

func (d *CountingDriver) count(query string) {
	d.n.Add(1)
	if d.Log != nil {
		d.Log(query)
	}
}

type countingTx struct {
	dialect.Tx
	d *CountingDriver
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.d.count(query)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.d.count(query)
	return t.Tx.Query(ctx, query, args, v)
}

// ExecContext and QueryContext serve ent's sql/execquery feature
// (tx.ExecContext, used for NOTIFY), counted like the rest.
func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errors.New("Tx.ExecContext is not supported")
	}
	t.d.count(query)
	return ex.ExecContext(ctx, query, args...)
}

func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("Tx.QueryContext is not supported")
	}
	t.d.count(query)
	return q.QueryContext(ctx, query, args...)
}

// ExecContext and QueryContext serve ent's sql/execquery feature on the
// client (raw queries such as the customer search), counted too.
func (d *CountingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errors.New("Driver.ExecContext is not supported")
	}
	d.count(query)
	return ex.ExecContext(ctx, query, args...)
}

func (d *CountingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("Driver.QueryContext is not supported")
	}
	d.count(query)
	return q.QueryContext(ctx, query, args...)
}
