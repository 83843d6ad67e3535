package catalog

// Removing what left the catalog file.

import (
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
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
	// A plan's versions go together: all archived when a subscription
	// uses any of them (so the latest one stays the latest), else deleted.
	planRefs := make([]string, 0, len(a.plans))
	for ref := range a.plans {
		planRefs = append(planRefs, ref)
	}
	plans, err := tx.Plan.Query().Where(plan.EnvironmentID(a.env), plan.RefIDNotIn(planRefs...)).
		Order(ent.Asc(plan.FieldRefID), ent.Asc(plan.FieldVersionNumber)).All(ctx)
	if err != nil {
		return err
	}
	versions := map[string][]*ent.Plan{}
	var gone []string
	for _, p := range plans {
		if versions[p.RefID] == nil {
			gone = append(gone, p.RefID)
		}
		versions[p.RefID] = append(versions[p.RefID], p)
	}
	for _, ref := range gone {
		ids := make([]uuid.UUID, len(versions[ref]))
		for i, p := range versions[ref] {
			ids[i] = p.ID
		}
		used, err := tx.CustomerSubscription.Query().Where(customersubscription.PlanIDIn(ids...)).Exist(ctx)
		if err != nil {
			return err
		}
		if used {
			n, err := tx.Plan.Update().Where(plan.IDIn(ids...), plan.StatusNEQ(plan.StatusARCHIVED)).
				SetStatus(plan.StatusARCHIVED).SetUpdatedAt(a.now).Save(ctx)
			if err != nil {
				return err
			}
			if n > 0 {
				a.count(a.sum.Archived, "plans")
			}
			continue
		}
		if _, err := tx.Plan.Delete().Where(plan.IDIn(ids...)).Exec(ctx); err != nil {
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
	couponRefs := make([]string, len(a.f.Coupons))
	for i, c := range a.f.Coupons {
		couponRefs[i] = c.RefID
	}
	coupons, err := tx.Coupon.Query().Where(coupon.EnvironmentID(a.env), coupon.RefIDNotIn(couponRefs...)).All(ctx)
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
