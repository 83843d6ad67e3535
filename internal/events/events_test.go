package events

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// wait bounds every wait for an event: generous, since nothing sleeps.
const wait = 10 * time.Second

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// next returns the subscription's next event, failing when none comes or
// the subscription ends.
func next(t *testing.T, s *Subscription) Event {
	t.Helper()
	select {
	case e, ok := <-s.Events():
		if !ok {
			t.Fatalf("subscription ended: %v", s.Err())
		}
		return e
	case <-time.After(wait):
		t.Fatal("no event")
	}
	return Event{}
}

// ended waits for the subscription to end and returns why.
func ended(t *testing.T, s *Subscription) error {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case _, ok := <-s.Events():
			if !ok {
				return s.Err()
			}
		case <-timeout:
			t.Fatal("subscription did not end")
		}
	}
}

func subscribe(t *testing.T, b *Broker, env uuid.UUID) *Subscription {
	t.Helper()
	s, err := b.Subscribe(env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestBrokerDeliversPerEnvironment(t *testing.T) {
	b := NewBroker(4)
	envA, envB := uuid.New(), uuid.New()
	a1, a2, other := subscribe(t, b, envA), subscribe(t, b, envA), subscribe(t, b, envB)

	b.Publish(Event{EnvironmentID: envA, CustomerID: "c1", Op: "created"})
	b.Publish(Event{EnvironmentID: envB, CustomerID: "c2", Op: "created"})
	for _, s := range []*Subscription{a1, a2} {
		if e := next(t, s); e.CustomerID != "c1" {
			t.Fatalf("got %+v, want c1", e)
		}
	}
	if e := next(t, other); e.CustomerID != "c2" {
		t.Fatalf("other environment got %+v, want only c2", e)
	}
	select {
	case e := <-a1.Events():
		t.Fatalf("unexpected event %+v", e)
	default:
	}

	a1.Close()
	a1.Close() // idempotent
	if n := b.Subscribers(); n != 2 {
		t.Fatalf("%d subscribers after close, want 2", n)
	}
}

// TestBrokerEndsSlowSubscriber fills one subscriber's buffer: publishing
// does not block, the slow subscriber is ended with ErrInterrupted after
// the events it had, and the others go on.
func TestBrokerEndsSlowSubscriber(t *testing.T) {
	b := NewBroker(2)
	env := uuid.New()
	slow, fast := subscribe(t, b, env), subscribe(t, b, env)
	for i := range 3 {
		b.Publish(Event{EnvironmentID: env, CustomerID: "c", Op: Op(strconv.Itoa(i))})
		if i < 2 {
			next(t, fast)
		}
	}
	if e := next(t, fast); e.Op != "2" {
		t.Fatalf("fast subscriber got %+v", e)
	}
	var got []Op
	for e := range slow.Events() {
		got = append(got, e.Op)
	}
	if len(got) != 2 || !errors.Is(slow.Err(), ErrInterrupted) {
		t.Fatalf("slow subscriber got %v then %v, want 2 events then ErrInterrupted", got, slow.Err())
	}
}

func TestBrokerDown(t *testing.T) {
	b := NewBroker(0)
	env := uuid.New()
	s := subscribe(t, b, env)
	b.SetDown(ErrUnavailable, ErrInterrupted)
	if err := ended(t, s); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	if _, err := b.Subscribe(env); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("subscribe while down: %v, want ErrUnavailable", err)
	}
	b.SetDown(nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := b.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
	subscribe(t, b, env)
}

// startBus returns st's bus, listening.
func startBus(t *testing.T, st *db.Store) *Bus {
	t.Helper()
	bus := ForStore(st, quiet())
	bus.Start(context.Background())
	t.Cleanup(bus.Close)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := bus.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return bus
}

func newEnv(t *testing.T, st *db.Store) uuid.UUID {
	t.Helper()
	e, err := st.Client.Environment.Create().SetSlug("e").SetDisplayName("E").Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}

// TestBusPublishesCommittedChangesOnly runs the customers service with the
// bus's hook and a hook that fails for one slug after the bus queued its
// event: the rolled-back change emits nothing, committed ones arrive in
// order, a bulk import's events all arrive.
func TestBusPublishesCommittedChangesOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		bus := startBus(t, st)
		env := newEnv(t, st)
		boom := errors.New("injected failure")
		svc := customers.New(st.Client, clock.System{}, bus.CustomerHook,
			func(ctx context.Context, tx *ent.Tx, op customers.Op, c *ent.Customer) error {
				if c.CustomerID == "boom" {
					return boom
				}
				return nil
			})
		sub := subscribe(t, bus.Broker(), env)

		a, err := svc.Create(ctx, env, customers.CreateInput{CustomerID: "a"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Create(ctx, env, customers.CreateInput{CustomerID: "boom"}); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the injected failure", err)
		}
		if _, err := svc.Archive(ctx, env, "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ImportBulk(ctx, env, []customers.ImportInput{{CustomerID: "x"}, {CustomerID: "y"}}); err != nil {
			t.Fatal(err)
		}

		want := []Event{
			{EnvironmentID: env, ID: a.ID, CustomerID: "a", Op: "created"},
			{EnvironmentID: env, ID: a.ID, CustomerID: "a", Op: "archived"},
		}
		for _, w := range want {
			if e := next(t, sub); e != w {
				t.Fatalf("got %+v, want %+v", e, w)
			}
		}
		for _, slug := range []string{"x", "y"} {
			if e := next(t, sub); e.CustomerID != slug || e.Op != "created" {
				t.Fatalf("got %+v, want %s created", e, slug)
			}
		}
	})
}

// TestListenerReconnects kills the listener's backend: its subscriptions
// end with ErrInterrupted (notifications sent meanwhile are lost), the
// listener reconnects, and new subscriptions get events again.
func TestListenerReconnects(t *testing.T) {
	st := testdb.Open(t, testdb.Postgres)
	ctx := context.Background()
	bus := startBus(t, st)
	env := newEnv(t, st)
	sub := subscribe(t, bus.Broker(), env)

	pid := bus.listener.pid.Load()
	if pid == 0 {
		t.Fatal("listener has no connection")
	}
	if _, err := st.DB.ExecContext(ctx, "SELECT pg_terminate_backend($1)", int64(pid)); err != nil {
		t.Fatal(err)
	}
	if err := ended(t, sub); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}

	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := bus.WaitReady(wctx); err != nil {
		t.Fatalf("listener did not reconnect: %v", err)
	}
	sub = subscribe(t, bus.Broker(), env)
	svc := customers.New(st.Client, clock.System{}, bus.CustomerHook)
	if _, err := svc.Create(ctx, env, customers.CreateInput{CustomerID: "after"}); err != nil {
		t.Fatal(err)
	}
	if e := next(t, sub); e.CustomerID != "after" {
		t.Fatalf("got %+v, want the change made after reconnecting", e)
	}
}
