package catalog

import (
	"context"
	"slices"
	"sort"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// The paywall's and the customer portal's rules: which plans a paywall
// offers and in which order, what a plan costs per billing period, which
// prices a billing country sees, and when a customer can upgrade.

// ProductNotFound is Stigg's code for a productId the catalog lacks.
const ProductNotFound apperr.Code = "ProductNotFoundError"

// PaywallWidget is the WidgetType a plan hides from to stay off paywalls.
const PaywallWidget = "PAYWALL"

// PaywallPlans returns the published plans of the product with refId
// productID (every product's when nil) in paywall order: products in
// catalog order, then within a product a plan after its base plan, cheaper
// plans first (free before paid), then by refId. Plans hidden from the
// paywall widget are left out unless includeHidden.
func PaywallPlans(ctx context.Context, cat *Snapshot, productID *string, includeHidden bool) ([]*ent.Plan, error) {
	if err := cat.Load(ctx); err != nil {
		return nil, err
	}
	rank := map[uuid.UUID]int{}
	for i, p := range must(cat.Products(ctx)) {
		if productID != nil && p.RefID == *productID {
			rank[p.ID] = i
		} else if productID == nil {
			rank[p.ID] = i
		}
	}
	if len(rank) == 0 {
		return nil, apperr.New(ProductNotFound, "product %q was not found", deref(productID))
	}
	var out []*ent.Plan
	for _, p := range must(cat.Plans(ctx)) {
		if _, ok := rank[p.ProductID]; !ok || p.Status != plan.StatusPUBLISHED {
			continue
		}
		if !includeHidden && slices.Contains(p.HiddenFromWidgets, PaywallWidget) {
			continue
		}
		out = append(out, p)
	}
	depth := func(p *ent.Plan) int {
		d := 0
		for b := p.BasePlanID; b != nil && d < 32; d++ {
			base := must(cat.Plan(ctx, *b))
			if base == nil {
				break
			}
			b = base.BasePlanID
		}
		return d
	}
	monthly := func(p *ent.Plan) float64 {
		sum := 0.0
		for _, pr := range must(cat.PackagePrices(ctx, p.ID)) {
			if pr.BillingPeriod == price.BillingPeriodMONTHLY && pr.Amount != nil && pr.BillingCountryCode == nil {
				sum += *pr.Amount
			}
		}
		return sum
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if rank[a.ProductID] != rank[b.ProductID] {
			return rank[a.ProductID] < rank[b.ProductID]
		}
		if da, db := depth(a), depth(b); da != db && (isBaseOf(ctx, cat, a, b) || isBaseOf(ctx, cat, b, a)) {
			return da < db
		}
		if ma, mb := monthly(a), monthly(b); ma != mb {
			return ma < mb
		}
		return a.RefID < b.RefID
	})
	return out, nil
}

