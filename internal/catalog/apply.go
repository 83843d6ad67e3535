package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/packageentitlement"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/product"
	"github.com/stigg-selfhost/stiggql/ent/schema"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionprice"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// DefaultEnvironment is the environment a file without one loads into.
const DefaultEnvironment = "default"

// Summary counts what Apply did, by kind ("plans", ...).
type Summary struct {
	Environment string
	Created     map[string]int
	Updated     map[string]int
	Unchanged   map[string]int
	Archived    map[string]int
	Deleted     map[string]int
}

func (s *Summary) String() string {
	return fmt.Sprintf("environment %s: created %v, updated %v, unchanged %v, archived %v, deleted %v",
		s.Environment, s.Created, s.Updated, s.Unchanged, s.Archived, s.Deleted)
}

// Apply writes a validated file into its environment in one transaction:
// entries are upserted by refId; entries that left the file are deleted, or
// archived when still in use (a plan or add-on with subscriptions, a coupon
// set on a customer, a price a subscription is billed, a feature an
// archived package entitles). Entries whose declaration did not change are
// not written at all, so applying the same file twice is a no-op; a plan or
// add-on whose declaration changed gets its version number increased.
func Apply(ctx context.Context, client *ent.Client, now time.Time, f *File) (*Summary, error) {
	if f.byRef.products == nil {
		if err := f.Validate(); err != nil {
			return nil, err
		}
	}
	slug := f.Environment
	if slug == "" {
		slug = DefaultEnvironment
	}
	sum := &Summary{Environment: slug, Created: map[string]int{}, Updated: map[string]int{}, Unchanged: map[string]int{},
		Archived: map[string]int{}, Deleted: map[string]int{}}
	err := store.WithTx(ctx, client, func(tx *ent.Tx) error {
		env, err := tx.Environment.Query().Where(environment.Slug(slug)).Only(ctx)
		if ent.IsNotFound(err) {
			env, err = tx.Environment.Create().SetSlug(slug).SetDisplayName(slug).Save(ctx)
		}
		if err != nil {
			return fmt.Errorf("environment %q: %w", slug, err)
		}
		a := &applier{ctx: ctx, tx: tx, env: env.ID, now: now, f: f, sum: sum,
			products: map[string]uuid.UUID{}, features: map[string]uuid.UUID{}, plans: map[string]uuid.UUID{}, addons: map[string]uuid.UUID{}}
		for _, step := range []func() error{a.applyProducts, a.applyFeatures, a.applyCoupons, a.applyAddons, a.applyPlans, a.linkProducts, a.prune} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("catalog %s: apply: %w", f.name, err)
	}
	return sum, nil
}

type applier struct {
	ctx context.Context
	tx  *ent.Tx
	env uuid.UUID
	now time.Time
	f   *File
	sum *Summary
	// ids of the file's entries by refId, once written.
	products, features, plans, addons map[string]uuid.UUID
	// changed lists the packages whose declaration changed (or are new):
	// only their links, entitlements and prices are rewritten.
	changedPlans, changedAddons []*Package
}

func hashOf(v any) string {
	b, _ := json.Marshal(v)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// count records one outcome for kind.
func (a *applier) count(m map[string]int, kind string) { m[kind]++ }

func (a *applier) applyProducts() error {
	existing, err := a.tx.Product.Query().Where(product.EnvironmentID(a.env)).All(a.ctx)
	if err != nil {
		return err
	}
	byRef := map[string]*ent.Product{}
	for _, p := range existing {
		byRef[p.RefID] = p
	}
	for i := range a.f.Products {
		p := &a.f.Products[i]
		h := hashOf(p)
		old := byRef[p.RefID]
		switch {
		case old == nil:
			row, err := a.tx.Product.Create().SetEnvironmentID(a.env).SetRefID(p.RefID).SetSourceHash(h).
				SetNillableDisplayName(nilIfEmpty(p.DisplayName)).SetNillableDescription(nilIfEmpty(p.Description)).
				SetAdditionalMetaData(p.Metadata).SetIsDefaultProduct(p.IsDefault).SetMultipleSubscriptions(p.MultipleSubscriptions).
				SetCreatedAt(a.now).SetUpdatedAt(a.now).Save(a.ctx)
			if err != nil {
				return err
			}
			a.products[p.RefID] = row.ID
			a.count(a.sum.Created, "products")
			continue
		case old.SourceHash == h && old.Status == product.StatusPUBLISHED:
			a.count(a.sum.Unchanged, "products")
		default:
			err := a.tx.Product.UpdateOne(old).SetSourceHash(h).
				SetNillableDisplayName(nilIfEmpty(p.DisplayName)).SetNillableDescription(nilIfEmpty(p.Description)).
				SetAdditionalMetaData(p.Metadata).SetIsDefaultProduct(p.IsDefault).SetMultipleSubscriptions(p.MultipleSubscriptions).
				SetStatus(product.StatusPUBLISHED).SetUpdatedAt(a.now).Exec(a.ctx)
			if err != nil {
				return err
			}
			a.count(a.sum.Updated, "products")
		}
		a.products[p.RefID] = old.ID
	}
	return nil
}

// linkProducts points products at their downgrade plans, once plans exist.
func (a *applier) linkProducts() error {
	rows, err := a.tx.Product.Query().Where(product.EnvironmentID(a.env)).All(a.ctx)
	if err != nil {
		return err
	}
	for _, row := range rows {
		var want *uuid.UUID
		for i := range a.f.Products {
			if p := &a.f.Products[i]; p.RefID == row.RefID && p.DowngradePlan != "" {
				id := a.plans[p.DowngradePlan]
				want = &id
			}
		}
		if want == nil && row.DowngradePlanID == nil || want != nil && row.DowngradePlanID != nil && *want == *row.DowngradePlanID {
			continue
		}
		u := a.tx.Product.UpdateOne(row).SetUpdatedAt(a.now)
		if want == nil {
			u.ClearDowngradePlanID()
		} else {
			u.SetDowngradePlanID(*want)
		}
		if err := u.Exec(a.ctx); err != nil {
			return err
		}
	}
	return nil
}

func enumValues(vs []EnumValue) []schema.EnumValue {
	out := make([]schema.EnumValue, len(vs))
	for i, v := range vs {
		out[i] = schema.EnumValue{Value: v.Value, DisplayName: v.DisplayName}
		if out[i].DisplayName == "" {
			out[i].DisplayName = v.Value
		}
	}
	return out
}

func (a *applier) applyFeatures() error {
	existing, err := a.tx.Feature.Query().Where(feature.EnvironmentID(a.env)).All(a.ctx)
	if err != nil {
		return err
	}
	byRef := map[string]*ent.Feature{}
	for _, ft := range existing {
		byRef[ft.RefID] = ft
	}
	for i := range a.f.Features {
		ft := &a.f.Features[i]
		h := hashOf(ft)
		meter := ft.MeterType
		if meter == "" {
			meter = "None"
		}
		old := byRef[ft.RefID]
		switch {
		case old == nil:
			c := a.tx.Feature.Create()
			if m := meterOf(ft.Meter); m != nil {
				c.SetMeter(m)
			}
			row, err := c.SetEnvironmentID(a.env).SetRefID(ft.RefID).SetSourceHash(h).
				SetDisplayName(ft.DisplayName).SetNillableDescription(nilIfEmpty(ft.Description)).SetAdditionalMetaData(ft.Metadata).
				SetFeatureType(feature.FeatureType(ft.Type)).SetMeterType(feature.MeterType(meter)).
				SetNillableFeatureUnits(nilIfEmpty(ft.Units)).SetNillableFeatureUnitsPlural(nilIfEmpty(ft.UnitsPlural)).
				SetEnumConfiguration(enumValues(ft.EnumValues)).SetCreatedAt(a.now).SetUpdatedAt(a.now).Save(a.ctx)
			if err != nil {
				return err
			}
			a.features[ft.RefID] = row.ID
			a.count(a.sum.Created, "features")
			continue
		case old.SourceHash == h && old.FeatureStatus == feature.FeatureStatusACTIVE:
			a.count(a.sum.Unchanged, "features")
		default:
			u := a.tx.Feature.UpdateOne(old).SetSourceHash(h).
				SetDisplayName(ft.DisplayName).SetAdditionalMetaData(ft.Metadata).
				SetFeatureType(feature.FeatureType(ft.Type)).SetMeterType(feature.MeterType(meter)).
				SetEnumConfiguration(enumValues(ft.EnumValues)).SetFeatureStatus(feature.FeatureStatusACTIVE).SetUpdatedAt(a.now)
			setOrClear(ft.Description, u.SetDescription, u.ClearDescription)
			setOrClear(ft.Units, u.SetFeatureUnits, u.ClearFeatureUnits)
			setOrClear(ft.UnitsPlural, u.SetFeatureUnitsPlural, u.ClearFeatureUnitsPlural)
			if m := meterOf(ft.Meter); m != nil {
				u.SetMeter(m)
			} else {
				u.ClearMeter()
			}
			if err := u.Exec(a.ctx); err != nil {
				return err
			}
			a.count(a.sum.Updated, "features")
		}
		a.features[ft.RefID] = old.ID
	}
	return nil
}

// meterOf is the stored form of a feature's meter.
func meterOf(m *Meter) *schema.Meter {
	if m == nil {
		return nil
	}
	out := &schema.Meter{Aggregation: schema.MeterAggregation{Function: m.Aggregation.Function, Field: m.Aggregation.Field}}
	for _, f := range m.Filters {
		var conds []schema.MeterCondition
		for _, c := range f.Conditions {
			conds = append(conds, schema.MeterCondition{Field: c.Field, Operation: c.Operation, Value: c.Value, Values: c.Values})
		}
		out.Filters = append(out.Filters, schema.MeterFilter{Conditions: conds})
	}
	return out
}

// setOrClear sets a nillable string column to v, or clears it when v is empty.
func setOrClear[B any](v string, set func(string) B, clear func() B) {
	if v == "" {
		clear()
	} else {
		set(v)
	}
}

func (a *applier) applyCoupons() error {
	existing, err := a.tx.Coupon.Query().Where(coupon.EnvironmentID(a.env)).All(a.ctx)
	if err != nil {
		return err
	}
	byRef := map[string]*ent.Coupon{}
	for _, c := range existing {
		byRef[c.RefID] = c
	}
	for i := range a.f.Coupons {
		c := &a.f.Coupons[i]
		h := hashOf(c)
		typ, value := coupon.TypePERCENTAGE, 0.0
		amounts := make([]schema.Money, len(c.AmountsOff))
		for j, m := range c.AmountsOff {
			amounts[j] = schema.Money{Amount: m.Amount, Currency: m.Currency}
		}
		if c.PercentOff != nil {
			value = *c.PercentOff
		} else {
			typ, value = coupon.TypeFIXED, c.AmountsOff[0].Amount
		}
		status := coupon.StatusACTIVE
		if c.Archived {
			status = coupon.StatusARCHIVED
		}
		old := byRef[c.RefID]
		switch {
		case old == nil:
			if _, err := a.tx.Coupon.Create().SetEnvironmentID(a.env).SetRefID(c.RefID).SetSourceHash(h).
				SetName(c.Name).SetNillableDescription(nilIfEmpty(c.Description)).SetAdditionalMetaData(c.Metadata).
				SetType(typ).SetDiscountValue(value).SetNillablePercentOff(c.PercentOff).SetAmountsOff(amounts).
				SetNillableDurationInMonths(c.DurationInMonths).SetStatus(status).SetNillableBillingID(nilIfEmpty(c.BillingID)).
				SetCreatedAt(a.now).SetUpdatedAt(a.now).Save(a.ctx); err != nil {
				return err
			}
			a.count(a.sum.Created, "coupons")
		case old.SourceHash == h && old.Status == status:
			a.count(a.sum.Unchanged, "coupons")
		default:
			u := a.tx.Coupon.UpdateOne(old).SetSourceHash(h).SetName(c.Name).SetAdditionalMetaData(c.Metadata).
				SetType(typ).SetDiscountValue(value).SetAmountsOff(amounts).SetStatus(status).SetUpdatedAt(a.now)
			setOrClear(c.Description, u.SetDescription, u.ClearDescription)
			setOrClear(c.BillingID, u.SetBillingID, u.ClearBillingID)
			if c.PercentOff != nil {
				u.SetPercentOff(*c.PercentOff)
			} else {
				u.ClearPercentOff()
			}
			if c.DurationInMonths != nil {
				u.SetDurationInMonths(*c.DurationInMonths)
			} else {
				u.ClearDurationInMonths()
			}
			if err := u.Exec(a.ctx); err != nil {
				return err
			}
			a.count(a.sum.Updated, "coupons")
		}
	}
	return nil
}

// pricingType is the package's declared pricing type, or FREE without
// prices and PAID with.
func pricingType(p *Package) string {
	switch {
	case p.PricingType != "":
		return p.PricingType
	case len(p.Prices) > 0:
		return "PAID"
	}
	return "FREE"
}

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
