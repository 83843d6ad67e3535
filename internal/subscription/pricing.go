package subscription

import (
	"math"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/price"
)

// Line is one billed item: a price and the quantity bought (seats for a
// per-unit price, the add-on's quantity for an add-on's flat fee).
type Line struct {
	Price    *ent.Price
	Quantity float64
}

// Amount is what one period of the line costs. Usage-based prices are
// billed on usage, which this server does not meter: they count as the
// price of no usage. Tiers: VOLUME prices every unit at the tier the
// quantity falls in, GRADUATED prices each tier's units at its own rate; a
// tier's flat price is added when units fall in it.
func (l Line) Amount() float64 {
	p := l.Price
	qty := l.Quantity
	switch p.BillingModel {
	case price.BillingModelFLAT_FEE:
		if p.Amount == nil {
			return 0
		}
		return *p.Amount * math.Max(qty, 1)
	case price.BillingModelUSAGE_BASED:
		qty = 0
	}
	if len(p.Tiers) == 0 {
		if p.Amount == nil {
			return 0
		}
		return *p.Amount * qty
	}
	graduated := p.TiersMode != nil && *p.TiersMode == price.TiersModeGRADUATED
	total, below := 0.0, 0.0
	for _, t := range p.Tiers {
		upTo := math.Inf(1)
		if t.UpTo != nil {
			upTo = *t.UpTo
		}
		unit, flat := 0.0, 0.0
		if t.UnitPrice != nil {
			unit = *t.UnitPrice
		}
		if t.FlatPrice != nil {
			flat = *t.FlatPrice
		}
		if !graduated {
			if qty <= upTo {
				return flat + unit*qty
			}
			continue
		}
		if n := math.Min(qty, upTo) - below; n > 0 {
			total += flat + unit*n
		}
		below = upTo
	}
	return total
}

// Totals is a subscription's price for one period.
type Totals struct {
	SubTotal, AddonsTotal, Total float64
	Currency                     string
}

// Total prices the plan lines and the add-on lines of a subscription and
// applies its coupon while the coupon lasts (durationInMonths from the
// start; a percentage, or the fixed amount in the subscription's currency).
func Total(s *ent.CustomerSubscription, plan, addons []Line, c *ent.Coupon, now time.Time) Totals {
	t := Totals{Currency: "USD"}
	for _, lines := range [][]Line{plan, addons} {
		for _, l := range lines {
			if t.SubTotal == 0 && l.Price.Currency != "" {
				t.Currency = l.Price.Currency
			}
			t.SubTotal += l.Amount()
		}
	}
	for _, l := range addons {
		t.AddonsTotal += l.Amount()
	}
	t.Total = t.SubTotal
	if c != nil && (c.DurationInMonths == nil || now.Before(s.StartDate.AddDate(0, *c.DurationInMonths, 0))) {
		switch {
		case c.Type == coupon.TypePERCENTAGE && c.PercentOff != nil:
			t.Total = t.SubTotal * (1 - *c.PercentOff/100)
		case c.Type == coupon.TypeFIXED:
			for _, m := range c.AmountsOff {
				if m.Currency == t.Currency {
					t.Total = math.Max(0, t.SubTotal-m.Amount)
				}
			}
		}
	}
	t.Total = math.Round(t.Total*100) / 100
	return t
}

// AddonPrice is the price of an add-on for a subscription billed every
// billingPeriod (monthly when the subscription has none): among the
// add-on's live prices, the one of that period without a country. nil
// when the add-on has none.
func AddonPrice(prices []*ent.Price, billingPeriod *string) *ent.Price {
	period := "MONTHLY"
	if billingPeriod != nil {
		period = *billingPeriod
	}
	for _, p := range prices {
		if string(p.BillingPeriod) == period && p.BillingCountryCode == nil {
			return p
		}
	}
	return nil
}
