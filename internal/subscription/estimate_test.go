package subscription_test

import (
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent/schema"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestEstimateNew prices new subscriptions of testdata/pricing.yaml on
// April 1; every expected amount is computed by hand in the comment.
func TestEstimateNew(t *testing.T) {
	may1, jun1 := april1.AddDate(0, 1, 0), april1.AddDate(0, 2, 0)
	cases := []struct {
		name            string
		in              subscription.Input
		discount        *subscription.InlineDiscount
		currency        string
		now, recurring  float64 // the immediate total and a renewal's
		subTotal, disc  float64 // of the immediate invoice
		start, end      time.Time
		recurringStarts time.Time
	}{
		{name: "flat monthly", in: subscription.Input{PlanID: "plan-basic"},
			currency: "USD", now: 30, recurring: 30, subTotal: 30, start: april1, end: may1, recurringStarts: may1},
		{name: "flat annually", in: subscription.Input{PlanID: "plan-basic", BillingPeriod: ptr("ANNUALLY")},
			currency: "USD", now: 300, recurring: 300, subTotal: 300, start: april1, end: april1.AddDate(1, 0, 0), recurringStarts: april1.AddDate(1, 0, 0)},
		// 7 seats at 10.
		{name: "per unit", in: subscription.Input{PlanID: "plan-seats", UnitQuantity: ptr(7.0)},
			currency: "USD", now: 70, recurring: 70, subTotal: 70, start: april1, end: may1, recurringStarts: may1},
		// Graduated across the tier boundary: 10 at 5 + 2 at 4 = 58.
		{name: "graduated tiers across the boundary", in: subscription.Input{PlanID: "plan-graduated",
			BillableFeatures: []subscription.FeatureQuantity{{FeatureRefID: "feature-seats", Quantity: 12}}},
			currency: "USD", now: 58, recurring: 58, subTotal: 58, start: april1, end: may1, recurringStarts: may1},
		// Volume: all 12 at the second tier's 4 = 48.
		{name: "volume tiers", in: subscription.Input{PlanID: "plan-volume", UnitQuantity: ptr(12.0)},
			currency: "USD", now: 48, recurring: 48, subTotal: 48, start: april1, end: may1, recurringStarts: may1},
		// Exactly at the boundary: 10 at 5 = 50 either way.
		{name: "graduated at the boundary", in: subscription.Input{PlanID: "plan-graduated", UnitQuantity: ptr(10.0)},
			currency: "USD", now: 50, recurring: 50, subTotal: 50, start: april1, end: may1, recurringStarts: may1},
		{name: "currency of the prices", in: subscription.Input{PlanID: "plan-euro"},
			currency: "EUR", now: 25, recurring: 25, subTotal: 25, start: april1, end: may1, recurringStarts: may1},
		// 30 + 2 x 10 = 50, 20% off = 40, for three months (still on May 1).
		{name: "percent coupon with add-ons", in: subscription.Input{PlanID: "plan-basic", CouponRefID: ptr("coupon-20"),
			Addons: []subscription.AddonQuantity{{RefID: "addon-extra", Quantity: 2}}},
			currency: "USD", now: 40, recurring: 40, subTotal: 50, disc: 10, start: april1, end: may1, recurringStarts: may1},
		// 30 - 5 = 25.
		{name: "fixed coupon", in: subscription.Input{PlanID: "plan-basic", CouponRefID: ptr("coupon-5")},
			currency: "USD", now: 25, recurring: 25, subTotal: 30, disc: 5, start: april1, end: may1, recurringStarts: may1},
		// Inline 50% for one month: 15 now, 30 from May 1.
		{name: "inline discount for one month", in: subscription.Input{PlanID: "plan-basic"},
			discount: &subscription.InlineDiscount{PercentOff: ptr(50.0), DurationInMonths: ptr(1)},
			currency: "USD", now: 15, recurring: 30, subTotal: 30, disc: 15, start: april1, end: may1, recurringStarts: may1},
		// 14-day trial: nothing now, 30 from the trial's end.
		{name: "trial", in: subscription.Input{PlanID: "plan-trial"},
			currency: "USD", now: 0, recurring: 30, subTotal: 0, start: april1, end: april1.AddDate(0, 0, 14), recurringStarts: april1.AddDate(0, 0, 14)},
		{name: "trial skipped", in: subscription.Input{PlanID: "plan-trial", SkipTrial: true},
			currency: "USD", now: 30, recurring: 30, subTotal: 30, start: april1, end: may1, recurringStarts: may1},
		// Starting May 1: the first period is May.
		{name: "future start", in: subscription.Input{PlanID: "plan-basic", StartDate: &may1},
			currency: "USD", now: 30, recurring: 30, subTotal: 30, start: may1, end: jun1, recurringStarts: jun1},
	}
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tc.in.CustomerID = "c1"
				e, err := fx.svc.EstimateNew(fx.ctx, fx.env, tc.in, tc.discount)
				if err != nil {
					t.Fatal(err)
				}
				im := e.Immediate
				if im.Total != tc.now || im.SubTotal != tc.subTotal || im.Discount != tc.disc || im.Currency != tc.currency || im.Tax != 0 {
					t.Errorf("immediate: total %v subtotal %v discount %v %s tax %v; want %v %v %v %s 0",
						im.Total, im.SubTotal, im.Discount, im.Currency, im.Tax, tc.now, tc.subTotal, tc.disc, tc.currency)
				}
				if e.Recurring.Total != tc.recurring || !e.Recurring.Start.Equal(tc.recurringStarts) {
					t.Errorf("recurring: %v from %v, want %v from %v", e.Recurring.Total, e.Recurring.Start, tc.recurring, tc.recurringStarts)
				}
				if !e.Start.Equal(tc.start) || !e.End.Equal(tc.end) {
					t.Errorf("period %v - %v, want %v - %v", e.Start, e.End, tc.start, tc.end)
				}
				if e.Proration != nil {
					t.Errorf("proration %+v for a first subscription", e.Proration)
				}
			})
		}
		// Nothing was written.
		if n := fx.st.Client.CustomerSubscription.Query().CountX(fx.ctx); n != 0 {
			t.Fatalf("an estimate wrote %d subscriptions", n)
		}
	})
}

