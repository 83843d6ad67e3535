package billing_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/outboxevent"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/schema/schematype"
	"github.com/stigg-selfhost/stiggql/ent/syncstate"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/store"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestCustomerCreateAndUpdateReachStripe: a new customer is created in
// Stripe and gets its billingId; later updates are coalesced into one
// request; updated_at is not touched by the sync.
func TestCustomerCreateAndUpdateReachStripe(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		c := f.createCustomer("acme")
		if s := f.state(c.ID); s.Status != syncstate.StatusPENDING || s.SyncedEntityID != nil {
			t.Fatalf("queued customer: state %s, synced %v", s.Status, s.SyncedEntityID)
		}
		f.deliver(f.sync, 1)
		checkSynced(t, f, c)
		if got := f.requestsSince(0); len(got) != 2 || got[0] != "POST /v1/customers" || !strings.HasPrefix(got[1], "POST /v1/customers/cus_") {
			t.Fatalf("Stripe requests %v, want a create then an update", got)
		}
		if got := f.customer(c.ID); !got.UpdatedAt.Equal(c.UpdatedAt) {
			t.Fatalf("updated_at moved from %s to %s by the sync", c.UpdatedAt, got.UpdatedAt)
		}

		// Three updates while the worker is idle: one update request.
		f.clock.Advance(time.Minute)
		before := len(f.stripe.Requests())
		for i, p := range []customers.Patch{
			{Name: omit("Acme Renamed")},
			{Email: omit("billing@acme.io")},
			{BillingInfo: billingAddress("Berlin")},
		} {
			if _, err := f.svc.Update(ctx, f.env, "acme", p); err != nil {
				t.Fatalf("update %d: %v", i, err)
			}
		}
		if s := f.state(c.ID); s.Status != syncstate.StatusPENDING || s.SyncedEntityID == nil {
			t.Fatalf("after updates: state %s, synced %v; want PENDING keeping the Stripe id", s.Status, s.SyncedEntityID)
		}
		f.deliver(f.sync, 1)
		checkSynced(t, f, c)
		if got := f.requestsSince(before); len(got) != 1 || !strings.HasPrefix(got[0], "POST /v1/customers/cus_") {
			t.Fatalf("Stripe requests %v, want one update", got)
		}
		if n := len(f.rows(c.ID)); n != 4 {
			t.Fatalf("%d outbox rows, want 4 (create + 3 updates)", n)
		}
		f.deliver(f.sync, 0)
	})
}

func omit(s string) graphql.Omittable[*string] { return graphql.OmittableOf(&s) }

func billingAddress(city string) *schematype.BillingInfo {
	return &schematype.BillingInfo{BillingAddress: &schematype.Address{City: &city, Country: ptr("DE")}}
}

func ptr[T any](v T) *T { return &v }

// TestStripeOutageAndRecovery: while Stripe is unreachable the mutations
// succeed, the sync states say ERROR with the failure, and retries back off;
// when Stripe is back, the next retry turns them into SUCCESS.
func TestStripeOutageAndRecovery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		f.stripe.SetDown(true)
		a, b := f.createCustomer("a"), f.createCustomer("b")
		f.deliver(f.sync, 2)
		for _, c := range []*ent.Customer{a, b} {
			s := f.state(c.ID)
			if s.Status != syncstate.StatusERROR || s.Error == nil || *s.Error == "" {
				t.Fatalf("state %s error %v, want ERROR with a message", s.Status, s.Error)
			}
			rows := f.rows(c.ID)
			if len(rows) != 1 || rows[0].Attempts != 1 || rows[0].LastError == nil || !rows[0].NextAttemptAt.After(f.clock.Now()) || rows[0].DeliveredAt != nil {
				t.Fatalf("row after a failure: %+v", rows[0])
			}
		}
		// Not due yet: nothing is attempted.
		f.deliver(f.sync, 0)

		// Second failure: the delay grows.
		first := f.rows(a.ID)[0].NextAttemptAt.Sub(f.clock.Now())
		if first < billing.DefaultBackoffBase/2 || first > billing.DefaultBackoffBase {
			t.Fatalf("first retry in %s, want within the base delay %s", first, billing.DefaultBackoffBase)
		}
		f.clock.Advance(billing.DefaultBackoffBase)
		f.deliver(f.sync, 2)
		second := f.rows(a.ID)[0].NextAttemptAt.Sub(f.clock.Now())
		if second < billing.DefaultBackoffBase || f.rows(a.ID)[0].Attempts != 2 {
			t.Fatalf("backoff did not grow: %s then %s", first, second)
		}

		f.stripe.SetDown(false)
		f.clock.Advance(billing.DefaultBackoffMax)
		f.deliver(f.sync, 2)
		checkSynced(t, f, a)
		checkSynced(t, f, b)
	})
}

