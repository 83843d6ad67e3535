package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionentitlementoverride"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionpriceoverride"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// A subscription's own entitlements and prices (subscriptionEntitlements,
// priceOverrides), read per request in batches across the subscriptions of
// a list.

func (r *Resolver) entitlementOverrides(ctx context.Context, s *ent.CustomerSubscription) ([]*ent.SubscriptionEntitlementOverride, error) {
	return loadList(ctx, s.ID, "entitlementOverrides", func(ctx context.Context, ids []uuid.UUID) ([]*ent.SubscriptionEntitlementOverride, error) {
		return r.Client.SubscriptionEntitlementOverride.Query().Where(subscriptionentitlementoverride.SubscriptionIDIn(ids...)).
			Order(subscriptionentitlementoverride.ByCreatedAt(), subscriptionentitlementoverride.ByID()).All(ctx)
	}, func(o *ent.SubscriptionEntitlementOverride) uuid.UUID { return o.SubscriptionID },
		func(o *ent.SubscriptionEntitlementOverride) uuid.UUID { return o.ID })
}

func (r *Resolver) priceOverrides(ctx context.Context, subID uuid.UUID) ([]*ent.SubscriptionPriceOverride, error) {
	return loadList(ctx, subID, "priceOverrides", func(ctx context.Context, ids []uuid.UUID) ([]*ent.SubscriptionPriceOverride, error) {
		return r.Client.SubscriptionPriceOverride.Query().Where(subscriptionpriceoverride.SubscriptionIDIn(ids...)).
			Order(subscriptionpriceoverride.ByID()).All(ctx)
	}, func(o *ent.SubscriptionPriceOverride) uuid.UUID { return o.SubscriptionID },
		func(o *ent.SubscriptionPriceOverride) uuid.UUID { return o.ID })
}

// overriddenPrice is p as subscription subID pays it (subscription.Overridden).
func (r *Resolver) overriddenPrice(ctx context.Context, subID uuid.UUID, p *ent.Price) (*ent.Price, error) {
	if p == nil {
		return nil, nil
	}
	ovs, err := r.priceOverrides(ctx, subID)
	if err != nil {
		return nil, err
	}
	for _, o := range ovs {
		if o.PriceID == p.ID {
			return subscription.Overridden(p, o), nil
		}
	}
	return p, nil
}

// isCustomPrice tells whether the subscription pays an overridden price.
func (r *Resolver) isCustomPrice(ctx context.Context, s *ent.CustomerSubscription) (*bool, error) {
	ovs, err := r.priceOverrides(ctx, s.ID)
	return ptr(len(ovs) > 0), err
}

// subscriptionEntitlements are the subscription's own entitlements.
func (r *Resolver) subscriptionEntitlements(ctx context.Context, s *ent.CustomerSubscription) ([]*model.SubscriptionEntitlement, error) {
	rows, err := r.entitlementOverrides(ctx, s)
	if err != nil {
		return nil, err
	}
	cat := r.Catalogs.Of(ctx, s.EnvironmentID)
	out := make([]*model.SubscriptionEntitlement, 0, len(rows))
	for _, o := range rows {
		f, err := cat.Feature(ctx, o.FeatureID)
		if err != nil {
			return nil, err
		}
		if f == nil {
			continue
		}
		e := &model.SubscriptionEntitlement{ID: o.ID, EnvironmentID: o.EnvironmentID, Feature: f, FeatureID: f.RefID,
			Subscription: s, SubscriptionID: s.RefID, UsageLimit: o.UsageLimit, HasUnlimitedUsage: ptr(o.HasUnlimitedUsage),
			HasSoftLimit: ptr(o.HasSoftLimit), Description: o.Description, CreatedAt: &o.CreatedAt, UpdatedAt: &o.UpdatedAt}
		if o.ResetPeriod != nil {
			rp := model.EntitlementResetPeriod(*o.ResetPeriod)
			e.ResetPeriod = &rp
		}
		out = append(out, e)
	}
	return out, nil
}
