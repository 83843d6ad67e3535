package subscription

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// loadPlan returns the latest version of the published plan with the
// refId, with its product, prices and compatible add-ons.
func loadPlan(ctx context.Context, tx *ent.Tx, env uuid.UUID, refID string) (*ent.Plan, error) {
	p, err := tx.Plan.Query().Where(plan.EnvironmentID(env), plan.RefID(refID), plan.IsLatest(true)).
		WithProduct().WithCompatibleAddons().
		WithPrices(func(q *ent.PriceQuery) { q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition)) }).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, &apperr.Error{Code: apperr.PlanNotFound, Field: "planId", Message: "plan " + refID + " was not found"}
	}
	if err != nil {
		return nil, err
	}
	if p.Status != plan.StatusPUBLISHED {
		return nil, &apperr.Error{Code: apperr.PlanNotFound, Field: "planId", Message: "plan " + refID + " is archived"}
	}
	return p, nil
}

// resolveAddons checks the requested add-ons against the plan: they exist,
// are compatible with it, come at most once, within their max quantity,
// with their dependencies.
func resolveAddons(ctx context.Context, tx *ent.Tx, env uuid.UUID, p *ent.Plan, items []AddonQuantity) ([]*ent.Addon, error) {
	if len(items) == 0 {
		return nil, nil
	}
	refs := make([]string, len(items))
	for i, a := range items {
		if slices.Contains(refs[:i], a.RefID) {
			return nil, &apperr.Error{Code: apperr.DuplicateAddonProvisioned, Field: "addons", Message: "add-on " + a.RefID + " is listed twice"}
		}
		refs[i] = a.RefID
	}
	rows, err := tx.Addon.Query().Where(addon.EnvironmentID(env), addon.RefIDIn(refs...), addon.StatusEQ(addon.StatusPUBLISHED)).
		WithDependencies().
		WithPrices(func(q *ent.PriceQuery) { q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition)) }).
		All(ctx)
	if err != nil {
		return nil, err
	}
	byRef := map[string]*ent.Addon{}
	for _, a := range rows {
		byRef[a.RefID] = a
	}
	return checkAddons(p, items, byRef)
}

// checkAddons is resolveAddons' rules over add-ons already loaded (by
// refId, published, with dependencies and prices).
func checkAddons(p *ent.Plan, items []AddonQuantity, byRef map[string]*ent.Addon) ([]*ent.Addon, error) {
	refs := make([]string, len(items))
	for i, a := range items {
		if slices.Contains(refs[:i], a.RefID) {
			return nil, &apperr.Error{Code: apperr.DuplicateAddonProvisioned, Field: "addons", Message: "add-on " + a.RefID + " is listed twice"}
		}
		refs[i] = a.RefID
	}
	out := make([]*ent.Addon, len(items))
	for i, it := range items {
		a := byRef[it.RefID]
		if a == nil {
			return nil, &apperr.Error{Code: apperr.AddonNotFound, Field: "addons", Message: "add-on " + it.RefID + " was not found"}
		}
		if !slices.ContainsFunc(p.Edges.CompatibleAddons, func(c *ent.Addon) bool { return c.ID == a.ID }) {
			return nil, &apperr.Error{Code: apperr.IncompatibleSubscriptionAddon, Field: "addons",
				Message: "add-on " + it.RefID + " is not compatible with plan " + p.RefID}
		}
		max := 1.0
		if a.MaxQuantity != nil {
			max = *a.MaxQuantity
		}
		if it.Quantity > max {
			return nil, &apperr.Error{Code: apperr.AddonQuantityExceedsLimit, Field: "addons",
				Message: "add-on " + it.RefID + ": quantity exceeds its limit"}
		}
		for _, d := range a.Edges.Dependencies {
			if !slices.Contains(refs, d.RefID) {
				return nil, &apperr.Error{Code: apperr.AddonDependencyMissing, Field: "addons",
					Message: "add-on " + it.RefID + " requires add-on " + d.RefID}
			}
		}
		out[i] = a
	}
	return out, nil
}

// choosePeriod picks the billing period: the one asked for (which a priced
// plan must have prices for), else monthly when the plan has monthly
// prices, else annual; nil for a plan without prices.
func choosePeriod(p *ent.Plan, asked *string) (*string, error) {
	has := map[string]bool{}
	for _, pr := range p.Edges.Prices {
		has[string(pr.BillingPeriod)] = true
	}
	if asked != nil {
		if len(has) > 0 && !has[*asked] {
			return nil, &apperr.Error{Code: apperr.BillingPeriodMissing, Field: "billingPeriod",
				Message: "plan " + p.RefID + " has no " + *asked + " prices"}
		}
		return asked, nil
	}
	for _, bp := range []string{"MONTHLY", "ANNUALLY"} {
		if has[bp] {
			return &bp, nil
		}
	}
	return nil, nil
}

