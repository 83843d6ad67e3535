package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// The catalog rows nested fields reach (plans, add-ons, features, prices,
// entitlements, products, coupons) come from the request's catalog
// snapshot (internal/catalog/snapshot.go), which reads each catalog table
// at most once; customers of a coupon load in batches like nested.go's
// lists.

func (r *Resolver) couponCustomers(ctx context.Context, c *ent.Coupon) ([]*ent.Customer, error) {
	return loadList(ctx, c.ID, "customers", func(ctx context.Context, ids []uuid.UUID) ([]*ent.Customer, error) {
		return r.Client.Customer.Query().Where(customer.CouponIDIn(ids...), customer.DeletedAtIsNil()).
			Order(ent.Asc(customer.FieldCreatedAt), ent.Asc(customer.FieldID)).All(ctx)
	}, func(c *ent.Customer) uuid.UUID { return *c.CouponID }, customerID)
}

func (r *Resolver) customerCoupon(ctx context.Context, c *ent.Customer) (*ent.Coupon, error) {
	if c.CouponID == nil {
		return nil, nil
	}
	return r.Catalogs.Of(ctx, c.EnvironmentID).Coupon(ctx, *c.CouponID)
}

func (r *Resolver) subPlan(ctx context.Context, s *ent.CustomerSubscription) (*ent.Plan, error) {
	return r.Catalogs.Of(ctx, s.EnvironmentID).Plan(ctx, s.PlanID)
}

func (r *Resolver) subCoupon(ctx context.Context, s *ent.CustomerSubscription) (*ent.Coupon, error) {
	if s.CouponID == nil {
		return nil, nil
	}
	return r.Catalogs.Of(ctx, s.EnvironmentID).Coupon(ctx, *s.CouponID)
}

// subscriptionPricePrice is the price a subscription price row bills, with
// the subscription's price override applied.
func (r *Resolver) subscriptionPricePrice(ctx context.Context, sp *ent.SubscriptionPrice) (*ent.Price, error) {
	p, err := r.Catalogs.Of(ctx, sp.EnvironmentID).Price(ctx, sp.PriceID)
	if err != nil {
		return nil, err
	}
	return r.overriddenPrice(ctx, sp.SubscriptionID, p)
}

func (r *Resolver) subscriptionAddonAddon(ctx context.Context, sa *ent.SubscriptionAddon) (*ent.Addon, error) {
	return r.Catalogs.Of(ctx, sa.EnvironmentID).Addon(ctx, sa.AddonID)
}

// subscriptionAddonPrice is the add-on's price for the subscription's
// billing period (monthly for a subscription without one), with the
// subscription's price override applied.
func (r *Resolver) subscriptionAddonPrice(ctx context.Context, sa *ent.SubscriptionAddon) (*ent.Price, error) {
	period, err := load(ctx, sa.ID, "billingPeriod", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
		rows, err := r.Client.SubscriptionAddon.Query().Where(subscriptionaddon.IDIn(ids...)).
			WithSubscription(func(q *ent.CustomerSubscriptionQuery) {
				q.Select(customersubscription.FieldID, customersubscription.FieldBillingPeriod)
			}).All(ctx)
		out := map[uuid.UUID]string{}
		for _, a := range rows {
			out[a.ID] = "MONTHLY" // subscription.AddonPrice's default
			if s := a.Edges.Subscription; s != nil && s.BillingPeriod != nil {
				out[a.ID] = *s.BillingPeriod
			}
		}
		return out, err
	})
	if err != nil {
		return nil, err
	}
	prices, err := r.Catalogs.Of(ctx, sa.EnvironmentID).PackagePrices(ctx, sa.AddonID)
	if err != nil {
		return nil, err
	}
	return r.overriddenPrice(ctx, sa.SubscriptionID, subscription.AddonPrice(prices, &period))
}

func (r *Resolver) planProduct(ctx context.Context, p *ent.Plan) (*ent.Product, error) {
	return r.Catalogs.Of(ctx, p.EnvironmentID).Product(ctx, p.ProductID)
}

func (r *Resolver) addonProduct(ctx context.Context, a *ent.Addon) (*ent.Product, error) {
	return r.Catalogs.Of(ctx, a.EnvironmentID).Product(ctx, a.ProductID)
}

