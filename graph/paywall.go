package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
)

// paywallPlans returns the plans of a paywall in its order
// (catalog.PaywallPlans).
func (r *Resolver) paywallPlans(ctx context.Context, env uuid.UUID, productID *string, includeHidden bool) ([]*ent.Plan, error) {
	return catalog.PaywallPlans(ctx, r.Catalogs.Of(ctx, env), productID, includeHidden)
}

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
	points := catalog.PricePoints(ctx, cat, plans, in.BillingCountryCode)
	for i, pt := range points {
		if i == 0 {
			out.Currency = &model.PaywallCurrency{Code: model.Currency(pt.Currency), Symbol: catalog.CurrencySymbol(pt.Currency)}
		}
		out.PaywallCalculatedPricePoints = append(out.PaywallCalculatedPricePoints, pricePoint(pt, in.BillingCountryCode))
	}
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

// pricePoint is a paywall price point as GraphQL shows it.
func pricePoint(pt catalog.PricePoint, country *string) *model.PaywallPricePoint {
	extra := pt.AdditionalChargesMayApply
	return &model.PaywallPricePoint{PlanID: pt.Plan.RefID, BillingPeriod: model.BillingPeriod(pt.BillingPeriod),
		Currency: model.Currency(pt.Currency), BillingCountryCode: country, Amount: pt.Amount, Feature: pt.Feature,
		AdditionalChargesMayApply: &extra}
}

// must is a catalog lookup's value after Snapshot.Load (whose error was
// checked where it was called).
func must[T any](v T, _ error) T { return v }
