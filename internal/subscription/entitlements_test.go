package subscription_test

import (
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/entitlements"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestOperationsShowInEntitlements: a scheduled update changes what the
// customer may use when it runs, not before; a transfer moves the
// entitlements to the new resource; a delegation to the delegate, not the
// payer (internal/entitlements computes them).
func TestOperationsShowInEntitlements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		ents := entitlements.New(st.Client, fx.clock)
		seats := func(customer, resource string) float64 {
			t.Helper()
			s, err := ents.ForCustomer(fx.ctx, fx.env, customer, &resource)
			if err != nil {
				t.Fatal(err)
			}
			e := s.Entitlement("feature-seats")
			if e == nil {
				return 0
			}
			if e.UsageLimit == nil {
				t.Fatalf("seats without a limit: %+v", e)
			}
			return *e.UsageLimit
		}
		sub := fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-basic", ResourceID: ptr("r1"),
			Addons: []subscription.AddonQuantity{{RefID: "addon-extra", Quantity: 1}}}).Subscription
		if n := seats("c1", "r1"); n != 10 {
			t.Fatalf("basic + extra: %v seats, want 10", n)
		}
		fx.clock.Set(april1.AddDate(0, 0, 9))
		if _, err := fx.svc.Update(fx.ctx, fx.env, sub.RefID, subscription.Patch{
			Addons: &[]subscription.AddonQuantity{}, Schedule: ptr(subscription.StrategyEndOfPeriod)}); err != nil {
			t.Fatal(err)
		}
		if n := seats("c1", "r1"); n != 10 {
			t.Fatalf("before the scheduled time: %v seats, want 10", n)
		}
		fx.clock.Set(april1.AddDate(0, 1, 0))
		fx.applyDue(t)
		if n := seats("c1", "r1"); n != 5 {
			t.Fatalf("after the scheduled removal: %v seats, want 5", n)
		}
		if _, err := fx.svc.TransferToResource(fx.ctx, fx.env, sub.RefID, ptr("r2")); err != nil {
			t.Fatal(err)
		}
		if a, b := seats("c1", "r1"), seats("c1", "r2"); a != 0 || b != 5 {
			t.Fatalf("after the transfer: r1 %v, r2 %v seats", a, b)
		}
		if _, err := fx.svc.Delegate(fx.ctx, fx.env, sub.RefID, "c2"); err != nil {
			t.Fatal(err)
		}
		if a, b := seats("c1", "r2"), seats("c2", "r2"); a != 0 || b != 5 {
			t.Fatalf("after delegating: payer %v, delegate %v seats", a, b)
		}
	})
}
