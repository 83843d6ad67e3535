// Package sqlcount counts the SQL statements an ent client sends, so tests
// can pin the number of statements a GraphQL operation costs (an N+1 shows
// up as a count that grows with the page size) and benchmarks can report
// statements per operation. Wrap the driver with db.WithDriver(c.Wrap).
package sqlcount

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// Counter counts statements through every driver it wraps.
type Counter struct {
	n   atomic.Int64
	rec atomic.Bool // recording: cheap to test on every statement

	mu  sync.Mutex
	log []Statement
}

// Statement is a recorded statement with its arguments.
type Statement struct {
	Query string
	Args  []any
}

// Count returns the number of statements sent so far.
func (c *Counter) Count() int64 { return c.n.Load() }

// Record starts keeping the text of every statement (until Stop), for test
// failure messages.
func (c *Counter) Record() {
	c.mu.Lock()
	c.log = nil
	c.rec.Store(true)
	c.mu.Unlock()
}

// Stop stops recording and returns what was recorded.
func (c *Counter) Stop() []Statement {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rec.Store(false)
	return c.log
}

func (c *Counter) add(query string, args any) {
	c.n.Add(1)
	if !c.rec.Load() {
		return
	}
	c.mu.Lock()
	if c.rec.Load() {
		st := Statement{Query: query}
		switch a := args.(type) {
		case []any:
			st.Args = append([]any(nil), a...)
		case nil:
		default:
			st.Args = []any{a}
		}
		c.log = append(c.log, st)
	}
	c.mu.Unlock()
}

// Wrap returns d counting into c. Statements inside transactions count;
// BEGIN, COMMIT and ROLLBACK do not.
func (c *Counter) Wrap(d dialect.Driver) dialect.Driver {
	return &driver{Driver: d, c: c}
}

type driver struct {
	dialect.Driver
	c *Counter
}

func (d *driver) Exec(ctx context.Context, query string, args, v any) error {
	d.c.add(query, args)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *driver) Query(ctx context.Context, query string, args, v any) error {
	d.c.add(query, args)
	return d.Driver.Query(ctx, query, args, v)
}

// ExecContext and QueryContext serve ent's sql/execquery feature.
func (d *driver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	drv, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errors.New("Driver.ExecContext is not supported")
	}
	d.c.add(query, args)
	return drv.ExecContext(ctx, query, args...)
}

func (d *driver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	drv, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("Driver.QueryContext is not supported")
	}
	d.c.add(query, args)
	return drv.QueryContext(ctx, query, args...)
}

func (d *driver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countedTx{Tx: tx, c: d.c}, nil
}

func (d *driver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	drv, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, errors.New("Driver.BeginTx is not supported")
	}
	t, err := drv.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &countedTx{Tx: t, c: d.c}, nil
}

type countedTx struct {
	dialect.Tx
	c *Counter
}

func (t *countedTx) Exec(ctx context.Context, query string, args, v any) error {
	t.c.add(query, args)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countedTx) Query(ctx context.Context, query string, args, v any) error {
	t.c.add(query, args)
	return t.Tx.Query(ctx, query, args, v)
}

func (t *countedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	drv, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errors.New("Tx.ExecContext is not supported")
	}
	t.c.add(query, args)
	return drv.ExecContext(ctx, query, args...)
}

func (t *countedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	drv, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("Tx.QueryContext is not supported")
	}
	t.c.add(query, args)
	return drv.QueryContext(ctx, query, args...)
}
