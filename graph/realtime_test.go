package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/events"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

const (
	subscribeAll = `subscription { customerUpdated { customerId name deletedAt hasPaymentMethod } }`
	subscribeOne = `subscription($id: String) { customerUpdated(customerId: $id) { customerId name } }`
	updateName   = `mutation($id: String!, $name: String) { updateOneCustomer(input: {customerId: $id, name: $name}) { customerId } }`
)

type updatedJSON struct {
	CustomerUpdated struct {
		CustomerID       string  `json:"customerId"`
		Name             *string `json:"name"`
		DeletedAt        *string `json:"deletedAt"`
		HasPaymentMethod bool    `json:"hasPaymentMethod"`
	} `json:"customerUpdated"`
}

// live starts s over real HTTP.
func live(t *testing.T, s *apitest.Server) string {
	t.Helper()
	hs := httptest.NewServer(s.Handler)
	t.Cleanup(hs.Close)
	return hs.URL
}

// connect opens a WebSocket authenticated in connection_init, as browsers do.
func connect(t *testing.T, url, key string) *apitest.WS {
	t.Helper()
	ws, err := apitest.DialWS(t, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Init(map[string]any{"X-API-KEY": key}); err != nil {
		t.Fatalf("connection_init: %v", err)
	}
	return ws
}

// subscribed waits until s has n open subscriptions, so that what the test
// does next happens after the server subscribed.
func subscribed(t *testing.T, s *apitest.Server, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), apitest.WSWait)
	defer cancel()
	if err := s.Events.Broker().WaitSubscribers(ctx, n); err != nil {
		t.Fatalf("waiting for %d subscriptions (have %d): %v", n, s.Events.Broker().Subscribers(), err)
	}
}

func mustPost(t *testing.T, url, key, query string, vars map[string]any) {
	t.Helper()
	if r := apitest.Post(t, url, key, query, vars); len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("HTTP %d, errors %v", r.Status, r.Errors)
	}
}

// TestSubscriptionCustomerUpdated subscribes over WebSocket and changes
// customers over HTTP: every change of the key's environment arrives, as
// the API would return the customer then; changes in another environment
// do not; customerId narrows the stream; unsubscribing and disconnecting
// release the subscription.
func TestSubscriptionCustomerUpdated(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		s := apitest.New(t, st)
		url := live(t, s)
		other := s.NewKey("other")
		provision(t, s, s.Key, map[string]any{"customerId": "c1", "name": "One"})
		provision(t, s, s.Key, map[string]any{"customerId": "c2"})
		provision(t, s, other, map[string]any{"customerId": "c1"})

		ws := connect(t, url, s.Key)
		ws.Subscribe("all", subscribeAll, nil)
		ws.Subscribe("c2", subscribeOne, map[string]any{"id": "c2"})
		subscribed(t, s, 2)

		// The other environment's change would be the first event if it
		// leaked; the next change of ours shows it did not.
		mustPost(t, url, other, updateName, map[string]any{"id": "c1", "name": "Elsewhere"})
		mustPost(t, url, s.Key, updateName, map[string]any{"id": "c1", "name": "Uno"})
		var got updatedJSON
		ws.NextData("all", &got)
		if c := got.CustomerUpdated; c.CustomerID != "c1" || c.Name == nil || *c.Name != "Uno" {
			t.Fatalf("got %+v, want c1 renamed Uno", c)
		}

		mustPost(t, url, s.Key, `mutation { attachCustomerPaymentMethod(input: {customerId: "c2", paymentMethodId: "pm_1", vendorIdentifier: STRIPE}) { customerId } }`, nil)
		// Both subscriptions see it, in either order.
		seen := map[string]bool{}
		for range 2 {
			m, err := ws.Next()
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ Data updatedJSON }
			if err := json.Unmarshal(m.Payload, &got); err != nil || m.Type != "next" {
				t.Fatalf("got %s %s (%v)", m.Type, m.Payload, err)
			}
			if c := got.Data.CustomerUpdated; c.CustomerID != "c2" || !c.HasPaymentMethod && m.ID == "all" {
				t.Fatalf("%s: got %+v, want c2 with a payment method", m.ID, c)
			}
			seen[m.ID] = true
		}
		if !seen["all"] || !seen["c2"] {
			t.Fatalf("got events for %v, want all and c2", seen)
		}

		mustPost(t, url, s.Key, `mutation { archiveCustomer(input: {customerId: "c1"}) { customerId } }`, nil)
		ws.NextData("all", &got)
		if c := got.CustomerUpdated; c.CustomerID != "c1" || c.DeletedAt == nil || c.Name != nil {
			t.Fatalf("got %+v, want c1 archived (deletedAt set, name cleared)", c)
		}

		ws.Complete("c2")
		if m, err := ws.Next(); err != nil || m.Type != "complete" || m.ID != "c2" {
			t.Fatalf("after unsubscribing: %+v %v, want complete for c2", m, err)
		}
		subscribed(t, s, 1)
		ws.Close()
		subscribed(t, s, 0)
	})
}