func (r *Resolver) basePlan(ctx context.Context, p *ent.Plan) (*ent.Plan, error) {
	if p.BasePlanID == nil {
		return nil, nil
	}
	return r.Catalogs.Of(ctx, p.EnvironmentID).Plan(ctx, *p.BasePlanID)
}

func (r *Resolver) planEntitlements(ctx context.Context, p *ent.Plan) ([]*ent.PackageEntitlement, error) {
	return r.Catalogs.Of(ctx, p.EnvironmentID).Entitlements(ctx, p.ID)
}

func (r *Resolver) addonEntitlements(ctx context.Context, a *ent.Addon) ([]*ent.PackageEntitlement, error) {
	return r.Catalogs.Of(ctx, a.EnvironmentID).Entitlements(ctx, a.ID)
}

// inheritedEntitlements are the entitlements of the plan's base plans,
// nearest first, for the features the plan does not set itself.
func (r *Resolver) inheritedEntitlements(ctx context.Context, p *ent.Plan) ([]*ent.PackageEntitlement, error) {
	return r.Catalogs.Of(ctx, p.EnvironmentID).Inherited(ctx, p)
}

func (r *Resolver) planPrices(ctx context.Context, p *ent.Plan) ([]*ent.Price, error) {
	return r.Catalogs.Of(ctx, p.EnvironmentID).PackagePrices(ctx, p.ID)
}

func (r *Resolver) addonPrices(ctx context.Context, a *ent.Addon) ([]*ent.Price, error) {
	return r.Catalogs.Of(ctx, a.EnvironmentID).PackagePrices(ctx, a.ID)
}

func (r *Resolver) compatibleAddons(ctx context.Context, p *ent.Plan) ([]*ent.Addon, error) {
	return r.Catalogs.Of(ctx, p.EnvironmentID).CompatibleAddons(ctx, p.ID)
}

func (r *Resolver) addonDependencies(ctx context.Context, a *ent.Addon) ([]*ent.Addon, error) {
	return r.Catalogs.Of(ctx, a.EnvironmentID).Dependencies(ctx, a.ID)
}

func (r *Resolver) entitlementFeature(ctx context.Context, e *ent.PackageEntitlement) (*ent.Feature, error) {
	return r.Catalogs.Of(ctx, e.EnvironmentID).Feature(ctx, e.FeatureID)
}

func (r *Resolver) priceFeature(ctx context.Context, p *ent.Price) (*ent.Feature, error) {
	if p.FeatureID == nil {
		return nil, nil
	}
	return r.Catalogs.Of(ctx, p.EnvironmentID).Feature(ctx, *p.FeatureID)
}

func (r *Resolver) pricePackage(ctx context.Context, p *ent.Price) (*model.PackageDto, error) {
	return packageOf(ctx, r.Catalogs.Of(ctx, p.EnvironmentID), p.PlanID, p.AddonID)
}

func (r *Resolver) entitlementPackage(ctx context.Context, e *ent.PackageEntitlement) (*model.PackageDto, error) {
	return packageOf(ctx, r.Catalogs.Of(ctx, e.EnvironmentID), e.PlanID, e.AddonID)
}

func (r *Resolver) productPlans(ctx context.Context, p *ent.Product) ([]*ent.Plan, error) {
	return r.Catalogs.Of(ctx, p.EnvironmentID).PublishedPlans(ctx, p.ID)
}

func (r *Resolver) productAddons(ctx context.Context, p *ent.Product) ([]*ent.Addon, error) {
	return r.Catalogs.Of(ctx, p.EnvironmentID).PublishedAddons(ctx, p.ID)
}

func (r *Resolver) downgradePlan(ctx context.Context, p *ent.Product) (*ent.Plan, error) {
	if p.DowngradePlanID == nil {
		return nil, nil
	}
	return r.Catalogs.Of(ctx, p.EnvironmentID).Plan(ctx, *p.DowngradePlanID)
}

// promotionalFeature is the feature a grant names by refId.
func (r *Resolver) promotionalFeature(ctx context.Context, p *ent.PromotionalEntitlement) (*ent.Feature, error) {
	return r.Catalogs.Of(ctx, p.EnvironmentID).FeatureByRef(ctx, p.FeatureRefID)
}

// trialProducts are the environment's published products that have a
// published plan with a trial, oldest first.
func (r *Resolver) trialProducts(ctx context.Context, env uuid.UUID) ([]*ent.Product, error) {
	return r.Catalogs.Of(ctx, env).TrialProducts(ctx)
}
