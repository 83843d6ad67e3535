package catalog

// Applying the catalog entries that are not packages: products (and their
// downgrade plans), features and coupons.

import (
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/product"
	"github.com/stigg-selfhost/stiggql/ent/schema"
)

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
