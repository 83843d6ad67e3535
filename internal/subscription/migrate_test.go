package subscription_test

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionprice"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionschedule"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/entitlements"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// republish applies testdata/pricing.yaml again with plan-basic changed:
// 8 seats instead of 5, 35 a month instead of 30.
func (fx *fixture) republish(t *testing.T) *catalog.Summary {
	t.Helper()
	data, err := os.ReadFile("testdata/pricing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	for _, r := range [][2]string{
		{"      - {feature: feature-seats, usageLimit: 5}\n    prices:\n      - {billingModel: FLAT_FEE, billingPeriod: MONTHLY, amount: 30,",
			"      - {feature: feature-seats, usageLimit: 8}\n    prices:\n      - {billingModel: FLAT_FEE, billingPeriod: MONTHLY, amount: 35,"},
	} {
		if !strings.Contains(src, r[0]) {
			t.Fatalf("pricing.yaml changed shape: no %q", r[0])
		}
		src = strings.Replace(src, r[0], r[1], 1)
	}
	f, err := catalog.Parse("pricing-v2.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := catalog.Apply(fx.ctx, fx.st.Client, fx.clock.Now(), f)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// seats is the customer's seats limit, as internal/entitlements computes it.
func (fx *fixture) seats(t *testing.T, customer string) float64 {
	t.Helper()
	s, err := entitlements.New(fx.st.Client, fx.clock).ForCustomer(fx.ctx, fx.env, customer, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := s.Entitlement("feature-seats")
	if e == nil || e.UsageLimit == nil {
		t.Fatalf("%s has no seats limit: %+v", customer, e)
	}
	return *e.UsageLimit
}

// billed are the amounts of the subscription's prices, and its plan version.
func (fx *fixture) billed(t *testing.T, refID string) (amounts []float64, version int) {
	t.Helper()
	sub, err := fx.svc.Get(fx.ctx, fx.env, refID)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := fx.st.Client.SubscriptionPrice.Query().Where(subscriptionprice.SubscriptionID(sub.ID)).WithPrice().All(fx.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		amounts = append(amounts, *r.Edges.Price.Amount)
	}
	return amounts, fx.st.Client.Plan.GetX(fx.ctx, sub.PlanID).VersionNumber
}

func wantBilled(t *testing.T, what string, amounts []float64, version int, wantAmount float64, wantVersion int) {
	t.Helper()
	if len(amounts) != 1 || amounts[0] != wantAmount || version != wantVersion {
		t.Fatalf("%s: billed %v on version %d, want [%v] on version %d", what, amounts, version, wantAmount, wantVersion)
	}
}

// TestChangedPlanGetsVersion: publishing a changed plan adds version 2;
// the subscription made on version 1 keeps its entitlements and price, a
// new one gets version 2's, and publishing the same file again adds nothing.
func TestChangedPlanGetsVersion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		old := fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-basic"}).Subscription
		sum := fx.republish(t)
		if sum.Updated["plans"] != 1 || sum.Unchanged["plans"] != 7 {
			t.Fatalf("summary: %s", sum)
		}
		versions := st.Client.Plan.Query().Where(plan.RefID("plan-basic")).Order(ent.Asc(plan.FieldVersionNumber)).AllX(fx.ctx)
		if len(versions) != 2 || versions[0].IsLatest || !versions[1].IsLatest || versions[1].VersionNumber != 2 {
			t.Fatalf("plan-basic versions: %+v", versions)
		}
		if n := fx.seats(t, "c1"); n != 5 {
			t.Fatalf("subscription on version 1: %v seats, want 5", n)
		}
		amounts, v := fx.billed(t, old.RefID)
		wantBilled(t, "subscription on version 1", amounts, v, 30, 1)

		fresh := fx.provision(t, subscription.Input{CustomerID: "c2", PlanID: "plan-basic"}).Subscription
		if n := fx.seats(t, "c2"); n != 8 {
			t.Fatalf("new subscription: %v seats, want 8", n)
		}
		amounts, v = fx.billed(t, fresh.RefID)
		wantBilled(t, "new subscription", amounts, v, 35, 2)

		again := fx.republish(t)
		if again.Updated["plans"] != 0 || again.Unchanged["plans"] != 8 {
			t.Fatalf("same file again: %s", again)
		}
	})
}

