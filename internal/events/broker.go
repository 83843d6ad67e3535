// Package events carries committed customer changes to real-time
// subscribers (the GraphQL subscription customerUpdated).
//
// A Broker fans events out, in process, to the subscribers of each
// environment. A Bus connects it to the store so that only committed
// changes are published, whatever the backend:
//
//   - SQLite (one process): the customers Hook queues the event on the
//     transaction and the Broker gets it after a successful commit; a
//     rolled-back change publishes nothing.
//   - PostgreSQL (one or many replicas): the Hook queues the event and, just
//     before commit, one `SELECT pg_notify('stiggql_events', ...)` sends the
//     transaction's events; PostgreSQL delivers them only if the transaction
//     commits. Every process LISTENs on a dedicated connection and feeds
//     what it hears into its own Broker, so subscribers on every replica
//     see changes made through any of them.
//
// Delivery is at most once and there is no replay. A subscription never
// misses events silently, though: when it cannot keep up (its buffer is
// full) or when the process stops hearing PostgreSQL (the listener
// connection broke), it is ended with ErrInterrupted, and its client is
// expected to subscribe again and refetch what it shows.
package events

import (
	"context"
	"sync"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// Op names the kind of customer change (customers.Op as a string).
type Op string

// Kind says what an Event is about.
type Kind string

// The kinds of events.
const (
	// KindCustomer: a customer row changed (customerUpdated).
	KindCustomer Kind = ""
	// KindEntitlements: what a customer may use changed: one of its
	// subscriptions (plan, add-ons, status, dates) or promotional grants
	// (entitlementsUpdated). ResourceID names the subscription's resource.
	KindEntitlements Kind = "entitlements"
	// KindUsage: a customer's usage of a metered feature changed
	// (usageUpdated). FeatureID names the feature.
	KindUsage Kind = "usage"
	// KindPackage: a plan or an add-on was published or changed in the
	// catalog (packagePublished).
	KindPackage Kind = "package"
)

// Event is one committed change. It is deliberately small (it travels as a
// NOTIFY payload, limited to 8000 bytes): subscribers re-read the rest.
type Event struct {
	Kind          Kind      `json:"kind,omitempty"`
	EnvironmentID uuid.UUID `json:"environmentId"`
	// ID is the customer row's id (stable across slug reuse); for
	// KindPackage, the plan's or add-on's.
	ID uuid.UUID `json:"id"`
	// CustomerID is the customer's slug (KindCustomer only; the others
	// re-read it by ID).
	CustomerID string `json:"customerId,omitempty"`
	Op         Op     `json:"op,omitempty"`
	// ResourceID is the resource an entitlement or usage change is scoped
	// to (nil: the customer's global entitlements).
	ResourceID *string `json:"resourceId,omitempty"`
	// FeatureID is the refId of the feature whose usage changed.
	FeatureID string `json:"featureId,omitempty"`
	// Package describes a KindPackage event.
	Package *Package `json:"package,omitempty"`
}

// Package is a published plan or add-on.
type Package struct {
	// Type is "PLAN" or "ADDON" (the packages' GraphQL type field).
	Type    string `json:"type"`
	RefID   string `json:"refId"`
	Version int    `json:"version"`
	// AllCustomers is true when the change reaches existing subscriptions
	// (a changed package), false for a new one (only new subscriptions).
	AllCustomers bool `json:"allCustomers"`
}

// DefaultBuffer is how many events a subscription may fall behind before it
// is ended with ErrInterrupted.
const DefaultBuffer = 256

// ErrInterrupted ends a subscription that may have missed events: its
// client fell behind, or the process lost its PostgreSQL listener. The
// client should subscribe again and refetch.
var ErrInterrupted = apperr.New(apperr.EventStreamInterrupted,
	"the event stream was interrupted and events may have been missed: subscribe again and refetch")

// ErrUnavailable refuses a subscription while the process cannot hear
// events (its PostgreSQL listener is not connected).
var ErrUnavailable = apperr.New(apperr.EventStreamInterrupted,
	"real-time updates are unavailable right now (the database listener is reconnecting); retry shortly")

// ErrClosed ends subscriptions when the broker is closed (the server shuts
// down).
var ErrClosed = apperr.New(apperr.EventStreamInterrupted, "the server is shutting down: subscribe again")

// Broker fans events out to subscribers by environment. Publishing never
// blocks: a subscriber whose buffer is full is ended with ErrInterrupted
// instead of holding up everyone else. The zero value is not usable; use
// NewBroker.
type Broker struct {
	buffer int

	mu   sync.Mutex
	subs map[uuid.UUID]map[*Subscription]struct{}
	n    int
	// down, when set, refuses new subscriptions (see SetDown).
	down error
	// changed is closed and replaced whenever the subscriber count or the
	// down state changes.
	changed chan struct{}
}

// NewBroker returns a Broker whose subscriptions buffer up to buffer events
// (DefaultBuffer when buffer <= 0).
func NewBroker(buffer int) *Broker {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	return &Broker{buffer: buffer, subs: map[uuid.UUID]map[*Subscription]struct{}{}, changed: make(chan struct{})}
}

// Subscription receives the events of one environment until it is closed
// or ended by the Broker.
type Subscription struct {
	b   *Broker
	env uuid.UUID
	ch  chan Event
	// err says why the Broker ended the subscription; set before ch is
	// closed, read after.
	err error
}

// Events returns the channel of events. It is closed when the
// subscription ends; Err then says why.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Err returns why the Broker ended the subscription (nil when it was
// closed by its owner). Only meaningful once Events is closed.
func (s *Subscription) Err() error { return s.err }

// Close ends the subscription. It is safe to call more than once and after
// the Broker ended it.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.removeLocked(s, nil)
}

