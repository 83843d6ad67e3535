package subscription

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/schema"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionentitlementoverride"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionprice"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionpriceoverride"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// A subscription's own entitlements and prices: what Stigg calls
// subscriptionEntitlements (the 4.x SDK's entitlements input) and
// priceOverrides. They replace, for that subscription only, what its plan
// and add-ons grant of a feature and what a catalog price charges; the
// entitlements package merges the result with the customer's other
// subscriptions and grants as usual (most generous wins).

// EntitlementOverride is a subscription's own entitlement of a feature.
type EntitlementOverride struct {
	FeatureRefID string
	UsageLimit   *float64
	Unlimited    bool
	SoftLimit    bool
	ResetPeriod  *string
	EnumValues   []string
	Description  *string
}

// PriceOverride replaces one catalog price of a subscription: the plan's
// base charge, a feature's price, or an add-on's price (exactly one).
type PriceOverride struct {
	BaseCharge   bool
	FeatureRefID *string
	AddonRefID   *string
	Amount       *float64
	Tiers        []schema.PriceTier
	BlockSize    *float64
}

// checkEntitlementOverrides validates overrides against their features
// (loaded by refId): the feature exists, each comes once, limits are not
// negative, and the values fit the feature's type (a limit or reset period
// only for a number feature, a reset period only for a metered one, enum
// values only for an enum feature).
func checkEntitlementOverrides(ctx context.Context, tx *ent.Tx, env uuid.UUID, in []EntitlementOverride) (map[string]*ent.Feature, error) {
	if len(in) == 0 {
		return nil, nil
	}
	refs := make([]string, 0, len(in))
	for _, o := range in {
		if slices.Contains(refs, o.FeatureRefID) {
			return nil, apperr.BadInput("entitlements", "feature %s is listed twice", o.FeatureRefID)
		}
		refs = append(refs, o.FeatureRefID)
	}
	rows, err := tx.Feature.Query().Where(feature.EnvironmentID(env), feature.RefIDIn(refs...)).All(ctx)
	if err != nil {
		return nil, err
	}
	byRef := map[string]*ent.Feature{}
	for _, f := range rows {
		byRef[f.RefID] = f
	}
	for _, o := range in {
		f := byRef[o.FeatureRefID]
		if f == nil {
			return nil, &apperr.Error{Code: apperr.FeatureNotFound, Field: "entitlements", Message: "feature " + o.FeatureRefID + " was not found"}
		}
		if o.UsageLimit != nil && *o.UsageLimit < 0 {
			return nil, &apperr.Error{Code: apperr.EntitlementUsageOutOfRange, Field: "entitlements.usageLimit",
				Message: "feature " + o.FeatureRefID + ": usageLimit must not be negative"}
		}
		isNumber := f.FeatureType == feature.FeatureTypeNUMBER
		switch {
		case !isNumber && (o.UsageLimit != nil || o.Unlimited || o.SoftLimit):
			return nil, apperr.BadInput("entitlements", "feature %s is a %s feature: it takes no usage limit", o.FeatureRefID, f.FeatureType)
		case isNumber && o.UsageLimit == nil && !o.Unlimited:
			return nil, apperr.BadInput("entitlements", "feature %s is a number feature: give usageLimit or hasUnlimitedUsage", o.FeatureRefID)
		case f.FeatureType != feature.FeatureTypeENUM && len(o.EnumValues) > 0:
			return nil, apperr.BadInput("entitlements", "feature %s is a %s feature: it takes no enum values", o.FeatureRefID, f.FeatureType)
		case o.ResetPeriod != nil && (!isNumber || f.MeterType == feature.MeterTypeNone):
			return nil, &apperr.Error{Code: apperr.InvalidEntitlementResetPeriod, Field: "entitlements.resetPeriod",
				Message: "feature " + o.FeatureRefID + " is not metered: it has no reset period"}
		}
		for _, v := range o.EnumValues {
			if !slices.ContainsFunc(f.EnumConfiguration, func(e schema.EnumValue) bool { return e.Value == v }) {
				return nil, apperr.BadInput("entitlements.enumValues", "feature %s has no enum value %q", o.FeatureRefID, v)
			}
		}
	}
	return byRef, nil
}

// importOverrides validates an imported subscription's own entitlements
// (checked as provisioning checks them) and returns their rows for the
// subscription with id, to be created once the subscriptions are.
func importOverrides(ctx context.Context, tx *ent.Tx, env, id uuid.UUID, in []EntitlementOverride, now time.Time) ([]*ent.SubscriptionEntitlementOverrideCreate, error) {
	if len(in) == 0 {
		return nil, nil
	}
	features, err := checkEntitlementOverrides(ctx, tx, env, in)
	if err != nil {
		return nil, err
	}
	return overrideRows(tx, env, id, in, features, now), nil
}

