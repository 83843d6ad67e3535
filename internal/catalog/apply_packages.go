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

// applyPlans writes the file's plans, bases first. A plan whose
// declaration changed, or whose base plan got a new version, gets a new
// version: a new row (its own entitlements, prices and compatible add-ons)
// that becomes the latest, while the previous rows stay as they are for
// the subscriptions created on them. An unchanged plan keeps its row.
func (a *applier) applyPlans() error {
	existing, err := a.tx.Plan.Query().Where(plan.EnvironmentID(a.env)).All(a.ctx)
	if err != nil {
		return err
	}
	latest := map[string]*ent.Plan{}
	newest := map[string]int{}
	for _, x := range existing {
		if x.IsLatest {
			latest[x.RefID] = x
		}
		newest[x.RefID] = max(newest[x.RefID], x.VersionNumber)
	}
	for _, p := range basesFirst(a.f.Plans) {
		h := hashOf(p)
		var base *uuid.UUID
		if p.BasePlan != "" {
			id := a.plans[p.BasePlan]
			base = &id
		}
		old := latest[p.RefID]
		if old != nil && old.SourceHash == h && sameID(old.BasePlanID, base) {
			if old.Status == plan.StatusPUBLISHED {
				a.count(a.sum.Unchanged, "plans")
			} else {
				// Back in the file unchanged: published again as it was.
				if err := a.tx.Plan.UpdateOne(old).SetStatus(plan.StatusPUBLISHED).SetUpdatedAt(a.now).Exec(a.ctx); err != nil {
					return err
				}
				a.count(a.sum.Updated, "plans")
			}
			a.plans[p.RefID] = old.ID
			continue
		}
		outcome := a.sum.Created
		if old != nil {
			outcome = a.sum.Updated
			if err := a.tx.Plan.UpdateOne(old).SetIsLatest(false).SetUpdatedAt(a.now).Exec(a.ctx); err != nil {
				return err
			}
		}
		id, err := a.createPlan(p, h, newest[p.RefID]+1, base)
		if err != nil {
			return err
		}
		a.plans[p.RefID] = id
		a.changedPlans = append(a.changedPlans, p)
		a.count(outcome, "plans")
	}
	for _, p := range a.changedPlans {
		id := a.plans[p.RefID]
		u := a.tx.Plan.UpdateOneID(id)
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

// createPlan writes version of p's plan as its latest version, and
// returns its id.
func (a *applier) createPlan(p *Package, hash string, version int, base *uuid.UUID) (uuid.UUID, error) {
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
	row, err := a.tx.Plan.Create().SetEnvironmentID(a.env).SetRefID(p.RefID).SetSourceHash(hash).
		SetVersionNumber(version).SetIsLatest(true).SetNillableBasePlanID(base).
		SetProductID(a.products[p.Product]).SetDisplayName(p.DisplayName).SetNillableDescription(nilIfEmpty(p.Description)).
		SetAdditionalMetaData(p.Metadata).SetNillableBillingID(nilIfEmpty(p.BillingID)).
		SetPricingType(plan.PricingType(pricingType(p))).SetHiddenFromWidgets(p.HiddenFromWidgets).
		SetNillableTrialDuration(dur).SetNillableTrialUnits(units).SetNillableTrialEndBehavior(behavior).
		SetCreatedAt(a.now).SetUpdatedAt(a.now).Save(a.ctx)
	if err != nil {
		return uuid.Nil, err
	}
	return row.ID, nil
}

// basesFirst orders plans so that a plan's base plan comes before it (the
// file's order otherwise): a plan's version points at its base's latest
// version, which must be known.
func basesFirst(plans []Package) []*Package {
	byRef := make(map[string]*Package, len(plans))
	for i := range plans {
		byRef[plans[i].RefID] = &plans[i]
	}
	out := make([]*Package, 0, len(plans))
	done := map[string]bool{}
	var visit func(p *Package)
	visit = func(p *Package) {
		if done[p.RefID] {
			return
		}
		done[p.RefID] = true // validated acyclic; also stops a cycle here
		if b := byRef[p.BasePlan]; b != nil {
			visit(b)
		}
		out = append(out, p)
	}
	for i := range plans {
		visit(&plans[i])
	}
	return out
}

func sameID(a, b *uuid.UUID) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}
