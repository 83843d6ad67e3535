package catalog

// Removing what left the catalog file.

import (
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/product"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
)

// prune deletes what left the file, or archives it when still in use.
func (a *applier) prune() error {
	ctx, tx := a.ctx, a.tx
	inFile := func(m map[string]uuid.UUID) []uuid.UUID {
		ids := make([]uuid.UUID, 0, len(m))
		for _, id := range m {
			ids = append(ids, id)
		}
		return ids
	}
	plans, err := tx.Plan.Query().Where(plan.EnvironmentID(a.env), plan.IDNotIn(inFile(a.plans)...)).All(ctx)
	if err != nil {
		return err
	}
	for _, p := range plans {
		used, err := tx.CustomerSubscription.Query().Where(customersubscription.PlanID(p.ID)).Exist(ctx)
		if err != nil {
			return err
		}
		if used {
			if p.Status != plan.StatusARCHIVED {
				if err := tx.Plan.UpdateOne(p).SetStatus(plan.StatusARCHIVED).SetUpdatedAt(a.now).Exec(ctx); err != nil {
					return err
				}
				a.count(a.sum.Archived, "plans")
			}
			continue
		}
		if err := tx.Plan.DeleteOne(p).Exec(ctx); err != nil {
			return err
		}
		a.count(a.sum.Deleted, "plans")
	}
	addons, err := tx.Addon.Query().Where(addon.EnvironmentID(a.env), addon.IDNotIn(inFile(a.addons)...)).All(ctx)
	if err != nil {
		return err
	}
	for _, x := range addons {
		used, err := tx.SubscriptionAddon.Query().Where(subscriptionaddon.AddonID(x.ID)).Exist(ctx)
		if err != nil {
			return err
		}
		if used {
			if x.Status != addon.StatusARCHIVED {
				if err := tx.Addon.UpdateOne(x).SetStatus(addon.StatusARCHIVED).SetUpdatedAt(a.now).Exec(ctx); err != nil {
					return err
				}
				a.count(a.sum.Archived, "addons")
			}
			continue
		}
		if err := tx.Addon.DeleteOne(x).Exec(ctx); err != nil {
			return err
		}
		a.count(a.sum.Deleted, "addons")
	}
	features, err := tx.Feature.Query().Where(feature.EnvironmentID(a.env), feature.IDNotIn(inFile(a.features)...)).All(ctx)
	if err != nil {
		return err
	}
	for _, ft := range features {
		used, err := tx.Feature.Query().Where(feature.ID(ft.ID), feature.Or(feature.HasEntitlements(), feature.HasPrices())).Exist(ctx)
		if err != nil {
			return err
		}
		if used {
			// Still entitled by an archived package: kept, but suspended.
			if ft.FeatureStatus != feature.FeatureStatusSUSPENDED {
				if err := tx.Feature.UpdateOne(ft).SetFeatureStatus(feature.FeatureStatusSUSPENDED).SetUpdatedAt(a.now).Exec(ctx); err != nil {
					return err
				}
				a.count(a.sum.Archived, "features")
			}
			continue
		}
		if err := tx.Feature.DeleteOne(ft).Exec(ctx); err != nil {
			return err
		}
		a.count(a.sum.Deleted, "features")
	}
	products, err := tx.Product.Query().Where(product.EnvironmentID(a.env), product.IDNotIn(inFile(a.products)...)).All(ctx)
	if err != nil {
		return err
	}
	for _, p := range products {
		used, err := tx.Product.Query().Where(product.ID(p.ID), product.Or(product.HasPlans(), product.HasAddons())).Exist(ctx)
		if err != nil {
			return err
		}
		if used {
			if p.Status != product.StatusARCHIVED {
				if err := tx.Product.UpdateOne(p).SetStatus(product.StatusARCHIVED).SetUpdatedAt(a.now).Exec(ctx); err != nil {
					return err
				}
				a.count(a.sum.Archived, "products")
			}
			continue
		}
		if err := tx.Product.DeleteOne(p).Exec(ctx); err != nil {
			return err
		}
		a.count(a.sum.Deleted, "products")
	}
	refs := make([]string, len(a.f.Coupons))
	for i, c := range a.f.Coupons {
		refs[i] = c.RefID
	}
	coupons, err := tx.Coupon.Query().Where(coupon.EnvironmentID(a.env), coupon.RefIDNotIn(refs...)).All(ctx)
	if err != nil {
		return err
	}
	for _, c := range coupons {
		usedByCustomer, err := tx.Customer.Query().Where(customer.CouponID(c.ID)).Exist(ctx)
		if err != nil {
			return err
		}
		usedBySub, err := tx.CustomerSubscription.Query().Where(customersubscription.CouponID(c.ID)).Exist(ctx)
		if err != nil {
			return err
		}
		if usedByCustomer || usedBySub {
			if c.Status != coupon.StatusARCHIVED {
				if err := tx.Coupon.UpdateOne(c).SetStatus(coupon.StatusARCHIVED).SetUpdatedAt(a.now).Exec(ctx); err != nil {
					return err
				}
				a.count(a.sum.Archived, "coupons")
			}
			continue
		}
		if err := tx.Coupon.DeleteOne(c).Exec(ctx); err != nil {
			return err
		}
		a.count(a.sum.Deleted, "coupons")
	}
	return nil
}