// periodPrices are the prices of a package billed in period, for the
// country when it has prices of its own.
func periodPrices(prices []*ent.Price, period *string, country *string) []*ent.Price {
	if period == nil {
		return nil
	}
	var out []*ent.Price
	local := false
	if country != nil {
		for _, pr := range prices {
			local = local || string(pr.BillingPeriod) == *period && pr.BillingCountryCode != nil && *pr.BillingCountryCode == *country
		}
	}
	for _, pr := range prices {
		if string(pr.BillingPeriod) != *period {
			continue
		}
		if local && (pr.BillingCountryCode == nil || *pr.BillingCountryCode != *country) || !local && pr.BillingCountryCode != nil {
			continue
		}
		out = append(out, pr)
	}
	return out
}

// quantities decides the quantity of each per-unit price: the billable
// feature quantity given for its feature, else unitQuantity (when the plan
// has one per-unit price), else the price's minimum (or 1). keep holds the
// current quantities by feature id, used on update when nothing is given.
func quantities(ctx context.Context, tx *ent.Tx, env uuid.UUID, prices []*ent.Price, given []FeatureQuantity, unit *float64, keep map[uuid.UUID]float64) (map[uuid.UUID]float64, error) {
	features := map[string]*ent.Feature{}
	if len(given) > 0 {
		refs := make([]string, len(given))
		for i, g := range given {
			refs[i] = g.FeatureRefID
		}
		rows, err := tx.Feature.Query().Where(feature.EnvironmentID(env), feature.RefIDIn(refs...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, f := range rows {
			features[f.RefID] = f
		}
	}
	return quantitiesOf(prices, given, unit, keep, features)
}

// quantitiesOf is quantities' rules over the given features already loaded
// (by refId).
func quantitiesOf(prices []*ent.Price, given []FeatureQuantity, unit *float64, keep map[uuid.UUID]float64, features map[string]*ent.Feature) (map[uuid.UUID]float64, error) {
	byFeature := map[uuid.UUID]float64{}
	if len(given) > 0 {
		for _, g := range given {
			f := features[g.FeatureRefID]
			if f == nil {
				return nil, &apperr.Error{Code: apperr.FeatureNotFound, Field: "billableFeatures", Message: "feature " + g.FeatureRefID + " was not found"}
			}
			id := f.ID
			if !slices.ContainsFunc(prices, func(p *ent.Price) bool {
				return p.BillingModel == price.BillingModelPER_UNIT && p.FeatureID != nil && *p.FeatureID == id
			}) {
				return nil, apperr.BadInput("billableFeatures", "feature %s is not billed per unit on this plan and period", g.FeatureRefID)
			}
			byFeature[id] = g.Quantity
		}
	}
	perUnit := 0
	for _, p := range prices {
		if p.BillingModel == price.BillingModelPER_UNIT {
			perUnit++
		}
	}
	if unit != nil && perUnit != 1 {
		return nil, apperr.BadInput("unitQuantity", "unitQuantity needs exactly one per-unit price; use billableFeatures")
	}
	out := map[uuid.UUID]float64{}
	for _, p := range prices {
		if p.BillingModel != price.BillingModelPER_UNIT || p.FeatureID == nil {
			continue
		}
		q, ok := byFeature[*p.FeatureID]
		switch {
		case ok:
		case unit != nil:
			q = *unit
		case keep[*p.FeatureID] > 0:
			q = keep[*p.FeatureID]
		case p.MinUnitQuantity != nil:
			q = *p.MinUnitQuantity
		default:
			q = 1
		}
		if p.MinUnitQuantity != nil && q < *p.MinUnitQuantity || p.MaxUnitQuantity != nil && q > *p.MaxUnitQuantity {
			return nil, &apperr.Error{Code: apperr.InvalidQuantity, Field: "billableFeatures", Message: "quantity is outside the price's minimum and maximum"}
		}
		out[p.ID] = q
	}
	return out, nil
}

func loadCoupon(ctx context.Context, tx *ent.Tx, env uuid.UUID, refID string) (*ent.Coupon, error) {
	c, err := tx.Coupon.Query().Where(coupon.EnvironmentID(env), coupon.RefID(refID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, &apperr.Error{Code: apperr.CouponNotFound, Field: "couponId", Message: "coupon " + refID + " was not found"}
	}
	if err != nil {
		return nil, err
	}
	if c.Status != coupon.StatusACTIVE {
		return nil, &apperr.Error{Code: apperr.ArchivedCouponCantBeApplied, Field: "couponId", Message: "coupon " + refID + " is archived"}
	}
	return c, nil
}
