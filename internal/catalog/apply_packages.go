package catalog

// Applying packages: add-ons and plans, with their links.

import (
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/plan"
)

func (a *applier) applyAddons() error {
	existing, err := a.tx.Addon.Query().Where(addon.EnvironmentID(a.env)).All(a.ctx)
	if err != nil {
		return err
	}
	byRef := map[string]*ent.Addon{}
	for _, x := range existing {
		byRef[x.RefID] = x
	}
	for i := range a.f.Addons {
		p := &a.f.Addons[i]
		h := hashOf(p)
		old := byRef[p.RefID]
		switch {
		case old == nil:
			row, err := a.tx.Addon.Create().SetEnvironmentID(a.env).SetRefID(p.RefID).SetSourceHash(h).
				SetProductID(a.products[p.Product]).SetDisplayName(p.DisplayName).SetNillableDescription(nilIfEmpty(p.Description)).
				SetAdditionalMetaData(p.Metadata).SetNillableBillingID(nilIfEmpty(p.BillingID)).
				SetPricingType(addon.PricingType(pricingType(p))).SetHiddenFromWidgets(p.HiddenFromWidgets).
				SetNillableMaxQuantity(p.MaxQuantity).SetCreatedAt(a.now).SetUpdatedAt(a.now).Save(a.ctx)
			if err != nil {
				return err
			}
			a.addons[p.RefID] = row.ID
			a.changedAddons = append(a.changedAddons, p)
			a.count(a.sum.Created, "addons")
			continue
		case old.SourceHash == h && old.Status == addon.StatusPUBLISHED:
			a.count(a.sum.Unchanged, "addons")
		default:
			u := a.tx.Addon.UpdateOne(old).SetSourceHash(h).SetProductID(a.products[p.Product]).
				SetDisplayName(p.DisplayName).SetAdditionalMetaData(p.Metadata).
				SetPricingType(addon.PricingType(pricingType(p))).SetHiddenFromWidgets(p.HiddenFromWidgets).
				SetStatus(addon.StatusPUBLISHED).SetUpdatedAt(a.now)
			if old.SourceHash != h {
				u.AddVersionNumber(1)
				a.changedAddons = append(a.changedAddons, p)
			}
			setOrClear(p.Description, u.SetDescription, u.ClearDescription)
			setOrClear(p.BillingID, u.SetBillingID, u.ClearBillingID)
			if p.MaxQuantity != nil {
				u.SetMaxQuantity(*p.MaxQuantity)
			} else {
				u.ClearMaxQuantity()
			}
			if err := u.Exec(a.ctx); err != nil {
				return err
			}
			a.count(a.sum.Updated, "addons")
		}
		a.addons[p.RefID] = old.ID
	}
	for _, p := range a.changedAddons {
		id := a.addons[p.RefID]
		deps := make([]uuid.UUID, len(p.Dependencies))
		for j, d := range p.Dependencies {
			deps[j] = a.addons[d]
		}
		if err := a.tx.Addon.UpdateOneID(id).ClearDependencies().AddDependencyIDs(deps...).Exec(a.ctx); err != nil {
			return err
		}
		if err := a.syncItems(p, nil, &id); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) applyPlans() error {
	existing, err := a.tx.Plan.Query().Where(plan.EnvironmentID(a.env)).All(a.ctx)
	if err != nil {
		return err
	}
	byRef := map[string]*ent.Plan{}
	for _, x := range existing {
		byRef[x.RefID] = x
	}
	for i := range a.f.Plans {
		p := &a.f.Plans[i]
		h := hashOf(p)
		var dur *int
		var units *plan.TrialUnits
		var behavior *plan.TrialEndBehavior
		if t := p.Trial; t != nil {
			u, b := plan.TrialUnitsDAY, plan.TrialEndBehaviorCONVERT_TO_PAID
			if t.Units != "" {
				u = plan.TrialUnits(t.Units)
			}
			if t.EndBehavior != "" {
				b = plan.TrialEndBehavior(t.EndBehavior)
			}
			dur, units, behavior = &t.Duration, &u, &b
		}
		old := byRef[p.RefID]
		switch {
		case old == nil:
			row, err := a.tx.Plan.Create().SetEnvironmentID(a.env).SetRefID(p.RefID).SetSourceHash(h).
				SetProductID(a.products[p.Product]).SetDisplayName(p.DisplayName).SetNillableDescription(nilIfEmpty(p.Description)).
				SetAdditionalMetaData(p.Metadata).SetNillableBillingID(nilIfEmpty(p.BillingID)).
				SetPricingType(plan.PricingType(pricingType(p))).SetHiddenFromWidgets(p.HiddenFromWidgets).
				SetNillableTrialDuration(dur).SetNillableTrialUnits(units).SetNillableTrialEndBehavior(behavior).
				SetCreatedAt(a.now).SetUpdatedAt(a.now).Save(a.ctx)
			if err != nil {
				return err
			}
			a.plans[p.RefID] = row.ID
			a.changedPlans = append(a.changedPlans, p)
			a.count(a.sum.Created, "plans")
			continue
		case old.SourceHash == h && old.Status == plan.StatusPUBLISHED:
			a.count(a.sum.Unchanged, "plans")
		default:
			u := a.tx.Plan.UpdateOne(old).SetSourceHash(h).SetProductID(a.products[p.Product]).
				SetDisplayName(p.DisplayName).SetAdditionalMetaData(p.Metadata).
				SetPricingType(plan.PricingType(pricingType(p))).SetHiddenFromWidgets(p.HiddenFromWidgets).
				SetStatus(plan.StatusPUBLISHED).SetUpdatedAt(a.now)
			if old.SourceHash != h {
				u.AddVersionNumber(1)
				a.changedPlans = append(a.changedPlans, p)
			}
			setOrClear(p.Description, u.SetDescription, u.ClearDescription)
			setOrClear(p.BillingID, u.SetBillingID, u.ClearBillingID)
			if dur != nil {
				u.SetTrialDuration(*dur).SetTrialUnits(*units).SetTrialEndBehavior(*behavior)
			} else {
				u.ClearTrialDuration().ClearTrialUnits().ClearTrialEndBehavior()
			}
			if err := u.Exec(a.ctx); err != nil {
				return err
			}
			a.count(a.sum.Updated, "plans")
		}
		a.plans[p.RefID] = old.ID
	}
	for _, p := range a.changedPlans {
		id := a.plans[p.RefID]
		u := a.tx.Plan.UpdateOneID(id).ClearCompatibleAddons()
		if p.BasePlan != "" {
			u.SetBasePlanID(a.plans[p.BasePlan])
		} else {
			u.ClearBasePlan()
		}
		for _, ad := range p.CompatibleAddons {
			u.AddCompatibleAddonIDs(a.addons[ad])
		}
		if err := u.Exec(a.ctx); err != nil {
			return err
		}
		if err := a.syncItems(p, &id, nil); err != nil {
			return err
		}
	}
	return nil
}