// TestMigrateImmediately: IMMEDIATE moves the subscription onto the latest
// version now (entitlements and price change); a second call is refused as
// already latest, an unknown subscription as not found.
func TestMigrateImmediately(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		sub := fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-basic"}).Subscription
		if _, err := fx.svc.MigrateToLatest(fx.ctx, fx.env, sub.RefID, ""); code(err) != string(apperr.SubscriptionAlreadyOnLatestPlan) {
			t.Fatalf("migrate before a new version: %v", err)
		}
		fx.republish(t)
		fx.clock.Set(april1.AddDate(0, 0, 9))
		out, err := fx.svc.MigrateToLatest(fx.ctx, fx.env, sub.RefID, subscription.MigrateImmediate)
		if err != nil {
			t.Fatal(err)
		}
		if out.PlanID == sub.PlanID {
			t.Fatalf("migrated subscription still on plan row %s", sub.PlanID)
		}
		if n := fx.seats(t, "c1"); n != 8 {
			t.Fatalf("after migrating: %v seats, want 8", n)
		}
		amounts, v := fx.billed(t, sub.RefID)
		wantBilled(t, "after migrating", amounts, v, 35, 2)
		if _, err := fx.svc.MigrateToLatest(fx.ctx, fx.env, sub.RefID, subscription.MigrateImmediate); code(err) != string(apperr.SubscriptionAlreadyOnLatestPlan) {
			t.Fatalf("second migrate: %v", err)
		}
		if _, err := fx.svc.MigrateToLatest(fx.ctx, fx.env, "nope", subscription.MigrateImmediate); code(err) != string(apperr.SubscriptionNotFound) {
			t.Fatalf("unknown subscription: %v", err)
		}
		if _, err := fx.svc.MigrateToLatest(fx.ctx, fx.env, sub.RefID, "LATER"); code(err) != string(apperr.BadUserInput) {
			t.Fatalf("unknown time: %v", err)
		}
	})
}

// TestMigrateAtPeriodEnd: END_OF_BILLING_PERIOD records a MigrateToLatest
// scheduled update at the period end, refuses a second one, changes
// nothing before then, and moves the subscription when it runs.
func TestMigrateAtPeriodEnd(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		sub := fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-basic"}).Subscription
		fx.republish(t)
		fx.clock.Set(april1.AddDate(0, 0, 9))
		if _, err := fx.svc.MigrateToLatest(fx.ctx, fx.env, sub.RefID, subscription.MigrateEndOfPeriod); err != nil {
			t.Fatal(err)
		}
		p := fx.pending(t, sub)
		if len(p) != 1 || p[0].ScheduleType != subscriptionschedule.ScheduleTypeMigrateToLatest || !p[0].ExecuteAt.Equal(april1.AddDate(0, 1, 0)) {
			t.Fatalf("pending: %+v", p)
		}
		if _, err := fx.svc.MigrateToLatest(fx.ctx, fx.env, sub.RefID, subscription.MigrateEndOfPeriod); code(err) != string(apperr.ScheduledMigrationAlreadyExists) {
			t.Fatalf("second scheduled migration: %v", err)
		}
		if n := fx.applyDue(t); n != 0 {
			t.Fatalf("ran %d updates before their time", n)
		}
		if n := fx.seats(t, "c1"); n != 5 {
			t.Fatalf("before the period end: %v seats, want 5", n)
		}
		fx.clock.Set(april1.AddDate(0, 1, 0))
		if n := fx.applyDue(t); n != 1 {
			t.Fatalf("ran %d updates at the period end, want 1", n)
		}
		if n := fx.seats(t, "c1"); n != 8 {
			t.Fatalf("after the period end: %v seats, want 8", n)
		}
		amounts, v := fx.billed(t, sub.RefID)
		wantBilled(t, "after the period end", amounts, v, 35, 2)
		if p := fx.pending(t, sub); len(p) != 0 {
			t.Fatalf("still pending: %+v", p)
		}
		done := st.Client.SubscriptionSchedule.Query().Where(subscriptionschedule.StatusEQ(subscriptionschedule.StatusDone)).CountX(fx.ctx)
		if done != 1 {
			t.Fatalf("%d schedules Done, want 1", done)
		}
	})
}

// TestConcurrentMigrations: two migrations of one subscription at once
// apply once: one succeeds and the other is refused (already latest, or a
// migration already scheduled), and the subscription is billed once.
func TestConcurrentMigrations(t *testing.T) {
	for _, when := range []string{subscription.MigrateImmediate, subscription.MigrateEndOfPeriod} {
		t.Run(when, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, st *db.Store) {
				fx := newFixture(t, st)
				sub := fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-basic"}).Subscription
				fx.republish(t)
				var wg sync.WaitGroup
				errs := make([]error, 2)
				for i := range errs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, errs[i] = fx.svc.MigrateToLatest(fx.ctx, fx.env, sub.RefID, when)
					}()
				}
				wg.Wait()
				refused := map[string]bool{string(apperr.SubscriptionAlreadyOnLatestPlan): true, string(apperr.ScheduledMigrationAlreadyExists): true}
				if (errs[0] == nil) == (errs[1] == nil) || !refused[code(errs[0])] && !refused[code(errs[1])] {
					t.Fatalf("want one success and one refusal, got %v and %v", errs[0], errs[1])
				}
				if when == subscription.MigrateEndOfPeriod {
					if p := fx.pending(t, sub); len(p) != 1 {
						t.Fatalf("%d pending migrations, want 1", len(p))
					}
					fx.clock.Set(april1.AddDate(0, 1, 0).Add(time.Minute))
					fx.applyDue(t)
				}
				amounts, v := fx.billed(t, sub.RefID)
				wantBilled(t, "after concurrent migrations", amounts, v, 35, 2)
			})
		})
	}
}