// overrideRows are the rows of a subscription's own entitlements in.
func overrideRows(tx *ent.Tx, env, subID uuid.UUID, in []EntitlementOverride, features map[string]*ent.Feature, now time.Time) []*ent.SubscriptionEntitlementOverrideCreate {
	creates := make([]*ent.SubscriptionEntitlementOverrideCreate, len(in))
	for i, o := range in {
		c := tx.SubscriptionEntitlementOverride.Create().SetEnvironmentID(env).SetSubscriptionID(subID).
			SetFeatureID(features[o.FeatureRefID].ID).SetNillableUsageLimit(o.UsageLimit).SetHasUnlimitedUsage(o.Unlimited).
			SetHasSoftLimit(o.SoftLimit).SetEnumValues(o.EnumValues).SetNillableDescription(o.Description).
			SetCreatedAt(now).SetUpdatedAt(now)
		if o.ResetPeriod != nil {
			c.SetResetPeriod(subscriptionentitlementoverride.ResetPeriod(*o.ResetPeriod))
		}
		creates[i] = c
	}
	return creates
}

// writeEntitlementOverrides replaces sub's own entitlements with in
// (validated by checkEntitlementOverrides, features by refId).
func writeEntitlementOverrides(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription, in []EntitlementOverride, features map[string]*ent.Feature, now time.Time) error {
	if _, err := tx.SubscriptionEntitlementOverride.Delete().
		Where(subscriptionentitlementoverride.SubscriptionID(sub.ID)).Exec(ctx); err != nil {
		return err
	}
	creates := overrideRows(tx, sub.EnvironmentID, sub.ID, in, features, now)
	if len(creates) == 0 {
		return nil
	}
	return tx.SubscriptionEntitlementOverride.CreateBulk(creates...).Exec(ctx)
}

// resolvePriceOverrides finds the catalog price each override replaces
// among the subscription's plan prices (for its period) and its add-ons'
// prices, and checks the values: not negative, a block size above zero.
func resolvePriceOverrides(ctx context.Context, tx *ent.Tx, env uuid.UUID, in []PriceOverride, planPrices []*ent.Price, addons []*ent.Addon, period *string) (map[uuid.UUID]PriceOverride, error) {
	out := map[uuid.UUID]PriceOverride{}
	for _, o := range in {
		targets := 0
		for _, set := range []bool{o.BaseCharge, o.FeatureRefID != nil, o.AddonRefID != nil} {
			if set {
				targets++
			}
		}
		if targets != 1 {
			return nil, apperr.BadInput("priceOverrides", "a price override names exactly one of baseCharge, featureId and addonId")
		}
		if o.Amount != nil && *o.Amount < 0 || o.BlockSize != nil && *o.BlockSize <= 0 {
			return nil, apperr.BadInput("priceOverrides", "a price override's amount must not be negative and its block size must be above zero")
		}
		for _, t := range o.Tiers {
			if t.UnitPrice != nil && *t.UnitPrice < 0 || t.FlatPrice != nil && *t.FlatPrice < 0 {
				return nil, apperr.BadInput("priceOverrides.tiers", "tier prices must not be negative")
			}
		}
		var target *ent.Price
		what := "the base charge"
		switch {
		case o.BaseCharge:
			i := slices.IndexFunc(planPrices, func(p *ent.Price) bool { return p.BillingModel == price.BillingModelFLAT_FEE })
			if i >= 0 {
				target = planPrices[i]
			}
		case o.FeatureRefID != nil:
			what = "feature " + *o.FeatureRefID
			f, err := tx.Feature.Query().Where(feature.EnvironmentID(env), feature.RefID(*o.FeatureRefID)).Only(ctx)
			if ent.IsNotFound(err) {
				return nil, &apperr.Error{Code: apperr.FeatureNotFound, Field: "priceOverrides.featureId", Message: what + " was not found"}
			}
			if err != nil {
				return nil, err
			}
			i := slices.IndexFunc(planPrices, func(p *ent.Price) bool { return p.FeatureID != nil && *p.FeatureID == f.ID })
			if i >= 0 {
				target = planPrices[i]
			}
		default:
			what = "add-on " + *o.AddonRefID
			i := slices.IndexFunc(addons, func(a *ent.Addon) bool { return a.RefID == *o.AddonRefID })
			if i >= 0 {
				target = AddonPrice(addons[i].Edges.Prices, period)
			}
		}
		if target == nil {
			return nil, &apperr.Error{Code: apperr.PriceNotFound, Field: "priceOverrides",
				Message: what + " has no price on this subscription to override"}
		}
		if _, twice := out[target.ID]; twice {
			return nil, apperr.BadInput("priceOverrides", "%s is overridden twice", what)
		}
		out[target.ID] = o
	}
	return out, nil
}

