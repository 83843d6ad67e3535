// Package sqlbatch sends several independent read statements in one round
// trip where the database allows it. On PostgreSQL every statement is a
// network round trip, and a request whose reads do not depend on each
// other's answers (a customer and the lists under it, when the lists name
// the customer by the same key instead of by its id) can send them
// together: internal/db gives its PostgreSQL driver QueryBatch (a pgx batch:
// the statements are pipelined, prepared once per connection and answered
// in order). Drivers that wrap others (statement counting, tracing, JSON
// repair) pass batches through with Through; a driver stack without a
// batching driver at the bottom runs a batch statement by statement, with
// the same answers.
package sqlbatch

import (
	"context"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Query is one statement of a batch and what reads its rows. Scan is
// called once per statement, in order, with rows it may close (they are
// closed after it returns either way).
type Query struct {
	SQL  string
	Args []any
	Scan func(*entsql.Rows) error
}

// Batcher is a driver that can send a batch of queries.
type Batcher interface {
	// QueryBatch runs qs and calls each one's Scan with its rows, in order.
	// A failing statement or Scan stops the batch with its error.
	QueryBatch(ctx context.Context, qs []Query) error
	// Pipelines reports whether QueryBatch sends the batch in one round
	// trip (a wrapper asks what it wraps).
	Pipelines() bool
}

// Pipelines reports whether d sends a batch in one round trip.
func Pipelines(d dialect.Driver) bool {
	b, ok := d.(Batcher)
	return ok && b.Pipelines()
}

// Run runs qs through d: as d's batch when d is a Batcher, otherwise one
// statement after the other through d.Query (RunEach).
func Run(ctx context.Context, d dialect.Driver, qs []Query) error {
	if b, ok := d.(Batcher); ok {
		return b.QueryBatch(ctx, qs)
	}
	return RunEach(ctx, d, qs)
}

// Through is QueryBatch for a driver d that wraps inner: when inner sends
// batches in one round trip, pass hands qs on to it (after whatever d does
// around a batch); otherwise every statement goes through d.Query, as any
// other statement would (RunEach), so d's own work is done once.
func Through(ctx context.Context, d, inner dialect.Driver, qs []Query, pass func(context.Context, []Query) error) error {
	if !Pipelines(inner) {
		return RunEach(ctx, d, qs)
	}
	return pass(ctx, qs)
}

// RunEach runs qs one after the other through d.Query.
func RunEach(ctx context.Context, d dialect.Driver, qs []Query) error {
	for _, q := range qs {
		rows := &entsql.Rows{}
		if err := d.Query(ctx, q.SQL, q.Args, rows); err != nil {
			return err
		}
		err := q.Scan(rows)
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