// isBaseOf reports whether a is b's base plan, directly or further down.
func isBaseOf(ctx context.Context, cat *Snapshot, a, b *ent.Plan) bool {
	for n, id := 0, b.BasePlanID; id != nil && n < 32; n++ {
		if *id == a.ID {
			return true
		}
		base := must(cat.Plan(ctx, *id))
		if base == nil {
			return false
		}
		id = base.BasePlanID
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CountryPrices picks a package's prices for a billing country: the
// prices set for that country where the package has any for the period,
// else its default (country-less) prices.
func CountryPrices(prices []*ent.Price, country *string) []*ent.Price {
	byPeriod := map[price.BillingPeriod]bool{}
	if country != nil {
		for _, p := range prices {
			if p.BillingCountryCode != nil && *p.BillingCountryCode == *country {
				byPeriod[p.BillingPeriod] = true
			}
		}
	}
	var out []*ent.Price
	for _, p := range prices {
		local := p.BillingCountryCode != nil && country != nil && *p.BillingCountryCode == *country
		if local || p.BillingCountryCode == nil && !byPeriod[p.BillingPeriod] {
			out = append(out, p)
		}
	}
	return out
}

// currencySymbols covers the currencies a catalog commonly uses; others
// show their ISO code.
var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "ILS": "₪", "INR": "₹", "CHF": "CHF", "BRL": "R$"}

// CurrencySymbol is how a paywall shows the currency code.
func CurrencySymbol(code string) string {
	if s, ok := currencySymbols[code]; ok {
		return s
	}
	return code
}

// PricePoint is what a plan costs per billing period, as the paywall shows
// it.
type PricePoint struct {
	Plan          *ent.Plan
	BillingPeriod price.BillingPeriod
	Currency      string
	// Amount is the sum of the plan's flat fees; with no flat fee, the
	// unit price of its per-unit or usage-based price, of Feature.
	Amount  float64
	Feature *ent.Feature
	// AdditionalChargesMayApply says there are per-unit or usage-based
	// charges on top of the flat fees.
	AdditionalChargesMayApply bool
}

// PaywallPeriods are the billing periods a paywall prices, in order.
var PaywallPeriods = []price.BillingPeriod{price.BillingPeriodMONTHLY, price.BillingPeriodANNUALLY}

// PricePoints prices plans for a billing country, each per PaywallPeriods
// where it has a price, in order. cat must be loaded (Snapshot.Load).
func PricePoints(ctx context.Context, cat *Snapshot, plans []*ent.Plan, country *string) []PricePoint {
	var out []PricePoint
	for _, p := range plans {
		prices := CountryPrices(must(cat.PackagePrices(ctx, p.ID)), country)
		for _, period := range PaywallPeriods {
			if pt, ok := PlanPricePoint(ctx, cat, p, prices, period); ok {
				out = append(out, pt)
			}
		}
	}
	return out
}

// PlanPricePoint is what p costs per period from prices (p's prices for a
// country, CountryPrices); false when p has no price for the period. cat
// must be loaded (Snapshot.Load).
func PlanPricePoint(ctx context.Context, cat *Snapshot, p *ent.Plan, prices []*ent.Price, period price.BillingPeriod) (PricePoint, bool) {
	var flat, unit float64
	var hasFlat, extra bool
	var unitFeature *ent.Feature
	currency := ""
	for _, pr := range prices {
		if pr.BillingPeriod != period {
			continue
		}
		if currency == "" {
			currency = pr.Currency
		}
		switch pr.BillingModel {
		case price.BillingModelFLAT_FEE:
			hasFlat = true
			if pr.Amount != nil {
				flat += *pr.Amount
			}
		default:
			extra = true
			if unitFeature == nil && pr.FeatureID != nil {
				unitFeature = must(cat.Feature(ctx, *pr.FeatureID))
				if pr.Amount != nil {
					unit = *pr.Amount
				} else if len(pr.Tiers) > 0 && pr.Tiers[0].UnitPrice != nil {
					unit = *pr.Tiers[0].UnitPrice
				}
			}
		}
	}
	if currency == "" {
		return PricePoint{}, false
	}
	pt := PricePoint{Plan: p, BillingPeriod: period, Currency: currency}
	if hasFlat {
		pt.Amount = flat
		pt.AdditionalChargesMayApply = extra
	} else {
		pt.Amount = unit
		pt.Feature = unitFeature
	}
	return pt, true
}

// MonthlyFlatFee is a plan's monthly flat fee in its default currency.
// cat must be loaded (Snapshot.Load).
func MonthlyFlatFee(ctx context.Context, cat *Snapshot, p *ent.Plan) float64 {
	sum := 0.0
	for _, pr := range must(cat.PackagePrices(ctx, p.ID)) {
		if pr.BillingPeriod == price.BillingPeriodMONTHLY && pr.BillingModel == price.BillingModelFLAT_FEE && pr.Amount != nil && pr.BillingCountryCode == nil {
			sum += *pr.Amount
		}
	}
	return sum
}

// CanUpgrade reports whether p's product offers a dearer plan on its
// paywall than p (by monthly flat fee): the customer portal's upgrade
// button.
func CanUpgrade(ctx context.Context, cat *Snapshot, p *ent.Plan) (bool, error) {
	if err := cat.Load(ctx); err != nil {
		return false, err
	}
	prod := must(cat.Product(ctx, p.ProductID))
	if prod == nil {
		return false, nil
	}
	plans, err := PaywallPlans(ctx, cat, &prod.RefID, false)
	if err != nil {
		return false, err
	}
	mine := MonthlyFlatFee(ctx, cat, p)
	for _, other := range plans {
		if other.ID != p.ID && MonthlyFlatFee(ctx, cat, other) > mine {
			return true, nil
		}
	}
	return false, nil
}

// must is a catalog lookup's value after Snapshot.Load (whose error was
// checked where it was called).
func must[T any](v T, _ error) T { return v }
