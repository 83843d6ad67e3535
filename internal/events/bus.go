package events

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
)

// Bus publishes the store's committed customer changes to a Broker: after
// commit in process (SQLite), or through PostgreSQL's NOTIFY and a LISTEN
// connection per process (PostgreSQL). Register CustomerHook with the
// customers service, Start it, and Subscribe.
type Bus struct {
	broker *Broker
	log    *slog.Logger
	// pool is the PostgreSQL pool the listener borrows its settings from;
	// nil for an in-process bus.
	pool *sql.DB

	mu      sync.Mutex
	pending map[*ent.Tx][]Event
	// hooked are the clients RegisterHooks registered on.
	hooked map[*ent.Client]bool

	listener *listener
	stop     context.CancelFunc
	done     chan struct{}
}

// NewLocal returns a Bus that publishes in process, after commit: right for
// SQLite and for any single process.
func NewLocal(log *slog.Logger) *Bus {
	if log == nil {
		log = slog.Default()
	}
	return &Bus{broker: NewBroker(0), log: log, pending: map[*ent.Tx][]Event{}}
}

// ForStore returns the Bus for st: in process for SQLite; for PostgreSQL
// one that NOTIFYs on commit and (once Started) LISTENs on a dedicated
// connection, so that every replica on the database hears every change.
// Subscriptions to a PostgreSQL bus are refused until it listens.
func ForStore(st *db.Store, log *slog.Logger) *Bus {
	b := NewLocal(log)
	if st.Dialect == dialect.Postgres {
		b.pool = st.DB
		b.broker.SetDown(ErrUnavailable, nil)
	}
	return b
}

// Broker returns the bus's broker.
func (b *Bus) Broker() *Broker { return b.broker }

// Subscribe starts a subscription to env's customer events.
func (b *Bus) Subscribe(env uuid.UUID) (*Subscription, error) { return b.broker.Subscribe(env) }

// Start starts listening for PostgreSQL notifications until ctx is done or
// Close is called, reconnecting with backoff when the connection fails. It
// does nothing for an in-process bus or when already started.
func (b *Bus) Start(ctx context.Context) {
	if b.pool == nil || b.done != nil {
		return
	}
	ctx, b.stop = context.WithCancel(ctx)
	b.done = make(chan struct{})
	b.listener = newListener(poolConnector(b.pool), b.broker, b.log)
	go func() {
		defer close(b.done)
		b.listener.run(ctx)
	}()
}

// WaitReady waits until the bus accepts subscriptions (at once for an
// in-process bus; once LISTEN is in place for PostgreSQL), or ctx is done.
func (b *Bus) WaitReady(ctx context.Context) error { return b.broker.WaitUp(ctx) }

// Close stops the listener, ends every subscription with ErrClosed and
// refuses new ones. Changes committed afterwards are still NOTIFYed (other
// replicas may listen) but no longer published here.
func (b *Bus) Close() {
	if b.stop != nil {
		b.stop()
		<-b.done
	}
	b.broker.SetDown(ErrClosed, ErrClosed)
}

// CustomerHook is a customers.Hook: it queues an event for the change on
// tx, to be published only if tx commits.
func (b *Bus) CustomerHook(ctx context.Context, tx *ent.Tx, op customers.Op, c *ent.Customer) error {
	b.Publish(tx, Event{EnvironmentID: c.EnvironmentID, ID: c.ID, CustomerID: c.CustomerID, Op: Op(op)})
	return nil
}

// Publish queues e on tx. When tx commits, the bus publishes it: in process
// right after the commit, or (PostgreSQL) with pg_notify just before the
// commit, inside the transaction, so that PostgreSQL delivers it only if
// the commit succeeds. When tx rolls back, e is dropped.
//
// An event other than a customer change that is already queued on tx is
// queued once: a transaction that changes a subscription and its add-ons
// changes the customer's entitlements once.
func (b *Bus) Publish(tx *ent.Tx, e Event) {
	b.mu.Lock()
	queued, seen := b.pending[tx]
	if e.Kind == KindCustomer || !queuedAlready(queued, e) {
		b.pending[tx] = append(queued, e)
	}
	b.mu.Unlock()
	if seen {
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			events := b.take(tx)
			if b.pool != nil {
				// One statement for the whole transaction: a bulk import
				// notifies in one round trip, not one per customer.
				if err := notify(ctx, tx, events); err != nil {
					// The transaction is aborted anyway (PostgreSQL
					// refuses to commit after a failed statement); end it
					// rather than leave its connection checked out.
					_ = tx.Rollback()
					return err
				}
				return next.Commit(ctx, tx)
			}
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			for _, e := range events {
				b.broker.Publish(e)
			}
			return nil
		})
	})
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
			b.take(tx)
			return next.Rollback(ctx, tx)
		})
	})
}

// take removes and returns the events queued on tx.
func (b *Bus) take(tx *ent.Tx) []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	events := b.pending[tx]
	delete(b.pending, tx)
	return events
}

// queuedAlready reports whether an event equal to e is in queued.
func queuedAlready(queued []Event, e Event) bool {
	for _, q := range queued {
		if q.Kind == e.Kind && q.EnvironmentID == e.EnvironmentID && q.ID == e.ID && q.FeatureID == e.FeatureID &&
			equalResource(q.ResourceID, e.ResourceID) && (q.Package == nil) == (e.Package == nil) &&
			(q.Package == nil || *q.Package == *e.Package) {
			return true
		}
	}
	return false
}

func equalResource(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}
