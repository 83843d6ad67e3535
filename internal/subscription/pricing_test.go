package subscription_test

import (
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/schema"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

func f(v float64) *float64 { return &v }

func TestLineAmount(t *testing.T) {
	volume, graduated := price.TiersModeVOLUME, price.TiersModeGRADUATED
	tiers := []schema.PriceTier{{UpTo: f(10), UnitPrice: f(5)}, {UpTo: f(20), UnitPrice: f(4), FlatPrice: f(10)}, {UnitPrice: f(3)}}
	cases := []struct {
		name string
		p    ent.Price
		qty  float64
		want float64
	}{
		{"flat fee", ent.Price{BillingModel: price.BillingModelFLAT_FEE, Amount: f(29)}, 1, 29},
		{"flat fee add-on times quantity", ent.Price{BillingModel: price.BillingModelFLAT_FEE, Amount: f(20)}, 3, 60},
		{"per unit", ent.Price{BillingModel: price.BillingModelPER_UNIT, Amount: f(12)}, 7, 84},
		{"volume", ent.Price{BillingModel: price.BillingModelPER_UNIT, Tiers: tiers, TiersMode: &volume}, 15, 10 + 4*15},
		{"volume last tier", ent.Price{BillingModel: price.BillingModelPER_UNIT, Tiers: tiers, TiersMode: &volume}, 25, 3 * 25},
		{"graduated", ent.Price{BillingModel: price.BillingModelPER_UNIT, Tiers: tiers, TiersMode: &graduated}, 25, 10*5 + 10 + 10*4 + 5*3},
		{"usage based counts no usage", ent.Price{BillingModel: price.BillingModelUSAGE_BASED, Amount: f(0.01)}, 1000, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := (subscription.Line{Price: &tc.p, Quantity: tc.qty}).Amount(); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTotalAppliesCouponWhileItLasts(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &ent.CustomerSubscription{StartDate: start}
	plan := []subscription.Line{{Price: &ent.Price{BillingModel: price.BillingModelFLAT_FEE, Amount: f(100), Currency: "EUR"}, Quantity: 1}}
	addons := []subscription.Line{{Price: &ent.Price{BillingModel: price.BillingModelFLAT_FEE, Amount: f(10), Currency: "EUR"}, Quantity: 2}}
	three := 3
	pct := &ent.Coupon{Type: coupon.TypePERCENTAGE, PercentOff: f(25), DurationInMonths: &three}
	got := subscription.Total(s, plan, addons, pct, start.AddDate(0, 1, 0))
	if got.SubTotal != 120 || got.AddonsTotal != 20 || got.Total != 90 || got.Currency != "EUR" {
		t.Fatalf("with coupon: %+v", got)
	}
	if got := subscription.Total(s, plan, addons, pct, start.AddDate(0, 3, 0)); got.Total != 120 {
		t.Fatalf("after the coupon's months: %+v", got)
	}
	fixed := &ent.Coupon{Type: coupon.TypeFIXED, AmountsOff: []schema.Money{{Amount: 10, Currency: "USD"}, {Amount: 9, Currency: "EUR"}}}
	if got := subscription.Total(s, plan, addons, fixed, start); got.Total != 111 {
		t.Fatalf("fixed amount in the subscription's currency: %+v", got)
	}
}
