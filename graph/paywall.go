package graph

import (
	"context"
	"sort"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
)

// ProductNotFound is Stigg's code for a productId the catalog lacks.
const ProductNotFound apperr.Code = "ProductNotFoundError"

// paywallWidget is the WidgetType a plan hides from to stay off paywalls.
const paywallWidget = "PAYWALL"

// paywallPlans returns the published plans of the product with refId
// productID (every product's when nil) in paywall order: products in
// catalog order, then within a product a plan after its base plan, cheaper
// plans first (free before paid), then by refId. Plans hidden from the
// paywall widget are left out unless includeHidden.
func (r *Resolver) paywallPlans(ctx context.Context, env uuid.UUID, productID *string, includeHidden bool) ([]*ent.Plan, error) {
	cat := r.Catalogs.Of(ctx, env)
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
		if !includeHidden && contains(p.HiddenFromWidgets, paywallWidget) {
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
func isBaseOf(ctx context.Context, cat *catalog.Snapshot, a, b *ent.Plan) bool {
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// countryPrices picks a package's prices for a billing country: the
// prices set for that country where the package has any for the period,
// else its default (country-less) prices.
func countryPrices(prices []*ent.Price, country *string) []*ent.Price {
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

// paywall builds the paywall of in: the plans on offer, their computed
// price points, and the customer's context when a customer is named.
func (r *Resolver) paywall(ctx context.Context, in model.GetPaywallInput) (*model.Paywall, error) {
	env, err := environmentOf(ctx, in.EnvironmentID)
	if err != nil {
		return nil, err
	}
	plans, err := r.paywallPlans(ctx, env, in.ProductID, in.IncludeHiddenPlans != nil && *in.IncludeHiddenPlans)
	if err != nil {
		return nil, err
	}
	cat := r.Catalogs.Of(ctx, env)
	out := &model.Paywall{Plans: plans, Currency: &model.PaywallCurrency{Code: model.CurrencyUsd, Symbol: "$"}}
	var points []*model.PaywallPricePoint
	currencySet := false
	for _, p := range plans {
		prices := countryPrices(must(cat.PackagePrices(ctx, p.ID)), in.BillingCountryCode)
		for _, period := range []price.BillingPeriod{price.BillingPeriodMONTHLY, price.BillingPeriodANNUALLY} {
			pt := pricePoint(ctx, cat, p, prices, period, in.BillingCountryCode)
			if pt == nil {
				continue
			}
			if !currencySet {
				out.Currency = &model.PaywallCurrency{Code: pt.Currency, Symbol: symbolOf(string(pt.Currency))}
				currencySet = true
			}
			points = append(points, pt)
		}
	}
	out.PaywallCalculatedPricePoints = points
	if in.CustomerID != nil {
		c, err := r.CustomerReads.Customer(ctx, env, *in.CustomerID, nil)
		if err != nil {
			return nil, err
		}
		out.Customer = c
		var ids []string
		if in.ResourceID != nil {
			ids = []string{*in.ResourceID}
		}
		subs, err := r.SubscriptionService.Active(ctx, env, c.CustomerID, ids)
		if err != nil {
			return nil, err
		}
		registerRows(ctx, subs, subID)
		out.ActiveSubscriptions = subs
	}
	return out, nil
}

func symbolOf(code string) string {
	if s, ok := currencySymbols[code]; ok {
		return s
	}
	return code
}

// pricePoint is what a plan costs per billing period, as the paywall shows
// it: the sum of its flat fees; with no flat fee, the unit price of its
// per-unit or usage-based price (with that feature). additionalChargesMayApply
// says there are per-unit or usage-based charges on top. Nil when the plan
// has no price for the period.
func pricePoint(ctx context.Context, cat *catalog.Snapshot, p *ent.Plan, prices []*ent.Price, period price.BillingPeriod, country *string) *model.PaywallPricePoint {
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
		return nil
	}
	pt := &model.PaywallPricePoint{PlanID: p.RefID, BillingPeriod: model.BillingPeriod(period), Currency: model.Currency(currency), BillingCountryCode: country}
	if hasFlat {
		pt.Amount = flat
		pt.AdditionalChargesMayApply = &extra
	} else {
		pt.Amount = unit
		pt.Feature = unitFeature
		f := false
		pt.AdditionalChargesMayApply = &f
	}
	return pt
}

// must is a catalog lookup's value after Snapshot.Load (whose error was
// checked where it was called).
func must[T any](v T, _ error) T { return v }
