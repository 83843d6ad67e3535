package graph

import (
	"context"

	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
)

// mockPaywall answers the browser SDK's preview paywall with the sample
// plans of internal/catalog MockPaywall, shaped as PaywallPlan.
func (r *Resolver) mockPaywall(ctx context.Context, in model.GetPaywallInput) (*model.MockPaywall, error) {
	if _, err := environmentOf(ctx, in.EnvironmentID); err != nil {
		return nil, err
	}
	plans, features, err := catalog.MockPaywall(deref(in.ProductID), in.IncludeHiddenPlans != nil && *in.IncludeHiddenPlans)
	if err != nil {
		return nil, err
	}
	out := &model.MockPaywall{Plans: []*model.PaywallPlan{}}
	for _, mp := range plans {
		p := mp.Plan
		pt := model.PricingType(p.PricingType)
		if pt == "" {
			pt = model.PricingTypeFree
			if len(p.Prices) > 0 {
				pt = model.PricingTypePaid
			}
		}
		pp := &model.PaywallPlan{RefID: p.RefID, DisplayName: p.DisplayName, Description: optString(p.Description),
			AdditionalMetaData: p.Metadata, BillingID: optString(p.BillingID), PricingType: &pt,
			Product:               &model.PaywallProduct{RefID: mp.Product.RefID, DisplayName: optString(mp.Product.DisplayName), Description: optString(mp.Product.Description), AdditionalMetaData: mp.Product.Metadata},
			Entitlements:          mockEntitlements(p.Entitlements, features),
			InheritedEntitlements: mockEntitlements(mp.Inherited, features),
			Prices:                mockPrices(p.Prices, features)}
		if mp.BasePlan != nil {
			pp.BasePlan = &model.PaywallBasePlan{RefID: mp.BasePlan.RefID, DisplayName: mp.BasePlan.DisplayName}
		}
		if t := p.Trial; t != nil {
			units := model.TrialPeriodUnitsDay
			if t.Units == "MONTH" {
				units = model.TrialPeriodUnitsMonth
			}
			pp.DefaultTrialConfig = &model.DefaultTrialConfig{Duration: float64(t.Duration), Units: units}
		}
		for _, a := range mp.Addons {
			pp.CompatibleAddons = append(pp.CompatibleAddons, &model.PaywallAddon{RefID: a.RefID, DisplayName: a.DisplayName,
				Description: optString(a.Description), AdditionalMetaData: a.Metadata, BillingID: optString(a.BillingID),
				MaxQuantity: a.MaxQuantity, Entitlements: mockEntitlements(a.Entitlements, features), Prices: mockPrices(a.Prices, features)})
		}
		out.Plans = append(out.Plans, pp)
	}
	return out, nil
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func mockFeature(f catalog.Feature) *model.EntitlementFeature {
	out := &model.EntitlementFeature{ID: f.RefID, RefID: f.RefID, DisplayName: f.DisplayName, Description: optString(f.Description),
		FeatureType: model.FeatureType(f.Type), FeatureStatus: model.FeatureStatusActive, AdditionalMetaData: f.Metadata,
		FeatureUnits: optString(f.Units), FeatureUnitsPlural: optString(f.UnitsPlural)}
	mt := model.MeterTypeNone
	if f.MeterType != "" {
		mt = model.MeterType(f.MeterType)
	}
	out.MeterType = &mt
	return out
}

func mockEntitlements(list []catalog.Entitlement, features map[string]catalog.Feature) []*model.Entitlement {
	out := []*model.Entitlement{}
	for _, e := range list {
		soft := e.SoftLimit
		m := &model.Entitlement{IsGranted: true, Feature: mockFeature(features[e.Feature]), UsageLimit: e.UsageLimit,
			HasUnlimitedUsage: e.Unlimited, HasSoftLimit: &soft, EnumValues: e.EnumValues, DisplayNameOverride: optString(e.DisplayNameOverride)}
		for _, w := range e.HiddenFromWidgets {
			m.HiddenFromWidgets = append(m.HiddenFromWidgets, model.WidgetType(w))
		}
		if e.ResetPeriod != "" {
			rp := model.EntitlementResetPeriod(e.ResetPeriod)
			m.ResetPeriod = &rp
		}
		out = append(out, m)
	}
	return out
}

func mockPrices(list []catalog.Price, features map[string]catalog.Feature) []*model.PaywallPrice {
	out := []*model.PaywallPrice{}
	for _, p := range list {
		cur := model.Currency(p.Currency)
		if cur == "" {
			cur = model.CurrencyUsd
		}
		pp := &model.PaywallPrice{BillingModel: model.BillingModel(p.BillingModel), BillingPeriod: model.BillingPeriod(p.BillingPeriod),
			BillingCountryCode: optString(p.BillingCountryCode), BillingID: optString(p.BillingID),
			MinUnitQuantity: p.MinUnitQuantity, MaxUnitQuantity: p.MaxUnitQuantity, BlockSize: p.BlockSize}
		if p.Amount != nil {
			pp.Price = &model.Money{Amount: *p.Amount, Currency: cur}
		}
		if p.TiersMode != "" {
			tm := model.TiersMode(p.TiersMode)
			pp.TiersMode = &tm
		}
		for _, t := range p.Tiers {
			pt := &model.PriceTier{UpTo: t.UpTo}
			if t.UnitPrice != nil {
				pt.UnitPrice = &model.Money{Amount: *t.UnitPrice, Currency: cur}
			}
			if t.FlatPrice != nil {
				pt.FlatPrice = &model.Money{Amount: *t.FlatPrice, Currency: cur}
			}
			pp.Tiers = append(pp.Tiers, pt)
		}
		if p.Feature != "" {
			pp.FeatureID = &p.Feature
			pp.Feature = mockFeature(features[p.Feature])
		}
		out = append(out, pp)
	}
	return out
}