// TestBackoffIsCappedWithJitter checks the retry delays: doubling from the
// base, never above the cap, never below half the nominal delay.
func TestBackoffIsCappedWithJitter(t *testing.T) {
	s, err := billing.New(nil, "sqlite3", clock.NewManual(epoch), nil, billing.Config{
		EnvironmentID: uuid.New(), SecretKey: "sk_test_x", BackoffBase: time.Second, BackoffMax: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for n, nominal := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 32 * time.Second, 7: time.Minute, 40: time.Minute, 1000: time.Minute} {
		for range 50 {
			if d := s.Backoff(n); d < nominal/2 || d > nominal {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", n, d, nominal/2, nominal)
			}
		}
	}
}

// TestPendingSyncSurvivesRestart queues a customer with no worker running,
// closes the store, reopens the same database file with a new worker, and
// delivers: the customer is created in Stripe once.
func TestPendingSyncSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	url := "file:" + filepath.Join(t.TempDir(), "restart.db")
	st, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, st)
	c := f.createCustomer("survivor")
	f.sync.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if got := f.requestsSince(0); len(got) != 0 {
		t.Fatalf("Stripe got %v before any worker ran", got)
	}

	st2, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	f.st = st2
	f.deliver(f.newSyncer(st2), 1)
	checkSynced(t, f, c)
	if got := f.requestsSince(0); len(got) != 2 || got[0] != "POST /v1/customers" {
		t.Fatalf("Stripe requests %v, want one create and one update", got)
	}
}

// TestCrashAfterStripeRequestReusesKey: a worker sends the create and dies
// before recording it. Its claim keeps others off until the lease ends; then
// another worker retries with the same idempotency key, so Stripe answers
// from its idempotency cache and the customer exists once.
func TestCrashAfterStripeRequestReusesKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		c := f.createCustomer("crashy")
		crashed := f.sync
		if ok, err := crashed.CrashAfterDelivery(ctx); err != nil || !ok {
			t.Fatalf("CrashAfterDelivery: %v %v", ok, err)
		}
		crashed.Close()
		first := f.stripe.Requests()
		if len(first) == 0 || first[0].Path != "/v1/customers" || first[0].IdempotencyKey == "" {
			t.Fatalf("first attempt sent %+v", first)
		}

		next := f.newSyncer(st)
		// The dead worker's lease still holds.
		f.deliver(next, 0)
		f.clock.Advance(billing.DefaultLease + time.Second)
		f.deliver(next, 1)
		checkSynced(t, f, c)
		var creates []string
		for _, r := range f.stripe.Requests() {
			if r.Method == "POST" && r.Path == "/v1/customers" {
				creates = append(creates, r.IdempotencyKey)
			}
		}
		row := f.rows(c.ID)[0]
		if len(creates) != 2 || creates[0] != creates[1] || !strings.HasPrefix(creates[0], row.IdempotencyKey) {
			t.Fatalf("create idempotency keys %q, want the same key derived from %s twice", creates, row.IdempotencyKey)
		}
		if row.Attempts != 2 {
			t.Fatalf("attempts = %d, want 2 (the crashed claim counts)", row.Attempts)
		}
	})
}