// TestSubscriptionSkipsRolledBackChanges fails an update inside its
// transaction after the event was queued: nothing is emitted for it, nor
// for an update that fails before writing anything.
func TestSubscriptionSkipsRolledBackChanges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		s := apitest.New(t, st)
		s.Resolver.CustomerService.AddHook(func(ctx context.Context, tx *ent.Tx, op customers.Op, c *ent.Customer) error {
			if c.Name != nil && *c.Name == "boom" {
				return errors.New("injected failure")
			}
			return nil
		})
		url := live(t, s)
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		ws := connect(t, url, s.Key)
		ws.Subscribe("1", subscribeAll, nil)
		subscribed(t, s, 1)

		if r := apitest.Post(t, url, s.Key, updateName, map[string]any{"id": "c1", "name": "boom"}); len(r.Errors) == 0 {
			t.Fatal("the injected failure did not fail the update")
		}
		if r := apitest.Post(t, url, s.Key, updateName, map[string]any{"id": "nobody", "name": "x"}); len(r.Errors) == 0 {
			t.Fatal("updating a missing customer succeeded")
		}
		mustPost(t, url, s.Key, updateName, map[string]any{"id": "c1", "name": "fine"})
		var got updatedJSON
		ws.NextData("1", &got)
		if c := got.CustomerUpdated; c.Name == nil || *c.Name != "fine" {
			t.Fatalf("got %+v, want only the committed update (name fine)", c)
		}
	})
}

// TestSubscriptionNeedsValidKey: a connection is refused without a valid
// key, whether the key is missing, wrong in connection_init, or wrong in
// the upgrade's header; a valid header key needs nothing in
// connection_init. Subscriptions over plain HTTP are refused.
func TestSubscriptionNeedsValidKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		s := apitest.New(t, st)
		url := live(t, s)

		for name, payload := range map[string]map[string]any{
			"no key":    {},
			"wrong key": {"X-API-KEY": "server-wrong"},
			"apiKey":    {"apiKey": "server-wrong"},
		} {
			ws, err := apitest.DialWS(t, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := ws.Init(payload); err == nil {
				t.Errorf("%s: connection acknowledged", name)
			}
		}

		if _, err := apitest.DialWS(t, url, http.Header{auth.HeaderName: {"server-wrong"}}); err == nil {
			t.Error("upgrade with a wrong X-API-KEY header accepted")
		}

		ws, err := apitest.DialWS(t, url, http.Header{auth.HeaderName: {s.Key}})
		if err != nil {
			t.Fatal(err)
		}
		if err := ws.Init(nil); err != nil {
			t.Fatalf("header-authenticated connection: %v", err)
		}
		ws.Subscribe("1", subscribeAll, nil)
		subscribed(t, s, 1)

		for _, key := range []string{"apiKey", "x-api-key"} {
			ws, err := apitest.DialWS(t, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := ws.Init(map[string]any{key: s.Key}); err != nil {
				t.Errorf("key in connection_init as %s: %v", key, err)
			}
		}

		s.Fail("BadUserInput", subscribeAll, nil)
	})
}

