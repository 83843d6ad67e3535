package subscription_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent/schema"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/entitlements"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestEntitlementOverrides: a subscription's own entitlement of a feature
// replaces its plan's (lower or higher), adds a feature the plan lacks,
// and merges with the customer's other subscriptions by Stigg's rule (the
// most generous wins); an update replaces the list, an empty one restores
// the plan's.
func TestEntitlementOverrides(t *testing.T) {
	type want = entWant
	cases := []struct {
		name  string
		subs  []subscription.Input // provisioned for one customer in order
		check map[string]*want     // by feature; nil: not entitled
	}{
		{name: "lower than the plan", subs: []subscription.Input{{PlanID: "plan-basic",
			Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-seats", UsageLimit: ptr(2.0)}}}},
			check: map[string]*want{"feature-seats": {limit: ptr(2.0)}, "feature-sso": nil}},
		{name: "higher than the plan, add-on added on top of the plan only", subs: []subscription.Input{{PlanID: "plan-basic",
			Addons:       []subscription.AddonQuantity{{RefID: "addon-extra", Quantity: 1}},
			Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-seats", UsageLimit: ptr(50.0)}}}},
			check: map[string]*want{"feature-seats": {limit: ptr(50.0)}}},
		{name: "unlimited", subs: []subscription.Input{{PlanID: "plan-basic",
			Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-seats", Unlimited: true}}}},
			check: map[string]*want{"feature-seats": {unlimited: true}}},
		{name: "features the plan lacks: boolean, metered with a reset, enum", subs: []subscription.Input{{PlanID: "plan-basic",
			Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-sso"},
				{FeatureRefID: "feature-calls", UsageLimit: ptr(100.0), ResetPeriod: ptr("MONTH")},
				{FeatureRefID: "feature-support", EnumValues: []string{"phone"}}}}},
			check: map[string]*want{"feature-seats": {limit: ptr(5.0)}, "feature-sso": {},
				"feature-calls": {limit: ptr(100.0), reset: "MONTH"}, "feature-support": {enum: []string{"phone"}}}},
		{name: "most generous across subscriptions", subs: []subscription.Input{
			{PlanID: "plan-basic", Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-seats", UsageLimit: ptr(2.0)}}},
			{PlanID: "plan-multi", Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-seats", UsageLimit: ptr(8.0)}}}},
			check: map[string]*want{"feature-seats": {limit: ptr(8.0)}, "feature-reports": {limit: ptr(10.0)}}},
	}
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				cust := fx.customer(t, i)
				var last *subscription.Result
				for _, in := range tc.subs {
					in.CustomerID = cust
					last = fx.provision(t, in)
				}
				checkEntitlements(t, fx, cust, tc.check)
				// What provisioning answers agrees with the computation.
				for _, e := range last.Entitlements {
					w := tc.check[e.Feature.RefID]
					if w != nil && len(tc.subs) == 1 && !sameLimit(e.UsageLimit, w.limit) {
						t.Errorf("provision result %s: limit %v, want %v", e.Feature.RefID, deref(e.UsageLimit), deref(w.limit))
					}
				}
			})
		}
		t.Run("update replaces the list; an empty list restores the plan", func(t *testing.T) {
			cust := fx.customer(t, len(cases))
			sub := fx.provision(t, subscription.Input{CustomerID: cust, PlanID: "plan-basic",
				Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-seats", UsageLimit: ptr(2.0)}}}).Subscription
			if _, err := fx.svc.Update(fx.ctx, fx.env, sub.RefID, subscription.Patch{
				Entitlements: &[]subscription.EntitlementOverride{{FeatureRefID: "feature-sso"}}}); err != nil {
				t.Fatal(err)
			}
			checkEntitlements(t, fx, cust, map[string]*want{"feature-seats": {limit: ptr(5.0)}, "feature-sso": {}})
			if _, err := fx.svc.Update(fx.ctx, fx.env, sub.RefID, subscription.Patch{Entitlements: &[]subscription.EntitlementOverride{}}); err != nil {
				t.Fatal(err)
			}
			checkEntitlements(t, fx, cust, map[string]*want{"feature-seats": {limit: ptr(5.0)}, "feature-sso": nil})
		})
		t.Run("imported subscriptions keep their own entitlements; a bad one imports nothing", func(t *testing.T) {
			a, b := fx.customer(t, len(cases)+1), fx.customer(t, len(cases)+2)
			bad := []subscription.Input{
				{CustomerID: a, PlanID: "plan-basic", Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-seats", UsageLimit: ptr(3.0)}}},
				{CustomerID: b, PlanID: "plan-basic", Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-nope"}}},
			}
			if _, err := fx.svc.ImportBulk(fx.ctx, fx.env, bad); code(err) != "FeatureNotFound" {
				t.Fatalf("import with an unknown feature: %v, want FeatureNotFound", err)
			}
			checkEntitlements(t, fx, a, map[string]*want{"feature-seats": nil})
			good := []subscription.Input{bad[0], {CustomerID: b, PlanID: "plan-basic",
				Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-sso"}}}}
			if _, err := fx.svc.ImportBulk(fx.ctx, fx.env, good); err != nil {
				t.Fatal(err)
			}
			checkEntitlements(t, fx, a, map[string]*want{"feature-seats": {limit: ptr(3.0)}, "feature-sso": nil})
			checkEntitlements(t, fx, b, map[string]*want{"feature-seats": {limit: ptr(5.0)}, "feature-sso": {}})
		})
	})
}

// TestOverrideErrorsWriteNothing: invalid overrides and dates are coded
// errors, and neither a provision nor an update writes anything.
func TestOverrideErrorsWriteNothing(t *testing.T) {
	cases := []struct {
		name string
		in   subscription.Input
		code string
	}{
		{"unknown feature", subscription.Input{Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-nope", UsageLimit: ptr(1.0)}}}, "FeatureNotFound"},
		{"negative limit", subscription.Input{Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-seats", UsageLimit: ptr(-1.0)}}}, "EntitlementUsageOutOfRangeError"},
		{"limit on a boolean feature", subscription.Input{Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-sso", UsageLimit: ptr(3.0)}}}, "BadUserInput"},
		{"number feature without a limit", subscription.Input{Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-seats"}}}, "BadUserInput"},
		{"reset period on an unmetered feature", subscription.Input{Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-seats", UsageLimit: ptr(3.0), ResetPeriod: ptr("MONTH")}}}, "InvalidEntitlementResetPeriod"},
		{"unknown enum value", subscription.Input{Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-support", EnumValues: []string{"fax"}}}}, "BadUserInput"},
		{"feature twice", subscription.Input{Entitlements: []subscription.EntitlementOverride{{FeatureRefID: "feature-sso"}, {FeatureRefID: "feature-sso"}}}, "BadUserInput"},
		{"price of a feature the plan does not bill", subscription.Input{PriceOverrides: []subscription.PriceOverride{{FeatureRefID: ptr("feature-seats"), Amount: ptr(1.0)}}}, "PriceNotFound"},
		{"negative price", subscription.Input{PriceOverrides: []subscription.PriceOverride{{BaseCharge: true, Amount: ptr(-1.0)}}}, "BadUserInput"},
		{"price override without a target", subscription.Input{PriceOverrides: []subscription.PriceOverride{{Amount: ptr(1.0)}}}, "BadUserInput"},
		{"cancellation date in the past", subscription.Input{CancellationDate: ptr(april1.Add(-time.Hour))}, "BadUserInput"},
	}
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		existing := fx.provision(t, subscription.Input{CustomerID: "c2", PlanID: "plan-basic"}).Subscription
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				in.CustomerID, in.PlanID = "c1", "plan-basic"
				if _, err := fx.svc.Provision(fx.ctx, fx.env, in); code(err) != tc.code {
					t.Fatalf("provision: %v (code %q), want %s", err, code(err), tc.code)
				}
				p := subscription.Patch{CancellationDate: in.CancellationDate}
				if in.Entitlements != nil {
					p.Entitlements = &in.Entitlements
				}
				if in.PriceOverrides != nil {
					p.PriceOverrides = &in.PriceOverrides
				}
				if _, err := fx.svc.Update(fx.ctx, fx.env, existing.RefID, p); code(err) != tc.code {
					t.Fatalf("update: %v (code %q), want %s", err, code(err), tc.code)
				}
			})
		}
		c := fx.st.Client
		if n := c.CustomerSubscription.Query().CountX(fx.ctx); n != 1 {
			t.Errorf("%d subscriptions, want only the first", n)
		}
		if n, m := c.SubscriptionEntitlementOverride.Query().CountX(fx.ctx), c.SubscriptionPriceOverride.Query().CountX(fx.ctx); n+m != 0 {
			t.Errorf("%d entitlement and %d price overrides written", n, m)
		}
		if got := c.CustomerSubscription.GetX(fx.ctx, existing.ID); got.EndDate != nil || !got.UpdatedAt.Equal(existing.UpdatedAt) {
			t.Errorf("the subscription changed: %+v", got)
		}
	})
}

// TestPriceOverridesInEstimates: a subscription's price overrides are what
// its next invoice, an update's estimate and a new subscription's estimate
// charge (amounts by hand in the comments).
func TestPriceOverridesInEstimates(t *testing.T) {
	day10 := time.Date(2026, 4, 10, 15, 30, 0, 0, time.UTC)
	cases := []struct {
		name     string
		in       subscription.Input
		estimate float64 // EstimateNew's immediate total on April 1
		next     float64 // PreviewNextInvoice's total
		update   *subscription.Patch
		prorated float64 // EstimateUpdate's immediate total on day 10 (21 of 30 days left)
	}{
		// Base charge 30 -> 20.
		{name: "base charge", in: subscription.Input{PlanID: "plan-basic",
			PriceOverrides: []subscription.PriceOverride{{BaseCharge: true, Amount: ptr(20.0)}}}, estimate: 20, next: 20},
		// 7 seats at 10 -> at 6: 42.
		{name: "per-unit amount", in: subscription.Input{PlanID: "plan-seats", UnitQuantity: ptr(7.0),
			PriceOverrides: []subscription.PriceOverride{{FeatureRefID: ptr("feature-seats"), Amount: ptr(6.0)}}}, estimate: 42, next: 42},
		// Graduated tiers replaced: 12 seats, 10 at 3 + 2 at 1 = 32.
		{name: "tiers", in: subscription.Input{PlanID: "plan-graduated", UnitQuantity: ptr(12.0),
			PriceOverrides: []subscription.PriceOverride{{FeatureRefID: ptr("feature-seats"),
				Tiers: []schema.PriceTier{{UpTo: ptr(10.0), UnitPrice: ptr(3.0)}, {UnitPrice: ptr(1.0)}}}}}, estimate: 32, next: 32},
		// Basic 30 + add-on 10 -> 4 each x 2 = 38; adding a third on day 10
		// costs 4 x 21/30 = 2.80 now.
		{name: "add-on price, prorated on update", in: subscription.Input{PlanID: "plan-basic",
			Addons:         []subscription.AddonQuantity{{RefID: "addon-extra", Quantity: 2}},
			PriceOverrides: []subscription.PriceOverride{{AddonRefID: ptr("addon-extra"), Amount: ptr(4.0)}}}, estimate: 38, next: 38,
			update: &subscription.Patch{Addons: &[]subscription.AddonQuantity{{RefID: "addon-extra", Quantity: 3}}}, prorated: 2.8},
	}
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				fx.clock.Set(april1)
				in := tc.in
				in.CustomerID = fx.customer(t, i)
				e, err := fx.svc.EstimateNew(fx.ctx, fx.env, in, nil)
				if err != nil {
					t.Fatal(err)
				}
				if e.Immediate.Total != tc.estimate {
					t.Errorf("estimate: %v, want %v", e.Immediate.Total, tc.estimate)
				}
				sub := fx.provision(t, in).Subscription
				inv, err := fx.svc.PreviewNextInvoice(fx.ctx, fx.env, sub.RefID)
				if err != nil {
					t.Fatal(err)
				}
				if inv.Total != tc.next {
					t.Errorf("next invoice: %v, want %v", inv.Total, tc.next)
				}
				if tc.update != nil {
					fx.clock.Set(day10)
					u, err := fx.svc.EstimateUpdate(fx.ctx, fx.env, sub.RefID, *tc.update, nil)
					if err != nil {
						t.Fatal(err)
					}
					if u.Immediate.Total != tc.prorated {
						t.Errorf("update estimate: %v, want %v", u.Immediate.Total, tc.prorated)
					}
				}
			})
		}
	})
}

// TestCancellationDateAndAnchor: cancellationDate schedules the end (the
// downgrade-free product just ends then); billingCycleAnchor NOW restarts
// the billing periods at the time of the update.
func TestCancellationDateAndAnchor(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		may15 := april1.AddDate(0, 1, 14)
		sub := fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-basic", CancellationDate: &may15}).Subscription
		if sub.EffectiveEndDate == nil || !sub.EffectiveEndDate.Equal(may15) || sub.CancelReason == nil || *sub.CancelReason != subscription.ReasonScheduledCancellation {
			t.Fatalf("provisioned with cancellationDate: end %v reason %v", sub.EffectiveEndDate, sub.CancelReason)
		}
		fx.clock.Set(may15.Add(time.Second))
		if got, _ := fx.svc.Get(fx.ctx, fx.env, sub.RefID); subscription.EffectiveStatus(got, fx.clock.Now()) != subscription.Canceled {
			t.Fatalf("status after the cancellation date: %v", got.Status)
		}

		fx.clock.Set(april1)
		other := fx.provision(t, subscription.Input{CustomerID: "c2", PlanID: "plan-basic"}).Subscription
		day10 := april1.AddDate(0, 0, 9)
		fx.clock.Set(day10)
		jun1 := april1.AddDate(0, 2, 0)
		got, err := fx.svc.Update(fx.ctx, fx.env, other.RefID, subscription.Patch{AnchorNow: true, CancellationDate: &jun1})
		if err != nil {
			t.Fatal(err)
		}
		start, end := subscription.CurrentPeriod(got, day10)
		if !start.Equal(day10) || !end.Equal(day10.AddDate(0, 1, 0)) || !subscription.BillingCycleAnchor(got).Equal(day10) {
			t.Fatalf("anchored now: period %v - %v, anchor %v", start, end, subscription.BillingCycleAnchor(got))
		}
		if got.EffectiveEndDate == nil || !got.EffectiveEndDate.Equal(jun1) {
			t.Fatalf("update with cancellationDate: end %v", got.EffectiveEndDate)
		}
	})
}

// entWant is what a feature's computed entitlement must be.
type entWant struct {
	limit     *float64 // nil: no limit value
	unlimited bool
	reset     string
	enum      []string
}

// checkEntitlements compares the customer's computed entitlements with
// check (by feature; nil: not granted).
func checkEntitlements(t *testing.T, fx *fixture, customer string, check map[string]*entWant) {
	t.Helper()
	s, err := entitlements.New(fx.st.Client, fx.clock).ForCustomer(fx.ctx, fx.env, customer, nil)
	if err != nil {
		t.Fatal(err)
	}
	for ref, w := range check {
		e := s.Entitlement(ref)
		if w == nil {
			if e != nil && e.IsGranted {
				t.Errorf("%s granted: %+v", ref, e)
			}
			continue
		}
		if e == nil || !e.IsGranted {
			t.Errorf("%s not granted: %+v", ref, e)
			continue
		}
		reset := ""
		if e.ResetPeriod != nil {
			reset = string(*e.ResetPeriod)
		}
		if !sameLimit(e.UsageLimit, w.limit) || e.HasUnlimitedUsage != w.unlimited || reset != w.reset || !slices.Equal(e.EnumValues, w.enum) {
			t.Errorf("%s: limit %v unlimited %v reset %q enum %v; want %v %v %q %v", ref, deref(e.UsageLimit),
				e.HasUnlimitedUsage, reset, e.EnumValues, deref(w.limit), w.unlimited, w.reset, w.enum)
		}
	}
}

// customer creates the customer of the i-th case.
func (fx *fixture) customer(t *testing.T, i int) string {
	t.Helper()
	id := fmt.Sprintf("case-%d", i)
	if err := fx.st.Client.Customer.Create().SetEnvironmentID(fx.env).SetCustomerID(id).SetCreatedAt(april1).SetUpdatedAt(april1).Exec(fx.ctx); err != nil {
		t.Fatal(err)
	}
	return id
}

func sameLimit(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