// TestReplicasClaimEachEntityOnce runs two workers (two replicas) on one
// database at once: every customer is synced exactly once.
func TestReplicasClaimEachEntityOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		const n = 12
		for i := range n {
			f.createCustomer(fmt.Sprintf("r%d", i))
		}
		workers := []*billing.Syncer{f.sync, f.newSyncer(st)}
		var wg sync.WaitGroup
		counts := make([]int, len(workers))
		for i, w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				counts[i], err = w.DeliverDue(context.Background())
				if err != nil {
					t.Errorf("worker %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if counts[0]+counts[1] != n {
			t.Fatalf("workers synced %v entities, want %d in total", counts, n)
		}
		creates := map[string]int{}
		for _, r := range f.stripe.Requests() {
			if r.Path == "/v1/customers" {
				creates[r.IdempotencyKey]++
			}
		}
		if len(creates) != n {
			t.Fatalf("%d distinct creates, want %d", len(creates), n)
		}
		for k, c := range creates {
			if c != 1 {
				t.Fatalf("create %s sent %d times", k, c)
			}
		}
		left, err := st.Client.OutboxEvent.Query().Where(outboxevent.DeliveredAtIsNil()).Count(context.Background())
		if err != nil || left != 0 {
			t.Fatalf("%d rows undelivered (%v)", left, err)
		}
	})
}

// TestNoIntegrationQueuesNothing: an environment without Stripe gets no
// outbox rows and no sync states.
func TestNoIntegrationQueuesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		env, err := st.Client.Environment.Create().SetSlug("plain").SetDisplayName("Plain").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		svc := customers.New(st.Client, clock.NewManual(epoch), customers.SyncsToBilling(billing.CustomerChanged))
		if _, err := svc.Create(ctx, env.ID, customers.CreateInput{CustomerID: "x"}); err != nil {
			t.Fatal(err)
		}
		if n := st.Client.OutboxEvent.Query().CountX(ctx) + st.Client.SyncState.Query().CountX(ctx); n != 0 {
			t.Fatalf("%d outbox rows and sync states without an integration", n)
		}
	})
}

// insertSubscription writes a subscription row directly (the lifecycle is
// another package's) and queues it the way the lifecycle must: in the same
// transaction, with billing.EnqueueSubscription.
func (f *fixture) insertSubscription(c *ent.Customer, pricing customersubscription.PricingType) *ent.CustomerSubscription {
	f.t.Helper()
	var sub *ent.CustomerSubscription
	err := store.WithTx(context.Background(), f.st.Client, func(tx *ent.Tx) error {
		plan, err := f.plan(tx)
		if err != nil {
			return err
		}
		sub, err = tx.CustomerSubscription.Create().
			SetEnvironmentID(f.env).SetCustomerID(c.ID).SetRefID("sub-" + uuid.NewString()[:8]).
			SetPlanID(plan.ID).SetBillingPeriod("MONTHLY").SetPricingType(pricing).
			SetStartDate(f.clock.Now()).Save(context.Background())
		if err != nil {
			return err
		}
		return billing.EnqueueSubscription(context.Background(), tx, sub)
	})
	if err != nil {
		f.t.Fatalf("insert subscription: %v", err)
	}
	return sub
}