// TestSubscriptionAcrossReplicas runs two servers on one PostgreSQL
// database, as replicas do: a change made through one reaches a subscriber
// of the other through LISTEN/NOTIFY.
//
// The customer is provisioned after subscribing, and its creation awaited
// before the update: provisioned before, its creation's NOTIFY could still
// be on its way to A when the subscription started (delivery is
// asynchronous, and slow under a loaded go test ./...), so the first event
// the subscriber saw was the creation, without the name, and the test
// failed now and then.
func TestSubscriptionAcrossReplicas(t *testing.T) {
	st := testdb.Open(t, testdb.Postgres)
	a := apitest.New(t, st)
	b := apitest.New(t, testdb.Reopen(t, st)) // b.Key: another key of the same environment
	urlA, urlB := live(t, a), live(t, b)

	ws := connect(t, urlA, a.Key)
	ws.Subscribe("1", subscribeOne, map[string]any{"id": "c1"})
	subscribed(t, a, 1)
	provision(t, a, a.Key, map[string]any{"customerId": "c1"})
	var created updatedJSON
	ws.NextData("1", &created)
	if c := created.CustomerUpdated; c.CustomerID != "c1" || c.Name != nil {
		t.Fatalf("first event %+v, want the creation of c1", c)
	}

	mustPost(t, urlB, b.Key, updateName, map[string]any{"id": "c1", "name": "via B"})
	var got updatedJSON
	ws.NextData("1", &got)
	if c := got.CustomerUpdated; c.Name == nil || *c.Name != "via B" {
		t.Fatalf("got %+v, want the change made through the other server", c)
	}
}

// TestSubscriptionRefetchFailureIsInterrupted is issue 12's sixth defect:
// when re-reading a changed customer fails (PostgreSQL restarting
// mid-stream), the subscription ends with EventStreamInterrupted, which
// tells clients to subscribe again, not UnexpectedError.
func TestSubscriptionRefetchFailureIsInterrupted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		s := apitest.New(t, st)
		url := live(t, s)
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		ws := connect(t, url, s.Key)
		ws.Subscribe("1", subscribeAll, nil)
		subscribed(t, s, 1)

		s.Statements.FailQueries(func(q string) error {
			if strings.Contains(q, "customers") {
				return errors.New("injected: the database closed the connection")
			}
			return nil
		})
		// The mutation commits (and publishes) in its transaction; its own
		// read afterwards may fail too, which does not matter here.
		apitest.Post(t, url, s.Key, updateName, map[string]any{"id": "c1", "name": "x"})
		m, err := ws.Next()
		if err != nil {
			t.Fatal(err)
		}
		var errs []apitest.Error
		_ = json.Unmarshal(m.Payload, &errs)
		if m.Type != "error" || m.ID != "1" || len(errs) != 1 || errs[0].Code() != "EventStreamInterrupted" {
			t.Fatalf("got %s %s %s, want an EventStreamInterrupted error for 1", m.Type, m.ID, m.Payload)
		}
	})
}

// TestSubscriptionInterrupted: when the server may have missed events (a
// subscriber fell behind, the PostgreSQL listener reconnected), the
// subscription ends with an EventStreamInterrupted error, and the
// connection stays usable for subscribing again.
func TestSubscriptionInterrupted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		s := apitest.New(t, st)
		url := live(t, s)
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		ws := connect(t, url, s.Key)
		ws.Subscribe("1", subscribeAll, nil)
		subscribed(t, s, 1)

		s.Events.Broker().SetDown(nil, events.ErrInterrupted)
		m, err := ws.Next()
		if err != nil {
			t.Fatal(err)
		}
		var errs []apitest.Error
		_ = json.Unmarshal(m.Payload, &errs)
		if m.Type != "error" || m.ID != "1" || len(errs) != 1 || errs[0].Code() != "EventStreamInterrupted" {
			t.Fatalf("got %s %s %s, want an EventStreamInterrupted error for 1", m.Type, m.ID, m.Payload)
		}

		ws.Subscribe("2", subscribeAll, nil)
		subscribed(t, s, 1)
		mustPost(t, url, s.Key, updateName, map[string]any{"id": "c1", "name": "again"})
		var got updatedJSON
		ws.NextData("2", &got)
	})
}
