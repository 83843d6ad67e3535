package subscription_test

import (
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

func TestFractionByDays(t *testing.T) {
	apr := func(d, h int) time.Time { return time.Date(2026, 4, d, h, 0, 0, 0, time.UTC) }
	start, end := apr(1, 0), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		at   time.Time
		want float64
	}{
		{"at the start: the whole period", apr(1, 0), 1},
		{"before the start", apr(1, 0).Add(-time.Hour), 1},
		{"day 10 of 30 counts from its own start: 21 days left", apr(10, 15), 21.0 / 30},
		{"last day", apr(30, 23), 1.0 / 30},
		{"at the end: nothing left", end, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := subscription.Fraction(start, end, tc.at); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestProrate(t *testing.T) {
	flat := func(v float64) subscription.Charge {
		return subscription.Charge{Line: subscription.Line{Price: &ent.Price{BillingModel: price.BillingModelFLAT_FEE, Amount: f(v), Currency: "USD"}, Quantity: 1}}
	}
	seats := func(n float64) subscription.Charge {
		return subscription.Charge{Line: subscription.Line{Price: &ent.Price{BillingModel: price.BillingModelPER_UNIT, Amount: f(10), Currency: "USD"}, Quantity: n}}
	}
	start, end := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	day10 := time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name               string
		old, new           []subscription.Charge
		at                 time.Time
		credit, debit, net float64
	}{
		// 21 of 30 days left: 30*21/30 = 21 back, 60*21/30 = 42 due.
		{"upgrade 30 -> 60 on day 10 of 30", []subscription.Charge{flat(30)}, []subscription.Charge{flat(60)}, day10, 21, 42, 21},
		{"downgrade 60 -> 30 on day 10 of 30", []subscription.Charge{flat(60)}, []subscription.Charge{flat(30)}, day10, 42, 21, -21},
		// 5 seats (50) -> 8 seats (80): 35 back, 56 due.
		{"seats 5 -> 8 on day 10 of 30", []subscription.Charge{seats(5)}, []subscription.Charge{seats(8)}, day10, 35, 56, 21},
		// 29.99*21/30 = 20.993 -> 20.99; 49.99*21/30 = 34.993 -> 34.99.
		{"cents rounded per line", []subscription.Charge{flat(29.99)}, []subscription.Charge{flat(49.99)}, day10, 20.99, 34.99, 14},
		{"at the period start: whole amounts", []subscription.Charge{flat(30)}, []subscription.Charge{flat(60)}, start, 30, 60, 30},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := subscription.Prorate(tc.old, tc.new, start, end, tc.at)
			if r.Credit != tc.credit || r.Debit != tc.debit || r.Net != tc.net {
				t.Fatalf("credit %v debit %v net %v, want %v %v %v", r.Credit, r.Debit, r.Net, tc.credit, tc.debit, tc.net)
			}
		})
	}
}