// TestSubscriptionCreateAndCancelReachStripe drives a subscription sync at
// the worker level: created in Stripe for the synced customer, then
// cancelled there; a free subscription needs no sync.
func TestSubscriptionCreateAndCancelReachStripe(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		c := f.createCustomer("subscriber")
		sub := f.insertSubscription(c, customersubscription.PricingTypePAID)
		if s := f.state(sub.ID); s.Status != syncstate.StatusPENDING || s.EntityType != syncstate.EntityTypeSUBSCRIPTION || s.CustomerID != c.ID {
			t.Fatalf("queued subscription state %+v", s)
		}
		// The customer first, then the subscription (ordered by due time).
		f.deliver(f.sync, 2)
		checkSynced(t, f, c)
		s := f.state(sub.ID)
		if s.Status != syncstate.StatusSUCCESS || s.SyncedEntityID == nil || !strings.HasPrefix(*s.SyncedEntityID, "sub_") {
			t.Fatalf("subscription state %s synced %v error %v", s.Status, s.SyncedEntityID, s.Error)
		}
		got, _ := st.Client.CustomerSubscription.Get(ctx, sub.ID)
		if got.BillingID == nil || *got.BillingID != *s.SyncedEntityID ||
			got.BillingLinkURL == nil || *got.BillingLinkURL != "https://dashboard.stripe.com/test/subscriptions/"+*got.BillingID {
			t.Fatalf("subscription billing id %v link %v", got.BillingID, got.BillingLinkURL)
		}
		var sawCreate bool
		for _, r := range f.requestsSince(0) {
			sawCreate = sawCreate || r == "POST /v1/subscriptions"
		}
		if !sawCreate {
			t.Fatalf("no subscription create among %v", f.requestsSince(0))
		}

		// Cancel.
		before := len(f.stripe.Requests())
		err := store.WithTx(ctx, st.Client, func(tx *ent.Tx) error {
			canceled, err := tx.CustomerSubscription.UpdateOne(got).SetStatus(customersubscription.StatusCANCELED).
				SetCancellationDate(f.clock.Now()).Save(ctx)
			if err != nil {
				return err
			}
			return billing.EnqueueSubscription(ctx, tx, canceled)
		})
		if err != nil {
			t.Fatal(err)
		}
		f.deliver(f.sync, 1)
		if got := f.requestsSince(before); len(got) != 1 || got[0] != "DELETE /v1/subscriptions/"+*s.SyncedEntityID {
			t.Fatalf("cancel sent %v", got)
		}
		if s := f.state(sub.ID); s.Status != syncstate.StatusSUCCESS {
			t.Fatalf("after cancel: %s %v", s.Status, s.Error)
		}

		free := f.insertSubscription(c, customersubscription.PricingTypeFREE)
		if s := f.state(free.ID); s.Status != syncstate.StatusNO_SYNC_REQUIRED {
			t.Fatalf("free subscription state %s", s.Status)
		}
		if len(f.rows(free.ID)) != 0 {
			t.Fatal("a free subscription was queued")
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestSubscriptionWaitsForItsCustomer: while the customer cannot reach
// Stripe, its subscription is not an error of its own: it stays PENDING and
// follows once the customer is synced.
func TestSubscriptionWaitsForItsCustomer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		f.stripe.SetDown(true)
		c := f.createCustomer("later")
		sub := f.insertSubscription(c, customersubscription.PricingTypePAID)
		f.deliver(f.sync, 2)
		if s := f.state(c.ID); s.Status != syncstate.StatusERROR {
			t.Fatalf("customer state %s, want ERROR", s.Status)
		}
		if s := f.state(sub.ID); s.Status != syncstate.StatusPENDING || s.Error != nil {
			t.Fatalf("subscription state %s (error %q), want PENDING without error", s.Status, deref(s.Error))
		}
		if r := f.rows(sub.ID)[0]; r.LastError == nil || !strings.Contains(*r.LastError, "not in Stripe yet") {
			t.Fatalf("subscription row last_error %v", r.LastError)
		}
		f.stripe.SetDown(false)
		f.clock.Advance(billing.DefaultBackoffBase)
		f.deliver(f.sync, 2)
		checkSynced(t, f, c)
		if s := f.state(sub.ID); s.Status != syncstate.StatusSUCCESS || s.SyncedEntityID == nil {
			t.Fatalf("subscription state %s (error %q)", s.Status, deref(s.Error))
		}
	})
}

// plan returns the environment's plan "plan-pro", creating it (and its
// product) on first use: subscriptions need a plan.
func (f *fixture) plan(tx *ent.Tx) (*ent.Plan, error) {
	ctx := context.Background()
	if p, err := tx.Plan.Query().Where(plan.EnvironmentID(f.env), plan.RefID("plan-pro")).Only(ctx); err == nil {
		return p, nil
	}
	prod, err := tx.Product.Create().SetEnvironmentID(f.env).SetRefID("product-" + uuid.NewString()[:8]).Save(ctx)
	if err != nil {
		return nil, err
	}
	return tx.Plan.Create().SetEnvironmentID(f.env).SetRefID("plan-pro").SetDisplayName("Pro").SetProductID(prod.ID).Save(ctx)
}