// Subscribe starts a subscription to env's events, or refuses it with the
// error given to SetDown while the broker is down.
func (b *Broker) Subscribe(env uuid.UUID) (*Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down != nil {
		return nil, b.down
	}
	s := &Subscription{b: b, env: env, ch: make(chan Event, b.buffer)}
	set := b.subs[env]
	if set == nil {
		set = map[*Subscription]struct{}{}
		b.subs[env] = set
	}
	set[s] = struct{}{}
	b.n++
	b.notifyLocked()
	return s, nil
}

// Publish delivers e to the subscribers of its environment without
// blocking; one whose buffer is full is ended with ErrInterrupted.
func (b *Broker) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[e.EnvironmentID] {
		select {
		case s.ch <- e:
		default:
			b.removeLocked(s, ErrInterrupted)
		}
	}
}

// SetDown ends every subscription with interrupt (when non-nil) and, while
// refuse is non-nil, refuses new ones with it; SetDown(nil, nil) accepts
// subscriptions again. The PostgreSQL listener uses it while disconnected.
func (b *Broker) SetDown(refuse, interrupt error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down = refuse
	b.notifyLocked()
	if interrupt == nil {
		return
	}
	for _, set := range b.subs {
		for s := range set {
			b.removeLocked(s, interrupt)
		}
	}
}

// Subscribers returns the number of open subscriptions.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

// WaitSubscribers waits until exactly n subscriptions are open, or ctx is
// done. Tests use it to know a subscription is in place before they cause
// the change it must see.
func (b *Broker) WaitSubscribers(ctx context.Context, n int) error {
	return b.wait(ctx, func() bool { return b.n == n })
}

// WaitUp waits until the broker accepts subscriptions, or ctx is done.
func (b *Broker) WaitUp(ctx context.Context) error {
	return b.wait(ctx, func() bool { return b.down == nil })
}

// wait waits until cond, called with b.mu held, holds, or ctx is done.
func (b *Broker) wait(ctx context.Context, cond func() bool) error {
	for {
		b.mu.Lock()
		ok, changed := cond(), b.changed
		b.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *Broker) removeLocked(s *Subscription, err error) {
	set := b.subs[s.env]
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	if len(set) == 0 {
		delete(b.subs, s.env)
	}
	b.n--
	s.err = err
	close(s.ch)
	b.notifyLocked()
}

func (b *Broker) notifyLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}
