package graph

import (
	"context"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// customerPortal is what the customer portal widget shows a customer: its
// live subscriptions (of the product, when one is named) with prices and
// add-ons, its entitlements with usage (internal/entitlements), its active
// promotional entitlements, its billing information, and whether a more
// expensive published plan exists to upgrade to.
func (r *Resolver) customerPortal(ctx context.Context, in model.CustomerPortalInput) (*model.CustomerPortal, error) {
	env, err := environmentOf(ctx, nil)
	if err != nil {
		return nil, err
	}
	c, err := r.CustomerReads.Customer(ctx, env, in.CustomerID, nil)
	if err != nil {
		return nil, err
	}
	var ids []string
	if in.ResourceID != nil {
		ids = []string{*in.ResourceID}
	}
	subs, err := r.SubscriptionService.Active(ctx, env, c.CustomerID, ids)
	if err != nil {
		return nil, err
	}
	registerRows(ctx, subs, subID)
	cat := r.Catalogs.Of(ctx, env)
	if err := cat.Load(ctx); err != nil {
		return nil, err
	}
	out := &model.CustomerPortal{Subscriptions: []*model.CustomerPortalSubscription{}, PromotionalEntitlements: []*model.CustomerPortalPromotionalEntitlement{}}
	now := r.Clock.Now()
	for _, s := range subs {
		p, err := r.subPlan(ctx, s)
		if err != nil || p == nil {
			return nil, err
		}
		if prod := must(cat.Product(ctx, p.ProductID)); in.ProductID != nil && (prod == nil || prod.RefID != *in.ProductID) {
			continue
		}
		ps, err := r.portalSubscription(ctx, s, p)
		if err != nil {
			return nil, err
		}
		if days, ok := subscription.TrialRemainingDays(s, now); ok {
			ps.TrialRemainingDays = &days
		}
		out.Subscriptions = append(out.Subscriptions, ps)
		if !out.CanUpgradeSubscription {
			if out.CanUpgradeSubscription, err = catalog.CanUpgrade(ctx, cat, p); err != nil {
				return nil, err
			}
		}
	}
	st, err := r.Entitlements.ForCustomer(ctx, env, c.CustomerID, in.ResourceID)
	if err != nil {
		return nil, err
	}
	out.Entitlements = computedEntitlements(st.Entitlements)
	grants, err := r.activePromotionalEntitlements(ctx, c.ID, nil)
	if err != nil {
		return nil, err
	}
	for _, g := range grants {
		if !g.IsVisible {
			continue
		}
		name := g.FeatureRefID
		if f := must(cat.FeatureByRef(ctx, g.FeatureRefID)); f != nil {
			name = f.DisplayName
		}
		out.PromotionalEntitlements = append(out.PromotionalEntitlements, &model.CustomerPortalPromotionalEntitlement{
			DisplayName: name, Description: g.Description, StartDate: g.StartDate, EndDate: g.EndDate,
			Period: model.PromotionalEntitlementPeriod(g.GrantPeriod), UsageLimit: g.UsageLimit,
			HasUnlimitedUsage: g.HasUnlimitedUsage, HasSoftLimit: g.HasSoftLimit})
	}
	out.BillingInformation = &model.CustomerPortalBillingInformation{Name: c.Name, Email: c.Email,
		DefaultPaymentMethodID:   c.DefaultPaymentMethodID,
		DefaultPaymentMethodType: optEnum[model.PaymentMethodType](c.DefaultPaymentMethodType)}
	return out, nil
}

// portalSubscription shapes one subscription as the portal lists it.
func (r *Resolver) portalSubscription(ctx context.Context, s *ent.CustomerSubscription, p *ent.Plan) (*model.CustomerPortalSubscription, error) {
	cat := r.Catalogs.Of(ctx, s.EnvironmentID)
	ps := &model.CustomerPortalSubscription{SubscriptionID: s.RefID, PlanID: p.RefID, PlanName: p.DisplayName,
		PricingType: model.PricingType(s.PricingType), Status: model.SubscriptionStatus(subscription.EffectiveStatus(s, r.Clock.Now())),
		Prices: []*model.CustomerPortalSubscriptionPrice{}, Addons: []*model.CustomerPortalAddon{}}
	ps.Pricing = &model.CustomerPortalSubscriptionPricing{PricingType: ps.PricingType}
	sps, err := r.subPrices(ctx, s)
	if err != nil {
		return nil, err
	}
	for _, sp := range sps {
		pr, err := r.subscriptionPricePrice(ctx, sp)
		if err != nil || pr == nil {
			return nil, err
		}
		model_ := model.BillingModel(pr.BillingModel)
		period := model.BillingPeriod(pr.BillingPeriod)
		line := &model.CustomerPortalSubscriptionPrice{BillingModel: &model_, BillingPeriod: &period, BlockSize: pr.BlockSize,
			Price: optMoney(pr.Amount, pr.Currency)}
		if pr.FeatureID != nil {
			if f, err := cat.Feature(ctx, *pr.FeatureID); err == nil && f != nil {
				line.Feature = portalFeature(f)
			}
		}
		ps.Prices = append(ps.Prices, line)
		if ps.Pricing.Price == nil || pr.BillingModel == "FLAT_FEE" {
			ps.Pricing.BillingModel, ps.Pricing.BillingPeriod, ps.Pricing.Price, ps.Pricing.Feature = &model_, &period, line.Price, line.Feature
			if sp.UsageLimit != nil {
				q := int(*sp.UsageLimit)
				ps.Pricing.UnitQuantity = &q
			}
		}
	}
	sas, err := r.subAddons(ctx, s)
	if err != nil {
		return nil, err
	}
	for _, sa := range sas {
		a, err := cat.Addon(ctx, sa.AddonID)
		if err != nil || a == nil {
			return nil, err
		}
		ps.Addons = append(ps.Addons, &model.CustomerPortalAddon{AddonID: a.RefID, DisplayName: a.DisplayName, Description: a.Description, Quantity: int(sa.Quantity)})
	}
	if ps.PricingType == model.PricingTypePaid {
		if ps.TotalPrice, err = r.subscriptionTotal(ctx, s); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

func portalFeature(f *ent.Feature) *model.CustomerPortalPricingFeature {
	mt := model.MeterType(f.MeterType)
	return &model.CustomerPortalPricingFeature{ID: f.ID, RefID: f.RefID, DisplayName: f.DisplayName, Description: f.Description,
		FeatureType: model.FeatureType(f.FeatureType), FeatureUnits: f.FeatureUnits, FeatureUnitsPlural: f.FeatureUnitsPlural, MeterType: &mt}
}