// TestEstimateChanges prices changes on day 10 (April 10, 21 of 30 days
// left) of subscriptions started April 1.
func TestEstimateChanges(t *testing.T) {
	day10 := time.Date(2026, 4, 10, 15, 30, 0, 0, time.UTC)
	may1 := april1.AddDate(0, 1, 0)
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		basic := fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-basic"}).Subscription
		seats := fx.provision(t, subscription.Input{CustomerID: "c2", PlanID: "plan-seats", UnitQuantity: ptr(5.0)}).Subscription
		fx.clock.Set(day10)

		t.Run("upgrade basic to pro on day 10 of 30", func(t *testing.T) {
			// 30 x 21/30 = 21 credited, 60 x 21/30 = 42 due: 21 now; 60 from May 1.
			e, err := fx.svc.EstimateNew(fx.ctx, fx.env, subscription.Input{CustomerID: "c1", PlanID: "plan-pro"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			p := e.Proration
			if p == nil || p.Credit != 21 || p.Debit != 42 || p.Net != 21 {
				t.Fatalf("proration %+v, want 21 / 42 / 21", p)
			}
			if e.Immediate.Total != 21 || e.Recurring.Total != 60 || !e.Start.Equal(april1) || !e.End.Equal(may1) || e.IsPlanDowngrade {
				t.Fatalf("immediate %v recurring %v period %v-%v downgrade %v", e.Immediate.Total, e.Recurring.Total, e.Start, e.End, e.IsPlanDowngrade)
			}
		})
		t.Run("annual plan replacing a monthly one", func(t *testing.T) {
			// 21 credited against a new year at 300: 279 now.
			e, err := fx.svc.EstimateNew(fx.ctx, fx.env, subscription.Input{CustomerID: "c1", PlanID: "plan-basic", BillingPeriod: ptr("ANNUALLY")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if e.Immediate.Total != 279 || e.Proration == nil || e.Proration.Credit != 21 || !e.Start.Equal(day10) {
				t.Fatalf("immediate %v proration %+v start %v", e.Immediate.Total, e.Proration, e.Start)
			}
		})
		t.Run("add an add-on on day 10", func(t *testing.T) {
			// 30 -> 30 + 10: 21 credited, 28 due: 7 now.
			e, err := fx.svc.EstimateUpdate(fx.ctx, fx.env, basic.RefID, subscription.Patch{
				Addons: &[]subscription.AddonQuantity{{RefID: "addon-extra", Quantity: 1}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if e.Proration == nil || e.Proration.Net != 7 || e.Immediate.Total != 7 || e.Recurring.Total != 40 {
				t.Fatalf("proration %+v immediate %v recurring %v", e.Proration, e.Immediate.Total, e.Recurring.Total)
			}
		})
		t.Run("seats 5 to 8 on day 10", func(t *testing.T) {
			// 50 x 21/30 = 35 credited, 80 x 21/30 = 56 due: 21 now; 80 from May 1.
			e, err := fx.svc.EstimateUpdate(fx.ctx, fx.env, seats.RefID, subscription.Patch{UnitQuantity: ptr(8.0)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if e.Proration == nil || e.Proration.Credit != 35 || e.Proration.Debit != 56 || e.Immediate.Total != 21 || e.Recurring.Total != 80 {
				t.Fatalf("proration %+v immediate %v recurring %v", e.Proration, e.Immediate.Total, e.Recurring.Total)
			}
		})
		t.Run("seats 5 to 3 is a credit", func(t *testing.T) {
			// 35 credited, 21 due: -14.
			e, err := fx.svc.EstimateUpdate(fx.ctx, fx.env, seats.RefID, subscription.Patch{UnitQuantity: ptr(3.0)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if e.Immediate.Total != -14 || !e.IsPlanDowngrade {
				t.Fatalf("immediate %v downgrade %v", e.Immediate.Total, e.IsPlanDowngrade)
			}
		})
		t.Run("bad quantity is refused", func(t *testing.T) {
			if _, err := fx.svc.EstimateUpdate(fx.ctx, fx.env, seats.RefID, subscription.Patch{UnitQuantity: ptr(500.0)}, nil); code(err) != "InvalidQuantity" {
				t.Fatalf("err %v", err)
			}
		})
		t.Run("next invoice", func(t *testing.T) {
			inv, err := fx.svc.PreviewNextInvoice(fx.ctx, fx.env, seats.RefID)
			if err != nil {
				t.Fatal(err)
			}
			if inv.Total != 50 || len(inv.Lines) != 1 || inv.Lines[0].Quantity != 5 || !inv.Start.Equal(may1) {
				t.Fatalf("%+v", inv)
			}
		})
	})
}

// TestEstimateTax: a configured tax rate is added to the total (or shown
// inside it when inclusive); none configured is zero.
func TestEstimateTax(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		in := subscription.Input{CustomerID: "c1", PlanID: "plan-basic", CouponRefID: ptr("coupon-5")}
		fx.svc.SetTax(&subscription.Tax{DisplayName: "VAT", Percentage: 10})
		// (30 - 5) + 10% = 27.50.
		e, err := fx.svc.EstimateNew(fx.ctx, fx.env, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if e.Immediate.Tax != 2.5 || e.Immediate.Total != 27.5 || e.Immediate.TotalExcludingTax != 25 {
			t.Fatalf("%+v", e.Immediate)
		}
		// Inclusive 25%: 25 holds 5 of tax.
		fx.svc.SetTax(&subscription.Tax{DisplayName: "VAT", Percentage: 25, Inclusive: true})
		if e, err = fx.svc.EstimateNew(fx.ctx, fx.env, in, nil); err != nil {
			t.Fatal(err)
		}
		if e.Immediate.Tax != 5 || e.Immediate.Total != 25 || e.Immediate.TotalExcludingTax != 20 {
			t.Fatalf("%+v", e.Immediate)
		}
	})
}

// TestEstimateValidatesAsProvision: an estimate refuses what provisioning
// refuses, with the same codes.
func TestEstimateValidatesAsProvision(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		cases := []struct {
			in   subscription.Input
			d    *subscription.InlineDiscount
			code string
		}{
			{subscription.Input{CustomerID: "nobody", PlanID: "plan-basic"}, nil, "CustomerNotFound"},
			{subscription.Input{CustomerID: "c1", PlanID: "plan-none"}, nil, "PlanNotFound"},
			{subscription.Input{CustomerID: "c1", PlanID: "plan-pro", BillingPeriod: ptr("ANNUALLY")}, nil, "BillingPeriodMissingError"},
			{subscription.Input{CustomerID: "c1", PlanID: "plan-basic", Addons: []subscription.AddonQuantity{{RefID: "addon-extra", Quantity: 9}}}, nil, "AddonQuantityExceedsLimitError"},
			{subscription.Input{CustomerID: "c1", PlanID: "plan-basic", CouponRefID: ptr("coupon-none")}, nil, "CouponNotFound"},
			{subscription.Input{CustomerID: "c1", PlanID: "plan-basic"}, &subscription.InlineDiscount{PercentOff: ptr(120.0)}, "BadUserInput"},
			{subscription.Input{CustomerID: "c1", PlanID: "plan-basic"}, &subscription.InlineDiscount{AmountsOff: []schema.Money{{Amount: -1, Currency: "USD"}}}, "BadUserInput"},
		}
		for _, tc := range cases {
			if _, err := fx.svc.EstimateNew(fx.ctx, fx.env, tc.in, tc.d); code(err) != tc.code {
				t.Errorf("%+v: err %v, want %s", tc.in, err, tc.code)
			}
		}
	})
}
