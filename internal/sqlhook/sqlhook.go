// Package sqlhook wraps an ent driver so that one function runs around
// every statement it sends, on the driver and inside transactions, through
// every way ent sends them (Exec and Query, and ExecContext and
// QueryContext for sql/execquery). The statement counter (internal/sqlcount)
// and the tracing spans (internal/observability) are such functions: the
// pass-through that each used to repeat is written once, here.
package sqlhook

import (
	"context"
	"database/sql"
	"errors"

	"entgo.io/ent/dialect"

	"github.com/stigg-selfhost/stiggql/internal/sqlbatch"
)

// Hooks are what a wrapped driver calls.
type Hooks struct {
	// Statement runs before each statement with its text and arguments
	// (as ent passes them: a []any, or nil). The context it returns is the
	// statement's; the function, when not nil, runs after it with its
	// error.
	Statement func(ctx context.Context, query string, args any) (context.Context, func(error))
	// Batch, when set, runs once for each batch of n statements sent in
	// one round trip (internal/sqlbatch), after Statement ran for each.
	Batch func(ctx context.Context, n int)
	// TxEnd, when set, runs the same way around a transaction's COMMIT or
	// ROLLBACK (op), with the context the transaction began with.
	TxEnd func(ctx context.Context, op string) func(error)
}

// Wrap returns d calling h.
func Wrap(d dialect.Driver, h Hooks) dialect.Driver {
	return &driver{Driver: d, h: h}
}

type driver struct {
	dialect.Driver
	h Hooks
}

// around runs fn as the statement query with args.
func (h Hooks) around(ctx context.Context, query string, args any, fn func(context.Context) error) error {
	ctx, done := h.Statement(ctx, query, args)
	err := fn(ctx)
	if done != nil {
		done(err)
	}
	return err
}

type execer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

type beginner interface {
	BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
}

func (d *driver) Exec(ctx context.Context, query string, args, v any) error {
	return d.h.around(ctx, query, args, func(ctx context.Context) error { return d.Driver.Exec(ctx, query, args, v) })
}

func (d *driver) Query(ctx context.Context, query string, args, v any) error {
	return d.h.around(ctx, query, args, func(ctx context.Context) error { return d.Driver.Query(ctx, query, args, v) })
}

// QueryBatch runs Statement around each statement of a batch sent in one
// round trip (and Batch once); a batch the driver below sends statement by
// statement goes through Query, statement by statement.
func (d *driver) QueryBatch(ctx context.Context, qs []sqlbatch.Query) error {
	return sqlbatch.Through(ctx, d, d.Driver, qs, func(ctx context.Context, qs []sqlbatch.Query) error {
		dones := make([]func(error), 0, len(qs))
		for _, q := range qs {
			if _, done := d.h.Statement(ctx, q.SQL, q.Args); done != nil {
				dones = append(dones, done)
			}
		}
		if d.h.Batch != nil {
			d.h.Batch(ctx, len(qs))
		}
		err := sqlbatch.Run(ctx, d.Driver, qs)
		for _, done := range dones {
			done(err)
		}
		return err
	})
}

// Pipelines reports whether the driver below sends a batch in one round
// trip.
func (d *driver) Pipelines() bool { return sqlbatch.Pipelines(d.Driver) }

func (d *driver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return execContext(d.h, d.Driver, "Driver", ctx, query, args)
}

func (d *driver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return queryContext(d.h, d.Driver, "Driver", ctx, query, args)
}

func (d *driver) Tx(ctx context.Context) (dialect.Tx, error) {
	t, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &tx{Tx: t, h: d.h, ctx: ctx}, nil
}

func (d *driver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := d.Driver.(beginner)
	if !ok {
		return nil, errors.New("Driver.BeginTx is not supported")
	}
	t, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &tx{Tx: t, h: d.h, ctx: ctx}, nil
}

type tx struct {
	dialect.Tx
	h   Hooks
	ctx context.Context // the transaction's, for COMMIT and ROLLBACK
}

func (t *tx) Exec(ctx context.Context, query string, args, v any) error {
	return t.h.around(ctx, query, args, func(ctx context.Context) error { return t.Tx.Exec(ctx, query, args, v) })
}

func (t *tx) Query(ctx context.Context, query string, args, v any) error {
	return t.h.around(ctx, query, args, func(ctx context.Context) error { return t.Tx.Query(ctx, query, args, v) })
}

func (t *tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return execContext(t.h, t.Tx, "Tx", ctx, query, args)
}

func (t *tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return queryContext(t.h, t.Tx, "Tx", ctx, query, args)
}

func (t *tx) Commit() error   { return t.end("COMMIT", t.Tx.Commit) }
func (t *tx) Rollback() error { return t.end("ROLLBACK", t.Tx.Rollback) }

func (t *tx) end(op string, fn func() error) error {
	if t.h.TxEnd == nil {
		return fn()
	}
	done := t.h.TxEnd(t.ctx, op)
	err := fn()
	if done != nil {
		done(err)
	}
	return err
}

func execContext(h Hooks, target any, what string, ctx context.Context, query string, args []any) (sql.Result, error) {
	e, ok := target.(execer)
	if !ok {
		return nil, errors.New(what + ".ExecContext is not supported")
	}
	var res sql.Result
	err := h.around(ctx, query, args, func(ctx context.Context) (err error) {
		res, err = e.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func queryContext(h Hooks, target any, what string, ctx context.Context, query string, args []any) (*sql.Rows, error) {
	q, ok := target.(querier)
	if !ok {
		return nil, errors.New(what + ".QueryContext is not supported")
	}
	var rows *sql.Rows
	err := h.around(ctx, query, args, func(ctx context.Context) (err error) {
		rows, err = q.QueryContext(ctx, query, args...)
		return err
	})
	return rows, err
}
