package catalog

// Applying a package's entitlements and prices.

import (
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/packageentitlement"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/schema"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionprice"
)

// syncItems makes the entitlements and prices of one package (a plan when
// planID is set, an add-on otherwise) those of its declaration, updating
// rows in place (by feature, and by price key) so their ids stay stable.
func (a *applier) syncItems(p *Package, planID, addonID *uuid.UUID) error {
	entQ := a.tx.PackageEntitlement.Query()
	priceQ := a.tx.Price.Query()
	if planID != nil {
		entQ.Where(packageentitlement.PlanID(*planID))
		priceQ.Where(price.PlanID(*planID))
	} else {
		entQ.Where(packageentitlement.AddonID(*addonID))
		priceQ.Where(price.AddonID(*addonID))
	}
	ents, err := entQ.All(a.ctx)
	if err != nil {
		return err
	}
	entByFeature := map[uuid.UUID]*ent.PackageEntitlement{}
	for _, e := range ents {
		entByFeature[e.FeatureID] = e
	}
	for i, en := range p.Entitlements {
		fid := a.features[en.Feature]
		var reset *packageentitlement.ResetPeriod
		if en.ResetPeriod != "" {
			r := packageentitlement.ResetPeriod(en.ResetPeriod)
			reset = &r
		}
		behavior := packageentitlement.BehaviorIncrement
		if en.Behavior != "" {
			behavior = packageentitlement.Behavior(en.Behavior)
		}
		if old := entByFeature[fid]; old != nil {
			delete(entByFeature, fid)
			u := old.Update().SetHasUnlimitedUsage(en.Unlimited).SetHasSoftLimit(en.SoftLimit).SetEnumValues(en.EnumValues).
				SetHiddenFromWidgets(en.HiddenFromWidgets).SetBehavior(behavior).SetPosition(i).SetUpdatedAt(a.now)
			if en.UsageLimit != nil {
				u.SetUsageLimit(*en.UsageLimit)
			} else {
				u.ClearUsageLimit()
			}
			if reset != nil {
				u.SetResetPeriod(*reset)
			} else {
				u.ClearResetPeriod()
			}
			setOrClear(en.DisplayNameOverride, u.SetDisplayNameOverride, u.ClearDisplayNameOverride)
			setOrClear(en.Description, u.SetDescription, u.ClearDescription)
			if err := u.Exec(a.ctx); err != nil {
				return err
			}
			continue
		}
		if err := a.tx.PackageEntitlement.Create().SetEnvironmentID(a.env).SetNillablePlanID(planID).SetNillableAddonID(addonID).
			SetFeatureID(fid).SetNillableUsageLimit(en.UsageLimit).SetHasUnlimitedUsage(en.Unlimited).SetHasSoftLimit(en.SoftLimit).
			SetNillableResetPeriod(reset).SetEnumValues(en.EnumValues).SetNillableDisplayNameOverride(nilIfEmpty(en.DisplayNameOverride)).
			SetNillableDescription(nilIfEmpty(en.Description)).SetHiddenFromWidgets(en.HiddenFromWidgets).SetBehavior(behavior).
			SetPosition(i).SetCreatedAt(a.now).SetUpdatedAt(a.now).Exec(a.ctx); err != nil {
			return err
		}
	}
	for _, stale := range entByFeature {
		if err := a.tx.PackageEntitlement.DeleteOne(stale).Exec(a.ctx); err != nil {
			return err
		}
	}

	prices, err := priceQ.All(a.ctx)
	if err != nil {
		return err
	}
	priceByKey := map[string]*ent.Price{}
	for _, pr := range prices {
		priceByKey[pr.Key] = pr
	}
	for i := range p.Prices {
		pr := &p.Prices[i]
		key := priceKey(pr)
		var fid *uuid.UUID
		if pr.Feature != "" {
			id := a.features[pr.Feature]
			fid = &id
		}
		var mode *price.TiersMode
		if pr.TiersMode != "" {
			m := price.TiersMode(pr.TiersMode)
			mode = &m
		}
		tiers := make([]schema.PriceTier, len(pr.Tiers))
		for j, t := range pr.Tiers {
			tiers[j] = schema.PriceTier{UpTo: t.UpTo, UnitPrice: t.UnitPrice, FlatPrice: t.FlatPrice}
		}
		if old := priceByKey[key]; old != nil {
			delete(priceByKey, key)
			u := old.Update().SetTiers(tiers).SetPosition(i).SetArchived(false).SetUpdatedAt(a.now)
			for _, c := range []struct {
				v     *float64
				set   func(float64) *ent.PriceUpdateOne
				clear func() *ent.PriceUpdateOne
			}{
				{pr.Amount, u.SetAmount, u.ClearAmount}, {pr.MinUnitQuantity, u.SetMinUnitQuantity, u.ClearMinUnitQuantity},
				{pr.MaxUnitQuantity, u.SetMaxUnitQuantity, u.ClearMaxUnitQuantity}, {pr.BlockSize, u.SetBlockSize, u.ClearBlockSize},
			} {
				if c.v != nil {
					c.set(*c.v)
				} else {
					c.clear()
				}
			}
			if mode != nil {
				u.SetTiersMode(*mode)
			} else {
				u.ClearTiersMode()
			}
			setOrClear(pr.BillingID, u.SetBillingID, u.ClearBillingID)
			if err := u.Exec(a.ctx); err != nil {
				return err
			}
			continue
		}
		if err := a.tx.Price.Create().SetEnvironmentID(a.env).SetNillablePlanID(planID).SetNillableAddonID(addonID).
			SetNillableFeatureID(fid).SetKey(key).SetBillingModel(price.BillingModel(pr.BillingModel)).
			SetBillingPeriod(price.BillingPeriod(pr.BillingPeriod)).SetNillableAmount(pr.Amount).SetCurrency(pr.Currency).
			SetTiers(tiers).SetNillableTiersMode(mode).SetNillableMinUnitQuantity(pr.MinUnitQuantity).
			SetNillableMaxUnitQuantity(pr.MaxUnitQuantity).SetNillableBlockSize(pr.BlockSize).
			SetNillableBillingCountryCode(nilIfEmpty(pr.BillingCountryCode)).SetNillableBillingID(nilIfEmpty(pr.BillingID)).
			SetPosition(i).SetCreatedAt(a.now).SetUpdatedAt(a.now).Exec(a.ctx); err != nil {
			return err
		}
	}
	for _, stale := range priceByKey {
		used, err := a.tx.SubscriptionPrice.Query().Where(subscriptionprice.PriceID(stale.ID)).Exist(a.ctx)
		if err != nil {
			return err
		}
		if used {
			if !stale.Archived {
				if err := stale.Update().SetArchived(true).SetUpdatedAt(a.now).Exec(a.ctx); err != nil {
					return err
				}
			}
			continue
		}
		if err := a.tx.Price.DeleteOne(stale).Exec(a.ctx); err != nil {
			return err
		}
	}
	return nil
}
