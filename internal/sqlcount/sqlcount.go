// Package sqlcount counts the SQL statements an ent client sends, so tests
// can pin the number of statements a GraphQL operation costs (an N+1 shows
// up as a count that grows with the page size) and benchmarks can report
// statements per operation. Wrap the driver with db.WithDriver(c.Wrap).
package sqlcount

import (
	"context"
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"

	"github.com/stigg-selfhost/stiggql/internal/sqlhook"
)

// Counter counts statements through every driver it wraps.
type Counter struct {
	n atomic.Int64
	// saved counts the round trips batches saved: n-1 for a batch of n
	// statements sent together.
	saved atomic.Int64
	rec   atomic.Bool // recording: cheap to test on every statement

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

// RoundTrips returns the number of round trips to the database so far:
// the statements, less those sent in a batch with others
// (internal/sqlbatch), which share one.
func (c *Counter) RoundTrips() int64 { return c.n.Load() - c.saved.Load() }

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

// Reset sets the counts back to zero.
func (c *Counter) Reset() {
	c.n.Store(0)
	c.saved.Store(0)
}

// Wrap returns d counting into c. Statements inside transactions count;
// BEGIN, COMMIT and ROLLBACK do not.
func (c *Counter) Wrap(d dialect.Driver) dialect.Driver {
	return sqlhook.Wrap(d, sqlhook.Hooks{Statement: func(ctx context.Context, query string, args any) (context.Context, func(error)) {
		c.add(query, args)
		return ctx, nil
	}, Batch: func(_ context.Context, n int) {
		c.saved.Add(int64(n - 1))
	}})
}
