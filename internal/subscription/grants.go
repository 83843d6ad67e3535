package subscription

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/plan"
)

// PlanChain returns p's ancestors' ids, nearest first, following base plans.
func PlanChain(ctx context.Context, client *ent.PlanClient, p *ent.Plan) ([]uuid.UUID, error) {
	var chain []uuid.UUID
	next := p.BasePlanID
	for next != nil && len(chain) < 32 && !slices.Contains(chain, *next) {
		chain = append(chain, *next)
		b, err := client.Get(ctx, *next)
		if err != nil {
			return nil, err
		}
		next = b.BasePlanID
	}
	return chain, nil
}

// entitlements combines what a new subscription grants: the plan's own
// entitlements, those it inherits (nearest base plan first, a feature the
// plan sets itself is not inherited), add-on entitlements times their
// quantity added to number limits, and per-unit quantities as the limit of
// their feature.
//
// The subscription's own entitlements (overrides, features by refId)
// replace what the plan and add-ons grant of their feature, or add it.
func entitlements(ctx context.Context, tx *ent.Tx, p *ent.Plan, addons []*ent.Addon, items []AddonQuantity, prices []*ent.Price, qty map[uuid.UUID]float64, overrides []EntitlementOverride, features map[string]*ent.Feature) ([]Entitlement, error) {
	chain, err := PlanChain(ctx, tx.Plan, p)
	if err != nil {
		return nil, err
	}
	byFeature := map[uuid.UUID]*Entitlement{}
	var order []uuid.UUID
	add := func(pe *ent.PackageEntitlement, times float64, override bool) {
		e := byFeature[pe.FeatureID]
		if e == nil {
			e = &Entitlement{Feature: pe.Edges.Feature}
			byFeature[pe.FeatureID] = e
			order = append(order, pe.FeatureID)
		} else if !override {
			if pe.UsageLimit != nil && e.UsageLimit != nil {
				sum := *e.UsageLimit + *pe.UsageLimit*times
				e.UsageLimit = &sum
			}
			e.Unlimited = e.Unlimited || pe.HasUnlimitedUsage
			for _, v := range pe.EnumValues {
				if !slices.Contains(e.EnumValues, v) {
					e.EnumValues = append(e.EnumValues, v)
				}
			}
			return
		}
		if pe.UsageLimit != nil {
			l := *pe.UsageLimit * times
			e.UsageLimit = &l
		}
		e.Unlimited, e.SoftLimit = pe.HasUnlimitedUsage, pe.HasSoftLimit
		if pe.ResetPeriod != nil {
			r := string(*pe.ResetPeriod)
			e.ResetPeriod = &r
		}
		e.EnumValues = slices.Clone(pe.EnumValues)
	}
	withFeature := func(q *ent.PackageEntitlementQuery) *ent.PackageEntitlementQuery {
		return q.WithFeature().Order(ent.Asc("position"))
	}
	own, err := withFeature(p.QueryEntitlements()).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, pe := range own {
		add(pe, 1, true)
	}
	for _, id := range chain {
		inherited, err := withFeature(tx.Plan.Query().Where(plan.ID(id)).QueryEntitlements()).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, pe := range inherited {
			if byFeature[pe.FeatureID] == nil {
				add(pe, 1, true)
			}
		}
	}
	for i, a := range addons {
		rows, err := withFeature(tx.Addon.Query().Where(addon.ID(a.ID)).QueryEntitlements()).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, pe := range rows {
			add(pe, items[i].Quantity, pe.Behavior == "Override")
		}
	}
	for _, pr := range prices {
		if q, ok := qty[pr.ID]; ok && pr.FeatureID != nil {
			if e := byFeature[*pr.FeatureID]; e != nil && !e.Unlimited {
				e.UsageLimit = &q
			}
		}
	}
	for _, o := range overrides {
		f := features[o.FeatureRefID]
		if byFeature[f.ID] == nil {
			order = append(order, f.ID)
		}
		byFeature[f.ID] = &Entitlement{Feature: f, UsageLimit: o.UsageLimit, Unlimited: o.Unlimited, SoftLimit: o.SoftLimit,
			ResetPeriod: o.ResetPeriod, EnumValues: slices.Clone(o.EnumValues)}
	}
	out := make([]Entitlement, len(order))
	for i, id := range order {
		out[i] = *byFeature[id]
	}
	return out, nil
}
