package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/schema"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// This file shapes catalog and subscription rows into the schema's model
// types, and maps mutation inputs to the subscription service's.
//
// Identifiers: a String-typed xxxId field names the entity by its refId,
// as Stigg's inputs do (planId, addonId, featureId), except where the type
// also has an xxxRefId field (TrialedPlan, EligibleForTrial), where xxxId is
// the internal id, and CustomerSubscription.customerId, whose filter
// compares internal ids.

func money(amount float64, currency string) *model.Money {
	return &model.Money{Amount: amount, Currency: model.Currency(currency)}
}

func optMoney(amount *float64, currency string) *model.Money {
	if amount == nil {
		return nil
	}
	return money(*amount, currency)
}

func widgets(ws []string) []model.WidgetType {
	out := make([]model.WidgetType, len(ws))
	for i, w := range ws {
		out[i] = model.WidgetType(w)
	}
	return out
}

func optEnum[E ~string, S ~string](s *S) *E {
	if s == nil {
		return nil
	}
	e := E(*s)
	return &e
}

func uuidString(id *uuid.UUID) *string {
	if id == nil {
		return nil
	}
	s := id.String()
	return &s
}

func planPackage(p *ent.Plan) *model.PackageDto {
	latest := p.IsLatest
	pt := model.PricingType(p.PricingType)
	return &model.PackageDto{ID: p.ID, RefID: p.RefID, DisplayName: p.DisplayName, Description: p.Description,
		AdditionalMetaData: p.AdditionalMetaData, BillingID: p.BillingID, CreatedAt: &p.CreatedAt, UpdatedAt: &p.UpdatedAt,
		EnvironmentID: p.EnvironmentID, HiddenFromWidgets: widgets(p.HiddenFromWidgets), IsLatest: &latest,
		PricingType: &pt, Status: model.PackageStatus(p.Status), Type: "PLAN", VersionNumber: p.VersionNumber}
}

func addonPackage(a *ent.Addon) *model.PackageDto {
	latest := true
	pt := model.PricingType(a.PricingType)
	return &model.PackageDto{ID: a.ID, RefID: a.RefID, DisplayName: a.DisplayName, Description: a.Description,
		AdditionalMetaData: a.AdditionalMetaData, BillingID: a.BillingID, CreatedAt: &a.CreatedAt, UpdatedAt: &a.UpdatedAt,
		EnvironmentID: a.EnvironmentID, HiddenFromWidgets: widgets(a.HiddenFromWidgets), IsLatest: &latest,
		PricingType: &pt, Status: model.PackageStatus(a.Status), Type: "ADDON", VersionNumber: a.VersionNumber}
}

func priceTiers(p *ent.Price) []*model.PriceTier {
	if len(p.Tiers) == 0 {
		return nil
	}
	out := make([]*model.PriceTier, len(p.Tiers))
	for i, t := range p.Tiers {
		out[i] = &model.PriceTier{UpTo: t.UpTo, UnitPrice: optMoney(t.UnitPrice, p.Currency), FlatPrice: optMoney(t.FlatPrice, p.Currency)}
	}
	return out
}

func enumConfiguration(vs []schema.EnumValue) []*model.EnumConfigurationEntity {
	out := make([]*model.EnumConfigurationEntity, len(vs))
	for i, v := range vs {
		out[i] = &model.EnumConfigurationEntity{Value: v.Value, DisplayName: v.DisplayName}
	}
	return out
}

func amountsOff(ms []schema.Money) []*model.Money {
	out := make([]*model.Money, len(ms))
	for i, m := range ms {
		out[i] = money(m.Amount, m.Currency)
	}
	return out
}

func defaultTrialConfig(p *ent.Plan) *model.DefaultTrialConfig {
	if p.TrialDuration == nil {
		return nil
	}
	units := model.TrialPeriodUnitsDay
	if p.TrialUnits != nil {
		units = model.TrialPeriodUnits(*p.TrialUnits)
	}
	return &model.DefaultTrialConfig{Duration: float64(*p.TrialDuration), Units: units,
		TrialEndBehavior: optEnum[model.TrialEndBehavior](p.TrialEndBehavior)}
}