// writePriceOverrides replaces sub's price overrides with in (by the
// catalog price they replace).
func writePriceOverrides(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription, in map[uuid.UUID]PriceOverride, now time.Time) error {
	if _, err := tx.SubscriptionPriceOverride.Delete().Where(subscriptionpriceoverride.SubscriptionID(sub.ID)).Exec(ctx); err != nil {
		return err
	}
	creates := make([]*ent.SubscriptionPriceOverrideCreate, 0, len(in))
	for id, o := range in {
		creates = append(creates, tx.SubscriptionPriceOverride.Create().SetEnvironmentID(sub.EnvironmentID).
			SetSubscriptionID(sub.ID).SetPriceID(id).SetNillableAmount(o.Amount).SetTiers(o.Tiers).
			SetNillableBlockSize(o.BlockSize).SetCreatedAt(now).SetUpdatedAt(now))
	}
	if len(creates) == 0 {
		return nil
	}
	return tx.SubscriptionPriceOverride.CreateBulk(creates...).Exec(ctx)
}

// Overridden is p as the subscription pays it: a copy with the override's
// amount, tiers and block size when o overrides p, else p itself.
func Overridden(p *ent.Price, o *ent.SubscriptionPriceOverride) *ent.Price {
	if p == nil || o == nil || o.PriceID != p.ID {
		return p
	}
	c := *p
	if o.Amount != nil {
		c.Amount = o.Amount
	}
	if len(o.Tiers) > 0 {
		c.Tiers = o.Tiers
	}
	if o.BlockSize != nil {
		c.BlockSize = o.BlockSize
	}
	return &c
}

// overrideInputs is in as the stored rows Overridden takes, for pricing
// before anything is written (estimates).
func overrideInputs(in map[uuid.UUID]PriceOverride) map[uuid.UUID]*ent.SubscriptionPriceOverride {
	out := make(map[uuid.UUID]*ent.SubscriptionPriceOverride, len(in))
	for id, o := range in {
		out[id] = &ent.SubscriptionPriceOverride{PriceID: id, Amount: o.Amount, Tiers: o.Tiers, BlockSize: o.BlockSize}
	}
	return out
}

// PriceOverrides returns the price overrides of subscriptions, by
// subscription id, then by the catalog price they replace.
func PriceOverrides(ctx context.Context, client *ent.Client, subIDs []uuid.UUID) (map[uuid.UUID]map[uuid.UUID]*ent.SubscriptionPriceOverride, error) {
	rows, err := client.SubscriptionPriceOverride.Query().Where(subscriptionpriceoverride.SubscriptionIDIn(subIDs...)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := map[uuid.UUID]map[uuid.UUID]*ent.SubscriptionPriceOverride{}
	for _, r := range rows {
		if out[r.SubscriptionID] == nil {
			out[r.SubscriptionID] = map[uuid.UUID]*ent.SubscriptionPriceOverride{}
		}
		out[r.SubscriptionID][r.PriceID] = r
	}
	return out, nil
}

// patchOverrides replaces sub's own entitlements and price overrides when
// p sets them; price overrides are resolved against the prices and add-ons
// sub has after the rest of p (written before this).
func (s *Service) patchOverrides(ctx context.Context, tx *ent.Tx, env uuid.UUID, sub *ent.CustomerSubscription, p Patch, now time.Time) error {
	if p.Entitlements != nil {
		features, err := checkEntitlementOverrides(ctx, tx, env, *p.Entitlements)
		if err != nil {
			return err
		}
		if err := writeEntitlementOverrides(ctx, tx, sub, *p.Entitlements, features, now); err != nil {
			return err
		}
	}
	if p.PriceOverrides == nil {
		return nil
	}
	sps, err := tx.SubscriptionPrice.Query().Where(subscriptionprice.SubscriptionID(sub.ID)).WithPrice().All(ctx)
	if err != nil {
		return err
	}
	prices := make([]*ent.Price, len(sps))
	for i, sp := range sps {
		prices[i] = sp.Edges.Price
	}
	sas, err := tx.SubscriptionAddon.Query().Where(subscriptionaddon.SubscriptionID(sub.ID)).
		WithAddon(func(q *ent.AddonQuery) {
			q.WithPrices(func(q *ent.PriceQuery) { q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition)) })
		}).All(ctx)
	if err != nil {
		return err
	}
	addons := make([]*ent.Addon, len(sas))
	for i, sa := range sas {
		addons[i] = sa.Edges.Addon
	}
	period := sub.BillingPeriod
	if p.BillingPeriod != nil {
		period = p.BillingPeriod
	}
	resolved, err := resolvePriceOverrides(ctx, tx, env, *p.PriceOverrides, prices, addons, period)
	if err != nil {
		return err
	}
	return writePriceOverrides(ctx, tx, sub, resolved, now)
}