func productSettings(p *ent.Product, downgrade *ent.Plan) *model.ProductSettings {
	end := model.SubscriptionEndSetupCancelSubscription
	if downgrade != nil {
		end = model.SubscriptionEndSetupDowngradeToFree
	}
	return &model.ProductSettings{DowngradePlan: downgrade, DowngradePlanID: uuidString(p.DowngradePlanID),
		SubscriptionCancellationTime: model.SubscriptionCancellationTimeEndOfBillingPeriod,
		SubscriptionEndSetup:         end, SubscriptionStartSetup: model.SubscriptionStartSetupPlanSelection}
}

func subscriptionCoupon(s *ent.CustomerSubscription, c *ent.Coupon) *model.SubscriptionCoupon {
	if c == nil {
		return nil
	}
	out := &model.SubscriptionCoupon{ID: c.ID, RefID: c.RefID, Name: c.Name, EnvironmentID: c.EnvironmentID,
		DiscountValue: c.DiscountValue, PercentOff: c.PercentOff, AmountsOff: amountsOff(c.AmountsOff),
		Type: model.CouponType(c.Type), Status: model.SubscriptionCouponStatusActive, StartDate: &s.StartDate}
	if c.DurationInMonths != nil {
		d := float64(*c.DurationInMonths)
		end := s.StartDate.AddDate(0, *c.DurationInMonths, 0)
		out.DurationInMonths, out.ExpirationDate = &d, &end
	}
	return out
}

// provisionResult is provisionSubscription's answer: the subscription, and
// its customer's entitlements as computed after it.
func (r *Resolver) provisionResult(ctx context.Context, env uuid.UUID, res *subscription.Result, customerID string) (*model.ProvisionSubscriptionResult, error) {
	s := res.Subscription
	scheduled := s.Status == subscription.NotStarted
	ents, err := r.entitlementsAfter(ctx, env, customerID, s.ResourceID)
	if err != nil {
		return nil, err
	}
	return &model.ProvisionSubscriptionResult{ID: s.RefID, Status: model.ProvisionSubscriptionStatusSuccess,
		Subscription: s, IsScheduled: &scheduled, Entitlements: ents}, nil
}

// trialedPlans lists the plans the customer had a trial of.
func (r *Resolver) trialedPlans(ctx context.Context, c *ent.Customer) ([]*model.TrialedPlan, error) {
	h, err := r.trialHistory(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	cat := r.Catalogs.Of(ctx, c.EnvironmentID)
	out := []*model.TrialedPlan{}
	for _, p := range subscription.TrialedPlans(h.subs, h.plans) {
		tp := &model.TrialedPlan{PlanID: ptr(p.ID.String()), PlanRefID: ptr(p.RefID), ProductID: ptr(p.ProductID.String())}
		prod, err := cat.Product(ctx, p.ProductID)
		if err != nil {
			return nil, err
		}
		if prod != nil {
			tp.ProductRefID = ptr(prod.RefID)
		}
		out = append(out, tp)
	}
	return out, nil
}

// eligibleForTrial tells, for each product with a trial, whether the
// customer may still start one (subscription.TrialConsumed).
func (r *Resolver) eligibleForTrial(ctx context.Context, c *ent.Customer) ([]*model.EligibleForTrial, error) {
	products, err := r.trialProducts(ctx, c.EnvironmentID)
	if err != nil {
		return nil, err
	}
	h, err := r.trialHistory(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	eligible := subscription.TrialEligible(products, h.plans)
	out := make([]*model.EligibleForTrial, 0, len(products))
	for _, p := range products {
		out = append(out, &model.EligibleForTrial{ProductID: ptr(p.ID.String()), ProductRefID: ptr(p.RefID), Eligible: eligible[p.ID]})
	}
	return out, nil
}
